"""Cross-check retention and activity on a public dataset: the CDNOW purchase log (Fader, Hardie & Lee 2005).

The ``lifetimes`` package (a dev-only dependency) bundles ``CDNOW_master.txt``: 69,659 purchases of 23,570
customers who first bought in January-March 1997, followed to June 1998. It is located without importing
lifetimes (its import is slow and pulls plotting libraries), turned into a folder with ``events.csv`` and run
through the real CLI; an independent pandas computation on the same rows gives the expected numbers.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent


def _cdnow_file() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(
            "the lifetimes package (dev requirement) is not installed; pip install -r requirements-dev.txt"
        )
    for root in spec.submodule_search_locations:
        candidate = Path(root) / "datasets" / "CDNOW_master.txt"
        if candidate.is_file():
            return candidate
    pytest.skip("lifetimes is installed but has no datasets/CDNOW_master.txt")


@pytest.fixture(scope="module")
def purchases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    raw = pd.read_csv(
        _cdnow_file(),
        sep=r"\s+",
        header=None,
        skiprows=1,
        names=["user_id", "date", "cds", "dollars"],
        dtype={"user_id": "int64", "date": "str"},
    )
    day = pd.to_datetime(raw["date"], format="%Y%m%d")
    events = pd.DataFrame(
        {"user_id": raw["user_id"], "event": "purchase", "timestamp": day.dt.strftime("%Y-%m-%d")}
    )
    folder = tmp_path_factory.mktemp("cdnow")
    events.to_csv(folder / "events.csv", index=False)
    return folder, pd.DataFrame({"user_id": raw["user_id"], "day": day})


def _cli(*args: str) -> pd.DataFrame:
    done = subprocess.run(
        [sys.executable, "-m", "lib", *args, "--format", "csv"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return pd.read_csv(io.StringIO(done.stdout))


def test_dataset_is_the_published_one(purchases: tuple[Path, pd.DataFrame]) -> None:
    _, p = purchases
    # Fader, Hardie & Lee (2005), "RFM and CLV", section 2: 23,570 customers, first purchases in Q1 1997.
    assert len(p) == 69_659
    assert p["user_id"].nunique() == 23_570
    assert p.groupby("user_id")["day"].min().max() < pd.Timestamp("1997-04-01")


def test_monthly_retention_matches_pandas(purchases: tuple[Path, pd.DataFrame]) -> None:
    folder, p = purchases
    # --end 1998-06-30: the log's last day has purchases at midnight only, so as_of would otherwise be 06-29.
    got = _cli("retention", "--period", "month", "--source", str(folder), "--end", "1998-06-30")
    month = p["day"].dt.to_period("M")
    first = month.groupby(p["user_id"]).transform("min")
    k = (month - first).apply(lambda off: off.n)
    frame = pd.DataFrame({"user_id": p["user_id"], "cohort": first.dt.start_time.dt.date.astype(str), "k": k})
    sizes = frame.groupby("cohort")["user_id"].nunique()
    active = frame.groupby(["cohort", "k"])["user_id"].nunique()
    assert list(got.columns) == ["cohort", "cohort_size", "period", "active", "eligible", "mature", "rate"]
    assert got.groupby("cohort")["cohort_size"].first().to_dict() == sizes.to_dict()
    assert set(got["cohort"]) == {"1997-01-01", "1997-02-01", "1997-03-01"}
    for row in got.itertuples():
        want = int(active.get((row.cohort, row.period), 0))
        assert row.active == want, (row.cohort, row.period)
        assert row.eligible == row.cohort_size
        assert row.rate == pytest.approx(want / sizes[row.cohort])
    # Every cell through June 1998 has ended by as_of: January's cohort reaches k = 17.
    assert got["mature"].all()
    assert got[got["cohort"] == "1997-01-01"]["period"].max() == 17
    assert (
        got[(got["cohort"] == "1997-01-01") & (got["period"] == 0)]["active"].iloc[0] == sizes["1997-01-01"]
    )


def test_monthly_active_customers_match_pandas(purchases: tuple[Path, pd.DataFrame]) -> None:
    folder, p = purchases
    got = _cli("activity", "--period", "month", "--source", str(folder), "--end", "1998-06-30")
    want = p.groupby(p["day"].dt.to_period("M").dt.start_time.dt.date.astype(str))["user_id"].nunique()
    assert list(got.columns) == ["period_start", "active_users"]
    assert dict(zip(got["period_start"], got["active_users"], strict=True)) == want.to_dict()
