"""The benchmark: each metric timed in-process, beside a hand-written DuckDB query and plain pandas.

Usage::

    python -m bench.run                       # 1M, 10M and 50M events (generates the data once, ~10 min at 50M)
    python -m bench.run --sizes 1000000       # one size
    python -m bench.run --cases retention     # cases whose name contains "retention"

Data is generated with the sample product's generator into ``bench/data/<events>/`` (git-ignored). Each
(case, implementation, size) runs in its own process so its peak memory (max RSS) is its own: a warm-up run,
then ``--repeat`` timed runs (compile + execute + fetch for the project), median reported. The results of the
three implementations are compared (sorted, rounded) and a mismatch is marked in the table. The CLI's wall
time per command is measured with subprocess. Output: ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "RESULTS.md"
MODULES = ("bench.bench_activity_retention", "bench.bench_funnels_adoption", "bench.bench_experiments",
           "bench.bench_anomalies")
IMPLEMENTATIONS = ("project", "duckdb", "pandas")
# pandas at 50M events needs 5-8 GiB and minutes per metric (PERFORMANCE-NOTES.md); skip it above this size
# unless asked, so a run finishes in reasonable time.
PANDAS_MAX_EVENTS = 10_000_000
CLI_COMMANDS = (
    ["quality"],
    ["activity", "--period", "day"],
    ["retention", "--period", "week"],
    ["funnel", "--steps", "signup,onboarding_start,profile_completed,first_project"],
    ["adoption", "--period", "week"],
    ["experiment", "new_onboarding"],
    ["check"],
)


def all_cases() -> list[Any]:
    """Every benchmark case the metric modules expose through ``cases()``.

    Returns
    -------
    list
        Objects with ``name``, ``project_fn``, ``duckdb_fn``, ``pandas_fn`` (each: source folder -> DataFrame).
    """
    out: list[Any] = []
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        out.extend(module.cases())
    return out


def dataset(events: int) -> Path:
    """The generated product of a given size, generating it on first use.

    Parameters
    ----------
    events
        Approximate number of events.

    Returns
    -------
    Path
        The folder (events.parquet, users.parquet, assignments.parquet, review.toml).
    """
    folder = DATA / str(events)
    if not (folder / "events.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"generating {events:,} events into {folder} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "sample_data.generate", "--out", str(folder), "--events", str(events)],
                       check=True, cwd=ROOT)
    return folder


def _one(case_name: str, impl: str, folder: Path, repeat: int) -> dict[str, Any]:
    case = next(c for c in all_cases() if c.name == case_name)
    fn: Callable[[Path], pd.DataFrame] = getattr(case, f"{impl}_fn")
    fn(folder)  # warm-up: file metadata, imports, DuckDB's first-query setup
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(folder)
        times.append(time.perf_counter() - t0)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"median_s": statistics.median(times), "peak_mib": peak_kib / 1024, "digest": _digest(result)}


def _digest(frame: pd.DataFrame | None) -> str:
    if frame is None:
        return ""
    f = frame.copy()
    for c in f.columns:
        if pd.api.types.is_float_dtype(f[c]):
            f[c] = f[c].round(6)
    f = f.astype(str)
    f = f.sort_values(list(f.columns)).reset_index(drop=True)
    return str(pd.util.hash_pandas_object(f, index=False).sum())


def measure(case_name: str, impl: str, folder: Path, repeat: int) -> dict[str, Any]:
    """Run one measurement in a fresh process (so its peak memory is its own).

    Parameters
    ----------
    case_name
        The case.
    impl
        ``project``, ``duckdb`` or ``pandas``.
    folder
        The dataset.
    repeat
        Timed runs after the warm-up.

    Returns
    -------
    dict
        median_s, peak_mib, digest; or error.
    """
    cmd = [sys.executable, "-m", "bench.run", "--one", case_name, impl, str(folder), "--repeat", str(repeat)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def cli_wall(folder: Path, args: list[str], repeat: int) -> float | None:
    """Median wall time of one CLI command on a dataset (process start included).

    Parameters
    ----------
    folder
        The dataset.
    args
        The command and its options.
    repeat
        Runs.

    Returns
    -------
    float or None
        Seconds, or None when the command failed with exit 2.
    """
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "lib", *args, "--source", str(folder), "--format", "csv"],
                              capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
        if proc.returncode == 2:
            return None
    return statistics.median(times)


def machine() -> str:
    """One line describing the machine.

    Returns
    -------
    str
    """
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb

    return (f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}, "
            f"DuckDB {duckdb.__version__}, pandas {pd.__version__}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write bench/RESULTS.md.

    Parameters
    ----------
    argv
        Command-line arguments.

    Returns
    -------
    int
        Exit code.
    """
    p = argparse.ArgumentParser(prog="python -m bench.run")
    p.add_argument("--sizes", default="1000000,10000000,50000000")
    p.add_argument("--cases", default="", help="only cases whose name contains this text")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--pandas-max", type=int, default=PANDAS_MAX_EVENTS)
    p.add_argument("--no-cli", action="store_true")
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--one", nargs=3, metavar=("CASE", "IMPL", "FOLDER"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one[0], args.one[1], Path(args.one[2]), args.repeat)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    cases = [c for c in all_cases() if args.cases in c.name]
    rows = []
    for size in sizes:
        folder = dataset(size)
        for case in cases:
            res = {}
            for impl in IMPLEMENTATIONS:
                if impl == "pandas" and size > args.pandas_max:
                    res[impl] = {"skipped": True}
                    continue
                print(f"{size:>11,} {case.name:<34} {impl:<8}", end=" ", file=sys.stderr, flush=True)
                res[impl] = measure(case.name, impl, folder, args.repeat)
                print(res[impl].get("median_s", res[impl].get("error")), file=sys.stderr, flush=True)
            rows.append((size, case.name, res))
    cli_rows = []
    if not args.no_cli:
        for size in sizes:
            folder = dataset(size)
            for cmd in CLI_COMMANDS:
                cli_rows.append((size, " ".join(cmd), cli_wall(folder, cmd, max(1, args.repeat - 1))))
    Path(args.out).write_text(report(rows, cli_rows))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _cell(r: dict[str, Any]) -> str:
    if r.get("skipped"):
        return "skipped"
    if "error" in r:
        return f"error: {r['error'][:60]}"
    return f"{r['median_s']:.3f} s · {r['peak_mib']:.0f} MiB"


def report(rows: list[tuple[int, str, dict[str, Any]]], cli_rows: list[tuple[int, str, float | None]]) -> str:
    """The Markdown results table.

    Parameters
    ----------
    rows
        (events, case, {impl: measurement}).
    cli_rows
        (events, command, seconds).

    Returns
    -------
    str
    """
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}. Generated by `python -m bench.run` on {time.strftime('%Y-%m-%d')}.",
        "Median of warm runs in a fresh process per cell (compile + execute + fetch); peak = max RSS of that",
        "process. ratio = project / hand-written DuckDB on the same storage (Parquet files read in place).",
        "`same` says whether the three implementations returned the same table.",
        "",
        "| events | metric | project | hand-written DuckDB | pandas | ratio | same |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for size, name, res in rows:
        proj, duck, pand = res["project"], res["duckdb"], res["pandas"]
        ratio = ""
        if "median_s" in proj and "median_s" in duck and duck["median_s"] > 0:
            ratio = f"{proj['median_s'] / duck['median_s']:.2f}x"
        digests = {r.get("digest") for r in (proj, duck, pand) if "digest" in r}
        same = "yes" if len(digests) == 1 else "NO"
        lines.append(f"| {size:,} | {name} | {_cell(proj)} | {_cell(duck)} | {_cell(pand)} | {ratio} | {same} |")
    if cli_rows:
        lines += ["", "## CLI wall time (process start included)", "", "| events | command | seconds |",
                  "|---:|---|---:|"]
        for size, cmd, secs in cli_rows:
            lines.append(f"| {size:,} | `{cmd}` | {'failed' if secs is None else f'{secs:.2f}'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
