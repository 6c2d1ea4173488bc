"""The ``calc`` CLI subcommands (lib.commands.calc): output objects and plain errors for bad input."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from lib.commands.calc import register
from lib.errors import ReviewError


def run(*argv: str) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["calc", *argv])
    out: dict[str, Any] = args.func(args)
    return out


def test_test_relative_default_matches_gbstats() -> None:
    # Source: gbstats test_two_sided_ttest (relative): 0.70732, CI (−0.03526, 1.44989), p 0.06191.
    out = run("test", "--control", "3407,1396.87,52377.9767", "--treatment", "3461,2422.7,134698.29")
    assert list(out) == ["effect", "se", "ci_low", "ci_high", "p_value"]
    assert [round(out[k], 5) for k in out] == [0.70732, 0.37879, -0.03526, 1.44989, 0.06191]


def test_test_absolute_and_binary_two_numbers() -> None:
    out = run(
        "test", "--control", "3407,1396.87,52377.9767", "--treatment", "3461,2422.7,134698.29", "--absolute"
    )
    assert round(out["p_value"], 5) == 0.02016  # gbstats test_two_sided_ttest_absolute
    binom = run("test", "--control", "28,14", "--treatment", "30,16", "--binary")
    assert round(binom["p_value"], 5) == 0.80707  # gbstats test_two_sided_ttest_binom


def test_test_sequential_matches_gbstats() -> None:
    # Source: gbstats test_sequential_test_runs_prop (N* = 5000): CI (0.40098, 0.60675).
    out = run(
        "test",
        "--control",
        "3000,1396",
        "--treatment",
        "3461,2422",
        "--binary",
        "--sequential-tuning",
        "5000",
    )
    assert (round(out["ci_low"], 5), round(out["ci_high"], 5)) == (0.40098, 0.60675)


def test_one_sided_interval_end_is_null() -> None:
    out = run(
        "test", "--control", "1000,100", "--treatment", "1000,130", "--binary", "--alternative", "greater"
    )
    assert out["ci_high"] is None and out["ci_low"] is not None


def test_degenerate_input_gives_nulls() -> None:
    out = run("test", "--control", "1,1,1", "--treatment", "30,16,16")
    assert out == {"effect": None, "se": None, "ci_low": None, "ci_high": None, "p_value": None}


def test_srm_and_sample_size() -> None:
    out = run("srm", "--counts", "1000,1200")
    assert list(out) == ["chi2", "p_value"] and out["chi2"] == pytest.approx(200 / 11)
    assert run("srm", "--counts", "900,2100", "--weights", "0.3,0.7")["chi2"] == pytest.approx(0.0)
    assert run("sample-size", "--baseline", "0.2", "--mde", "0.25") == {"n_per_variant": 1031}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("test", "--control", "10,abc", "--treatment", "10,5,5"), "comma-separated numbers"),
        (("test", "--control", "10,5", "--treatment", "10,5,5"), "N,SUM,SUMSQ"),
        (("test", "--control", "10.5,5,5", "--treatment", "10,5,5"), "whole number"),
        (("test", "--control", "10,12", "--treatment", "10,5", "--binary"), "between 0 and N"),
        (("test", "--control", "10,5,5", "--treatment", "10,5,5", "--alpha", "1.5"), "--alpha"),
        (("test", "--control", "10,5,5", "--treatment", "10,5,5", "--sequential-tuning", "0"), "positive"),
        (("test", "--control", "10,nan,5", "--treatment", "10,5,5"), "finite"),
        (("srm", "--counts", "1000"), "at least two"),
        (("srm", "--counts", "1000,1200", "--weights", "0.5"), "one positive weight per count"),
        (("sample-size", "--baseline", "1.2", "--mde", "0.1"), "--baseline"),
        (("sample-size", "--baseline", "0.6", "--mde", "1.0"), "--mde"),
        (("sample-size", "--baseline", "0.2", "--mde", "0.1", "--power", "0"), "--power"),
    ],
)
def test_bad_input_raises_review_error(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(ReviewError, match=message):
        run(*argv)
