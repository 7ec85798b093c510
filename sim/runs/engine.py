"""The run-many engine: a list of configs in, their outcomes out, every run kept in a store.

Experiments, calibration, sensitivity analysis and scenario discovery need
hundreds to tens of thousands of runs whose configs come from a grid or a
sampler. :func:`run_many` runs them:

* **Once.** Each run is looked up in a results store
  (:class:`sim.runs.store.Store`) by its ``run_id`` (the hash of its resolved
  config and of the model's code) before anything runs; only runs that are
  missing, failed or damaged are computed. A sweep (``recruitsim -m``) into
  the same folder finds the engine's runs, and the engine finds the sweep's.
* **Kept as they finish.** The main process writes each finished run to the
  store at once (part, then record, each atomically), so an interrupt loses
  only the runs in flight; rerunning the same command resumes.
* **In parallel.** Locally on a pool of worker processes (all cores by
  default, ``jobs=1`` in this process); with ``scheduler=ADDRESS`` (or the
  environment variable :data:`SCHEDULER_ENV`) on a running Dask cluster
  (:mod:`dask.distributed`), whose workers must import the same ``sim`` (the
  same checkout and environment, e.g. on a shared file system: a worker
  running other model code is detected by the model's fingerprint and its
  runs recorded as failed). Results are the same either way: same run_ids,
  same numbers. Workers only compute; the store is written by the process
  that called :func:`run_many`, so it needs no shared file system.
* **Never stopped by one run.** A run that raises is recorded ``failed`` with
  its error and reported; so is a run whose worker process died (e.g. killed
  by the out-of-memory killer): the pool replaces the worker and goes on. On
  Dask, the scheduler reschedules the runs of a lost worker, and a run that
  kills three workers is recorded failed.
* **Not twice at once.** Each run is claimed in the store before it is
  computed (:meth:`Store.claim`); a run another process is computing is
  waited for, not computed again.

Why a pool of its own rather than ``concurrent.futures`` or joblib: when a
worker dies, those fail every pending run and cannot say which run the dead
worker was running. Here each worker is a process with a pipe, so the run
that died with it is known exactly, and only that run is recorded failed.
The pool is kept between the batches of one process (an analysis runs many;
a worker takes seconds to import the model) and ends with it, or with
:func:`shutdown`.

Faults of the store stop the batch with a clear message and no traceback: a
folder that cannot be written is refused before anything runs
(:class:`sim.runs.store.StoreNotWritable`); a write that fails during the
batch (a full disk) records the run failed if it can, stops the batch and
raises :class:`StoreWriteError` with the failure list.

Test-only hook: runs whose seed is in the environment variable
``RECRUITSIM_FAIL_SEEDS`` (e.g. ``3,7``; read by the calling process) raise
``RuntimeError`` before they simulate, as in sweeps (:mod:`sim.runs.sweep`).
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from sim.runs.store import (
    COMPLETED,
    FAILED,
    Store,
    format_error,
    make_record,
    model_fingerprint,
    run_id,
)

if TYPE_CHECKING:
    import pandas as pd

    from sim.config import RecruitsimConfig

#: The Dask scheduler's address when ``--scheduler`` is not given (e.g. ``tcp://10.0.0.5:8786``).
SCHEDULER_ENV = "RECRUITSIM_SCHEDULER"

#: Test-only: comma-separated seeds whose runs raise (the same variable as sweeps').
FAIL_SEEDS_ENV = "RECRUITSIM_FAIL_SEEDS"

#: Seconds between two looks at runs another process is computing.
POLL_SECONDS = 0.2


class StoreWriteError(Exception):
    """Writing a finished run into the store failed (e.g. a full disk); the batch stopped.

    ``str()`` is the message for the user; :attr:`failed` the failed runs so far.
    """

    def __init__(self, message: str, failed: list[Finished]):
        super().__init__(message)
        self.failed = failed


class WorkerDied(Exception):
    """The process running a run ended before returning it."""


# --------------------------------------------------------------------------- what goes in and out


@dataclass(frozen=True)
class RunSpec:
    """One run to do: a validated config and what its record says about where it came from.

    Attributes:
        config: the validated config (:func:`sim.config.check_config` or :func:`sim.config.build_config`).
        choices: the option of each config group (recorded; ``choice.<group>`` columns when collected).
        overrides: the overrides that made the config (recorded).
    """

    config: RecruitsimConfig
    choices: Mapping[str, Any] = field(default_factory=dict)
    overrides: tuple[str, ...] = ()


@dataclass
class Finished:
    """What happened to one run.

    Attributes:
        run_id: the run's id (None for a point whose config is invalid: it never ran).
        status: ``"completed"`` or ``"failed"``.
        summary: the headline outcomes (``RecruitmentModel.summary()``), None if failed.
        error: ``"ExcType: message"`` for a failed run.
        wall_seconds: the run's own time (from its record when found in the store).
        computed: True if this call ran it, False if it was found in the store.
        timeseries: one row per month, when asked for and completed.
    """

    run_id: str | None
    status: str
    summary: dict | None = None
    error: str | None = None
    wall_seconds: float = 0.0
    computed: bool = False
    timeseries: pd.DataFrame | None = None


@dataclass
class Batch:
    """The outcome of :func:`run_many`: one :class:`Finished` per input, in input order."""

    runs: list[Finished]

    @property
    def computed(self) -> int:
        """Runs this call computed (a run asked for twice counts once)."""
        return len({r.run_id for r in self.runs if r.computed})

    @property
    def reused(self) -> int:
        """Runs found completed in the store."""
        return len({r.run_id for r in self.runs if not r.computed and r.status == COMPLETED})

    @property
    def failed(self) -> list[Finished]:
        return [r for r in self.runs if r.status != COMPLETED]


def specs_from_points(points: Iterable[Mapping[str, Any]], base: Mapping[str, Any] | None = None
                      ) -> list[RunSpec | Finished]:
    """A :class:`RunSpec` per point (dotted-key overrides of ``base``, itself over the schema defaults).

    A point whose config is invalid becomes a failed :class:`Finished` with
    the reason (it is reported, not run, and not stored: it has no run_id).
    """
    from sim.config import build_config

    out: list[RunSpec | Finished] = []
    for point in points:
        try:
            config = build_config({**(base or {}), **point})
        except Exception as exc:  # ConfigError, or a value of the wrong kind
            out.append(Finished(None, FAILED, error=format_error(exc)))
            continue
        out.append(RunSpec(config, overrides=tuple(f"{k}={_text(v)}" for k, v in point.items())))
    return out


def _text(value: Any) -> str:
    return "null" if value is None else str(getattr(value, "value", value))


# --------------------------------------------------------------------------- one run, in a worker


def execute(config: RecruitsimConfig, fail: bool = False) -> dict:
    """Run one config in a worker; never raises for the run's own errors (returned as ``error``).

    Returns a dict of plain values and a DataFrame, which every backend can
    send back: ``summary``, ``timeseries``, ``wall_seconds``, ``started``,
    ``ended``, ``error`` and the worker's ``fingerprint`` of the model's code.
    """
    from sim.runs import files

    started = files.utc_now()
    tic = time.perf_counter()
    out: dict[str, Any] = {"fingerprint": model_fingerprint(), "summary": None, "timeseries": None,
                           "error": None}
    try:
        if fail:
            raise RuntimeError(f"injected failure for seed {config.seed} ({FAIL_SEEDS_ENV}, tests only)")
        from sim.runs.simulate import simulate

        result = simulate(config)
        out.update(summary=result.summary, timeseries=result.timeseries)
    except Exception as exc:  # recorded as a failed run by the caller
        out["error"] = format_error(exc)
    out.update(wall_seconds=time.perf_counter() - tic, started=started, ended=files.utc_now())
    return out


def _worker_main(conn) -> None:
    """A pool worker: run what arrives on the pipe (a Connection, or its file descriptor) until it closes.

    It ends with the process that started it: Ctrl-C is that process's to
    handle (ignored here), and when that process ends, even killed, the
    pipe closes (and on Linux the kernel sends this worker SIGTERM), so no
    worker outlives its command.
    """
    from multiprocessing.connection import Connection

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent()
    if isinstance(conn, int):
        conn = Connection(conn)
    import sim.runs.simulate  # noqa: F401  (the model, imported before the first run arrives)

    model_fingerprint()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, config, fail = task
        result = execute(config, fail)
        try:
            conn.send((index, result))
        except OSError:  # the caller is gone
            return


def _end_with_parent() -> None:
    """Linux: ask the kernel to send this process SIGTERM when its parent ends (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


# --------------------------------------------------------------------------- backends


class _Serial:
    """Runs in this process, one at a time (``jobs=1``: debugging, tests, tiny batches)."""

    def __init__(self) -> None:
        self.queue: collections.deque = collections.deque()

    def free_slots(self) -> int:
        return 0 if self.queue else 1

    def submit(self, index: int, rid: str, config, fail: bool) -> None:
        self.queue.append((index, config, fail))

    def wait(self, timeout: float | None) -> list[tuple[int, Any]]:
        if not self.queue:
            return []
        index, config, fail = self.queue.popleft()
        return [(index, execute(config, fail))]

    def close(self) -> None:
        self.queue.clear()


class _Worker:
    """One pool worker: a fresh interpreter (``python -m sim.runs.engine --worker FD``) and our end of its pipe.

    A fresh interpreter rather than a fork or a ``multiprocessing`` process:
    a fork copies the caller's threads (numpy's BLAS, Arrow's pools), which
    can deadlock the copy, and a ``spawn``/``forkserver`` process re-runs the
    caller's script when it lacks an ``if __name__ == "__main__"`` guard.
    """

    def __init__(self) -> None:
        import multiprocessing
        import subprocess

        self.conn, theirs = multiprocessing.Pipe()
        self.index: int | None = None  # the run in flight
        fd = theirs.fileno()
        self.process = subprocess.Popen([sys.executable, "-m", "sim.runs.engine", "--worker", str(fd)],
                                        pass_fds=[fd], stdin=subprocess.DEVNULL)
        theirs.close()

    def alive(self) -> bool:
        return self.process.poll() is None

    def end(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` s for the process to end (then kill it); its exit status."""
        try:
            return self.process.wait(timeout)
        except Exception:  # subprocess.TimeoutExpired
            self.process.kill()
            return self.process.wait(5)


class _Pool:
    """Worker processes with a pipe each, so that the run a dead worker held is known.

    Kept between batches of one process (:func:`shutdown` ends it, as does
    the process's exit): a worker takes a few seconds to import the model,
    and an analysis runs many batches.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.workers: list[_Worker] = []

    def resize(self, jobs: int) -> None:
        self.jobs = jobs
        for worker in [w for w in self.workers if w.index is None][:max(0, len(self.workers) - jobs)]:
            worker.conn.send(None)
            self._drop(worker)

    def _drop(self, worker: _Worker) -> int | None:
        """Forget a worker that died; its exit status (negative: the signal that killed it)."""
        worker.conn.close()
        self.workers.remove(worker)
        return worker.end(5)

    def free_slots(self) -> int:
        for worker in [w for w in self.workers if w.index is None and not w.alive()]:
            self._drop(worker)  # died idle: nothing lost, replace it
        while len(self.workers) < self.jobs:
            self.workers.append(_Worker())
        return sum(1 for w in self.workers if w.index is None)

    def submit(self, index: int, rid: str, config, fail: bool) -> None:
        while True:
            idle = [w for w in self.workers if w.index is None]
            if not idle:
                self.workers.append(_Worker())
                continue
            try:
                idle[0].conn.send((index, config, fail))
            except OSError:  # it died idle an instant ago
                self._drop(idle[0])
                continue
            idle[0].index = index
            return

    def wait(self, timeout: float | None) -> list[tuple[int, Any]]:
        from multiprocessing.connection import wait

        busy = [w for w in self.workers if w.index is not None]
        if not busy:
            return []
        ready = set(wait([w.conn for w in busy], timeout))
        done = []
        for worker in busy:
            if worker.conn not in ready:
                continue
            try:
                done.append(worker.conn.recv())
                worker.index = None
            except (EOFError, OSError):  # the pipe closed: the worker died with its run
                done.append((worker.index, WorkerDied(_death(self._drop(worker)))))
        return done

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
            worker.conn.close()
        for worker in self.workers:
            worker.end(0 if worker.index is not None else 2)  # a run in flight is abandoned
        self.workers.clear()


_SHARED_POOL: _Pool | None = None


def _shared_pool(jobs: int) -> _Pool:
    """This process's pool, with ``jobs`` workers (started on first use, kept between batches)."""
    global _SHARED_POOL
    if _SHARED_POOL is None:
        import atexit

        _SHARED_POOL = _Pool(jobs)
        atexit.register(shutdown)
    _SHARED_POOL.resize(jobs)
    return _SHARED_POOL


def shutdown() -> None:
    """End this process's pool of worker processes (they also end when this process does)."""
    global _SHARED_POOL
    if _SHARED_POOL is not None:
        _SHARED_POOL.close()
        _SHARED_POOL = None


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        how = f"killed by {name}" + (", as the out-of-memory killer does" if name == "SIGKILL" else "")
    else:
        how = f"exited with status {exitcode}"
    return f"the worker process running this run died ({how}); run the same command again to retry it"


class _Dask:
    """Runs on a running Dask cluster (``dask.distributed``); the scheduler reschedules a lost worker's runs."""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise SchedulerError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
        try:
            self.client = Client(address, timeout="10s", set_as_default=False)
        except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address
            raise SchedulerError(f"cannot reach the Dask scheduler at {address}: {format_error(exc)}") from None
        self.futures: dict[Any, int] = {}

    def free_slots(self) -> int:
        threads = sum(self.client.nthreads().values())
        return max(2 * threads, 4) - len(self.futures)

    def submit(self, index: int, rid: str, config, fail: bool) -> None:
        key = f"recruitsim-run-{rid}-{index}"
        future = self.client.submit(execute, config, fail, key=key, pure=False, retries=0)
        self.futures[future] = index

    def wait(self, timeout: float | None) -> list[tuple[int, Any]]:
        if not self.futures:
            return []
        deadline = None if timeout is None else time.monotonic() + timeout
        while not any(f.done() for f in self.futures):  # at most 2 x threads futures: cheap to poll
            if deadline is not None and time.monotonic() >= deadline:
                return []
            time.sleep(0.02)
        done = []
        for future in [f for f in self.futures if f.done()]:
            index = self.futures.pop(future)
            if future.status == "finished":
                done.append((index, future.result()))
            else:  # KilledWorker (the run killed three workers), or lost
                exc = future.exception() if future.status == "error" else None
                done.append((index, WorkerDied(f"the Dask workers running this run died or lost it "
                                               f"({format_error(exc) if exc else future.status}); run the "
                                               "same command again to retry it")))
            future.release()
        return done

    def close(self) -> None:
        try:
            if self.futures:
                self.client.cancel(list(self.futures))
        finally:
            self.futures.clear()
            self.client.close()


class SchedulerError(Exception):
    """The Dask scheduler cannot be used; ``str()`` is the message for the user."""


def scheduler_address(given: str | None) -> str | None:
    """``--scheduler`` if given, else the environment variable :data:`SCHEDULER_ENV` (empty: none)."""
    return given or os.environ.get(SCHEDULER_ENV) or None


def default_jobs() -> int:
    """All cores (``os.cpu_count()``)."""
    return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------- the engine


def run_many(items: Sequence[RunSpec | RecruitsimConfig | Mapping[str, Any] | Finished], *,
             store: Store | str | os.PathLike | None = None, base: Mapping[str, Any] | None = None,
             jobs: int | None = None, scheduler: str | None = None, timeseries: bool = False,
             progress: bool = True, desc: str = "runs") -> Batch:
    """Run every item that the store does not hold completed; return every item's outcome, in order.

    Args:
        items: :class:`RunSpec`\\ s, validated configs, or points (dotted-key
            overrides of ``base``, see :func:`specs_from_points`).
        store: the store (or the folder holding ``store/``); None keeps
            nothing and finds nothing (every run is computed).
        base: dotted-key overrides under every point.
        jobs: local worker processes (default: all cores; 1: in this process).
            Ignored with a scheduler.
        scheduler: a Dask scheduler's address (default: :data:`SCHEDULER_ENV`, else local).
        timeseries: also return each completed run's timeseries.
        progress: a progress bar on stderr.
        desc: the progress bar's label.

    Raises:
        StoreNotWritable: the store's folder cannot be written (nothing ran).
        SchedulerError: the Dask scheduler cannot be reached (nothing ran).
        StoreWriteError: writing a finished run failed (e.g. a full disk); the batch stopped.
    """
    if isinstance(store, (str, os.PathLike)):
        store = Store(store)
    from sim.config import RecruitsimConfig

    specs: list[RunSpec | Finished] = []
    points = []
    for i, item in enumerate(items):
        if isinstance(item, Mapping):
            points.append(i)
        specs.append(RunSpec(item) if isinstance(item, RecruitsimConfig) else item)
    for i, spec in zip(points, specs_from_points([items[i] for i in points], base)):
        specs[i] = spec

    results: list[Finished | None] = [s if isinstance(s, Finished) else None for s in specs]
    ids = {i: run_id(s.config) for i, s in enumerate(specs) if isinstance(s, RunSpec)}
    if store is not None and ids:
        store.check_writable()
    # one computation per distinct run; its outcome goes to every input that asked for it
    first: dict[str, int] = {}
    for i, rid in ids.items():
        first.setdefault(rid, i)
    todo: list[int] = []
    for rid, i in first.items():
        record = store.completed_record(rid) if store is not None else None
        if record is not None:
            results[i] = _from_record(store, record, timeseries)
        else:
            todo.append(i)

    bar = _progress_bar(len(first), desc, progress)
    bar.update(len(first) - len(todo))
    if todo:
        _compute(specs, ids, todo, results, store, jobs, scheduler_address(scheduler), timeseries, bar)
    bar.close()
    for i, rid in ids.items():
        if results[i] is None:
            source = results[first[rid]]
            results[i] = Finished(**{**source.__dict__})
    return Batch([r for r in results if r is not None])


def _compute(specs, ids, todo: list[int], results: list, store: Store | None, jobs: int | None,
             scheduler: str | None, timeseries: bool, bar) -> None:
    """Run ``todo`` (indices of ``specs``) on a backend, writing each into the store as it finishes."""
    fail_seeds = {int(s) for s in os.environ.get(FAIL_SEEDS_ENV, "").replace(" ", "").split(",") if s}
    jobs = jobs or default_jobs()
    if scheduler:
        backend: Any = _Dask(scheduler)
    elif jobs == 1:
        backend = _Serial()
    else:
        backend = _shared_pool(jobs)
    queue = collections.deque(todo)
    waiting: set[int] = set()  # runs another process is computing
    in_flight: set[int] = set()
    said_waiting = False
    finished_cleanly = False

    def refill() -> None:
        """Give every idle worker a run (each claimed in the store first)."""
        while queue and backend.free_slots() > 0:
            i = queue.popleft()
            rid = ids[i]
            if store is not None:
                record = store.completed_record(rid)
                if record is not None:  # another process finished it meanwhile
                    results[i] = _from_record(store, record, timeseries)
                    bar.update(1)
                    continue
                try:
                    claimed = store.claim(rid)
                except OSError as exc:  # the store filled up (or broke) since the batch began
                    raise _stopped(store, rid, exc, results, []) from None
                if not claimed:
                    waiting.add(i)
                    continue
            config = specs[i].config
            backend.submit(i, rid, config, config.seed in fail_seeds)
            in_flight.add(i)

    try:
        while queue or in_flight or waiting:
            refill()
            if waiting and not said_waiting and not in_flight and not queue:
                print(f"recruitsim: {len(waiting)} runs are being computed by another process writing "
                      f"into {store.root}; waiting for them", file=sys.stderr, flush=True)
                said_waiting = True
            done = backend.wait(POLL_SECONDS if (waiting or not in_flight) else 1.0)
            in_flight.difference_update(i for i, _ in done)
            if done and queue:
                refill()  # the freed workers compute while this process writes what they returned
            for i, outcome in done:
                results[i] = _finish(store, specs[i], ids[i], outcome, timeseries, results)
                bar.update(1)
            for i in list(waiting):
                record = store.completed_record(ids[i])
                if record is not None:
                    waiting.discard(i)
                    results[i] = _from_record(store, record, timeseries)
                    bar.update(1)
                elif not store.claimed_by_other(ids[i]):  # it failed or its process died: ours now
                    waiting.discard(i)
                    queue.append(i)
            if waiting and not in_flight and not queue:
                time.sleep(POLL_SECONDS)
        finished_cleanly = True
    finally:
        if not finished_cleanly and backend is _SHARED_POOL:  # runs in flight: end them
            shutdown()
        elif backend is not _SHARED_POOL:
            backend.close()
        if store is not None:
            for i in in_flight:
                store.release(ids[i])


def _finish(store: Store | None, spec: RunSpec, rid: str, outcome: Any, timeseries: bool,
            results: list) -> Finished:
    """Turn a worker's answer into a :class:`Finished` and write it into the store."""
    from sim.config import flat_config
    from sim.runs import files

    now = files.utc_now()
    if isinstance(outcome, WorkerDied):
        outcome = {"error": f"WorkerDied: {outcome}", "summary": None, "timeseries": None, "wall_seconds": 0.0,
                   "started": now, "ended": now, "fingerprint": model_fingerprint()}
    elif outcome.get("fingerprint") != model_fingerprint():
        outcome = {**outcome, "summary": None, "timeseries": None,
                   "error": "WrongModel: the worker runs other model code than this process (another "
                            "checkout or version of recruitsim, or the model's source changed since this "
                            "command started); start the workers from the same code"}
    error = outcome["error"]
    status = COMPLETED if error is None else FAILED
    finished = Finished(rid, status, summary=outcome["summary"], error=error,
                        wall_seconds=round(float(outcome["wall_seconds"]), 4), computed=True,
                        timeseries=outcome["timeseries"] if timeseries and error is None else None)
    if store is None:
        return finished
    record = make_record(rid=rid, flat=flat_config(spec.config), status=status, error=error,
                         choices=spec.choices, summary=outcome["summary"],
                         wall_seconds=outcome["wall_seconds"], started=outcome["started"],
                         ended=outcome["ended"], overrides=list(spec.overrides))
    try:
        if status == COMPLETED:
            store.write_completed(record, outcome["timeseries"])
        else:
            store.write_failed(record)
    except OSError as exc:
        failed = Finished(rid, FAILED, error=f"StoreWriteError: {_write_problem(store, rid, exc)}", computed=True)
        try:  # a failed record is smaller than the part: it may still fit
            store.write_failed({**record, "status": FAILED, "summary": None, "error": failed.error})
        except OSError:
            pass
        raise _stopped(store, rid, exc, results, [failed]) from None
    return finished


def _write_problem(store: Store, rid: str, exc: OSError) -> str:
    return f"could not write run {rid} into {store.root}: {exc.strerror or format_error(exc)}"


def _stopped(store: Store, rid: str, exc: OSError, results: list, failed: list[Finished]) -> StoreWriteError:
    """The error that stops a batch whose store cannot be written any more, with the failure list."""
    done = [r for r in results if r is not None]
    return StoreWriteError(
        f"{_write_problem(store, rid, exc)}. The batch stopped; {sum(r.status == COMPLETED for r in done)} runs "
        "completed and are kept. Free space (or fix the folder) and run the same command again to resume.",
        [*failed, *(r for r in done if r.status != COMPLETED)])


def _from_record(store: Store, record: dict, timeseries: bool) -> Finished:
    ts = None
    if timeseries:
        import pandas as pd

        ts = pd.read_parquet(store.part_path(record["run_id"]))
    return Finished(record["run_id"], COMPLETED, summary=record.get("summary"), error=None,
                    wall_seconds=float(record.get("wall_seconds") or 0.0), computed=False, timeseries=ts)


def _progress_bar(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    class Bar(tqdm):
        monitor_interval = 0  # no monitor thread: the bar needs no thread of its own

    return Bar(total=total, desc=desc, unit="run", file=sys.stderr, mininterval=1.0,
                disable=not enabled or None, dynamic_ncols=True)


def failure_lines(failed: Iterable[Finished], limit: int = 10) -> list[str]:
    """One line per failed run (run id and error), at most ``limit`` and a count of the rest."""
    failed = list(failed)
    lines = [f"  run {r.run_id or '(invalid config)'}: {r.error}" for r in failed[:limit]]
    if len(failed) > limit:
        lines.append(f"  ... and {len(failed) - limit} more")
    return lines


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    _worker_main(int(sys.argv[2]))
