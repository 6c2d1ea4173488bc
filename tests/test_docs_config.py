"""docs/configuration.md documents every config key declared in lib/config_schema.py.

Modelled on datasette's tests/test_docs.py: a key added to the code without docs, or docs left behind by a
removed key, fails here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from lib.config import parse_config
from lib.config_schema import config_keys, reference_markdown, sections

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
START, END = "<!-- reference:start", "<!-- reference:end -->"


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def documented_sections() -> dict[str, str]:
    """The body of each ``### `[heading]` `` section of the key reference, by heading."""
    reference = doc_text().split(START, 1)[1].split(END, 1)[0]
    parts = re.split(r"^### `(.+?)`$", reference, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize(
    ("heading", "key"), [(h, k) for h, k, _ in config_keys()], ids=[f"{h} {k}" for h, k, _ in config_keys()]
)
def test_every_key_is_documented(heading: str, key: str) -> None:
    body = documented_sections().get(heading)
    assert body is not None, f"docs/configuration.md has no ### `{heading}` section"
    assert re.search(rf"^\| `{re.escape(key)}` \|", body, flags=re.MULTILINE), (
        f"{heading} {key} is missing from docs/configuration.md; "
        "regenerate the reference with `python -m lib.config_schema`"
    )


def test_no_documented_key_is_unknown() -> None:
    declared = {(h, k) for h, k, _ in config_keys()}
    documented = {
        (heading, key)
        for heading, body in documented_sections().items()
        for key in re.findall(r"^\| `([^`]+)` \|", body, flags=re.MULTILINE)
    }
    assert documented - declared == set()


def test_every_section_is_documented() -> None:
    assert len(documented_sections()) == len(sections())


def test_reference_matches_the_declarations() -> None:
    # The help text is written once, in the code; the docs carry a generated copy that must be current.
    reference = doc_text().split(START, 1)[1].split("\n", 1)[1].split(END, 1)[0]
    assert reference.strip() == reference_markdown().strip(), (
        "docs/configuration.md is out of date: paste the output of `python -m lib.config_schema` between the "
        "reference markers"
    )


def test_examples_in_the_docs_are_valid() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", doc_text(), flags=re.DOTALL)
    assert blocks, "docs/configuration.md has no ```toml example"
    for block in blocks:
        config = parse_config(tomllib.loads(block), DOC)
        assert config.metrics and config.experiments
