"""The sample product: a deterministic generator, the canonical schema, and the planted ground truth.

The ground-truth numbers below are the table of sample_data/README.md, recomputed here with plain pandas
from the committed Parquet files (independently of lib/), so the metric tests can rely on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from sample_data import _params
from sample_data.generate import PRODUCT_DIR, SCHEMAS, generate, main

DAY = pd.Timedelta(days=1)
TABLES = ("events", "users", "assignments")


def ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


# ---------------------------------------------------------------------------------------------- generator
@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate(out, events=50_000, seed=7)
    return out


def test_same_arguments_give_the_same_rows(small: Path, tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), "--events", "50000", "--seed", "7"]) == 0
    for name in TABLES:
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(pq.read_table(small / f"{name}.parquet")), (
            name
        )
    assert (tmp_path / "review.toml").read_text() == (PRODUCT_DIR / "review.toml").read_text()


def test_another_seed_gives_other_rows(small: Path, tmp_path: Path) -> None:
    generate(tmp_path, events=50_000, seed=8)
    assert not pq.read_table(tmp_path / "events.parquet").equals(pq.read_table(small / "events.parquet"))


def test_event_count_follows_the_request(small: Path) -> None:
    n = pq.read_metadata(small / "events.parquet").num_rows
    assert 40_000 < n < 60_000


@pytest.mark.parametrize("name", TABLES)
def test_small_and_committed_products_have_the_canonical_schema(small: Path, name: str) -> None:
    for folder in (small, PRODUCT_DIR):
        schema = pq.read_schema(folder / f"{name}.parquet")
        assert schema.remove_metadata() == SCHEMAS[name], (folder, name)
    timestamp = "signup_at" if name == "users" else "timestamp"
    assert SCHEMAS[name].field(timestamp).type == pa.timestamp("us", tz="UTC")
    assert SCHEMAS[name].field("user_id").type == pa.int64()


# ---------------------------------------------------------------------------------- the committed product
@pytest.fixture(scope="module")
def product() -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(PRODUCT_DIR / f"{name}.parquet") for name in TABLES}


@pytest.fixture(scope="module")
def users(product: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per user with the per-user facts the stories are measured on (anchor = signup_at)."""
    ev, us = product["events"], product["users"].set_index("user_id")
    first_project = ev[ev.event == "first_project"].groupby("user_id").timestamp.min()
    us["activated"] = first_project.reindex(us.index) < us.signup_at + 7 * DAY
    day_n = (ev.timestamp.dt.floor("D") - ev.user_id.map(us.signup_at.dt.floor("D"))).dt.days
    us["retained_d7"] = us.index.isin(ev.user_id[day_n == 7])
    return us


def test_committed_sizes(product: dict[str, pd.DataFrame]) -> None:
    assert {name: len(df) for name, df in product.items()} == {
        "events": 997_034,
        "users": 80_000,
        "assignments": 51_964,
    }
    assert sum(f.stat().st_size for f in PRODUCT_DIR.glob("*.parquet")) < 7_000_000


def test_contract_invariants(product: dict[str, pd.DataFrame]) -> None:
    ev, us = product["events"], product["users"]
    assert ev.timestamp.min() >= ts("2026-05-25") and ev.timestamp.max() < ts("2026-11-23")
    assert us.user_id.is_unique and set(ev.user_id) == set(us.user_id)
    signup = ev[ev.event == "signup"].set_index("user_id").timestamp
    assert signup.index.is_unique and signup.reindex(us.user_id).to_numpy().tolist() == us.signup_at.tolist()
    first = ev.groupby("user_id").timestamp.min()
    assert (first.reindex(us.user_id).to_numpy() == us.signup_at.to_numpy()).all()  # no event before signup
    assert set(ev.event) == set(_params.EVENTS)
    assert set(ev.app_version) == {"1.8.3", "1.9.0", "2.0.0", "2.0.1"}
    assert set(us.plan) == {"free", "pro", "team"} and set(us.channel) == {"organic", "paid", "referral"}
    upgraders = set(ev.user_id[ev.event == "upgrade"])
    assert set(us.user_id[us.plan != "free"]) == upgraders


# Story 1: release 2.0 (2026-09-01) lifts first_project within 7 days of signup.
def test_story1_release_2_0_onboarding(users: pd.DataFrame, product: dict[str, pd.DataFrame]) -> None:
    day = users.signup_at.dt.floor("D")
    pre = users[(day >= ts("2026-06-01")) & (day <= ts("2026-08-31"))]
    post = users[(day >= ts("2026-09-01")) & (day <= ts("2026-11-15"))]
    asg = product["assignments"]
    treated = asg.user_id[(asg.experiment == "new_onboarding") & (asg.variant == "treatment")]
    post_untreated = post[~post.index.isin(treated)]
    assert (len(pre), len(post), len(post_untreated)) == (32_002, 41_848, 34_306)
    assert pre.activated.mean() == pytest.approx(0.3762, abs=5e-5)
    assert post.activated.mean() == pytest.approx(0.4831, abs=5e-5)
    assert post_untreated.activated.mean() == pytest.approx(0.4729, abs=5e-5)


# Story 2: Export adoption rises week over week; Comments stay marginal.
def test_story2_feature_adoption(product: dict[str, pd.DataFrame]) -> None:
    ev = product["events"]
    week = ev.timestamp.dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    active = ev.groupby(week).user_id.nunique()
    export = (
        ev[ev.event == "export_clicked"].groupby(week).user_id.nunique().reindex(active.index, fill_value=0)
    )
    comments = (
        ev[ev.event == "comment_added"].groupby(week).user_id.nunique().reindex(active.index, fill_value=0)
    )
    rate = (export / active).rename(lambda d: d.strftime("%Y-%m-%d"))
    assert rate.loc[:"2026-07-20"].eq(0).all()  # the week of 27 July ends on 2 August
    expected = {"2026-08-03": 0.0428, "2026-08-31": 0.1569, "2026-09-28": 0.2106, "2026-11-16": 0.2095}
    assert rate.loc[list(expected)].round(4).to_dict() == expected
    assert (comments / active).loc["2026-07-06":].between(0.01, 0.025).all()


def experiment_table(product: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """Per exposed user (dual-assigned users excluded): variant and the metrics measured from exposure."""
    asg = product["assignments"]
    asg = asg[asg.experiment == name]
    variants = asg.groupby("user_id").variant.nunique()
    single = (
        asg[asg.user_id.isin(variants.index[variants == 1])]
        .groupby("user_id")
        .agg(variant=("variant", "first"), exposure=("timestamp", "min"))
    )
    ev = product["events"].merge(single, left_on="user_id", right_index=True)
    ev = ev[ev.timestamp >= ev.exposure]
    within = ev.timestamp - ev.exposure
    day_n = (ev.timestamp.dt.floor("D") - ev.exposure.dt.floor("D")).dt.days
    single["activated"] = single.index.isin(ev.user_id[(ev.event == "first_project") & (within < 7 * DAY)])
    single["upgraded"] = single.index.isin(ev.user_id[(ev.event == "upgrade") & (within < 14 * DAY)])
    single["retained_d7"] = single.index.isin(ev.user_id[day_n == 7])
    return single


def relative_lift(table: pd.DataFrame, metric: str) -> tuple[float, float]:
    """(relative lift, delta-method standard error) of treatment vs control; DESIGN.md section 5."""
    t = table[metric][table.variant == "treatment"]
    c = table[metric][table.variant == "control"]
    mt, mc = t.mean(), c.mean()
    var = mt * (1 - mt) / (len(t) * mc**2) + mc * (1 - mc) * mt**2 / (len(c) * mc**4)
    return mt / mc - 1, float(np.sqrt(var))


# (experiment, arm sizes control/treatment, metric, control rate, treatment rate)
EXPERIMENT_TRUTH = [
    ("new_onboarding", (7358, 7542), "activated", 0.4780, 0.5293),
    ("new_onboarding", (7358, 7542), "retained_d7", 0.2426, 0.2681),
    ("pricing_page", (8234, 8336), "upgraded", 0.0420, 0.0629),
    ("pricing_page", (8234, 8336), "retained_d7", 0.2582, 0.2095),
    ("checkout_redesign", (11390, 9080), "upgraded", 0.0194, 0.0205),
]


@pytest.mark.parametrize(
    ("name", "sizes", "metric", "control", "treatment"), EXPERIMENT_TRUTH, ids=lambda v: str(v)
)
def test_stories345_experiment_arms(
    product: dict[str, pd.DataFrame],
    name: str,
    sizes: tuple[int, int],
    metric: str,
    control: float,
    treatment: float,
) -> None:
    table = experiment_table(product, name)
    assert ((table.variant == "control").sum(), (table.variant == "treatment").sum()) == sizes
    rates = table.groupby("variant")[metric].mean()
    assert rates["control"] == pytest.approx(control, abs=5e-5)
    assert rates["treatment"] == pytest.approx(treatment, abs=5e-5)


def test_story3_new_onboarding_meets_the_bar(product: dict[str, pd.DataFrame]) -> None:
    table = experiment_table(product, "new_onboarding")
    lift, se = relative_lift(table, "activated")
    assert lift - 1.96 * se > 0 and lift >= 0.02  # significant_and_above with min_lift 0.02
    lift, se = relative_lift(table, "retained_d7")
    assert lift - 1.645 * se > -0.05 + 0.05  # guardrail passes with a margin of more than 0.05
    assert table.exposure.between(ts("2026-09-08"), ts("2026-10-07")).all()


def test_story4_pricing_page_breaks_its_guardrail(product: dict[str, pd.DataFrame]) -> None:
    table = experiment_table(product, "pricing_page")
    lift, se = relative_lift(table, "upgraded")
    assert lift - 1.96 * se > 0.05
    lift, se = relative_lift(table, "retained_d7")
    assert lift + 1.645 * se < -0.05 - 0.05  # breach: one-sided upper bound below -margin, by 0.05 or more
    assert table.exposure.between(ts("2026-10-01"), ts("2026-10-30")).all()


def test_story5_checkout_redesign_srm_and_dual_assignment(product: dict[str, pd.DataFrame]) -> None:
    asg = product["assignments"]
    asg = asg[asg.experiment == "checkout_redesign"]
    variants = asg.groupby("user_id").variant.nunique()
    assert (variants > 1).sum() == 12
    counts = experiment_table(product, "checkout_redesign").variant.value_counts()
    chi2, p = stats.chisquare([counts["control"], counts["treatment"]])
    assert chi2 == pytest.approx(260.7, abs=0.1) and p < 1e-50
    assert asg.timestamp.between(ts("2026-10-15"), ts("2026-11-13")).all()


def test_story6_android_outage(product: dict[str, pd.DataFrame]) -> None:
    ev = product["events"]
    android = ev[ev.platform == "android"].groupby(ev.timestamp.dt.floor("D")).size()
    neighbours = (android[ts("2026-11-09")] + android[ts("2026-11-11")]) / 2
    assert android[ts("2026-11-10")] == 580
    assert android[ts("2026-11-10")] / neighbours == pytest.approx(0.1582, abs=0.0001)
    others = ev[ev.platform != "android"].groupby(ev.timestamp.dt.floor("D")).size()
    assert others[ts("2026-11-10")] / ((others[ts("2026-11-09")] + others[ts("2026-11-11")]) / 2) > 0.9


def test_story7_weekend_dip(product: dict[str, pd.DataFrame]) -> None:
    ev = product["events"]
    dau = ev.groupby(ev.timestamp.dt.floor("D")).user_id.nunique()
    weekend = dau.index.day_of_week >= 5
    assert dau[weekend].mean() / dau[~weekend].mean() == pytest.approx(0.704, abs=0.001)


def test_story8_paid_users_churn_after_onboarding(users: pd.DataFrame) -> None:
    mature = users[users.signup_at < ts("2026-11-16")]
    rates = mature.groupby("channel").retained_d7.mean().round(4).to_dict()
    assert rates == {"organic": 0.2805, "paid": 0.1504, "referral": 0.3043}
    activation = mature.groupby("channel").activated.mean()
    assert activation.max() - activation.min() < 0.02  # they onboard as well as everyone else


def test_release_2_0_targets_are_met(users: pd.DataFrame) -> None:
    """Both targets of review.toml, read as: cohorts of 1 Sep .. 8 Oct (day 7 mature by 15 Oct) vs the
    90-day pre-release baseline (signups 3 Jun .. 31 Aug)."""
    day = users.signup_at.dt.floor("D")
    baseline = users[(day >= ts("2026-06-03")) & (day <= ts("2026-08-31"))]
    after = users[(day >= ts("2026-09-01")) & (day <= ts("2026-10-08"))]
    change = after[["retained_d7", "activated"]].mean() / baseline[["retained_d7", "activated"]].mean() - 1
    assert change.round(4).to_dict() == {"retained_d7": 0.1035, "activated": 0.3208}
