"""``recruitsim-collect``: gather a sweep's results store into tidy tables.

Reads ``SWEEP/store/runs/*.json`` and ``SWEEP/store/parts/*.parquet``
(:mod:`sim.runs.store`) and writes into ``SWEEP/collected/`` (or ``--out DIR``):

* ``runs.parquet`` / ``runs.csv``: one row per run record: ``run_id``,
  ``seed``, ``status``, ``error``, ``wall_seconds``, one ``choice.<group>``
  column per config group, every config key as a column with its dotted name
  (``policy.fine``), then every summary outcome under its own name
  (``mean_fee_months``; NaN for a failed run).
* ``timeseries.parquet`` / ``timeseries.csv``: one row per completed run and
  step: ``run_id``, ``seed``, the ``choice.<group>`` columns, the config
  columns that vary across the sweep's runs, then the outcome columns of the
  run's timeseries (``step`` first).

Rows are sorted by the varying config columns, then seed, then run_id, so two
collections of the same runs give equal tables however the sweep was run
(only ``wall_seconds`` differs between machines and launchers). A run appears
once, whatever number of times it was retried. The timeseries is streamed
part by part, so a sweep of any size fits in memory. Nothing is read from or
written to pickle.

A damaged store is refused, with every damaged file named
(:class:`CollectError`), rather than collected with holes or foreign data: a
record that is not valid JSON (e.g. truncated by a full disk), a completed
record whose part is missing, is not the file the run wrote (its SHA-256
differs from the record's), is no readable Parquet file, or has columns that
are not the model's outcomes. Running the sweep again repairs them, since
the store counts such runs as missing (:meth:`sim.runs.store.Store.completed_record`).
"""

from __future__ import annotations

import sys
import typing
from enum import Enum
from pathlib import Path
from typing import Iterable, Sequence

from sim.config import CONFIG_KEYS, CONFIG_TYPES
from sim.runs.store import (
    CHOICE_GROUPS,
    COMPLETED,
    STORE_DIR,
    Store,
    format_error,
    part_problem,
    sha256_bytes,
)

RUN_COLUMNS = ("run_id", "seed", "status", "error", "wall_seconds")
COLLECTED_DIR = "collected"
RUNS_FILE = "runs"
TIMESERIES_FILE = "timeseries"
#: Runs per chunk of the streamed timeseries.
CHUNK_RUNS = 200


#: Damaged files named in full in the message; more are counted.
SHOWN_DAMAGED = 10


class CollectError(Exception):
    """Nothing to collect, or a damaged store; ``str()`` is the message for the user."""


def damaged_message(store: Store, damaged: list[tuple[Path, str]]) -> str:
    """The message for damaged files: each named with what is wrong, and how to repair them."""
    lines = [f"{len(damaged)} damaged files in the results store {store.root}; nothing was collected:"]
    for path, problem in damaged[:SHOWN_DAMAGED]:
        lines.append(f"  {path}: {problem}")
    if len(damaged) > SHOWN_DAMAGED:
        lines.append(f"  ... and {len(damaged) - SHOWN_DAMAGED} more")
    lines.append("run the same sweep, experiment or analysis again to recompute these runs (they count as "
                 "missing; completed runs are kept), or delete these files")
    return "\n".join(lines)


def _progress(items: Sequence, desc: str, enabled: bool) -> Iterable:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="run", file=sys.stderr, mininterval=0.5, leave=False,
                disable=None if len(items) < 500 else False)


# --------------------------------------------------------------------------- the runs table


def read_records(store: Store, progress: bool = False,
                 damaged: list[tuple[Path, str]] | None = None) -> list[dict]:
    """Every run record of the store, one per run_id (a completed one wins over a failed one).

    Args:
        damaged: if given, each record file that cannot be read as a record is
            appended to it with what is wrong (otherwise such files are skipped).
    """
    import json

    by_id: dict[str, dict] = {}
    for path in _progress(store.record_files(), "reading run records", progress):
        try:
            record = json.loads(path.read_text())
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            if damaged is not None:
                what = "not valid JSON (truncated or corrupt)" if isinstance(exc, ValueError) else \
                    f"cannot be read ({exc.strerror or exc})"
                damaged.append((path, what))
            continue
        if not isinstance(record, dict) or not isinstance(record.get("status"), str):
            if damaged is not None:
                damaged.append((path, "not a run record (no status)"))
            continue
        rid = record.get("run_id") or path.stem
        old = by_id.get(rid)
        if old is None or _rank(record) > _rank(old):
            by_id[rid] = record
    return list(by_id.values())


def _rank(record: dict) -> tuple:
    return (record.get("status") == COMPLETED, str(record.get("ended") or ""))


def _config_dtype(key: str, values: list) -> str | None:
    hint = CONFIG_TYPES.get(key)
    if hint is None:
        return None
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    kind = args[0] if args else hint
    missing = any(v is None for v in values)
    if kind is bool:
        return "boolean" if missing else "bool"
    if kind is int:
        return "Int64" if missing else "int64"
    if kind is float:
        return "float64"
    if isinstance(kind, type) and issubclass(kind, (str, Enum)):
        return "object"
    return None


def runs_frame(records: list[dict]):
    """The runs table (pandas) of a list of records, sorted as described in the module docstring.

    Returns:
        ``(frame, varying)``: the table and the config columns that vary across its rows.
    """
    import pandas as pd

    choice_groups = [g for g in CHOICE_GROUPS if any(g in (r.get("choices") or {}) for r in records)]
    extra_groups = sorted({g for r in records for g in (r.get("choices") or {})} - set(choice_groups))
    config_keys = [k for k in CONFIG_KEYS if any(k in (r.get("config") or {}) for r in records)]
    config_keys += sorted({k for r in records for k in (r.get("config") or {})} - set(config_keys))
    config_keys = [k for k in config_keys if k != "seed"]
    outcomes: list[str] = []
    for r in records:
        for k in r.get("summary") or {}:
            if k not in outcomes:
                outcomes.append(k)

    columns: dict[str, list] = {c: [r.get(c) for r in records] for c in RUN_COLUMNS}
    for g in (*choice_groups, *extra_groups):
        columns[f"choice.{g}"] = [(r.get("choices") or {}).get(g) for r in records]
    for k in config_keys:
        columns[k] = [(r.get("config") or {}).get(k) for r in records]
    for k in outcomes:
        if k in columns:  # an outcome named like a column above: keep both, the outcome renamed
            columns[f"outcome.{k}"] = [(r.get("summary") or {}).get(k) for r in records]
        else:
            columns[k] = [(r.get("summary") or {}).get(k) for r in records]

    frame = pd.DataFrame(columns)
    frame["seed"] = frame["seed"].astype("Int64" if frame["seed"].isna().any() else "int64")
    frame["wall_seconds"] = frame["wall_seconds"].astype("float64")
    for c in ("run_id", "status", "error", *(f"choice.{g}" for g in (*choice_groups, *extra_groups))):
        frame[c] = frame[c].astype("object")
    for k in config_keys:
        dtype = _config_dtype(k, columns[k])
        if dtype:
            frame[k] = frame[k].astype(dtype)
    for k in outcomes:
        name = f"outcome.{k}" if f"outcome.{k}" in frame else k
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")

    varying = [k for k in config_keys if len(records) > 1 and frame[k].nunique(dropna=False) > 1]
    frame = frame.sort_values([*varying, "seed", "run_id"], kind="mergesort", na_position="last")
    return frame.reset_index(drop=True), varying


# --------------------------------------------------------------------------- collect


def collect(sweep_dir: str | Path, out_dir: str | Path | None = None, progress: bool = True) -> dict:
    """Write runs.parquet, runs.csv, timeseries.parquet and timeseries.csv for a sweep.

    Args:
        sweep_dir: the sweep directory (the one holding ``store/``), or the store itself.
        out_dir: where to write; default ``sweep_dir/collected``.
        progress: show progress bars on stderr (for long collections, on a terminal).

    Returns:
        ``{"runs": n, "completed": n, "failed": n, "timeseries_rows": n, "files": [paths]}``.

    Raises:
        CollectError: if there is no run record to collect.
    """
    import pyarrow as pa

    sweep_dir = Path(sweep_dir)
    if sweep_dir.name == STORE_DIR and not (sweep_dir / STORE_DIR).is_dir() and (sweep_dir / "runs").is_dir():
        sweep_dir = sweep_dir.parent
    store = Store(sweep_dir)
    damaged: list[tuple[Path, str]] = []
    records = read_records(store, progress, damaged)
    if not records and not damaged:
        raise CollectError(f"no run records in {store.runs} (is {sweep_dir} a sweep directory?)")
    completed_records = [r for r in records if r.get("status") == COMPLETED]
    schemas = _part_schemas(store, completed_records, damaged, progress)
    if damaged:
        raise CollectError(damaged_message(store, damaged))
    frame, varying = runs_frame(records)
    out = Path(out_dir) if out_dir is not None else sweep_dir / COLLECTED_DIR
    out.mkdir(parents=True, exist_ok=True)

    runs_table = pa.Table.from_pandas(frame, preserve_index=False)
    files = [_write_parquet(out / f"{RUNS_FILE}.parquet", [runs_table], runs_table.schema),
             _write_csv(out / f"{RUNS_FILE}.csv", [runs_table], runs_table.schema)]

    completed = [i for i, s in enumerate(frame["status"]) if s == COMPLETED]
    meta = ["run_id", "seed", *(c for c in frame.columns if c.startswith("choice.")), *varying]
    ts_schema, chunks = _timeseries(store, runs_table, completed, meta, schemas, progress)
    rows = 0

    def counted(tables):
        nonlocal rows
        for t in tables:
            rows += t.num_rows
            yield t

    ts_parquet = out / f"{TIMESERIES_FILE}.parquet"
    files.append(_write_parquet(ts_parquet, counted(chunks), ts_schema))
    # the CSV is written from the Parquet file just made, so the parts are read only once
    files.append(_write_csv(out / f"{TIMESERIES_FILE}.csv", _parquet_batches(ts_parquet), ts_schema))
    return {"runs": len(frame), "completed": len(completed),
            "failed": int((frame["status"] != COMPLETED).sum()), "timeseries_rows": rows, "files": files}


def _part_schemas(store: Store, completed: list[dict], damaged: list[tuple[Path, str]], progress: bool) -> list:
    """The schema of each completed run's part; a part that is not what its run wrote goes to ``damaged``.

    Each part is read whole once here: its SHA-256 must be the record's
    (records written before the hash was kept: the footer must be readable
    and the columns the model's outcomes, :func:`sim.runs.store.part_problem`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = []
    for record in _progress(completed, "checking parts", progress):
        path = store.part_path(record.get("run_id"))
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            damaged.append((path, f"missing, but its record {store.record_path(record.get('run_id')).name} "
                                  "says the run completed"))
            continue
        except OSError as exc:
            damaged.append((path, f"cannot be read ({exc.strerror or exc})"))
            continue
        expected = record.get("part_sha256")
        if expected is not None and sha256_bytes(data) != expected:
            problem = part_problem(data) or "not the file its run wrote (its SHA-256 differs from the record's)"
            damaged.append((path, problem))
            continue
        problem = part_problem(data)
        if problem:
            damaged.append((path, problem))
            continue
        schemas.append(pq.read_schema(pa.BufferReader(data)))
    return schemas


def _timeseries(store: Store, runs_table, completed: list[int], meta: list[str], part_schemas: list,
                progress: bool):
    """The long table's schema, and a generator of its chunks."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if part_schemas:
        outcomes = pa.unify_schemas(part_schemas, promote_options="permissive")
    else:
        from sim.model.outcomes import OUTCOMES

        outcomes = pa.schema([(name, pa.float64()) for name in OUTCOMES])
    outcomes = pa.schema([f for f in outcomes if f.name not in meta]).remove_metadata()
    schema = pa.schema([runs_table.schema.field(c) for c in meta] + list(outcomes)).remove_metadata()

    def chunks():
        batch = []
        for n, i in enumerate(_progress(completed, "collecting timeseries", progress), 1):
            path = store.part_path(runs_table["run_id"][i].as_py())
            try:
                part = pq.read_table(path)
            except Exception as exc:  # changed since it was checked, or damaged inside (older records)
                raise CollectError(damaged_message(store, [(path, f"not a readable Parquet file "
                                                                  f"({format_error(exc)})")])) from None
            size = part.num_rows
            arrays = [pa.repeat(runs_table[c][i], size) for c in meta]
            for f in outcomes:
                arrays.append(part[f.name].cast(f.type) if f.name in part.column_names
                              else pa.nulls(size, f.type))
            batch.append(pa.Table.from_arrays(arrays, schema=schema))
            if len(batch) >= CHUNK_RUNS or n == len(completed):
                yield pa.concat_tables(batch)
                batch = []

    return schema, chunks()


def _parquet_batches(path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=65536):
        yield pa.Table.from_batches([batch])


def _write_parquet(path: Path, tables: Iterable, schema) -> Path:
    import pyarrow.parquet as pq

    return _write_tables(path, tables, schema, pq.ParquetWriter)


def _write_csv(path: Path, tables: Iterable, schema) -> Path:
    import pyarrow.csv as csv

    return _write_tables(path, tables, schema, csv.CSVWriter)


def _write_tables(path: Path, tables: Iterable, schema, writer_class) -> Path:
    """Stream ``tables`` into one file with a pyarrow writer, atomically."""
    from sim.runs.files import atomic_write_with

    def write(tmp: Path) -> None:
        with writer_class(tmp, schema) as writer:
            for table in tables:
                writer.write_table(table)

    atomic_write_with(path, write)
    return path


# --------------------------------------------------------------------------- command
