"""Golden tests of the check's daily series (lib.metrics.anomalies) on a hand-made log, DuckDB and PostgreSQL.

Every number is counted by hand from the rows below (UTC product, so local day = UTC date)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest

from lib import db
from lib.config import MetricConfig
from lib.metrics import anomalies as an
from lib.schema import Tables, build_tables
from tests.backends import DbBackend

# (user, event, UTC time, platform)
ROWS = [
    (1, "signup", "2026-09-01 10:00:00", "ios"),
    (1, "first_project", "2026-09-01 11:00:00", "ios"),  # converts inside [t0, t0 + 2 d)
    (1, "app_open", "2026-09-02 09:00:00", "ios"),  # day 1 after the signup day: retained_d1
    (2, "signup", "2026-09-01 23:00:00", "android"),
    (2, "first_project", "2026-09-03 23:00:00", "android"),  # exactly t0 + 48 h: OUT (half-open)
    (3, "signup", "2026-09-02 08:00:00", "android"),
    (3, "app_open", "2026-09-02 08:30:00", "android"),
    (3, "app_open", "2026-09-02 09:00:00", "android"),
]
USERS = pd.DataFrame({
    "user_id": pd.Series([1, 2, 3], dtype="int64"),
    "signup_at": pd.to_datetime(["2026-09-01 10:00:00", "2026-09-01 23:00:00", "2026-09-02 08:00:00"], utc=True),
    "platform": pd.Series(["ios", "android", "android"], dtype="str"),
})


@pytest.fixture
def tables(db_backend: DbBackend) -> Iterator[tuple[db.Source, Tables]]:
    events = pd.DataFrame({
        "user_id": pd.Series([r[0] for r in ROWS], dtype="int64"),
        "event": pd.Series([r[1] for r in ROWS], dtype="str"),
        "timestamp": pd.to_datetime([r[2] for r in ROWS], utc=True).as_unit("us"),
        "platform": pd.Series([r[3] for r in ROWS], dtype="str"),
    })
    db_backend.load({"events": events, "users": USERS.assign(signup_at=USERS["signup_at"].dt.as_unit("us"))})
    source = db.open_source(url=db_backend.url)
    try:
        yield source, build_tables(source, "UTC")
    finally:
        source.engine.dispose()


def _by(frame: pd.DataFrame, cols: list[str]) -> dict[tuple[str, str, date], tuple[float, ...]]:
    return {(str(r.attribute), str(r.segment), pd.Timestamp(r.day).date()): tuple(float(getattr(r, c)) for c in cols)
            for r in frame.itertuples()}


def test_dau_and_events_per_day_and_platform(tables: tuple[db.Source, Tables]) -> None:
    source, t = tables
    segs = an.resolve_segments(t, ["platform"])
    got = _by(db.run(source, an.activity_series(t, segs, date(2026, 9, 1), date(2026, 9, 3))), ["dau", "events"])
    d1, d2, d3 = date(2026, 9, 1), date(2026, 9, 2), date(2026, 9, 3)
    assert got[("", "", d1)] == (2, 3)  # users 1, 2; three events
    assert got[("", "", d2)] == (2, 4)  # users 1, 3
    assert got[("platform", "android", d2)] == (1, 3)
    assert got[("platform", "ios", d2)] == (1, 1)
    assert got[("", "", d3)] == (1, 1)


def test_signups_and_a_cohort_conversion(tables: tuple[db.Source, Tables]) -> None:
    source, t = tables
    segs = an.resolve_segments(t, ["platform"])
    new = _by(db.run(source, an.signup_series(t, segs, date(2026, 9, 1), date(2026, 9, 2))), ["users"])
    assert new[("", "", date(2026, 9, 1))] == (2,)
    assert new[("platform", "android", date(2026, 9, 2))] == (1,)
    conv = MetricConfig("activated", "conversion", "first_project", 2, None, None, True)
    got = _by(db.run(source, an.cohort_metric_series(t, conv, segs, date(2026, 9, 1), date(2026, 9, 2))),
              ["n", "sum", "sum_sq"])
    assert got[("", "", date(2026, 9, 1))] == (2, 1, 1)  # user 1 in, user 2 at exactly 48 h out
    assert got[("platform", "ios", date(2026, 9, 1))] == (1, 1, 1)
    ret = MetricConfig("retained_d1", "retention", None, None, 1, None, True)
    got = _by(db.run(source, an.cohort_metric_series(t, ret, segs, date(2026, 9, 1), date(2026, 9, 1))), ["n", "sum"])
    assert got[("", "", date(2026, 9, 1))] == (2, 1)  # user 1 active on 09-02; user 2 not on 09-02
    mean = MetricConfig("opens", "mean", "app_open", 1, None, None, True)
    got = _by(db.run(source, an.cohort_metric_series(t, mean, segs, date(2026, 9, 2), date(2026, 9, 2))),
              ["n", "sum", "sum_sq"])
    assert got[("", "", date(2026, 9, 2))] == (1, 2, 4)  # user 3: two app_opens in the first 24 h


def test_unknown_segment_lists_the_allowed_names(tables: tuple[db.Source, Tables]) -> None:
    _, t = tables
    with pytest.raises(ValueError, match="allowed: platform"):
        an.resolve_segments(t, ["plan"])
