"""Golden cohort-retention tests on a tiny hand-made product in America/New_York, on DuckDB and PostgreSQL.

Every expected number below was worked out by hand from the table in ``EVENTS``/``USERS`` (local times):

    user  signup (local)          channel   events (local)
    u1    Mon 2024-01-29 10:00    paid      Mon 01-29 10:05 open; Sun 02-04 23:30 open (= Mon 02-05 04:30 UTC);
                                            Wed 02-07 12:00 purchase; Mon 02-19 23:30 open (= Tue 02-20 UTC)
    u2    Sun 2024-02-04 21:00    organic   Sun 02-04 21:30 open; Sun 02-18 22:00 open (= Mon 02-19 03:00 UTC)
          (= Mon 02-05 02:00 UTC, another ISO week in UTC)
    u3    Wed 2024-01-31 09:00    paid      Wed 01-31 09:10 open (active only on day 0)
    u4    Wed 2024-01-31 15:00    (none)    no events (still counts in its cohort)
    u5    Tue 2024-02-13 08:00    organic   Tue 02-13 07:00 open (before signup: ignored -> a cohort with no
                                            returns and nobody active in period 0)

The last event (Mon 02-19 23:30 local) is after 23:00, so as_of = 2024-02-19 (a Monday): the week of 02-19 is
immature. The week cohort of 2024-01-29 runs across the January/February boundary (u1, u3, u4 in January; u2
on Sunday 4 February).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from lib import db, schema
from lib.definitions import AsOf, as_of_from
from lib.metrics.retention import ReleaseSplit, RetentionSpec, retention
from lib.metrics.retention_summary import average_row, baseline_comparison, wilson_interval
from tests.backends import DbBackend

TZ = "America/New_York"
AS_OF: AsOf = as_of_from(dt.datetime(2024, 2, 19, 23, 30), TZ)  # type: ignore[assignment]


def _utc(local: list[str]) -> pd.Series:
    return pd.Series(pd.to_datetime(local).tz_localize(TZ).tz_convert("UTC").as_unit("us"))


USERS = pd.DataFrame(
    {
        "user_id": pd.Series([1, 2, 3, 4, 5], dtype="int64"),
        "signup_at": _utc(
            [
                "2024-01-29 10:00",
                "2024-02-04 21:00",
                "2024-01-31 09:00",
                "2024-01-31 15:00",
                "2024-02-13 08:00",
            ]
        ),
        "channel": pd.Series(["paid", "organic", "paid", None, "organic"], dtype="object"),
    }
)
EVENTS = pd.DataFrame(
    {
        "user_id": pd.Series([1, 1, 1, 1, 2, 2, 3, 5], dtype="int64"),
        "event": pd.Series(["open", "open", "purchase", "open", "open", "open", "open", "open"], dtype="str"),
        "timestamp": _utc(
            [
                "2024-01-29 10:05",
                "2024-02-04 23:30",
                "2024-02-07 12:00",
                "2024-02-19 23:30",
                "2024-02-04 21:30",
                "2024-02-18 22:00",
                "2024-01-31 09:10",
                "2024-02-13 07:00",
            ]
        ),
    }
)

W1, W3 = dt.date(2024, 1, 29), dt.date(2024, 2, 12)


def _run(backend: DbBackend, spec: RetentionSpec, tz: str = TZ) -> pd.DataFrame:
    backend.load({"events": EVENTS, "users": USERS})
    source = db.open_source(url=backend.url)
    try:
        tables = schema.build_tables(source, tz)
        out = db.run(source, retention(tables, spec, AS_OF))
    finally:
        source.engine.dispose()
    out["cohort"] = pd.to_datetime(out["cohort"]).dt.date
    out["mature"] = out["mature"].astype(bool)
    return out


def _cells(df: pd.DataFrame, with_segment: bool = False) -> list[tuple[Any, ...]]:
    cols = (["segment"] if with_segment else []) + [
        "cohort",
        "cohort_size",
        "period",
        "active",
        "eligible",
        "mature",
    ]
    return [tuple(r) for r in df[cols].itertuples(index=False)]


def test_weekly_on_local_iso_weeks_across_month_boundary(db_backend: DbBackend) -> None:
    out = _run(db_backend, RetentionSpec(period="week", mode="on"))
    assert _cells(out) == [
        (W1, 4, 0, 3, 4, True),  # u1, u2 (Sunday night local), u3; u4 has no events
        (W1, 4, 1, 1, 4, True),  # u1 on Wed 02-07 (its Sun 23:30 event is still week 0 locally)
        (W1, 4, 2, 1, 4, True),  # u2 on Sun 02-18 local
        (W1, 4, 3, 1, 4, False),  # u1 on Mon 02-19; the week ends 02-25 > as_of
        (W3, 1, 0, 0, 1, True),  # u5's only event precedes the signup: ignored
        (W3, 1, 1, 0, 1, False),
    ]
    assert out["rate"].tolist() == pytest.approx([0.75, 0.25, 0.25, 0.25, 0.0, 0.0])


def test_weekly_in_utc_would_differ(db_backend: DbBackend) -> None:
    # The same instants read in UTC: u2 signs up on Monday 02-05, so the first cohort loses a user.
    out = _run(db_backend, RetentionSpec(period="week", mode="on"), tz="UTC")
    first = out[out["cohort"] == W1]
    assert first["cohort_size"].iloc[0] == 3


def test_weekly_on_or_after(db_backend: DbBackend) -> None:
    out = _run(db_backend, RetentionSpec(period="week", mode="on_or_after"))
    # last active week: u1 3, u2 2, u3 0, u4 none.
    assert out["active"].tolist() == [3, 2, 2, 1, 0, 0]


def test_monthly_cohorts(db_backend: DbBackend) -> None:
    out = _run(db_backend, RetentionSpec(period="month"))
    jan, feb = dt.date(2024, 1, 1), dt.date(2024, 2, 1)
    assert _cells(out) == [
        (jan, 3, 0, 2, 3, True),  # u1, u3 active in January; u4 never
        (jan, 3, 1, 1, 3, False),  # u1 in February, which has not ended by 02-19
        (feb, 2, 0, 1, 2, False),  # u2 (u5's event precedes its signup)
    ]


def test_daily_cohorts_local_dates(db_backend: DbBackend) -> None:
    out = _run(db_backend, RetentionSpec(period="day"))
    u2 = out[out["cohort"] == dt.date(2024, 2, 4)]
    # Cohort of Sunday 02-04 (u2 alone): cells day 0..15 (02-19 = as_of), active on day 0 and day 14.
    assert u2["period"].tolist() == list(range(16))
    assert u2.set_index("period")["active"].to_dict() == {k: int(k in (0, 14)) for k in range(16)}
    assert u2["mature"].all()
    jan31 = out[out["cohort"] == dt.date(2024, 1, 31)]
    assert jan31["cohort_size"].iloc[0] == 2 and jan31["active"].tolist()[:2] == [1, 0]


def test_breakdown_by_user_attribute(db_backend: DbBackend) -> None:
    out = _run(db_backend, RetentionSpec(period="week", by="channel"))
    assert _cells(out, with_segment=True) == [
        ("(none)", W1, 1, 0, 0, 1, True),
        ("(none)", W1, 1, 1, 0, 1, True),
        ("(none)", W1, 1, 2, 0, 1, True),
        ("(none)", W1, 1, 3, 0, 1, False),
        ("organic", W1, 1, 0, 1, 1, True),
        ("organic", W1, 1, 1, 0, 1, True),
        ("organic", W1, 1, 2, 1, 1, True),
        ("organic", W1, 1, 3, 0, 1, False),
        ("organic", W3, 1, 0, 0, 1, True),
        ("organic", W3, 1, 1, 0, 1, False),
        ("paid", W1, 2, 0, 2, 2, True),
        ("paid", W1, 2, 1, 1, 2, True),
        ("paid", W1, 2, 2, 0, 2, True),
        ("paid", W1, 2, 3, 1, 2, False),
    ]


def test_return_event_only_counts_that_event(db_backend: DbBackend) -> None:
    out = _run(db_backend, RetentionSpec(period="week", return_event="purchase"))
    assert out["active"].tolist() == [0, 1, 0, 0, 0, 0]


def test_first_event_anchor(db_backend: DbBackend) -> None:
    out = _run(db_backend, RetentionSpec(period="week", anchor="first_event"))
    # u4 has no event: no anchor. u5 is anchored on its 02-13 07:00 event, so it is active in week 0.
    assert _cells(out)[:1] == [(W1, 3, 0, 3, 3, True)]
    assert _cells(out)[4:] == [(W3, 1, 0, 1, 1, True), (W3, 1, 1, 0, 1, False)]


def test_start_end_bound_cohorts_but_later_activity_counts(db_backend: DbBackend) -> None:
    out = _run(db_backend, RetentionSpec(period="week", start=dt.date(2024, 1, 31), end=dt.date(2024, 2, 3)))
    # Anchors 01-31..02-03: u3, u4. Week 0 active: u3.
    assert _cells(out)[0] == (W1, 2, 0, 1, 2, True)


def test_release_split_labels_before_and_after(db_backend: DbBackend) -> None:
    rel = ReleaseSplit("2.0", dt.date(2024, 2, 4))
    out = _run(db_backend, RetentionSpec(period="week", release=rel))
    got = {(r.segment, r.cohort, r.period): (r.cohort_size, r.active) for r in out.itertuples()}
    assert got[("after 2.0", W1, 0)] == (1, 1)  # u2
    assert got[("after 2.0", W1, 2)] == (1, 1)
    assert got[("after 2.0", W3, 0)] == (1, 0)  # u5
    assert got[("before 2.0", W1, 0)] == (3, 2)  # u1, u3 (u4 silent)
    assert got[("before 2.0", W1, 3)] == (3, 1)


def test_average_row_weights_mature_cells_only(db_backend: DbBackend) -> None:
    out = _run(db_backend, RetentionSpec(period="week"))
    avg = average_row(out)
    # k0: (3 + 0) / (4 + 1); k1: only the first cohort is mature: 1/4; k2: 1/4; k3: no mature cell.
    assert avg["period"].tolist() == [0, 1, 2]
    assert avg["active"].tolist() == [3, 1, 1]
    assert avg["eligible"].tolist() == [5, 4, 4]
    assert avg["rate"].tolist() == pytest.approx([0.6, 0.25, 0.25])


def test_baseline_comparison_uses_release_split(db_backend: DbBackend) -> None:
    rel = ReleaseSplit("2.0", dt.date(2024, 2, 4))
    out = _run(db_backend, RetentionSpec(period="week", release=rel))
    cmp = baseline_comparison(out, rel)
    k0 = cmp[cmp["period"] == 0].iloc[0]
    # after: (1 + 0) / (1 + 1) = 0.5; baseline (before): 2 / 3.
    assert k0["rate"] == pytest.approx(0.5)
    assert k0["baseline_rate"] == pytest.approx(2 / 3)
    assert k0["difference"] == pytest.approx(0.5 - 2 / 3)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
    ids=["81/263", "15/148", "0/20", "1/29"],
)
def test_wilson_interval_matches_newcombe(successes: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(successes, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_interval_of_no_users_is_undefined() -> None:
    lo, hi = wilson_interval(0, 0)
    assert lo != lo and hi != hi  # NaN


def _compile_tables() -> schema.Tables:
    events = sa.select(sa.table("ev", sa.column("user_id"), sa.column("event"), sa.column("ts"))).subquery(
        "events"
    )
    users = sa.select(
        sa.table("us", sa.column("user_id"), sa.column("signup_at"), sa.column("plan"))
    ).subquery("users")
    return schema.Tables(events, users, None, TZ, (), ("plan",), has_signup=True)


def _warehouse_dialects() -> list[sa.engine.Dialect]:
    from snowflake.sqlalchemy.snowdialect import SnowflakeDialect
    from sqlalchemy_bigquery import BigQueryDialect
    from trino.sqlalchemy.dialect import TrinoDialect

    return [TrinoDialect(), BigQueryDialect(), SnowflakeDialect(), postgresql.dialect()]


@pytest.mark.parametrize("dialect", _warehouse_dialects(), ids=lambda d: d.name)
@pytest.mark.parametrize("mode", ["on", "on_or_after"])
def test_compiles_for_warehouses(dialect: sa.engine.Dialect, mode: str) -> None:
    spec = RetentionSpec(
        period="week",
        mode=mode,  # type: ignore[arg-type]
        by="plan",
        release=ReleaseSplit("2.0", dt.date(2024, 2, 4)),
        return_event="purchase",
        start=dt.date(2024, 1, 1),
    )
    stmt = retention(_compile_tables(), spec, AS_OF)
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    assert "RECURSIVE" in sql.upper() and "cohort_users" in sql


# ------------------------------------------------------------------------------------------- sample product
def test_sample_product_paid_channel_churns_after_onboarding() -> None:
    # sample_data/README.md, story 8: paid users get half the organic activity rate; day-7 retention of
    # signups up to 11-15 measured there as organic 0.2805, paid 0.1504, referral 0.3043.
    from lib.config import resolve_config
    from lib.context import open_context

    ctx = open_context(resolve_config(None, None))
    as_of = ctx.require_as_of()
    cells = ctx.run(retention(ctx.tables, RetentionSpec(period="day", by="channel"), as_of))
    day7 = {
        seg: average_row(part).set_index("period").loc[7, "rate"] for seg, part in cells.groupby("segment")
    }
    assert day7["paid"] == pytest.approx(0.1504, abs=0.0005)
    assert day7["organic"] == pytest.approx(0.2805, abs=0.0005)
    assert day7["paid"] < 0.6 * min(day7["organic"], day7["referral"])
    # ...while onboarding is unchanged: period 0 is everyone (signup is an event) in every channel.
    assert average_row(cells[cells["segment"] == "paid"]).set_index("period").loc[0, "rate"] == pytest.approx(
        1.0
    )
