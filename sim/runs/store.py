"""The results store: one Parquet part and one JSON record per run, found again by every consumer.

A sweep (``recruitsim -m ...``), an experiment, calibration, sensitivity
analysis and scenario discovery all keep their runs in a store folder::

    FOLDER/store/parts/<run_id>.parquet   the run's timeseries (RecruitmentModel.timeseries())
    FOLDER/store/runs/<run_id>.json       the run record, written after the part
    FOLDER/store/claims/<run_id>.claim    while a process computes the run (see "Claims")

``FOLDER`` is Hydra's sweep directory for a sweep, ``results/<name>/runs``
for an experiment or an analysis. A run record holds ``run_id``, ``seed``,
``status`` (``"completed"`` or ``"failed"``), ``error`` (``null`` or
``"ExcType: message"``), ``choices`` (the option of each config group:
market, policy, certification, society, run, scenario, experiment when one
is chosen), ``config`` (every key of :class:`sim.config.RecruitsimConfig` as
a flat dict with dotted names, e.g. ``"policy.fine": 1000.0``), ``summary``
(``RecruitmentModel.summary()``, or ``null`` for a failed run),
``wall_seconds``, ``started`` and ``ended``, ``overrides`` (the overrides of
the job that ran it), and ``part_sha256`` (the SHA-256 of the part file, for
a completed run).

Why it is safe to kill a writer at any moment: both files are written
atomically (:mod:`sim.runs.files`: temporary file, fsync, rename), and the
record is written only after its part is complete. A run killed half-way
leaves at most a part without a record, which counts as missing and is run
again. A retried run writes the same two names again, replacing the old
files, so nothing is ever duplicated.

Why a run counts as completed only after its part is checked
(:meth:`Store.completed_record`): a disk error, a copy gone wrong or a hand
edit can leave a record that says ``completed`` beside a part that is
missing, truncated or another file altogether. The record keeps the part's
SHA-256, so such a run is found and run again instead of being trusted; an
unreadable (e.g. truncated) record counts as missing too.
:func:`sim.runs.collect.collect` names every such file instead of merging it.

``run_id`` is the first 16 hex digits of the SHA-256 of the canonical JSON
(sorted keys, no spaces) of the flat resolved config, seed included and
nothing from ``hydra.*``, followed by a fingerprint of the model's source
code (so results of an older model are never taken for the current one's).
Resuming keys on it, not on a job number, so a resumed sweep recognises a
run whatever job number it had. Two command lines, or an analysis and a
sweep, that resolve to the same config are the same run.

Claims: two sweeps or batches writing into one store at once would compute
every run twice. Before computing a run, a process claims it: it creates
``claims/<run_id>.claim`` with ``O_CREAT | O_EXCL`` (atomic, also on NFS),
holding its process id and the machine's boot id (a random number per boot,
not a host name), and removes it once the run's record is written. Another
process that finds the claim waits for the record instead of computing the
run. A claim is stale, and taken over, when its process is gone: on the same
machine, when no process with that id and start time runs; from another
machine, after :data:`CLAIM_TTL_SECONDS`. Claims only save work: the rare
race on a stale claim can make two processes compute one run, which then
writes the same files twice, never a corrupt store.

Results are Parquet and JSON only: nothing here reads or writes pickle.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator, Mapping

from sim.config.forms import config_hash
from sim.runs import files

STORE_DIR = "store"
PARTS_DIR = "parts"
RUNS_DIR = "runs"
CLAIMS_DIR = "claims"

COMPLETED = "completed"
FAILED = "failed"

#: Keys of a run record, in the order they are written.
RECORD_KEYS = ("run_id", "seed", "status", "error", "choices", "config", "summary",
               "wall_seconds", "started", "ended", "overrides", "part_sha256")

#: Config groups whose chosen option is recorded (``experiment`` only when one is chosen).
CHOICE_GROUPS = ("market", "policy", "certification", "society", "run", "scenario", "experiment")

#: A claim made on another machine is taken over after this long (its process cannot be checked
#: from here); far longer than any run of the model.
CLAIM_TTL_SECONDS = 6 * 3600

#: Seconds between two looks at a run another process is computing.
CLAIM_POLL_SECONDS = 0.2


class StoreNotWritable(Exception):
    """The store folder cannot be written; ``str()`` is the message for the user."""


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
    paths = sorted(Path(sim.model.__file__).parent.glob("*.py")) + [Path(sim.config.schema.__file__)]
    for path in paths:
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


def part_problem(data: bytes) -> str | None:
    """What is wrong with the bytes of a part file, or None if it is a timeseries of the model.

    A part must be a readable Parquet file with a ``step`` column and at least
    one of the model's outcome columns (:data:`sim.model.outcomes.OUTCOMES`);
    other columns are allowed, since outcomes come and go as the model
    changes (older runs keep their parts). Reads only the file's footer.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.model.outcomes import OUTCOMES

    try:
        schema = pq.read_schema(pa.BufferReader(data))
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for damaged files
        return f"not a readable Parquet file ({format_error(exc)})"
    names = list(schema.names)
    if "step" not in names or not set(names) & (set(OUTCOMES) - {"step"}):
        shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
        return f"its columns ({shown or 'none'}) are not the model's outcome columns"
    return None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- claims


@functools.cache
def _machine() -> str:
    """This boot of this machine: the kernel's random boot id (no host name is written anywhere)."""
    with contextlib.suppress(OSError):
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    import platform

    return hashlib.sha256(platform.node().encode()).hexdigest()[:32]


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux), to tell a reused pid apart."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()[19]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _my_claim() -> dict:
    return {"pid": os.getpid(), "machine": _machine(), "process_start": _process_start(os.getpid())}


# --------------------------------------------------------------------------- the store


class Store:
    """The ``store/`` folder of one sweep, experiment or analysis.

    Args:
        sweep_dir: the folder that holds ``store/`` (Hydra's sweep directory,
            or ``results/<name>/runs``).
    """

    def __init__(self, sweep_dir: str | os.PathLike):
        self.sweep_dir = Path(sweep_dir)
        self.root = self.sweep_dir / STORE_DIR
        self.parts = self.root / PARTS_DIR
        self.runs = self.root / RUNS_DIR
        self.claims = self.root / CLAIMS_DIR
        self._waiting_said: set[str] = set()

    def part_path(self, rid: str) -> Path:
        return self.parts / f"{rid}.parquet"

    def record_path(self, rid: str) -> Path:
        return self.runs / f"{rid}.json"

    def claim_path(self, rid: str) -> Path:
        return self.claims / f"{rid}.claim"

    # ---- reading

    def read_record(self, rid: str) -> dict | None:
        """The record of ``rid``, or None if there is none (or it cannot be read)."""
        try:
            record = json.loads(self.record_path(rid).read_text())
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def completed_record(self, rid: str) -> dict | None:
        """The record of ``rid`` if the run is completed and its part is intact, else None.

        Intact: the part's SHA-256 is the one in the record (records written
        before the hash was kept: the part is a readable timeseries, see
        :func:`part_problem`). A run whose part is missing, corrupt or
        foreign therefore counts as missing and is run again.
        """
        record = self.read_record(rid)
        if not record or record.get("status") != COMPLETED:
            return None
        try:
            data = self.part_path(rid).read_bytes()
        except OSError:
            return None
        expected = record.get("part_sha256")
        if expected is not None:
            return record if sha256_bytes(data) == expected else None
        return record if part_problem(data) is None else None

    def is_completed(self, rid: str) -> bool:
        """True if the run is completed (part intact); else claim it for the caller, who runs it.

        The question a sweep's job asks before running a run, answered so that
        two sweeps into one folder never compute a run twice: if the run is
        not completed, this process claims it (see the module docstring) and
        the caller is expected to run it and write its record
        (:meth:`write_completed` or :meth:`write_failed` release the claim).
        While another live process holds the claim, this waits for it to
        finish, then answers for what it left.
        """
        while True:
            if self.completed_record(rid) is not None:
                return True
            if self.claim(rid):
                return False
            self._say_waiting(rid)
            time.sleep(CLAIM_POLL_SECONDS)

    def record_files(self) -> list[Path]:
        """Every record file, sorted by name (temporary files of unfinished writes are not records)."""
        if not self.runs.is_dir():
            return []
        return sorted(p for p in self.runs.glob("*.json") if not p.name.startswith("."))

    def records(self) -> Iterator[dict]:
        """Every readable record, sorted by run_id (see :func:`sim.runs.collect.collect` for damaged ones)."""
        for path in self.record_files():
            with contextlib.suppress(OSError, ValueError):
                record = json.loads(path.read_text())
                if isinstance(record, dict):
                    yield record

    # ---- claims

    def claim(self, rid: str) -> bool:
        """Claim run ``rid`` for this process; False while another live process holds it.

        A claim this process already holds counts as taken (True); a stale
        claim (its process is gone) is replaced.
        """
        path = self.claim_path(rid)
        mine = _my_claim()
        for _ in range(3):
            try:
                self.claims.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._claim_holder(path)
                if holder == "mine":
                    return True
                if holder == "live":
                    return False
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()  # stale: its process is gone
                continue
            try:
                with os.fdopen(fd, "w") as f:
                    json.dump({**mine, "claimed": files.utc_now().isoformat(timespec="seconds")}, f)
            except OSError:  # e.g. a full disk: leave no half-written claim to wait for
                with contextlib.suppress(OSError):
                    path.unlink()
                raise
            return True
        return False

    def release(self, rid: str) -> None:
        """Remove this process's claim of ``rid`` (a claim of another process is left alone)."""
        path = self.claim_path(rid)
        if self._claim_holder(path) == "mine":
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def claimed_by_other(self, rid: str) -> bool:
        """True while another live process holds a claim of ``rid``."""
        return self._claim_holder(self.claim_path(rid)) == "live"

    def _claim_holder(self, path: Path) -> str | None:
        """``"mine"``, ``"live"`` (another process's, still running), or None (no claim, or stale)."""
        try:
            text = path.read_text()
            age = time.time() - path.stat().st_mtime
        except OSError:
            return None
        try:
            info = json.loads(text)
            pid, machine, start = int(info["pid"]), info["machine"], info.get("process_start")
        except (ValueError, KeyError, TypeError):
            # being written this instant, or left half-written by a killed process
            return "live" if age < 10 else None
        if machine != _machine():
            return "live" if age < CLAIM_TTL_SECONDS else None
        if pid == os.getpid():
            return "mine"
        if not _alive(pid):
            return None
        now_start = _process_start(pid)
        if start is not None and now_start is not None and now_start != start:
            return None  # the pid was reused by another process
        return "live"

    def _say_waiting(self, rid: str) -> None:
        if rid not in self._waiting_said:
            self._waiting_said.add(rid)
            print(f"recruitsim: run {rid} is being computed by another process writing into {self.root}; "
                  f"waiting for it (remove {self.claim_path(rid)} to stop waiting)", file=sys.stderr,
                  flush=True)

    # ---- writing

    def check_writable(self) -> None:
        """Create the store's folders and write a probe file; refuse a folder that cannot be written.

        Checked before any run starts, so that a read-only or full folder, or
        a path through a file, ends with one clear message, not a traceback
        after the first run. Writing is the only reliable test: a process
        running as root passes ``os.access`` even on read-only mounts.

        Raises:
            StoreNotWritable: naming the folder and the reason.
        """
        probe = self.root / f".probe-{os.getpid()}.tmp"
        try:
            for folder in (self.parts, self.runs, self.claims):
                folder.mkdir(parents=True, exist_ok=True)
            with open(probe, "wb") as f:
                f.write(b"recruitsim")
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            reason = exc.strerror or format_error(exc)
            where = exc.filename or self.root
            raise StoreNotWritable(f"cannot write the results store {self.root}: {reason} ({where}); "
                                   "choose a folder you can write to") from None
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()

    def write_completed(self, record: Mapping[str, Any], timeseries: Any) -> None:
        """The part first, then the record (with the part's SHA-256); releases the run's claim.

        A ``completed`` record therefore always has its whole part, and the
        hash lets a reader tell that part from a damaged or foreign one.
        """
        rid = record["run_id"]
        try:
            buffer = io.BytesIO()
            timeseries.to_parquet(buffer, engine="pyarrow", index=False)
            data = buffer.getvalue()
            with files.atomic_open(self.part_path(rid), "wb") as f:
                f.write(data)
            files.write_json(self.record_path(rid), {**record, "part_sha256": sha256_bytes(data)})
        finally:
            self.release(rid)

    def write_failed(self, record: Mapping[str, Any]) -> None:
        """A failed record (a part of an earlier attempt is removed first); releases the run's claim."""
        rid = record["run_id"]
        try:
            with contextlib.suppress(FileNotFoundError):
                self.part_path(rid).unlink()
            files.write_json(self.record_path(rid), record)
        finally:
            self.release(rid)

    def remove_temporary_files(self) -> list[Path]:
        """Delete temporary files left by writes that a kill interrupted, and stale claims; return them.

        A temporary file of a run that a live process has claimed is being
        written right now, by another sweep into this store, and is kept.
        """
        removed = []
        for folder in (self.parts, self.runs):
            if folder.is_dir():
                for path in folder.glob(".*.tmp"):
                    rid = path.name[1:].split(".", 1)[0]
                    if self.claimed_by_other(rid):
                        continue
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                        removed.append(path)
        if self.claims.is_dir():
            for path in self.claims.glob("*.claim"):
                if self._claim_holder(path) is None:
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
    """A run record with the keys of :data:`RECORD_KEYS` (but ``part_sha256``, added when the part is written)."""
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
