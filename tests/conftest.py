"""Shared test fixtures: a throwaway PostgreSQL server and per-test databases on DuckDB and PostgreSQL.

Fixtures
--------
pg_cluster (session)
    A :class:`tests.pg.PgCluster` started from ``/usr/lib/postgresql/<newest>/bin`` on a free port of
    127.0.0.1; ``.url(db)``, ``.create_database()``, ``.drop_database(name)``. Stopped and deleted at the end.
pg_url (session)
    SQLAlchemy URL (``postgresql+psycopg://postgres@127.0.0.1:<port>/launch_review``) of one database
    shared by the session. The server's default time zone is not UTC on purpose: set it per connection.
db_backend (function, parametrized ``duckdb`` / ``postgresql``)
    A :class:`tests.backends.DbBackend` with ``.name``, ``.url`` (a fresh DuckDB file in ``tmp_path`` or a
    fresh PostgreSQL database, dropped afterwards), ``.load({"events": df, ...})`` and ``.read(sql)``.

Tests that use ``pg_cluster``/``pg_url``, and the ``postgresql`` case of ``db_backend``, get the ``postgres``
marker automatically; tests under ``tests/browser/`` get ``browser``. Select with ``-m "not postgres"``.

A missing PostgreSQL skips its tests with the reason; with ``CI`` set it fails them (see :func:`unavailable`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests import pg
from tests.backends import DbBackend

TESTS_DIR = Path(__file__).resolve().parent

# Local state (uploads) of the app and the CLI under test goes to a throwaway folder, never ~/.cache. Set at import
# so servers started by fixtures inherit it.
os.environ.setdefault("LAUNCH_REVIEW_HOME", tempfile.mkdtemp(prefix="launch-review-home-"))


def unavailable(reason: str) -> NoReturn:
    """Skip the test because a service is missing, or fail it when ``CI`` is set (CI must test everything).

    Parameters
    ----------
    reason
        What is missing and how to install it.
    """
    if pg.in_ci():
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg.PgCluster]:
    """Start one throwaway PostgreSQL server for the session and delete it at the end."""
    try:
        # Creating an OS user is only acceptable on a throwaway CI machine.
        cluster = pg.start_cluster(create_user=pg.in_ci())
    except pg.PgUnavailable as error:
        unavailable(str(error))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_url(pg_cluster: pg.PgCluster) -> str:
    """Return the URL of a database shared by the whole session."""
    return pg_cluster.url(pg_cluster.create_database("launch_review"))


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DbBackend]:
    """Yield an empty database private to this test, once on DuckDB and once on PostgreSQL."""
    if request.param == "duckdb":
        yield DbBackend("duckdb", f"duckdb:///{tmp_path / 'test.duckdb'}")
        return
    cluster: pg.PgCluster = request.getfixturevalue("pg_cluster")
    name = cluster.create_database()
    try:
        yield DbBackend("postgresql", cluster.url(name))
    finally:
        cluster.drop_database(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark PostgreSQL and browser tests so ``-m`` can select them."""
    browser_dir = TESTS_DIR / "browser"
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "pg_cluster" in fixtures or "pg_url" in fixtures:
            item.add_marker(pytest.mark.postgres)
        if browser_dir in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
