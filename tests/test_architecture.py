"""House rules checked on the source tree with ``ast`` (not grep: comments and strings don't count).

- Only ``lib/ui.py``, ``app.py`` and ``views/`` (the pages) import streamlit.
- No SQL text built by f-strings, ``%``, ``+`` or ``.format()`` inside ``sqlalchemy.text(...)`` in ``lib/``
  (values are bound, identifiers come from a whitelist). A deliberate exception carries ``# sql-ok: <why>`` on
  the call's line.
- Pages stay thin (at most :data:`PAGE_MAX_LINES` lines).
- Every public module-level function in ``lib/`` has a docstring.

Each checker is a pure function of source text, tested on small snippets first so a check that silently stops
seeing anything fails here instead of passing forever.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LIB = REPO / "lib"
# The page files live in views/, not pages/: a pages/ folder beside app.py switches on Streamlit's old
# folder-based navigation for a deep link opened first after the server starts (app.py then never runs).
PAGES = REPO / "views"
PAGE_MAX_LINES = 120
ALLOW_SQL_MARK = "# sql-ok:"
# Directories that are not the project's source: tests may use streamlit.testing; venvs hold other packages.
_NOT_SOURCE = {"tests", ".git", ".venv", ".venv-ci", "node_modules", "__pycache__", "test-artifacts"}


@dataclass(frozen=True)
class Violation:
    """One broken rule at one place."""

    line: int
    message: str


def _python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if not _NOT_SOURCE.intersection(p.relative_to(REPO).parts))


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _dotted(node: ast.expr) -> str | None:
    """Return ``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


# --- streamlit imports -------------------------------------------------------------------------------------


def streamlit_imports(source: str) -> list[Violation]:
    """Return every import of streamlit (``import``, ``from streamlit.x import``, ``import_module``)."""
    found: list[Violation] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.stmt | ast.expr):
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and _dotted(node.func) in ("__import__", "importlib.import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        for name in names:
            if name == "streamlit" or name.startswith("streamlit."):
                found.append(Violation(node.lineno, f"imports {name}"))
    return found


# --- SQL built inside text() -------------------------------------------------------------------------------


def _text_callables(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Return (local names bound to sqlalchemy's text, local names bound to sqlalchemy modules)."""
    functions: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlalchemy" or alias.name.startswith("sqlalchemy."):
                    # `import sqlalchemy.sql` binds `sqlalchemy`; `import sqlalchemy.sql as s` binds `s`.
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            for alias in node.names:
                if alias.name == "text":
                    functions.add(alias.asname or "text")
                elif alias.name in ("sql", "expression"):
                    modules.add(alias.asname or alias.name)
    return functions, modules


def _is_text_call(call: ast.Call, functions: set[str], modules: set[str]) -> bool:
    name = _dotted(call.func)
    if name is None:
        return False
    if name in functions:
        return True
    head, _, last = name.rpartition(".")
    return last == "text" and any(head == m or head.startswith(m + ".") for m in modules)


def _built_string(node: ast.expr, assigned: dict[str, list[ast.expr]], depth: int = 0) -> str | None:
    """Say how ``node`` builds a string at run time (f-string, %, +, format, join), or None if it doesn't."""
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
        return "an f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "% formatting"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        leaves = [node.left, node.right]
        if not all(isinstance(leaf, ast.Constant) for leaf in leaves):
            return "string concatenation"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    ):
        return f".{node.func.attr}()"
    # A local variable assigned one of the above in the same function counts too.
    if isinstance(node, ast.Name) and depth < 3:
        for value in assigned.get(node.id, []):
            how = _built_string(value, assigned, depth + 1)
            if how:
                return f"{how} (via `{node.id}`)"
    return None


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield node


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Walk a scope without descending into nested functions (they are scopes of their own)."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def sql_built_in_text(source: str) -> list[Violation]:
    """Return each ``text(...)`` whose SQL is built at run time, not bound (``# sql-ok: why`` allows it)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    functions, modules = _text_callables(tree)
    found: list[Violation] = []
    for scope in _scopes(tree):
        nodes = list(_own_nodes(scope))
        assigned: dict[str, list[ast.expr]] = {}
        for node in nodes:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
                assigned.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                # `q += x` builds q as `q + x`.
                assigned.setdefault(node.target.id, []).append(
                    ast.BinOp(left=ast.Name(id=node.target.id), op=node.op, right=node.value)
                )
        for node in nodes:
            if not (isinstance(node, ast.Call) and _is_text_call(node, functions, modules) and node.args):
                continue
            how = _built_string(node.args[0], assigned)
            end = node.end_lineno or node.lineno
            allowed = any(ALLOW_SQL_MARK in lines[i - 1] for i in range(node.lineno, end + 1))
            if how and not allowed:
                found.append(
                    Violation(node.lineno, f"SQL inside text() is built with {how}; bind the values")
                )
    return found


# --- docstrings --------------------------------------------------------------------------------------------


def missing_docstrings(source: str) -> list[Violation]:
    """Return public module-level functions without a docstring (methods are left to review)."""
    found: list[Violation] = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name.startswith("_"):
            continue
        if {_dotted(d) for d in node.decorator_list} & {"overload", "typing.overload"}:
            continue
        if ast.get_docstring(node) is None:
            found.append(Violation(node.lineno, f"public function {node.name}() has no docstring"))
    return found


# --- the checkers catch what they should (so the tree checks below can fail) ------------------------------


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("import streamlit as st", [1]),
        ("import os\nfrom streamlit.runtime import caching", [2]),
        ("import streamlit.components.v1", [1]),
        ("def f():\n    import streamlit\n", [2]),
        ("import importlib\nimportlib.import_module('streamlit')", [2]),
        ("import streamlit_extras\nfrom . import streamlit\n# import streamlit\nx = 'import streamlit'", []),
    ],
    ids=["plain", "from-submodule", "submodule", "inside-function", "importlib", "look-alikes"],
)
def test_streamlit_import_checker(source: str, lines: list[int]) -> None:
    assert [v.line for v in streamlit_imports(source)] == lines


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("from sqlalchemy import text\ntext(f'SELECT * FROM t WHERE d > {d}')", [2]),
        ("import sqlalchemy as sa\nsa.text('SELECT ' + col)", [2]),
        ("import sqlalchemy\nsqlalchemy.text('SELECT %s' % col)", [2]),
        ("from sqlalchemy import text as t\nt('SELECT {}'.format(col))", [2]),
        ("from sqlalchemy.sql import expression\nexpression.text(f'{q}')", [2]),
        ("from sqlalchemy import text\ndef f(d):\n    q = f'SELECT {d}'\n    return text(q)", [4]),
        ("from sqlalchemy import text\ndef f(d):\n    q = 'SELECT '\n    q += d\n    return text(q)", [5]),
        ("from sqlalchemy import text\ntext(f'SELECT {x}')  # sql-ok: x is an int from a whitelist", []),
        ("from sqlalchemy import text\ntext('SELECT * FROM t WHERE d > :d').bindparams(d=1)", []),
        ("from sqlalchemy import text\ntext('SELECT 1 ' 'FROM t')", []),
        ("import sqlalchemy as sa\nQ = 'SELECT 1'\nsa.text(Q)", []),
        ("def text(x):\n    return x\ntext(f'{y}')", []),
    ],
    ids=[
        "fstring",
        "concat",
        "percent",
        "format-alias",
        "expression-module",
        "via-variable",
        "augmented",
        "allowed-with-reason",
        "bound",
        "implicit-concat",
        "constant",
        "not-sqlalchemy",
    ],
)
def test_sql_text_checker(source: str, flagged: list[int]) -> None:
    assert [v.line for v in sql_built_in_text(source)] == flagged


def test_docstring_checker() -> None:
    source = '''
def public(): pass
def documented():
    """Yes."""
def _private(): pass
async def fetch(): pass
@overload
def typed(x: int) -> int: ...
class Result:
    def method(self): pass
def outer():
    """Yes."""
    def inner(): pass
'''
    assert [v.message for v in missing_docstrings(source)] == [
        "public function public() has no docstring",
        "public function fetch() has no docstring",
    ]


# --- the rules, applied to the tree ------------------------------------------------------------------------


def _report(violations: dict[Path, list[Violation]]) -> str:
    return "\n".join(
        f"{path.relative_to(REPO)}:{v.line}: {v.message}" for path, found in violations.items() for v in found
    )


def test_only_ui_app_and_pages_import_streamlit() -> None:
    allowed = {LIB / "ui.py", REPO / "app.py"}
    # bench/ measures page renders with Streamlit's AppTest, like the tests do; it is not part of the app.
    bench = REPO / "bench"
    files = [p for p in _python_files(REPO) if p not in allowed and PAGES not in p.parents and bench not in p.parents]
    violations = {p: v for p in files if (v := streamlit_imports(p.read_text(encoding="utf-8")))}
    assert not violations, "streamlit is imported outside lib/ui.py, app.py and views/:\n" + _report(
        violations
    )


def test_lib_binds_sql_values_instead_of_formatting_them() -> None:
    violations = {p: v for p in _python_files(LIB) if (v := sql_built_in_text(p.read_text(encoding="utf-8")))}
    assert not violations, "SQL text built from strings in lib/:\n" + _report(violations)


def test_public_lib_functions_have_docstrings() -> None:
    violations = {
        p: v for p in _python_files(LIB) if (v := missing_docstrings(p.read_text(encoding="utf-8")))
    }
    assert not violations, "missing docstrings:\n" + _report(violations)


def test_pages_stay_thin() -> None:
    long_pages = {
        p: n
        for p in sorted(PAGES.glob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > PAGE_MAX_LINES
    }
    assert not long_pages, f"pages over {PAGE_MAX_LINES} lines (move logic into lib/): " + ", ".join(
        f"{p.relative_to(REPO)} ({n})" for p, n in long_pages.items()
    )


def test_source_files_parse() -> None:
    # The checks above read the tree with ast; a file they cannot parse, or a walk that finds nothing (a wrong
    # root, an exclusion too broad), would be a silent hole.
    files = _python_files(REPO)
    assert LIB / "__init__.py" in files
    for path in files:
        _parse(path)
