"""Every page renders headless from app.py with no exception (Streamlit AppTest), plus Data-page behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import app_pages

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", app_pages.page_files(), ids=lambda p: Path(p).stem)
def test_every_page_renders_without_exception(page: str) -> None:
    at = _app()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # A page that could not open the sample product shows st.error: that is a failure here.
    assert not at.error, [e.value for e in at.error]


def test_data_page_shows_source_tables_and_quality() -> None:
    at = _app()
    at.switch_page("views/data.py")
    at.run()
    text = " ".join(m.value for m in at.markdown)
    assert "sample_data/product" in text
    summary = at.dataframe[0].value
    assert list(summary["table"]) == ["events", "users", "assignments"]
    assert summary.loc[summary["table"] == "events", "rows"].iloc[0] > 100_000
    # The sample product plants users in two variants of one experiment: the report lists them.
    quality = at.dataframe[1].value
    assert "multi_variant_users" in set(quality["check"])


def test_bad_source_shows_a_message_not_a_traceback(tmp_path: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["source"] = str(tmp_path / "nowhere")
    at.run()
    at.switch_page("views/data.py")
    at.run()
    assert not at.exception
    assert any("does not exist" in e.value for e in at.error)


def test_segment_filter_in_url_restricts_the_data(tmp_path: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["segment"] = "user.platform"
    at.query_params["segment_value"] = "ios"
    at.run()
    assert not at.exception
    assert any("platform = ios" in c.value for c in at.caption)
