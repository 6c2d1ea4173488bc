"""The benchmark: each metric timed in-process, beside a hand-written DuckDB query and plain pandas.

Usage (see bench/README.md)::

    python -m bench.run                       # 1M, 10M and 50M events (generates the data once, ~10 min at 50M)
    python -m bench.run --sizes 1000000       # one size
    python -m bench.run --cases retention     # cases whose name contains "retention"
    python -m bench.run --postgres            # also the project's metrics on PostgreSQL at 10M events
    python -m bench.run --pages               # also the warm render time of every page (AppTest)
    python -m bench.run --report-only         # rewrite RESULTS.md from the stored measurements

Data is generated with the sample product's generator into ``bench/data/<events>/`` (git-ignored). Each
(case, implementation, size) runs in its own process so its peak memory (max RSS) is its own: a warm-up run,
then ``--repeat`` timed runs (compile + execute + fetch for the project), median reported. The results of the
implementations are compared (sorted, rounded) and a mismatch is marked in the table. The CLI's wall
time per command is measured with subprocess. Every measurement is stored in ``bench/data/measurements.json``
as soon as it is taken (a later run replaces the cells it measures), and ``bench/RESULTS.md`` is written from
all stored cells, so sizes can be run separately and a noisy cell re-run alone. Hand-written notes below the
``<!-- notes -->`` line of RESULTS.md are kept when it is rewritten.
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
STORE = DATA / "measurements.json"
NOTES_MARKER = "<!-- notes -->"
MODULES = ("bench.bench_activity_retention", "bench.bench_funnels_adoption", "bench.bench_experiments",
           "bench.bench_anomalies")
IMPLEMENTATIONS = ("project", "duckdb", "pandas")
PG_ENV = "LR_BENCH_PG_URL"  # set in a measuring process: the "pg" implementation reads from this database
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
    if impl == "pg":
        from bench.pg import use_postgres

        use_postgres([importlib.import_module(m) for m in MODULES], os.environ[PG_ENV])
    fn: Callable[[Path], pd.DataFrame] = getattr(case, "project_fn" if impl == "pg" else f"{impl}_fn")
    fn(folder)  # warm-up: file metadata, imports, DuckDB's first-query setup
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(folder)
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "peak_mib": _peak_kib() / 1024, "digest": _digest(result)}


def _peak_kib() -> int:
    # VmHWM is this process's own peak; ru_maxrss is not: Linux carries the parent's peak over fork + exec.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _digest(frame: pd.DataFrame | None) -> str:
    if frame is None:
        return ""
    f = frame.copy()
    # Compare values, not dtypes: a count can come back as int from one implementation and float from another,
    # a week start as a date or as a midnight timestamp.
    for c in f.columns:
        if pd.api.types.is_datetime64_any_dtype(f[c]) and (f[c].dropna() == f[c].dropna().dt.normalize()).all():
            f[c] = f[c].dt.date
        elif pd.api.types.is_numeric_dtype(f[c]) and not pd.api.types.is_bool_dtype(f[c]):
            f[c] = f[c].astype("float64").round(6)
    f = f.astype(str)
    f = f.sort_values(list(f.columns)).reset_index(drop=True)
    return str(pd.util.hash_pandas_object(f, index=False).sum())


def measure(case_name: str, impl: str, folder: Path, repeat: int, pg_url: str | None = None) -> dict[str, Any]:
    """Run one measurement in a fresh process (so its peak memory is its own).

    Parameters
    ----------
    case_name
        The case.
    impl
        ``project``, ``duckdb``, ``pandas``, or ``pg`` (the project's code reading ``pg_url``).
    folder
        The dataset.
    repeat
        Timed runs after the warm-up.
    pg_url
        The PostgreSQL database holding the dataset (``pg`` only).

    Returns
    -------
    dict
        median_s, peak_mib, digest; or error.
    """
    cmd = [sys.executable, "-m", "bench.run", "--one", case_name, impl, str(folder), "--repeat", str(repeat)]
    env = dict(os.environ, **({PG_ENV: pg_url} if pg_url else {}))
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "load": _load_average()}


def _load_average() -> float:
    # Other jobs share these 2-core machines: the 1-minute load when a cell finished flags a noisy number.
    return round(os.getloadavg()[0], 1)


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




def _pages_one() -> dict[str, Any]:
    """Render every page cold then warm in this process (AppTest); seconds per page."""
    from streamlit.testing.v1 import AppTest

    import app_pages

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    out: dict[str, Any] = {}
    for page in app_pages.page_files():
        timings = []
        for _ in range(3):  # cold (fills st.cache_data), then two warm runs; the warm figure is their median
            at.switch_page(page)
            t0 = time.perf_counter()
            at.run()
            timings.append(time.perf_counter() - t0)
        errors = [str(e.value)[:80] for e in at.exception]
        out[page] = {"cold_s": timings[0], "warm_s": statistics.median(timings[1:]), "error": "; ".join(errors)}
    return out


def page_times() -> dict[str, Any]:
    """Cold and warm render time of every page on the sample product, in a fresh process (empty caches).

    Returns
    -------
    dict
        page file -> {cold_s, warm_s, error}, or {"error": ...}.
    """
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--pages-one"], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def load_store(path: Path = STORE) -> dict[str, Any]:
    """The stored measurements (empty when none).

    Parameters
    ----------
    path
        The JSON file.

    Returns
    -------
    dict
        ``cells`` ("size|case|impl" -> measurement), ``cli`` ("size|command" -> seconds), ``pages``, ``pg``.
    """
    store: dict[str, Any] = {"cells": {}, "cli": {}, "pages": {}, "pg": {}}
    if path.exists():
        store.update(json.loads(path.read_text()))
    store["path"] = str(path)
    return store


def save_store(store: dict[str, Any]) -> None:
    """Write the measurements (after every cell, so an interrupted run keeps what it measured).

    Parameters
    ----------
    store
        As returned by :func:`load_store`.
    """
    path = Path(store.get("path", STORE))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(store, indent=1, sort_keys=True))


def _run_postgres(store: dict[str, Any], cases: list[Any], size: int, repeat: int) -> None:
    from bench.pg import INDEXES, SETTINGS, serve

    with serve(dataset(size)) as (url, timings, version):
        store["pg"] = {"size": size, "version": version, "load_s": timings, "settings": SETTINGS,
                       "indexes": [f"{t}({', '.join(c)})" for t, c in INDEXES]}
        for case in cases:
            print(f"{size:>11,} {case.name:<34} pg      ", end=" ", file=sys.stderr, flush=True)
            res = measure(case.name, "pg", dataset(size), repeat, url)
            store["cells"][f"{size}|{case.name}|pg"] = res
            save_store(store)
            print(res.get("median_s", res.get("error")), file=sys.stderr, flush=True)


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
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1000000,10000000,50000000", help="comma-separated event counts")
    p.add_argument("--cases", default="", help="only cases whose name contains this text")
    p.add_argument("--impls", default=",".join(IMPLEMENTATIONS),
                   help="implementations to measure at --sizes (comma-separated; empty: none)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per cell after one warm-up (median)")
    p.add_argument("--pandas-max", type=int, default=PANDAS_MAX_EVENTS,
                   help="skip pandas above this many events (default %(default)s)")
    p.add_argument("--no-cli", action="store_true", help="skip the CLI wall times")
    p.add_argument("--postgres", action="store_true",
                   help="also time the project's metrics on a throwaway PostgreSQL holding --pg-size events")
    p.add_argument("--pg-size", type=int, default=10_000_000, help="events in the PostgreSQL run")
    p.add_argument("--pages", action="store_true", help="also time cold and warm page renders (AppTest)")
    p.add_argument("--report-only", action="store_true", help="only rewrite RESULTS.md from stored measurements")
    p.add_argument("--fresh", action="store_true", help="forget stored measurements first")
    p.add_argument("--pg-repeat", type=int, default=1,
                   help="timed runs per PostgreSQL cell (it is slow; default %(default)s)")
    p.add_argument("--store", default=str(STORE), help="where measurements are kept (default %(default)s)")
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--one", nargs=3, metavar=("CASE", "IMPL", "FOLDER"), help=argparse.SUPPRESS)
    p.add_argument("--pages-one", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one[0], args.one[1], Path(args.one[2]), args.repeat)))
        return 0
    if args.pages_one:
        print(json.dumps(_pages_one()))
        return 0
    store = load_store(Path(args.store))
    if args.fresh:
        store.update({"cells": {}, "cli": {}, "pages": {}, "pg": {}})
    if not args.report_only:
        sizes = [int(s) for s in args.sizes.split(",") if s]
        impls = [i for i in args.impls.split(",") if i]
        cases = [c for c in all_cases() if args.cases in c.name]
        for size in sizes:
            folder = dataset(size)
            for case in cases:
                for impl in impls:
                    key = f"{size}|{case.name}|{impl}"
                    if impl == "pandas" and size > args.pandas_max:
                        store["cells"].setdefault(key, {"skipped": True})
                        continue
                    print(f"{size:>11,} {case.name:<34} {impl:<8}", end=" ", file=sys.stderr, flush=True)
                    store["cells"][key] = measure(case.name, impl, folder, args.repeat)
                    save_store(store)
                    print(store["cells"][key].get("median_s", store["cells"][key].get("error")),
                          file=sys.stderr, flush=True)
            if not args.no_cli:
                for cmd in CLI_COMMANDS:
                    store["cli"][f"{size}|{' '.join(cmd)}"] = cli_wall(folder, cmd, max(1, args.repeat - 1))
                    save_store(store)
        if args.postgres:
            _run_postgres(store, cases, args.pg_size, args.pg_repeat)
        if args.pages:
            store["pages"] = page_times()
            save_store(store)
    out = Path(args.out)
    notes = ""
    if out.exists() and NOTES_MARKER in out.read_text():
        notes = out.read_text().split(NOTES_MARKER, 1)[1]
    out.write_text(report(store) + "\n" + NOTES_MARKER + notes)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _cell(r: dict[str, Any] | None) -> str:
    if not r:
        return ""
    if r.get("skipped"):
        return "skipped"
    if "error" in r:
        return f"error: {r['error'][:60]}"
    busy = " ⚠" if r.get("load", 0) > 3 else ""
    peak = f" · {r['peak_mib']:.0f} MiB" if "peak_mib" in r else ""
    return f"{r['median_s']:.3f} s{peak}{busy}"


def _ratio(proj: dict[str, Any] | None, duck: dict[str, Any] | None) -> float | None:
    if proj and duck and "median_s" in proj and "median_s" in duck and duck["median_s"] > 0:
        return float(proj["median_s"] / duck["median_s"])
    return None


def report(store: dict[str, Any]) -> str:
    """The Markdown results from the stored measurements.

    Parameters
    ----------
    store
        As returned by :func:`load_store`.

    Returns
    -------
    str
    """
    cells: dict[str, Any] = store["cells"]
    keys = sorted({(int(k.split("|")[0]), k.split("|")[1]) for k in cells})
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}. Generated by `python -m bench.run` on {time.strftime('%Y-%m-%d')}.",
        "Median of warm runs in a fresh process per cell (compile + execute + fetch); peak = max RSS of that",
        "process. ratio = project / hand-written DuckDB on the same storage (Parquet files read in place).",
        "`same` says whether every implementation measured returned the same table. ⚠ = the machine's 1-minute",
        "load average was above 3 when the cell finished (other jobs were running: treat the number as noisy).",
        "",
        "| events | metric | project | hand-written DuckDB | pandas | project on PostgreSQL | ratio | same |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for size, name in keys:
        res = {impl: cells.get(f"{size}|{name}|{impl}") for impl in (*IMPLEMENTATIONS, "pg")}
        if res["pg"] and "median_s" in res["pg"]:
            # The server's memory is not the client's; show the time only.
            res["pg"] = {k: v for k, v in res["pg"].items() if k != "peak_mib"}
        ratio = _ratio(res["project"], res["duckdb"])
        digests = {r.get("digest") for r in res.values() if r and "digest" in r}
        same = "yes" if len(digests) == 1 else "NO" if digests else ""
        lines.append(f"| {size:,} | {name} | {_cell(res['project'])} | {_cell(res['duckdb'])} | "
                     f"{_cell(res['pandas'])} | {_cell(res['pg'])} | "
                     f"{'' if ratio is None else f'{ratio:.2f}x'} | {same} |")
    biggest = max((s for s, _ in keys), default=0)
    if biggest:
        lines += ["", f"## Target at {biggest:,} events: project within 1.5x of hand-written DuckDB", "",
                  "| metric | ratio | within 1.5x |", "|---|---:|---|"]
        for size, name in keys:
            if size == biggest:
                r = _ratio(cells.get(f"{size}|{name}|project"), cells.get(f"{size}|{name}|duckdb"))
                verdict = "" if r is None else "yes" if r <= 1.5 else "**no**"
                lines.append(f"| {name} | {'' if r is None else f'{r:.2f}x'} | {verdict} |")
    if store.get("pg"):
        pg = store["pg"]
        load = ", ".join(f"{k} {v:.0f} s" for k, v in pg["load_s"].items())
        lines += ["", f"## PostgreSQL ({pg['size']:,} events)", "",
                  f"PostgreSQL {pg['version']} (throwaway local server, unlogged tables, "
                  f"{', '.join(f'{k}={v}' for k, v in pg['settings'].items())}; indexes {', '.join(pg['indexes'])}). "
                  f"Load (DuckDB -> CSV -> COPY): {load}. The `project on PostgreSQL` column runs the project's "
                  "very same code with `--source` = the database URL (warm-up + --pg-repeat runs; no peak shown: the "
                  "work happens in the server)."]
    if store.get("cli"):
        lines += ["", "## CLI wall time (process start included)", "", "| events | command | seconds |",
                  "|---:|---|---:|"]
        for key, secs in sorted(store["cli"].items(), key=lambda kv: (int(kv[0].split("|")[0]), kv[0])):
            size, cmd = key.split("|", 1)
            lines.append(f"| {int(size):,} | `{cmd}` | {'failed' if secs is None else f'{secs:.2f}'} |")
    pages = store.get("pages") or {}
    if pages:
        lines += ["", "## Page render time on the sample product (AppTest, ~1M events)", "",
                  "Cold = first render in a fresh process (queries run, results go to `st.cache_data`); warm = the",
                  "same page rendered again (cached). The bar is a warm render under one second.", ""]
        if "error" in pages:
            lines.append(f"failed: {pages['error']}")
        else:
            lines += ["| page | cold | warm | under 1 s | error |", "|---|---:|---:|---|---|"]
            for page, r in pages.items():
                lines.append(f"| {page} | {r['cold_s']:.2f} s | {r['warm_s']:.2f} s | "
                             f"{'yes' if r['warm_s'] < 1 else '**no**'} | {r['error']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
