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
runs in the command's own process: before the first job it removes temporary
files a killed sweep left in the store and says how many runs are already
done; after the last job it prints every failed run (run_id, seed,
overrides, error), and :func:`sim.commands.run.main` then exits with status 1.

Test-only hook: the environment variable ``RECRUITSIM_FAIL_SEEDS`` (e.g.
``3,7``) makes the runs with those seeds raise ``RuntimeError`` before they
simulate. It exists so that tests can check failure isolation; it is not
part of the public interface.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from hydra.experimental.callback import Callback

from sim.config import flat_config
from sim.runs import files as outputs
from sim.runs.store import COMPLETED, FAILED, Store, format_error, make_record, run_id

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
    """
    from sim.config import check_config

    store = Store(sweep_dir)
    choices = dict(choices or {})
    base_flat = flat_config(cfg)
    n = _replications(cfg)
    try:
        base = check_config(cfg)
        config_error = None
    except Exception as exc:  # an invalid job fails its runs; the others go on
        base, config_error = None, exc
    outcomes = []
    for i in range(n):
        seed = int(base_flat["seed"]) + i
        flat = {**base_flat, "seed": seed}
        if "run.replications" in flat:
            flat["run.replications"] = 1  # each run is one replication: same run_id however batched
        rid = run_id(flat)
        if store.is_completed(rid):
            outcomes.append(RunOutcome(rid, seed, "skipped"))
            _say(f"[{job_label}] seed {seed}: already completed (run {rid}), skipped")
            continue
        run_dir = Path(job_dir) if n == 1 else Path(job_dir) / f"seed_{seed}"
        started = outputs.utc_now()
        tic = time.perf_counter()
        try:
            if config_error is not None:
                raise config_error
            config = copy.deepcopy(base)
            config.seed = seed
            config.run.replications = 1
            if seed in _fail_seeds():
                raise RuntimeError(f"injected failure for seed {seed} ({FAIL_SEEDS_ENV}, tests only)")
            result = _simulate_and_write(config, run_dir, overrides, choices)
            summary, wall = result.summary, result.wall_seconds
            record = make_record(rid=rid, flat=flat, status=COMPLETED, error=None, choices=choices,
                                 summary=summary, wall_seconds=wall, started=started,
                                 ended=outputs.utc_now(), overrides=list(overrides))
            store.write_completed(record, result.timeseries)
            outcomes.append(RunOutcome(rid, seed, COMPLETED))
            shown = ", ".join(f"{k} {_fmt(summary.get(k))}" for k in
                              ("mean_fee_months", "certified_share", "debt_bondage_share"))
            _say(f"[{job_label}] seed {seed}: {shown} ({wall:.2f} s)")
        except Exception as exc:
            error = format_error(exc)
            record = make_record(rid=rid, flat=flat, status=FAILED, error=error, choices=choices,
                                 summary=None, wall_seconds=time.perf_counter() - tic, started=started,
                                 ended=outputs.utc_now(), overrides=list(overrides))
            store.write_failed(record)
            outcomes.append(RunOutcome(rid, seed, FAILED, error))
            _say(f"[{job_label}] seed {seed}: FAILED {error}")
    return outcomes


def _simulate_and_write(config: Any, run_dir: Path, overrides: Sequence[str], choices: dict):
    from sim.runs.simulate import simulate

    started = outputs.utc_now()
    result = simulate(config)
    ended = outputs.utc_now()
    extra = {"command": {"overrides": list(overrides), "choices": choices}}
    metadata = outputs.run_metadata(config, started=started, ended=ended, wall_seconds=result.wall_seconds,
                                    extra=extra, environment=_environment())
    outputs.write_run_outputs(run_dir, config, result.timeseries, result.summary, metadata)
    return result


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
        global LAST_REPORT
        LAST_REPORT = None
        store = Store(str(config.hydra.sweep.dir))
        store.remove_temporary_files()
        self._before = store.snapshot()
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


def print_report(report: SweepReport) -> None:
    """The lines printed at the end of a sweep; failures go to stderr."""
    ok = report.ran - len(report.failed)
    line = f"recruitsim: sweep finished: {ok} runs completed"
    if report.failed:
        line += f", {len(report.failed)} FAILED"
    if report.skipped:
        line += f" ({report.skipped} more completed earlier)"
    _say(line + f" -> {report.sweep_dir}")
    if report.failed:
        err = sys.stderr
        print(f"recruitsim: {len(report.failed)} failed runs (records in "
              f"{report.sweep_dir / 'store' / 'runs'}):", file=err)
        for r in sorted(report.failed, key=lambda r: (r.get("seed") or 0, r.get("run_id", ""))):
            print(f"  run {r.get('run_id')} seed {r.get('seed')} [{' '.join(r.get('overrides') or [])}]: "
                  f"{r.get('error')}", file=err)
        print("recruitsim: re-run the same command with hydra.sweep.dir="
              f"{report.sweep_dir} to retry them (completed runs are skipped)", file=err)
    if report.older_failed:
        print(f"recruitsim: note: {report.older_failed} failed runs of an earlier sweep into this "
              "directory were not part of this one", file=sys.stderr)
    if not report.failed:
        _say(f"recruitsim: collect the results with: recruitsim-collect {report.sweep_dir}")
