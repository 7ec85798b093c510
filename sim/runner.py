"""The model as a plain function: a validated config in, outcomes out.

This is the "M" of the XLRM frame: sweeps, experiments and tests call
:func:`simulate` directly, with no Hydra, no files and no printing. The
command line (:mod:`sim.cli`) adds composition, validation and output files
around it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
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


def simulate(config: RecruitsimConfig) -> RunResult:
    """Build the model from ``config``, run ``config.run.steps`` months, return its outcomes.

    The config must already be validated (:func:`sim.config.validate`); the
    seed in it is the only source of randomness, so equal configs give equal
    results.
    """
    from sim.model import RecruitmentModel  # heavy (mesa, numpy): imported only to run

    start = time.perf_counter()
    model = RecruitmentModel(config)
    model.run_model()
    timeseries = model.timeseries()
    summary = dict(model.summary())
    return RunResult(timeseries=timeseries, summary=summary, wall_seconds=time.perf_counter() - start)
