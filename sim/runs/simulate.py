"""The model as a plain function: a validated config in, outcomes out.

This is the "M" of the XLRM frame: sweeps, experiments and tests call
:func:`simulate` directly, with no Hydra, no files and no printing. The
command line (:mod:`sim.commands.run`) adds composition and validation;
:func:`run_from_config` adds the run's output files.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from sim.config import RecruitsimConfig


@dataclass
class RunResult:
    """What one run produced.

    Attributes:
        timeseries: one row per step, the model-level outcome columns.
        summary: the headline outcomes (documented window, see ``run.summary_window_months``).
        wall_seconds: elapsed time of building and running the model.
    """

    timeseries: pd.DataFrame
    summary: dict[str, Any]
    wall_seconds: float


def simulate(config: RecruitsimConfig, *, worker_agents: bool = False) -> RunResult:
    """Build the model from ``config``, run ``config.run.steps`` months, return its outcomes.

    The config must already be validated (:func:`sim.config.validate`); the
    seed in it is the only source of randomness, so equal configs give equal
    results.

    Args:
        worker_agents: build the per-worker Mesa agents (``run.worker_agents``).
            Off by default: only the outcomes leave this function, and
            nothing the model computes reads those agents (they are views of
            the worker table), so sweeps would pay for thousands of objects
            per run (about a tenth of a default run) for nothing. The
            outcomes are the same either way.
    """
    from sim.model import RecruitmentModel  # heavy (mesa, numpy): imported only to run

    start = time.perf_counter()
    if config.run.worker_agents and not worker_agents:
        config = replace(config, run=replace(config.run, worker_agents=False))
    model = RecruitmentModel(config)
    model.run_model()
    timeseries = model.timeseries()
    summary = dict(model.summary())
    return RunResult(timeseries=timeseries, summary=summary, wall_seconds=time.perf_counter() - start)


def run_from_config(cfg: Any, out_dir: str | os.PathLike,
                    extra_metadata: dict | None = None):
    """Validate ``cfg``, simulate, and write the run's files into ``out_dir``.

    The plain function behind the command; tests call it directly.

    Returns:
        The :class:`sim.runs.simulate.RunResult`.

    Raises:
        ConfigError: if ``cfg`` is invalid (nothing is written then).
    """
    from sim.config import check_config
    from sim.runs import files

    config = check_config(cfg)
    started = files.utc_now()
    result = simulate(config)
    ended = files.utc_now()
    metadata = files.run_metadata(config, started=started, ended=ended,
                                  wall_seconds=result.wall_seconds, extra=extra_metadata)
    files.write_run_outputs(out_dir, config, result.timeseries, result.summary, metadata)
    return result
