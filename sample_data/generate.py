"""Generate the sample product: ``python -m sample_data.generate --out DIR [--events N] [--seed 7]``.

Writes events.parquet, users.parquet and assignments.parquet (zstd) plus a copy of the product's
review.toml into DIR. The output depends only on the arguments (numpy's PCG64 stream, pinned numpy), and
users are simulated in fixed-size chunks written as Parquet row groups, so 50M events fit in a few GiB.
The planted stories and their ground truth are documented in sample_data/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sample_data import _params as P
from sample_data._simulate import ChunkTables, signup_times, simulate_chunk

PRODUCT_DIR = Path(__file__).resolve().parent / "product"
DEFAULT_EVENTS = 1_000_000
DEFAULT_SEED = 7

_TS = pa.timestamp("us", tz="UTC")
SCHEMAS: dict[str, pa.Schema] = {
    "events": pa.schema(
        [
            ("user_id", pa.int64()),
            ("event", pa.string()),
            ("timestamp", _TS),
            ("platform", pa.string()),
            ("app_version", pa.string()),
            ("country", pa.string()),
        ]
    ),
    "users": pa.schema(
        [
            ("user_id", pa.int64()),
            ("signup_at", _TS),
            ("plan", pa.string()),
            ("platform", pa.string()),
            ("country", pa.string()),
            ("channel", pa.string()),
        ]
    ),
    "assignments": pa.schema(
        [("user_id", pa.int64()), ("experiment", pa.string()), ("variant", pa.string()), ("timestamp", _TS)]
    ),
}
# Which vocabulary decodes each integer-coded string column.
_VOCAB: dict[str, tuple[str, ...]] = {
    "event": P.EVENTS,
    "platform": P.PLATFORMS,
    "country": P.COUNTRIES,
    "app_version": tuple(version for version, _ in P.VERSIONS),
    "plan": P.PLANS,
    "channel": P.CHANNELS,
    "experiment": P.EXPERIMENTS,
    "variant": P.VARIANTS,
}


def n_users_for(events: int) -> int:
    """Population size that yields about ``events`` events (at least one chunk's worth of structure)."""
    return max(100, round(events / P.EVENTS_PER_USER))


def _table(name: str, columns: dict[str, np.ndarray]) -> pa.Table:
    schema = SCHEMAS[name]
    arrays = []
    for field in schema:
        values = columns[field.name]
        if field.name in _VOCAB:
            dictionary = pa.array(_VOCAB[field.name], pa.string())
            arrays.append(
                pa.DictionaryArray.from_arrays(pa.array(values, pa.int8()), dictionary).dictionary_decode()
            )
        else:
            arrays.append(pa.array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def generate(out: Path, events: int = DEFAULT_EVENTS, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Write the sample product into ``out``.

    Parameters
    ----------
    out : pathlib.Path
        Target folder (created if missing). Existing files of the same names are replaced.
    events : int
        Approximate number of events; the population is ``events / EVENTS_PER_USER`` users.
    seed : int
        Seed of the numpy generator; the same (events, seed) always gives the same rows.

    Returns
    -------
    dict[str, int]
        Rows written per table.
    """
    out.mkdir(parents=True, exist_ok=True)
    signups = signup_times(n_users_for(events), seed)
    writers = {
        name: pq.ParquetWriter(
            out / f"{name}.parquet",
            schema,
            compression="zstd",
            compression_level=9,
            # Random timestamps barely compress; splitting their bytes into streams saves ~15% of the file.
            use_dictionary=[f.name for f in schema if f.type == pa.string()],
            column_encoding={f.name: "BYTE_STREAM_SPLIT" for f in schema if f.type == _TS},
        )
        for name, schema in SCHEMAS.items()
    }
    rows = dict.fromkeys(SCHEMAS, 0)
    try:
        for chunk_index, first in enumerate(range(0, len(signups), P.CHUNK_USERS)):
            chunk: ChunkTables = simulate_chunk(
                first + 1, signups[first : first + P.CHUNK_USERS], chunk_index, seed
            )
            for name, columns in (
                ("events", chunk.events),
                ("users", chunk.users),
                ("assignments", chunk.assignments),
            ):
                table = _table(name, columns)
                writers[name].write_table(table, row_group_size=1_000_000)
                rows[name] += table.num_rows
    finally:
        for writer in writers.values():
            writer.close()
    review = PRODUCT_DIR / "review.toml"
    if review.exists() and (out / "review.toml").resolve() != review:
        shutil.copyfile(review, out / "review.toml")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m sample_data.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=PRODUCT_DIR, help="target folder (default: the product)")
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="approximate number of events")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="numpy seed (default 7)")
    args = parser.parse_args(argv)
    if args.events < 1000:
        parser.error("--events must be at least 1000")
    started = time.perf_counter()
    rows = generate(args.out, args.events, args.seed)
    elapsed = time.perf_counter() - started
    counts = ", ".join(f"{n:,} {name}" for name, n in rows.items())
    print(f"Wrote {counts} to {args.out} in {elapsed:.1f} s.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
