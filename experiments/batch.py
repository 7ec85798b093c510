"""Many parameter points for the analyses, as a table: a thin adapter over the run-many engine.

Calibration, sensitivity analysis and scenario discovery each need hundreds to
thousands of runs whose parameters come from a sampler rather than from a grid
of Hydra overrides. Each point is a dict of dotted config overrides; the
engine (:func:`sim.runs.engine.run_many`) builds and validates its config,
looks its run up in the analysis's results store, runs only what is missing
(in parallel on all cores, or on a Dask cluster with ``--scheduler``), and
writes each finished run into the store. This module turns the engine's
answer into the table the analyses compute with: one row per point, the
outcomes kept, ``error`` and ``wall_seconds``.

Resume: the store is ``<out>/runs/store/`` of each analysis (the same layout
as a sweep's, so ``recruitsim-collect results/<name>/runs`` reads it, and a
sweep into that folder finds the analysis's runs). Rerunning an interrupted
analysis finds every finished run there and runs only the rest; a changed
model or sample never reuses stale numbers, since a run is found by the hash
of its config and of the model's code.

A point whose run raises (or whose config is invalid) is not fatal: its
outcomes are NaN and ``error`` holds the message, so the caller can report it.
"""

from __future__ import annotations

import os
from typing import Mapping, Sequence

import pandas as pd

from sim.runs.engine import default_jobs, run_many

#: The tiny world of every analysis's ``--quick`` version (tests): about 0.05 s a run.
QUICK_WORLD = {"run.steps": 36, "market.n_workers": 600, "market.n_employers": 10, "market.n_recruiters": 8}

#: Outcomes kept for every point (summary means over the run's last window).
DEFAULT_OUTCOMES = ("certified_share", "mean_fee_months", "placements", "public_share", "evading_share",
                    "cheating_share", "debt_bondage_share", "n_certified", "n_fee_charging")

__all__ = ["DEFAULT_OUTCOMES", "QUICK_WORLD", "RunsFailed", "base_overrides", "default_jobs", "evaluate",
           "failures"]


class RunsFailed(Exception):
    """An analysis cannot go on without runs that failed; ``str()`` is the message for the user."""


def evaluate(points: Sequence[Mapping], *, outcomes: Sequence[str] = DEFAULT_OUTCOMES, jobs: int | None = None,
             store: str | os.PathLike | None = None, scheduler: str | None = None, desc: str = "runs",
             progress: bool = True) -> pd.DataFrame:
    """Run every point (or find it in ``store``) and return one row per point, in order.

    Args:
        points: dotted-key config overrides, each including ``seed``.
        outcomes: summary outcomes to keep (columns of the result).
        jobs: local worker processes (default: all cores); 1 runs in this process.
        store: the folder holding the results store (``<out>/runs``); None keeps nothing.
        scheduler: a Dask scheduler's address (default: ``RECRUITSIM_SCHEDULER``, else local).
        desc: label of the progress bar (shown on stderr).
        progress: show the progress bar.

    Returns:
        A frame with the outcome columns, ``error`` (None or the message),
        ``wall_seconds`` and ``run_id``; row i belongs to ``points[i]``.
    """
    batch = run_many(list(points), store=store, jobs=jobs, scheduler=scheduler, progress=progress, desc=desc)
    rows = []
    for run in batch.runs:
        summary = run.summary or {}
        row = {name: _number(summary.get(name)) for name in outcomes}
        row.update(error=run.error, wall_seconds=run.wall_seconds, run_id=run.run_id)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*outcomes, "error", "wall_seconds", "run_id"])


def _number(value) -> float:
    return float("nan") if value is None else float(value)


def failures(frame: pd.DataFrame) -> list[str]:
    """The distinct error messages of a result frame (empty when every run completed)."""
    if "error" not in frame:
        return []
    return sorted({e for e in frame["error"] if isinstance(e, str)})


def base_overrides(hydra_overrides: Sequence[str]) -> dict:
    """The flat config of a composed command line (e.g. ``["scenario=corridor_pakistan_saudi"]``).

    The result feeds :func:`sim.config.build_config`, so a scenario file can be
    the base of in-process points: ``{**base_overrides([...]), **point}``.
    """
    from sim.config import CONFIG_KEYS, check_config, compose_config, flat_config

    flat = flat_config(check_config(compose_config(list(hydra_overrides))))
    return {k: v for k, v in flat.items() if k in CONFIG_KEYS}
