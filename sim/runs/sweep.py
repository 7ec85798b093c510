"""Sweeps: what one job of ``recruitsim -m`` does, and what the command does around a sweep.

A sweep is a Hydra multirun. Hydra's launcher runs the jobs (in parallel on
all local cores with the joblib launcher by default, one after the other with
``hydra/launcher=basic``, on SLURM or Ray with the optional launchers); each
job calls :func:`run_job`, which

* runs ``run.replications`` seeds, ``seed, seed+1, ...``: each is a run of its
  own with its own ``run_id``, record and part (batching several seeds into
  one job spreads Hydra's per-job overhead);
* skips a run whose record in the store says ``completed`` (a resumed sweep
  runs only what is missing or failed);
* catches any exception of a run, writes a ``failed`` record with the error
  and goes on with the next run;
* writes the run's results into the store (:mod:`sim.runs.store`), and also the
  per-run files of a single run (timeseries.parquet, summary.json,
  config.yaml, metadata.json) into the job's folder, or into one
  ``seed_<seed>/`` subfolder per run when a job runs several seeds.

:class:`SweepCallback` (a Hydra callback named in ``configs/config.yaml``)
runs in the command's own process: before the first job it checks that the
store can be written, removes temporary files a killed sweep left in the
store and says how many runs are already done; after the last job it prints
every failed run (run_id, seed, overrides, error), and
:func:`sim.commands.run.main` then exits with status 1.

Faults of the machine stop the sweep with one clear line and the failure
list, never a traceback: a results store that cannot be written (a full
disk, a folder gone read-only) raises :class:`SweepStopped` from the job
that found it, after recording the run it could not write as failed if even
that fits. A job whose worker process died (killed by the out-of-memory
killer, say) is recorded by :func:`record_lost_job`, called by recruitsim's
launcher (``hydra_plugins/recruitsim_launcher``), and the sweep goes on.

Test-only hook: the environment variable ``RECRUITSIM_FAIL_SEEDS`` (e.g.
``3,7``) makes the runs with those seeds raise ``RuntimeError`` before they
simulate. It exists so that tests can check failure isolation; it is not
part of the public interface.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import math
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from hydra.experimental.callback import Callback

from sim.config import flat_config
from sim.runs import files as outputs
from sim.runs.store import (
    COMPLETED,
    FAILED,
    Store,
    StoreNotWritable,
    format_error,
    make_record,
    run_id,
)

#: Test-only: comma-separated seeds whose runs raise (see the module docstring).
FAIL_SEEDS_ENV = "RECRUITSIM_FAIL_SEEDS"

#: Number of jobs of the sweep, set by :class:`SweepCallback` for the progress lines of the jobs.
JOBS_ENV = "RECRUITSIM_SWEEP_JOBS"

#: The swept keys (comma-separated), set by :class:`SweepCallback`: progress lines name their values.
SWEPT_ENV = "RECRUITSIM_SWEEP_KEYS"

#: Keys a job's progress line leaves out of its name: the seed has a place of its own in the line,
#: and the batch size and the experiment's name are the same for every job of a sweep.
UNNAMED_KEYS = ("seed", "run.replications", "experiment")


@dataclass
class RunOutcome:
    """What happened to one run of a job (the job's return value, for Hydra)."""

    run_id: str
    seed: int
    status: str  # "completed", "failed" or "skipped" (completed by an earlier invocation)
    error: str | None = None


@dataclass
class SweepReport:
    """The store after a sweep, as :class:`SweepCallback` reports it."""

    sweep_dir: Path
    ran: int  # records written by this invocation
    skipped: int  # completed records this invocation did not touch (skipped, or not in its grid)
    failed: list[dict]  # failed records written by this invocation
    older_failed: int  # failed records of earlier invocations, not retried by this one


#: The report of the last sweep run in this process (read by :func:`sim.commands.run.main`).
LAST_REPORT: SweepReport | None = None

#: The store of the sweep under way in this process and its snapshot from before the first job
#: (set by :class:`SweepCallback`), for the failure list of a sweep that stopped (:func:`report_so_far`).
_STARTED: tuple[Path, dict[str, int]] | None = None


class SweepStopped(BaseException):
    """The sweep cannot go on (e.g. its results cannot be written); ``str()`` is the message for the user.

    A :class:`BaseException`, like :class:`KeyboardInterrupt`, because Hydra
    turns an :class:`Exception` raised during a sweep into a traceback and
    exit status 1, and one raised by a callback into a mere warning: the
    command must get it back (:func:`sim.commands.run.main`) to end with one
    clear line, the failure list and :attr:`status`.

    Attributes:
        status: the command's exit status: 2 when nothing ran (a store that
            cannot be written at all), 1 when the sweep stopped half-way.
    """

    def __init__(self, message: str, status: int = 1):
        super().__init__(message, status)

    @property
    def status(self) -> int:
        return self.args[1]

    def __str__(self) -> str:
        return self.args[0]


# --------------------------------------------------------------------------- one job


@functools.cache
def _environment() -> dict:
    """Package versions and git state, looked up once per worker process.

    The code a worker runs is fixed when it imports it, so one look-up per
    process describes every run of the process (and saves ~15 ms per run).
    """
    return {"packages": outputs.package_versions(), "git": outputs.git_state()}


def _fail_seeds() -> set[int]:
    text = os.environ.get(FAIL_SEEDS_ENV, "")
    return {int(s) for s in text.replace(" ", "").split(",") if s}


def _replications(cfg: Any) -> int:
    value = cfg.run.replications if hasattr(cfg, "run") else 1
    return value if isinstance(value, int) and value >= 1 else 1


def job_runs(cfg: Any) -> list[tuple[int, dict, str]]:
    """The runs of one sweep job: ``(seed, flat config, run_id)`` for each of its ``run.replications`` seeds."""
    base_flat = flat_config(cfg)
    out = []
    for i in range(_replications(cfg)):
        seed = int(base_flat["seed"]) + i
        flat = {**base_flat, "seed": seed}
        if "run.replications" in flat:
            flat["run.replications"] = 1  # each run is one replication: same run_id however batched
        out.append((seed, flat, run_id(flat)))
    return out


def run_job(cfg: Any, *, sweep_dir: str | os.PathLike, job_dir: str | os.PathLike,
            overrides: Sequence[str] = (), choices: dict | None = None,
            job_label: str = "job") -> list[RunOutcome]:
    """Run every replication of one sweep job; never raises because a run failed.

    Args:
        cfg: the job's composed config (DictConfig without ``hydra``, or RecruitsimConfig).
        sweep_dir: the sweep directory; results go to ``sweep_dir/store``.
        job_dir: the job's own folder, for the per-run files.
        overrides: the job's Hydra overrides, recorded with each run.
        choices: the option chosen for each config group.
        job_label: how progress lines name the job, e.g. ``"job 3/16 policy=fee_ban_enforced"``.

    Returns:
        One :class:`RunOutcome` per replication.

    Raises:
        SweepStopped: a run's results could not be written (a full disk, a
            folder gone read-only); the run is recorded failed if that fits.
    """
    from sim.config import check_config

    store = Store(sweep_dir)
    choices = dict(choices or {})
    runs = job_runs(cfg)
    try:
        base = check_config(cfg)
        config_error = None
    except Exception as exc:  # an invalid job fails its runs; the others go on
        base, config_error = None, exc
    outcomes = []
    for seed, flat, rid in runs:
        try:
            done = store.is_completed(rid)  # claims the run when it is not
        except OSError as exc:
            raise SweepStopped(write_problem(exc, f"a claim of run {rid} into {store.root}")) from None
        if done:
            outcomes.append(RunOutcome(rid, seed, "skipped"))
            _say(f"[{job_label}] seed {seed}: already completed (run {rid}), skipped")
            continue
        run_dir = Path(job_dir) if len(runs) == 1 else Path(job_dir) / f"seed_{seed}"
        started = outputs.utc_now()
        tic = time.perf_counter()
        record = functools.partial(make_record, rid=rid, flat=flat, choices=choices, started=started,
                                   overrides=list(overrides))
        try:
            if config_error is not None:
                raise config_error
            config = copy.deepcopy(base)
            config.seed = seed
            config.run.replications = 1
            if seed in _fail_seeds():
                raise RuntimeError(f"injected failure for seed {seed} ({FAIL_SEEDS_ENV}, tests only)")
            from sim.runs.simulate import simulate

            result = simulate(config)
            simulated = outputs.utc_now()
        except Exception as exc:
            error = format_error(exc)
            _write_failed(store, record(status=FAILED, error=error, summary=None,
                                        wall_seconds=time.perf_counter() - tic, ended=outputs.utc_now()))
            outcomes.append(RunOutcome(rid, seed, FAILED, error))
            _say(f"[{job_label}] seed {seed}: FAILED {error}")
            continue
        summary, wall = result.summary, result.wall_seconds
        try:
            what = f"the files of run {rid} in {run_dir}"
            _write_run_files(config, result, started, simulated, run_dir, overrides, choices)
            what = f"run {rid} into the results store {store.root}"
            store.write_completed(record(status=COMPLETED, error=None, summary=summary, wall_seconds=wall,
                                         ended=outputs.utc_now()), result.timeseries)
        except OSError as exc:
            problem = write_problem(exc, what)
            _write_failed(store, record(status=FAILED, error=f"StoreWriteError: {problem}", summary=None,
                                        wall_seconds=wall, ended=outputs.utc_now()), quiet=True)
            _say(f"[{job_label}] seed {seed}: FAILED {problem}")
            raise SweepStopped(problem) from None
        except Exception as exc:  # results that cannot be written out (not the machine's fault): this run fails
            error = format_error(exc)
            _write_failed(store, record(status=FAILED, error=error, summary=None, wall_seconds=wall,
                                        ended=outputs.utc_now()))
            outcomes.append(RunOutcome(rid, seed, FAILED, error))
            _say(f"[{job_label}] seed {seed}: FAILED {error}")
            continue
        outcomes.append(RunOutcome(rid, seed, COMPLETED))
        shown = ", ".join(f"{k} {_fmt(summary.get(k))}" for k in
                          ("mean_fee_months", "certified_share", "debt_bondage_share"))
        _say(f"[{job_label}] seed {seed}: {shown} ({wall:.2f} s)")
    return outcomes


def _write_failed(store: Store, record: dict, quiet: bool = False) -> None:
    """Write a failed record; a store that cannot take even that stops the sweep (unless ``quiet``)."""
    try:
        store.write_failed(record)
    except OSError as exc:
        if not quiet:
            raise SweepStopped(write_problem(exc, f"run {record['run_id']} into the results store "
                                                  f"{store.root}")) from None


def write_problem(exc: OSError, what: str | os.PathLike) -> str:
    """``"no space left on device while writing FILE"``: what went wrong, and the file (else ``what``).

    A temporary file of an atomic write is named by the file it was to become.
    """
    code = exc.errno
    reason = exc.strerror
    # pyarrow's errors carry the errno in their text ("error writing bytes to file. Detail: [errno 28]
    # No space left on device"), with or without setting it: the errno's own words say it best
    found = re.search(r"\[errno (\d+)\]", str(exc), flags=re.IGNORECASE)
    if found:
        code = int(found.group(1))
        reason = os.strerror(code)
    reason = reason or (os.strerror(code) if code else format_error(exc))
    reason = reason[:1].lower() + reason[1:]
    if exc.filename:
        path = Path(os.fsdecode(exc.filename))
        if path.name.startswith(".") and path.name.endswith(".tmp") and path.name.count(".") >= 3:
            path = path.with_name(path.name[1:].rsplit(".", 2)[0])  # .NAME.XXXX.tmp -> NAME
        what = path
    return f"{reason} while writing {what}"


def record_lost_job(cfg: Any, *, sweep_dir: str | os.PathLike, overrides: Sequence[str] = (),
                    choices: dict | None = None, job_label: str = "job", pid: int | None = None,
                    death: str = "lost") -> list[RunOutcome]:
    """Record the runs of a job whose worker process died as failed; the sweep goes on without them.

    Called in the command's process by recruitsim's launcher when a worker
    ended in the middle of a job: killed by the out-of-memory killer (SIGKILL),
    a crash of the interpreter, ``kill``. The run it was computing (the one
    its process ``pid`` had claimed) and the job's runs it had not reached
    get a ``failed`` record saying so; runs the job completed keep theirs.
    Rerunning the same command retries them.

    Args:
        cfg: the job's composed config (without ``hydra``).
        pid: the dead worker's process id (its claim names the run it was computing).
        death: how it died, e.g. ``"killed by signal 9 (SIGKILL): out of memory?"``.
    """
    store = Store(sweep_dir)
    outcomes = []
    now = outputs.utc_now()
    for seed, flat, rid in job_runs(cfg):
        if store.completed_record(rid) is not None or store.claimed_by_other(rid):
            outcomes.append(RunOutcome(rid, seed, "skipped"))
            continue
        record = store.read_record(rid)
        if record is not None and _written_by_this_sweep(store, rid):  # it failed before the death
            outcomes.append(RunOutcome(rid, seed, FAILED, record.get("error")))
            continue
        if pid is not None and _claim_pid(store, rid) == pid:
            error = f"WorkerKilled: the worker process computing this run was {death}"
        else:
            error = f"WorkerKilled: not run: the worker process running its job was {death}"
        try:
            store.write_failed(make_record(rid=rid, flat=flat, status=FAILED, error=error,
                                           choices=dict(choices or {}), summary=None, wall_seconds=0.0,
                                           started=now, ended=now, overrides=list(overrides)))
        except OSError as exc:
            raise SweepStopped(write_problem(exc, f"run {rid} into the results store {store.root}")) from None
        with contextlib.suppress(OSError):
            store.claim_path(rid).unlink()  # the dead process's claim
        outcomes.append(RunOutcome(rid, seed, FAILED, error))
        _say(f"[{job_label}] seed {seed}: FAILED {error}")
    return outcomes


def _written_by_this_sweep(store: Store, rid: str) -> bool:
    """True if the run's record was written since the sweep started (else it is an earlier sweep's)."""
    before = _STARTED[1] if _STARTED is not None and _STARTED[0] == store.sweep_dir.resolve() else {}
    try:
        return store.record_path(rid).stat().st_mtime_ns != before.get(f"{rid}.json")
    except OSError:
        return False


def _claim_pid(store: Store, rid: str) -> int | None:
    """The process id in the run's claim (the process computing it, or that was), if any."""
    try:
        info = json.loads(store.claim_path(rid).read_text())
    except (OSError, ValueError):
        return None
    pid = info.get("pid") if isinstance(info, dict) else None
    return pid if isinstance(pid, int) else None


def _write_run_files(config: Any, result: Any, started: Any, ended: Any, run_dir: Path,
                     overrides: Sequence[str], choices: dict) -> None:
    """The per-run files of a single run (timeseries, summary, config, metadata) in the job's folder."""
    extra = {"command": {"overrides": list(overrides), "choices": choices}}
    metadata = outputs.run_metadata(config, started=started, ended=ended, wall_seconds=result.wall_seconds,
                                    extra=extra, environment=_environment())
    outputs.write_run_outputs(run_dir, config, result.timeseries, result.summary, metadata)


def _fmt(value: Any) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3g}"


def _say(line: str) -> None:
    print(line, flush=True)


def override_key(override: str) -> str:
    """The key of a Hydra override: ``policy.fine`` of ``policy.fine=5000`` (``+``/``~``/``++`` dropped)."""
    return override.split("=", 1)[0].lstrip("+~").strip()


def job_label(job_num: int, overrides: Sequence[str] = ()) -> str:
    """How a job's progress lines name it: its number and the values it was given.

    ``"job 3/16 policy=fee_ban_enforced policy.fine=5000"``: the number of jobs
    when the sweep's size is known, then the job's overrides of the swept keys
    (all its overrides when the swept keys are unknown), without the seed
    (each line names its own) and the keys of :data:`UNNAMED_KEYS`. A number
    alone would send the user to the job's files to learn what ran.
    """
    total = os.environ.get(JOBS_ENV)
    head = f"job {job_num + 1}/{total}" if total else f"job {job_num + 1}"
    swept = os.environ.get(SWEPT_ENV)
    keys = None if swept is None else set(filter(None, swept.split(",")))
    named = [o for o in overrides if override_key(o) not in UNNAMED_KEYS
             and (keys is None or override_key(o) in keys)]
    return " ".join([head, *named])


# --------------------------------------------------------------------------- around the sweep


def sweep_grid(config: Any) -> dict[str, int] | None:
    """Number of values of each key of a sweep run by Hydra's basic sweeper, or None if unknown.

    Keys set to one value count 1; the swept keys are those with a sweep
    override (``a,b``, ``range(...)``, ``glob(...)``), even of one value.
    """
    try:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        from sim.config.checks import _sweep_values

        sweeper = config.hydra.sweeper
        if not str(sweeper.get("_target_", "")).endswith(("BasicSweeper", "PrevalidatedSweeper")):
            return None
        lines = [f"{k}={v}" for k, v in (sweeper.get("params") or {}).items()]
        lines += list(config.hydra.overrides.task)
        sizes: dict[str, int] = {}
        for o in OverridesParser.create().parse_overrides(lines):
            values = _sweep_values(o) if o.is_sweep_override() else None
            if o.is_sweep_override() and values is None:
                return None
            # a fixed key counts 0 here, so that the swept keys can be told apart below
            sizes[o.get_key_element()] = len(values) if values is not None else 0
        return sizes
    except Exception:  # progress lines only; never stop a sweep for this
        return None


def count_jobs(config: Any) -> int | None:
    """Number of jobs of a sweep run by Hydra's basic sweeper, or None if unknown."""
    sizes = sweep_grid(config)
    return None if sizes is None else math.prod(max(n, 1) for n in sizes.values())


def swept_keys(config: Any) -> list[str] | None:
    """The keys a sweep run by Hydra's basic sweeper varies (in command-line order), or None if unknown."""
    sizes = sweep_grid(config)
    return None if sizes is None else [override_key(k) for k, n in sizes.items() if n > 0]


class SweepCallback(Callback):
    """Hydra callback: prepares the store before a sweep and reports failed runs after it."""

    def __init__(self) -> None:
        self._before: dict[str, int] = {}

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        global LAST_REPORT, _STARTED
        LAST_REPORT = None
        store = Store(str(config.hydra.sweep.dir))
        try:
            store.check_writable()
        except StoreNotWritable as exc:  # before any job: nothing ran
            raise SweepStopped(str(exc), status=2) from None
        store.remove_temporary_files()
        self._before = store.snapshot()
        _STARTED = (store.sweep_dir.resolve(), self._before)
        jobs = count_jobs(config)
        keys = swept_keys(config)
        # inherited by the jobs' processes, for their progress lines ("job 3/16 policy=...")
        for name, value in ((JOBS_ENV, str(jobs) if jobs else None),
                            (SWEPT_ENV, None if keys is None else ",".join(keys))):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        done = sum(1 for r in store.records() if r.get("status") == COMPLETED)
        what = f"{jobs} jobs" if jobs else "a sweep"
        line = f"recruitsim: {what} into {store.sweep_dir}"
        if done:
            line += f"; its store holds {done} completed runs, which are not run again"
        _say(line)

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        global LAST_REPORT
        report = sweep_report(Store(str(config.hydra.sweep.dir)), self._before)
        LAST_REPORT = report
        print_report(report)


def started_dir() -> Path | None:
    """The sweep directory of the sweep under way in this process (None before its first job)."""
    return None if _STARTED is None else _STARTED[0]


def report_so_far() -> SweepReport | None:
    """The report of the sweep under way in this process, from what its store holds now (None if none started).

    For a sweep that stopped before its end (:class:`SweepStopped`, an
    interrupt), whose :meth:`SweepCallback.on_multirun_end` never ran.
    """
    if _STARTED is None:
        return None
    return sweep_report(Store(_STARTED[0]), _STARTED[1])


def sweep_report(store: Store, before: dict[str, int]) -> SweepReport:
    """Compare the store with its snapshot from before the sweep."""
    after = store.snapshot()
    ran = skipped = older_failed = 0
    failed = []
    for name in after:
        record = store.read_record(name[:-len(".json")])
        if record is None:
            continue
        new = before.get(name) != after[name]
        if new:
            ran += 1
            if record.get("status") == FAILED:
                failed.append(record)
        elif record.get("status") == COMPLETED:
            skipped += 1
        else:
            older_failed += 1
    return SweepReport(store.sweep_dir, ran, skipped, failed, older_failed)


def print_report(report: SweepReport, stopped: str | None = None) -> None:
    """The lines printed at the end of a sweep (or where it ``stopped``, and why); failures go to stderr."""
    ok = report.ran - len(report.failed)
    line = f"recruitsim: sweep {'stopped' if stopped else 'finished'}: {ok} runs completed"
    if report.failed:
        line += f", {len(report.failed)} FAILED"
    if report.skipped:
        line += f" ({report.skipped} more completed earlier)"
    _say(line + f" -> {report.sweep_dir}")
    err = sys.stderr
    if report.failed:
        print(f"recruitsim: {len(report.failed)} failed runs (records in "
              f"{report.sweep_dir / 'store' / 'runs'}):", file=err)
        for r in sorted(report.failed, key=lambda r: (r.get("seed") or 0, r.get("run_id", ""))):
            print(f"  run {r.get('run_id')} seed {r.get('seed')} [{' '.join(r.get('overrides') or [])}]: "
                  f"{r.get('error')}", file=err)
    if stopped:
        print(f"recruitsim: the sweep stopped: {stopped}. Fix that (free space, or a folder you can write "
              f"to), then re-run the same command with hydra.sweep.dir={report.sweep_dir} to resume "
              "(completed runs are skipped)", file=err, flush=True)
    elif report.failed:
        print("recruitsim: re-run the same command with hydra.sweep.dir="
              f"{report.sweep_dir} to retry them (completed runs are skipped)", file=err)
    if report.older_failed:
        print(f"recruitsim: note: {report.older_failed} failed runs of an earlier sweep into this "
              "directory were not part of this one", file=sys.stderr)
    if not report.failed and not stopped:
        _say(f"recruitsim: collect the results with: recruitsim-collect {report.sweep_dir}")
