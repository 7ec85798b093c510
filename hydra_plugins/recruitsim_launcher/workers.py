"""The launcher's worker processes: one pipe each, so that the job a dead worker held is known.

A worker is a fresh interpreter (``python -m hydra_plugins.recruitsim_launcher.workers FD``)
rather than a fork, which would copy the command's threads and locks, or a
``multiprocessing`` process, which re-runs the caller's main module. It
receives, on its end of a pipe, what the batch's jobs share (Hydra's
context, the sweep's config, the task: cloudpickled once per batch), then
job after job (its number and overrides), and answers each with the job's
:class:`hydra.core.utils.JobReturn`, or with the exception the job raised
outside its task. When the pipe closes before the answer, the worker died
with the job: :class:`WorkerDied` says how (its exit status).

Workers ignore Ctrl-C and SIGTERM: the command handles both and ends them
(:meth:`Pool.close`); and the kernel kills a worker whose command is gone
(Linux: ``PR_SET_PDEATHSIG``), so none outlives it. Nothing heavy is
imported at module level: Hydra imports every module of ``hydra_plugins``
when it looks for plugins.
"""

from __future__ import annotations

import signal
import sys
from typing import Any


class WorkerDied:
    """The worker computing a job ended before answering (a plain class: Hydra's plugin scan loads this
    module outside ``sys.modules``, where ``dataclass`` fails)."""

    def __init__(self, pid: int, exitcode: int | None) -> None:
        self.pid = pid
        self.exitcode = exitcode

    @property
    def death(self) -> str:
        """How it ended, e.g. ``"killed by signal 9 (SIGKILL): out of memory?"``."""
        code = self.exitcode
        if code is None or code >= 0:
            return f"ended with exit status {code}"
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown"
        oom = ": out of memory?" if -code == signal.SIGKILL else ""
        return f"killed by signal {-code} ({name}){oom}"


class _Worker:
    """One worker process and the command's end of its pipe."""

    def __init__(self) -> None:
        import multiprocessing
        import subprocess

        self.conn, theirs = multiprocessing.Pipe()
        fd = theirs.fileno()
        self.process = subprocess.Popen([sys.executable, "-m", __name__, str(fd)], pass_fds=[fd],
                                        stdin=subprocess.DEVNULL)
        theirs.close()
        self.job: int | None = None  # the index of the job in flight
        self.has_shared = False

    def alive(self) -> bool:
        return self.process.poll() is None

    def end(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` s for the process to end, then kill it; its exit status."""
        import subprocess

        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)


class Pool:
    """``size`` workers for the jobs of one batch, which all share ``shared`` (cloudpickled bytes)."""

    def __init__(self, size: int, shared: bytes) -> None:
        self.size = size
        self.shared = shared
        self.workers: list[_Worker] = []

    def _drop(self, worker: _Worker) -> WorkerDied:
        worker.conn.close()
        self.workers.remove(worker)
        return WorkerDied(worker.process.pid, worker.end(5))

    def has_idle(self) -> bool:
        """True if a worker can take a job (starting workers up to ``size``; a worker that died idle is replaced)."""
        for worker in [w for w in self.workers if w.job is None and not w.alive()]:
            self._drop(worker)
        while len(self.workers) < self.size:
            self.workers.append(_Worker())
        return any(w.job is None for w in self.workers)

    def busy(self) -> bool:
        return any(w.job is not None for w in self.workers)

    def submit(self, index: int, job_num: int, overrides: list[str]) -> None:
        """Send job ``index`` (Hydra's job number ``job_num``) to an idle worker."""
        while True:
            idle = [w for w in self.workers if w.job is None]
            worker = idle[0] if idle else _Worker()
            if not idle:
                self.workers.append(worker)
            try:
                if not worker.has_shared:
                    worker.conn.send(("shared", self.shared))
                    worker.has_shared = True
                worker.conn.send(("job", job_num, overrides))
            except OSError:  # it died idle an instant ago
                self._drop(worker)
                continue
            worker.job = index
            return

    def wait(self) -> list[tuple[int, Any]]:
        """Block until some jobs end; each as ``(index, JobReturn | exception | WorkerDied)``."""
        from multiprocessing.connection import wait

        busy = [w for w in self.workers if w.job is not None]
        ready = set(wait([w.conn for w in busy]))
        done = []
        for worker in busy:
            if worker.conn not in ready:
                continue
            index = worker.job
            try:
                _, answer = worker.conn.recv()
                worker.job = None
            except (EOFError, OSError):  # the pipe closed: the worker died with its job
                answer = self._drop(worker)
            done.append((index, answer))
        return done

    def close(self) -> None:
        """End every worker: idle ones when told, busy ones (an interrupted batch) at once."""
        for worker in self.workers:
            if worker.job is not None:
                worker.process.kill()
                continue
            try:
                worker.conn.send(None)
            except OSError:
                pass
        for worker in self.workers:
            worker.conn.close()
            worker.end(5)
        self.workers.clear()


# --------------------------------------------------------------------------- in the worker


def _end_with_parent() -> None:
    """Linux: the kernel kills this process when the command that started it ends (PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _execute_job(job_num: int, overrides: list[str], shared: bytes) -> Any:
    """One Hydra job, as Hydra's joblib launcher runs it in its workers."""
    import cloudpickle
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton
    from hydra.core.utils import run_job, setup_globals
    from omegaconf import open_dict

    hydra_context, config, task_function, singleton_state = cloudpickle.loads(shared)
    setup_globals()
    # Hydra's list of plugins, found by importing every module of hydra_plugins (20-60 ms), is the
    # same for every job of this process: kept rather than found again for each job
    plugins = Singleton._instances.get(Plugins)
    if plugins is not None:
        singleton_state["instances"][Plugins] = plugins
    Singleton.set_state(singleton_state)
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{job_num}"
        sweep_config.hydra.job.num = job_num
    HydraConfig.instance().set_config(sweep_config)
    return run_job(hydra_context=hydra_context, config=sweep_config, task_function=task_function,
                   job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")


def serve(fd: int) -> None:
    """A worker's life: run the jobs that arrive on the pipe ``fd`` until it closes or says stop."""
    from multiprocessing.connection import Connection

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _end_with_parent()
    conn = Connection(fd)
    import cloudpickle

    import sim.runs.simulate  # noqa: F401  (the model, imported before the first job arrives)
    import sim.runs.sweep  # noqa: F401

    shared = b""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message[0] == "shared":
            shared = message[1]
            continue
        _, job_num, overrides = message
        try:
            answer: Any = _execute_job(job_num, overrides, shared)
        except BaseException as exc:  # noqa: BLE001  (reported to the command, which decides)
            answer = exc
        try:
            data = cloudpickle.dumps(("done", answer))
        except Exception as exc:  # an answer that cannot be pickled: say what it was
            data = cloudpickle.dumps(("done", RuntimeError(f"job {job_num + 1}: {type(answer).__name__}: "
                                                           f"{answer} (and it could not be sent: {exc})")))
        try:
            conn.send_bytes(data)
        except OSError:  # the command is gone
            return


if __name__ == "__main__":
    serve(int(sys.argv[1]))
