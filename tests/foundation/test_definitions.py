"""lib/definitions.py: as_of, maturity, period arithmetic (pure Python), and anchors/exposures executed on
DuckDB and PostgreSQL with hand-made tables.

Calendar facts used: 2026-08-31 and 2026-09-07 are Mondays; February 2026 has 28 days; in America/New_York
(EDT, UTC-4 in March after the 8th and in September) local midnight of 2026-09-08 is 04:00 UTC, and
2026-03-08 04:00 UTC is still 2026-03-07 23:00 EST (UTC-5, before the 07:00 UTC switch).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
import sqlalchemy as sa

from lib import db, schema
from lib.definitions import (
    AsOf,
    anchors,
    as_of_from,
    cell_is_mature,
    exposures,
    local_day_start_utc,
    period_end,
    period_start_after,
)
from lib.sqlcompat import Period
from tests.backends import DbBackend

UTC = dt.UTC
NY = "America/New_York"
D = dt.date


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


# --------------------------------------------------------------------------------------------- as_of
def test_as_of_last_event_late_in_the_day_completes_that_day() -> None:
    assert as_of_from(dt.datetime(2026, 9, 10, 23, 30), "UTC") == AsOf(D(2026, 9, 10), _utc(2026, 9, 11))


def test_as_of_last_event_in_the_afternoon_means_the_previous_day() -> None:
    assert as_of_from(dt.datetime(2026, 9, 10, 14, 0), "UTC") == AsOf(D(2026, 9, 9), _utc(2026, 9, 10))


def test_as_of_end_wins() -> None:
    assert as_of_from(dt.datetime(2026, 9, 10, 23, 30), "UTC", end=D(2026, 9, 5)) == AsOf(
        D(2026, 9, 5), _utc(2026, 9, 6)
    )
    assert as_of_from(None, "UTC", end=D(2026, 9, 5)) == AsOf(D(2026, 9, 5), _utc(2026, 9, 6))


def test_as_of_is_none_for_an_empty_log() -> None:
    assert as_of_from(None, "UTC") is None


def test_as_of_end_utc_is_local_midnight() -> None:
    # The day 2026-07-01 in Paris (UTC+2) ends at 2026-07-01 22:00 UTC.
    result = as_of_from(dt.datetime(2026, 7, 1, 23, 59), "Europe/Paris")
    assert result == AsOf(D(2026, 7, 1), _utc(2026, 7, 1, 22))
    assert result is not None and result.end_utc.utcoffset() == dt.timedelta(0)


def test_local_day_start_utc_across_dst() -> None:
    assert local_day_start_utc(D(2026, 3, 8), NY) == _utc(2026, 3, 8, 5)
    assert local_day_start_utc(D(2026, 3, 9), NY) == _utc(2026, 3, 9, 4)


# --------------------------------------------------------------------------------------------- maturity
@pytest.mark.parametrize(
    ("cohort", "k", "period", "as_of", "mature"),
    [
        (D(2026, 9, 1), 3, "day", D(2026, 9, 4), True),
        (D(2026, 9, 1), 3, "day", D(2026, 9, 3), False),
        (D(2026, 9, 1), 0, "day", D(2026, 9, 1), True),
        (D(2026, 8, 31), 1, "week", D(2026, 9, 13), True),  # week 1 = Mon 7 .. Sun 13 Sep
        (D(2026, 8, 31), 1, "week", D(2026, 9, 12), False),
        (D(2026, 8, 31), 0, "week", D(2026, 9, 6), True),
        (D(2026, 1, 1), 1, "month", D(2026, 2, 28), True),  # month 1 = all of February
        (D(2026, 1, 1), 1, "month", D(2026, 2, 27), False),
        (D(2026, 12, 1), 1, "month", D(2027, 1, 31), True),
        (D(2026, 12, 1), 1, "month", D(2027, 1, 30), False),
    ],
    ids=["day3-mature", "day3-not", "day0", "week1-mature", "week1-not", "week0", "feb-mature", "feb-not",
         "jan-next-year", "jan-next-year-not"],
)
def test_cell_is_mature(cohort: dt.date, k: int, period: Period, as_of: dt.date, mature: bool) -> None:
    assert cell_is_mature(cohort, k, period, as_of) is mature


@pytest.mark.parametrize(
    ("start", "k", "period", "expected"),
    [
        (D(2026, 12, 31), 1, "day", D(2027, 1, 1)),
        (D(2026, 12, 28), 1, "week", D(2027, 1, 4)),
        (D(2026, 12, 1), 1, "month", D(2027, 1, 1)),
        (D(2026, 11, 1), 14, "month", D(2028, 1, 1)),
        (D(2027, 1, 1), -1, "month", D(2026, 12, 1)),
        (D(2027, 1, 4), -1, "week", D(2026, 12, 28)),
        (D(2026, 1, 1), 0, "month", D(2026, 1, 1)),
    ],
    ids=["day", "week", "month", "month-14", "month-back", "week-back", "month-0"],
)
def test_period_start_after_across_year_ends(start: dt.date, k: int, period: Period, expected: dt.date) -> None:
    assert period_start_after(start, k, period) == expected


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [(D(2026, 2, 1), "month", D(2026, 2, 28)), (D(2028, 2, 1), "month", D(2028, 2, 29)),
     (D(2026, 12, 28), "week", D(2027, 1, 3)), (D(2026, 12, 31), "day", D(2026, 12, 31))],
    ids=["feb", "feb-leap", "week-year-end", "day"],
)
def test_period_end(start: dt.date, period: Period, expected: dt.date) -> None:
    assert period_end(start, period) == expected


# --------------------------------------------------------------------------------------------- anchors
EVENTS = pd.DataFrame(
    {
        "user_id": pd.Series([1, 1, 2, 4], dtype="int64"),
        "event": pd.Series(["open", "open", "open", "open"], dtype="str"),
        "timestamp": pd.to_datetime(
            ["2026-03-08 06:00", "2026-03-09 12:00", "2026-03-10 03:00", "2026-03-11 12:00"], utc=True
        ).as_unit("us"),
    }
)
USERS = pd.DataFrame(
    {
        "user_id": pd.Series([1, 2, 3], dtype="int64"),
        "signup_at": pd.to_datetime(["2026-03-08 04:00", "2026-03-09 15:00", "2026-03-12 10:00"], utc=True)
        .as_unit("us"),
        "plan": pd.Series(["free", "pro", "free"], dtype="str"),
    }
)


@pytest.fixture
def source(db_backend: DbBackend) -> Iterator[db.Source]:
    db_backend.load({"events": EVENTS, "users": USERS})
    src = db.open_source(url=db_backend.url)
    try:
        yield src
    finally:
        src.engine.dispose()


def _rows(source: db.Source, rel: sa.FromClause, *cols: str) -> list[tuple[object, ...]]:
    frame = db.run(source, sa.select(*[rel.c[c] for c in cols]).order_by(rel.c[cols[0]]))
    out = []
    for row in frame.itertuples(index=False):
        out.append(tuple(
            None if v is None or (not isinstance(v, str) and pd.isna(v))
            else pd.Timestamp(v).to_pydatetime() if isinstance(v, pd.Timestamp | dt.datetime)
            else v.item() if hasattr(v, "item") else v
            for v in row
        ))
    return out


def test_signup_anchor_includes_users_without_events(source: db.Source) -> None:
    tables = schema.build_tables(source, NY)
    a = anchors(tables)  # default: signup, since users.signup_at exists
    assert _rows(source, a, "user_id", "anchor_ts", "anchor_date") == [
        (1, _utc(2026, 3, 8, 4), D(2026, 3, 7)),   # 23:00 EST on the 7th
        (2, _utc(2026, 3, 9, 15), D(2026, 3, 9)),
        (3, _utc(2026, 3, 12, 10), D(2026, 3, 12)),  # no events, still an anchor
    ]
    assert _rows(source, anchors(tables, "signup"), "user_id") == [(1,), (2,), (3,)]


def test_first_event_anchor(source: db.Source) -> None:
    tables = schema.build_tables(source, NY)
    a = anchors(tables, "first_event")
    assert _rows(source, a, "user_id", "anchor_ts", "anchor_date") == [
        (1, _utc(2026, 3, 8, 6), D(2026, 3, 8)),    # 01:00 EST on the 8th
        (2, _utc(2026, 3, 10, 3), D(2026, 3, 9)),   # 23:00 EDT on the 9th
        (4, _utc(2026, 3, 11, 12), D(2026, 3, 11)),  # unknown to users, still has a first event
    ]


def test_first_event_anchor_is_the_default_without_signup(db_backend: DbBackend) -> None:
    db_backend.load({"events": EVENTS, "users": USERS[["user_id", "plan"]]})
    src = db.open_source(url=db_backend.url)
    try:
        tables = schema.build_tables(src, "UTC")
        assert not tables.has_signup
        assert _rows(src, anchors(tables), "user_id") == [(1,), (2,), (4,)]
        with pytest.raises(ValueError, match="signup_at"):
            anchors(tables, "signup")
    finally:
        src.engine.dispose()


# --------------------------------------------------------------------------------------------- exposures
EXP_EVENTS = pd.DataFrame(
    {
        "user_id": pd.Series([1, 1, 1, 2, 3, 4], dtype="int64"),
        "event": pd.Series(["open"] * 6, dtype="str"),
        "timestamp": pd.to_datetime(
            [
                "2026-09-08 03:00",  # 23:00 EDT on the 7th: before the start
                "2026-09-08 05:00",  # 01:00 EDT on the 8th: the exposure
                "2026-09-09 12:00",
                "2026-09-07 12:00",  # user 2 only before the start: never exposed
                "2026-09-10 05:00",  # user 3 only after the end (the 9th ends at 04:00 UTC on the 10th)
                "2026-09-08 12:00",
            ],
            utc=True,
        ).as_unit("us"),
    }
)


def _assignments(with_ts: bool) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "user_id": pd.Series([1, 2, 3, 4, 4, 5], dtype="int64"),
            "experiment": pd.Series(["exp"] * 5 + ["other"], dtype="str"),
            "variant": pd.Series(["control", "treatment", "control", "control", "treatment", "control"],
                                 dtype="str"),
        }
    )
    if with_ts:
        frame["timestamp"] = pd.to_datetime(
            ["2026-09-08 10:00", "2026-09-08 11:00", "2026-09-09 10:00", "2026-09-08 10:00", "2026-09-08 11:00",
             "2026-09-08 10:00"], utc=True
        ).as_unit("us")
    return frame


def test_exposure_is_the_assignment_timestamp(db_backend: DbBackend) -> None:
    db_backend.load({"events": EXP_EVENTS, "assignments": _assignments(with_ts=True)})
    src = db.open_source(url=db_backend.url)
    try:
        tables = schema.build_tables(src, NY)
        assert tables.has_exposure_ts
        exposed, multi = exposures(tables, "exp", None)
        assert _rows(src, exposed, "user_id", "variant", "exposure_ts") == [
            (1, "control", _utc(2026, 9, 8, 10)),
            (2, "treatment", _utc(2026, 9, 8, 11)),
            (3, "control", _utc(2026, 9, 9, 10)),
        ]
        assert _rows(src, multi, "user_id", "variants") == [(4, 2)]
    finally:
        src.engine.dispose()


def test_exposure_is_the_first_event_at_or_after_start(db_backend: DbBackend) -> None:
    db_backend.load({"events": EXP_EVENTS, "assignments": _assignments(with_ts=False)})
    src = db.open_source(url=db_backend.url)
    try:
        tables = schema.build_tables(src, NY)
        assert not tables.has_exposure_ts
        exposed, multi = exposures(tables, "exp", D(2026, 9, 8), D(2026, 9, 9))
        assert _rows(src, exposed, "user_id", "variant", "exposure_ts") == [
            (1, "control", _utc(2026, 9, 8, 5)),
            (2, "treatment", None),
            (3, "control", None),
        ]
        assert _rows(src, multi, "user_id", "variants") == [(4, 2)]
        # Without an end, user 3's later event is the exposure.
        exposed, _ = exposures(tables, "exp", D(2026, 9, 8))
        assert _rows(src, exposed, "user_id", "exposure_ts")[2] == (3, _utc(2026, 9, 10, 5))
        with pytest.raises(ValueError, match="start date"):
            exposures(tables, "exp", None)
    finally:
        src.engine.dispose()
