"""recruitsim's local launcher: a sweep's jobs on this machine's cores, surviving a killed worker.

Chosen in ``configs/config.yaml`` (``configs/hydra/launcher/local.yaml``):
``recruitsim -m ...`` runs its jobs on all local cores, or on
``hydra.launcher.n_jobs=N`` worker processes (``-1``: all cores, ``-2``: all
but one, as joblib counts). Hydra accepts launchers only from the
``hydra_plugins`` namespace.

Why not Hydra's joblib launcher (still there: ``hydra/launcher=joblib``):
joblib hands the batch to one loky pool, and when one worker dies (the
kernel's out-of-memory killer sends SIGKILL), loky kills the other workers
and joblib aborts the whole batch with a ``TerminatedWorkerError``: runs in
flight are lost, the killed run is not recorded and no failure list is
printed. Here each worker is a process with a pipe of its own
(:mod:`hydra_plugins.recruitsim_launcher.workers`), so the job a dead
worker held is known exactly: its runs are recorded failed, saying how the
worker died (:func:`sim.runs.sweep.record_lost_job`), a new worker takes its
place and the sweep goes on; rerunning the command retries them.

Faults that stop the sweep (a results store that cannot be written: a full
disk) stop handing out jobs; the jobs in flight finish, then the fault
reaches the command (:class:`sim.runs.sweep.SweepStopped`), which prints the
failure list. On Ctrl-C or SIGTERM (:mod:`sim.commands.signals`) the workers
are ended before the command exits; if the command itself is killed, the
kernel ends them.

Each job runs as under the joblib launcher: Hydra composes its config in the
worker and runs the task there (job folder, ``.hydra/``, log, callbacks).
What every job shares (Hydra's context, the sweep's config, the task) is sent
to each worker once per batch rather than with every job.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from pathlib import Path
from typing import Any, Sequence

from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

log = logging.getLogger(__name__)


def worker_count(n_jobs: int, jobs: int) -> int:
    """Worker processes for ``jobs`` jobs: ``n_jobs`` if positive, else all cores + 1 + ``n_jobs`` (joblib's rule)."""
    cores = os.cpu_count() or 1
    wanted = n_jobs if n_jobs > 0 else cores + 1 + n_jobs
    return max(1, min(wanted, jobs))


class LocalLauncher(Launcher):
    """Runs a sweep's jobs in parallel in local worker processes (see the module docstring).

    Args:
        n_jobs: worker processes; ``-1`` all cores, ``-2`` all but one, ...
    """

    def __init__(self, n_jobs: int = -1) -> None:
        self.n_jobs = int(n_jobs)
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.task_function = task_function
        self.hydra_context = hydra_context

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        """Run the batch; one :class:`JobReturn` per job, in order (a job whose worker died included)."""
        import cloudpickle
        from hydra.core.singleton import Singleton
        from hydra.core.utils import configure_log, filter_overrides, setup_globals

        from hydra_plugins.recruitsim_launcher.workers import Pool, WorkerDied

        assert self.config is not None and self.task_function is not None and self.hydra_context is not None
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        size = worker_count(self.n_jobs, len(job_overrides))
        log.info(f"Launching {len(job_overrides)} jobs on {size} local worker processes")
        for i, overrides in enumerate(job_overrides):
            log.info(f"\t#{initial_job_idx + i} : {' '.join(filter_overrides(overrides))}")
        shared = cloudpickle.dumps((self.hydra_context, self.config, self.task_function, Singleton.get_state()))

        results: list[JobReturn | None] = [None] * len(job_overrides)
        pending = deque(range(len(job_overrides)))
        stop: BaseException | None = None
        pool = Pool(size, shared)
        try:
            while (pending and stop is None) or pool.busy():
                while pending and stop is None and pool.has_idle():
                    i = pending.popleft()
                    pool.submit(i, initial_job_idx + i, list(job_overrides[i]))
                for i, answer in pool.wait():
                    if isinstance(answer, JobReturn):
                        results[i] = answer
                    elif isinstance(answer, WorkerDied):
                        results[i] = self._lost_job(initial_job_idx + i, job_overrides[i], answer)
                    elif stop is None:  # raised by the job outside its task (the task's errors are in its JobReturn)
                        stop = _stopping(answer, self.config)
        finally:
            pool.close()
        if stop is not None:
            raise stop
        return [r for r in results if r is not None]

    def _lost_job(self, job_num: int, overrides: Sequence[str], died: Any) -> JobReturn:
        """Record the runs of a job whose worker died as failed; its :class:`JobReturn` says so."""
        import copy

        from omegaconf import open_dict, read_write

        from sim.runs.sweep import job_label, record_lost_job

        assert self.hydra_context is not None and self.config is not None
        outcomes: list = []
        try:
            sweep_config = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            task_overrides = list(sweep_config.hydra.overrides.task)
            choices = {k: v for k, v in sweep_config.hydra.runtime.choices.items() if not k.startswith("hydra")}
            cfg = copy.deepcopy(sweep_config)
            with read_write(cfg), open_dict(cfg):
                del cfg["hydra"]
            outcomes = record_lost_job(cfg, sweep_dir=str(self.config.hydra.sweep.dir), overrides=task_overrides,
                                       choices=choices, job_label=job_label(job_num, task_overrides),
                                       pid=died.pid, death=died.death)
        except Exception as exc:  # the sweep goes on; its report lists what is missing
            log.error(f"job {job_num + 1}: its worker process was {died.death}, and its runs could not be "
                      f"recorded as failed ({type(exc).__name__}: {exc}); rerun the command to run them")
            cfg = None
        return JobReturn(overrides=list(overrides), cfg=cfg, hydra_cfg=None, working_dir=os.getcwd(),
                         task_name=str(self.config.hydra.job.name), status=JobStatus.COMPLETED,
                         _return_value=outcomes)


def _stopping(exc: BaseException, config: Any) -> BaseException:
    """What stops the sweep for an exception a job raised outside its task.

    An :class:`OSError` there is Hydra failing to write the job's folder
    (``.hydra/``, its log): the machine's fault, reported like the task's own
    write failures (:class:`sim.runs.sweep.SweepStopped`).
    """
    if isinstance(exc, OSError):
        from sim.runs.sweep import SweepStopped, write_problem

        return SweepStopped(write_problem(exc, f"a job's folder in {config.hydra.sweep.dir}"))
    return exc
