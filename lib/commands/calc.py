"""``calc test|srm|sample-size``: the statistics engine on numbers typed at the command line (DESIGN.md §6).

Each ``run_*`` returns the one output object of the contract (NaN and infinities as None); ``lib.cli``
formats it and owns the exit codes. Bad input raises :class:`lib.errors.ReviewError` with a plain message.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from lib.errors import ReviewError
from lib.stats.effects import compare
from lib.stats.power import sample_size_per_variant
from lib.stats.sequential import sequential_interval
from lib.stats.srm import srm_test
from lib.stats.summary import SampleStats


def _clean(value: float) -> float | None:
    # JSON has no NaN or infinity: the contract prints them as null.
    return float(value) if math.isfinite(value) else None


def _numbers(text: str, option: str) -> list[float]:
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ReviewError(
            f"{option} expects comma-separated numbers, got {text!r}. Example: {option} 1000,120,120."
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise ReviewError(f"{option} contains a value that is not a finite number: {text!r}.")
    return values


def _arm(text: str, option: str, binary: bool) -> SampleStats:
    values = _numbers(text, option)
    if binary and len(values) == 2:
        values.append(values[1])  # 0/1 values: the sum of squares is the sum
    if len(values) != 3:
        raise ReviewError(
            f"{option} expects N,SUM,SUMSQ (three numbers; N,SUM is enough with --binary), got {text!r}."
        )
    n, total, sum_sq = values
    if n < 0 or n != int(n):
        raise ReviewError(f"{option}: N must be a whole number of users, got {n:g}.")
    if binary and not 0 <= total <= n:
        raise ReviewError(
            f"{option}: with --binary, SUM (the conversions) must be between 0 and N, got {total:g}."
        )
    if sum_sq < 0:
        raise ReviewError(f"{option}: SUMSQ (a sum of squares) cannot be negative, got {sum_sq:g}.")
    return SampleStats(n=int(n), sum=total, sum_sq=sum_sq)


def _level(value: float, option: str) -> float:
    if not 0.0 < value < 1.0:
        raise ReviewError(f"{option} must be between 0 and 1 (exclusive), got {value:g}.")
    return value


def run_test(args: argparse.Namespace) -> dict[str, Any]:
    """Compare two arms given as N,SUM,SUMSQ; the relative lift unless ``--absolute``.

    Returns
    -------
    dict
        ``{effect, se, ci_low, ci_high, p_value}``; with ``--sequential-tuning`` the interval and p-value
        are the always-valid ones.
    """
    alpha = _level(args.alpha, "--alpha")
    control = _arm(args.control, "--control", args.binary)
    treatment = _arm(args.treatment, "--treatment", args.binary)
    result = compare(
        control,
        treatment,
        alpha=alpha,
        alternative=args.alternative,
        relative=not args.absolute,
        binary=args.binary,
    )
    ci_low, ci_high, p_value = result.ci_low, result.ci_high, result.p_value
    if args.sequential_tuning is not None:
        if not args.sequential_tuning > 0:
            raise ReviewError(
                f"--sequential-tuning must be a positive sample size, got {args.sequential_tuning:g}."
            )
        if args.alternative != "two-sided":
            raise ReviewError(
                "--sequential-tuning gives a two-sided interval; drop --alternative or the tuning."
            )
        seq = sequential_interval(result, tuning=args.sequential_tuning)
        ci_low, ci_high, p_value = seq.ci_low, seq.ci_high, seq.p_value
    return {
        "effect": _clean(result.effect),
        "se": _clean(result.se),
        "ci_low": _clean(ci_low),
        "ci_high": _clean(ci_high),
        "p_value": _clean(p_value),
    }


def run_srm(args: argparse.Namespace) -> dict[str, Any]:
    """Chi-square test of the variant counts against the planned weights (equal when omitted)."""
    counts = _numbers(args.counts, "--counts")
    if len(counts) < 2 or any(c < 0 or c != int(c) for c in counts):
        raise ReviewError(f"--counts expects at least two whole non-negative counts, got {args.counts!r}.")
    weights = None
    if args.weights is not None:
        weights = _numbers(args.weights, "--weights")
        if len(weights) != len(counts) or any(w <= 0 for w in weights):
            raise ReviewError(
                f"--weights expects one positive weight per count ({len(counts)}), got {args.weights!r}."
            )
    result = srm_test([int(c) for c in counts], weights)
    return {"chi2": _clean(result.chi2), "p_value": _clean(result.p_value)}


def run_sample_size(args: argparse.Namespace) -> dict[str, Any]:
    """Users per variant for a conversion rate ``--baseline`` and a relative ``--mde``."""
    alpha = _level(args.alpha, "--alpha")
    power = _level(args.power, "--power")
    if not 0.0 < args.baseline < 1.0:
        raise ReviewError(
            f"--baseline is a conversion rate between 0 and 1 (exclusive), got {args.baseline:g}."
        )
    p2 = args.baseline * (1.0 + args.mde)
    if args.mde == 0.0 or not 0.0 < p2 < 1.0:
        raise ReviewError(
            f"--mde is a relative change (0.05 = +5%) that keeps the rate between 0 and 1; "
            f"{args.mde:g} on a baseline of {args.baseline:g} gives {p2:g}."
        )
    return {"n_per_variant": sample_size_per_variant(args.baseline, args.mde, alpha, power)}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``calc`` command and its ``test``, ``srm`` and ``sample-size`` subcommands.

    Each subcommand sets ``func`` to its ``run_*`` function, which returns the output object.
    """
    calc = subparsers.add_parser("calc", help="statistics on numbers you type: lift test, SRM, sample size")
    sub = calc.add_subparsers(dest="calc_command", required=True, metavar="{test,srm,sample-size}")

    test = sub.add_parser("test", help="compare two arms given as N,SUM,SUMSQ")
    test.add_argument("--control", required=True, metavar="N,SUM,SUMSQ", help="control arm")
    test.add_argument("--treatment", required=True, metavar="N,SUM,SUMSQ", help="treatment arm")
    test.add_argument("--binary", action="store_true", help="0/1 metric: variance p(1-p)")
    test.add_argument("--absolute", action="store_true", help="absolute difference instead of relative lift")
    test.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    test.add_argument(
        "--alternative", choices=("two-sided", "greater", "less"), default="two-sided", help="alternative"
    )
    test.add_argument(
        "--sequential-tuning",
        type=float,
        default=None,
        metavar="NSTAR",
        help="always-valid interval tuned for this total sample size (GrowthBook default 5000)",
    )
    test.set_defaults(func=run_test)

    srm = sub.add_parser("srm", help="sample ratio mismatch check")
    srm.add_argument("--counts", required=True, metavar="N1,N2,...", help="users per variant")
    srm.add_argument("--weights", default=None, metavar="W1,W2,...", help="planned shares (default equal)")
    srm.set_defaults(func=run_srm)

    size = sub.add_parser("sample-size", help="users per variant for a conversion rate")
    size.add_argument("--baseline", type=float, required=True, metavar="P", help="control conversion rate")
    size.add_argument(
        "--mde", type=float, required=True, metavar="M", help="relative minimum detectable effect"
    )
    size.add_argument("--alpha", type=float, default=0.05, help="two-sided significance level (default 0.05)")
    size.add_argument("--power", type=float, default=0.8, help="power (default 0.8)")
    size.set_defaults(func=run_sample_size)
