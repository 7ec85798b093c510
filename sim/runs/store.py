"""The results store of a sweep: one Parquet part and one JSON record per run.

A sweep (``recruitsim -m ...``) keeps its results under Hydra's sweep
directory ``SWEEP`` (``hydra.sweep.dir``)::

    SWEEP/store/parts/<run_id>.parquet   the run's timeseries (RecruitmentModel.timeseries())
    SWEEP/store/runs/<run_id>.json       the run record, written after the part

A run record holds ``run_id``, ``seed``, ``status`` (``"completed"`` or
``"failed"``), ``error`` (``null`` or ``"ExcType: message"``), ``choices``
(the option of each config group: market, policy, certification, society,
run, scenario, experiment when one is chosen), ``config`` (every key of
:class:`sim.config.RecruitsimConfig` as a flat dict with dotted names, e.g.
``"policy.fine": 1000.0``), ``summary`` (``RecruitmentModel.summary()``, or
``null`` for a failed run), ``wall_seconds``, ``started`` and ``ended``, and
``overrides`` (the Hydra overrides of the job that ran it).

Why it is safe to kill a sweep at any moment: both files are written
atomically (:mod:`sim.runs.files`: temporary file, fsync, rename), and the record
is written only after its part is complete. A record that says
``completed`` therefore always has its whole part beside it, and a run killed
half-way leaves at most a part without a record, which counts as missing and
is run again. A retried run writes the same two names again, replacing the old
files, so nothing is ever duplicated.

``run_id`` is the first 16 hex digits of the SHA-256 of the canonical JSON
(sorted keys, no spaces) of the flat resolved config, seed included and
nothing from ``hydra.*``, followed by a fingerprint of the model's source
code (so results of an older model are never taken for the current one's). Resuming keys on it, not on Hydra's job number, so a
resumed sweep recognises a run whatever job number it had. Two command lines
that resolve to the same config are the same run.

Results are Parquet and JSON only: nothing here reads or writes pickle.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterator, Mapping

from sim.config.forms import config_hash
from sim.runs import files

STORE_DIR = "store"
PARTS_DIR = "parts"
RUNS_DIR = "runs"

COMPLETED = "completed"
FAILED = "failed"

#: Keys of a run record, in the order they are written.
RECORD_KEYS = ("run_id", "seed", "status", "error", "choices", "config", "summary",
               "wall_seconds", "started", "ended", "overrides")

#: Config groups whose chosen option is recorded (``experiment`` only when one is chosen).
CHOICE_GROUPS = ("market", "policy", "certification", "society", "run", "scenario", "experiment")


# --------------------------------------------------------------------------- run ids


@functools.cache
def model_fingerprint() -> str:
    """SHA-256 of the model's source: runs made by other model code never count as done.

    Hashes every module of :mod:`sim.model` and the config schema (whose
    defaults are part of a run). Without it, resuming a sweep after a change
    to the model would keep the old model's results as if they were the new one's.
    """
    import sim.config.schema
    import sim.model

    digest = hashlib.sha256()
    files = sorted(Path(sim.model.__file__).parent.glob("*.py")) + [Path(sim.config.schema.__file__)]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_id(config: Any) -> str:
    """First 16 hex digits of the SHA-256 of the config's hash and the model's code.

    ``config`` is a :class:`RecruitsimConfig`, a ``DictConfig`` or a plain
    dict that is already flat (from :func:`sim.config.flat_config`). The same
    config run by changed model code gets a new id (see :func:`model_fingerprint`).
    """
    text = config_hash(config) + model_fingerprint()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def format_error(exc: BaseException) -> str:
    """``"ExcType: message"``, on one line and not too long, for the record and the final report."""
    message = " ".join(str(exc).split())
    if len(message) > 500:
        message = message[:497] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


# --------------------------------------------------------------------------- the store


class Store:
    """The ``store/`` folder of one sweep directory.

    Args:
        sweep_dir: Hydra's sweep directory (the store is ``sweep_dir/store``).
    """

    def __init__(self, sweep_dir: str | os.PathLike):
        self.sweep_dir = Path(sweep_dir)
        self.root = self.sweep_dir / STORE_DIR
        self.parts = self.root / PARTS_DIR
        self.runs = self.root / RUNS_DIR

    def part_path(self, rid: str) -> Path:
        return self.parts / f"{rid}.parquet"

    def record_path(self, rid: str) -> Path:
        return self.runs / f"{rid}.json"

    # ---- reading

    def read_record(self, rid: str) -> dict | None:
        """The record of ``rid``, or None if there is none (or it cannot be read)."""
        try:
            return json.loads(self.record_path(rid).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def is_completed(self, rid: str) -> bool:
        """True if the run has a ``completed`` record and its part: a resumed sweep skips it."""
        record = self.read_record(rid)
        return bool(record and record.get("status") == COMPLETED and self.part_path(rid).is_file())

    def record_files(self) -> list[Path]:
        """Every record file, sorted by name (temporary files of unfinished writes are not records)."""
        if not self.runs.is_dir():
            return []
        return sorted(p for p in self.runs.glob("*.json") if not p.name.startswith("."))

    def records(self) -> Iterator[dict]:
        """Every readable record, sorted by run_id."""
        for path in self.record_files():
            with contextlib.suppress(FileNotFoundError, ValueError):
                yield json.loads(path.read_text())

    # ---- writing

    def write_completed(self, record: Mapping[str, Any], timeseries: Any) -> None:
        """The part first, then the record: a ``completed`` record always has its whole part."""
        rid = record["run_id"]
        files.write_parquet(self.part_path(rid), timeseries)
        files.write_json(self.record_path(rid), record)

    def write_failed(self, record: Mapping[str, Any]) -> None:
        """A failed record; a part left by an earlier attempt of the same run is removed first."""
        rid = record["run_id"]
        with contextlib.suppress(FileNotFoundError):
            self.part_path(rid).unlink()
        files.write_json(self.record_path(rid), record)

    def remove_temporary_files(self) -> list[Path]:
        """Delete temporary files left by writes that a kill interrupted; return them.

        Only safe when no other sweep is writing into this store at the same
        time (running two sweeps into one directory at once is not supported).
        """
        removed = []
        for folder in (self.parts, self.runs):
            if folder.is_dir():
                for path in folder.glob(".*.tmp"):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                        removed.append(path)
        return removed

    def snapshot(self) -> dict[str, int]:
        """Record file name -> modification time (ns): what changed since is what a sweep wrote."""
        out = {}
        for path in self.record_files():
            with contextlib.suppress(FileNotFoundError):
                out[path.name] = path.stat().st_mtime_ns
        return out


def make_record(*, rid: str, flat: Mapping[str, Any], status: str, error: str | None,
                choices: Mapping[str, Any], summary: Mapping[str, Any] | None, wall_seconds: float,
                started: Any, ended: Any, overrides: list[str]) -> dict:
    """A run record with the keys of :data:`RECORD_KEYS`, in that order, JSON-ready."""
    record = {
        "run_id": rid,
        "seed": flat.get("seed"),
        "status": status,
        "error": error,
        "choices": {g: choices[g] for g in CHOICE_GROUPS if choices.get(g) is not None},
        "config": dict(flat),
        "summary": None if summary is None else files.to_jsonable(dict(summary)),
        "wall_seconds": round(float(wall_seconds), 4),
        "started": started.isoformat(timespec="milliseconds"),
        "ended": ended.isoformat(timespec="milliseconds"),
        "overrides": list(overrides),
    }
    return files.to_jsonable(record)
