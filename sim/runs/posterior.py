"""Worlds drawn from the calibration's posterior, so that any run or experiment can use them.

``recruitsim-calibrate`` writes ``results/calibration/posterior.parquet``: the
particles of every ABC-SMC generation under each prior tried, with their
weights (docs/VALIDATION.md, section 2). A *world* is one particle of the last
generation of a prior, as config overrides (dotted keys); drawing worlds by
weight, with replacement, samples the posterior. Experiments run over them
with ``recruitsim-experiment NAME --worlds posterior``; from Python::

    from sim import posterior_worlds, build_config, simulate
    for world in posterior_worlds(20):
        simulate(build_config({**world, "seed": 1}))

Columns of the file (one row per particle and generation): ``prior`` (the
prior's name), ``generation``, ``particle``, ``weight`` (normalised within a
generation), ``distance`` (the particle's largest misfit in tolerance units),
``epsilon`` (the generation's tolerance) and one column per fitted config key,
in the key's own unit.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

#: Where ``recruitsim-calibrate`` writes the posterior (relative to the working directory).
DEFAULT_POSTERIOR = Path("results") / "calibration" / "posterior.parquet"
#: The columns every posterior file has besides one column per fitted key.
COLUMNS = ("prior", "generation", "particle", "weight", "distance", "epsilon")


class PosteriorError(ValueError):
    """A posterior file that is missing, malformed or without the prior asked for; ``str()`` says which."""


def _int_keys() -> set[str]:
    from sim.config import CONFIG_KEYS, RecruitsimConfig, flat_config

    flat = flat_config(RecruitsimConfig())
    return {k for k in CONFIG_KEYS if isinstance(flat.get(k), int) and not isinstance(flat.get(k), bool)}


def read_posterior(path: str | os.PathLike = DEFAULT_POSTERIOR):
    """The posterior table, checked for the columns every posterior has."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise PosteriorError(f"no posterior at {path}: run recruitsim-calibrate first (docs/VALIDATION.md, 2.5)")
    frame = pd.read_parquet(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise PosteriorError(f"{path} is not a posterior file: it lacks the columns {missing}")
    return frame


def parameter_columns(frame) -> list[str]:
    """The fitted config keys of a posterior table."""
    return [c for c in frame.columns if c not in COLUMNS]


def worlds_from_frame(frame, n: int, *, prior: str = "default", seed: int = 0) -> list[dict[str, Any]]:
    """``n`` worlds drawn by weight, with replacement, from the last generation of ``prior``'s particles.

    Raises:
        PosteriorError: no particle of that prior, or ``n`` below 1.
    """
    if n < 1:
        raise PosteriorError(f"the number of worlds must be at least 1, not {n}")
    own = frame[frame["prior"] == prior]
    if own.empty:
        raise PosteriorError(f"the posterior holds no particles for prior '{prior}'; it has "
                             f"{sorted(set(frame['prior']))}")
    last = own[own["generation"] == own["generation"].max()].reset_index(drop=True)
    weights = last["weight"].to_numpy(dtype=float)
    rows = np.random.default_rng(seed).choice(len(last), size=n, replace=True, p=weights / weights.sum())
    ints = _int_keys()
    keys = parameter_columns(frame)
    out = []
    for i in rows:
        world = {}
        for key in keys:
            value = float(last.loc[i, key])
            world[key] = int(round(value)) if key in ints else value
        out.append(world)
    return out


def posterior_worlds(n: int, *, path: str | os.PathLike = DEFAULT_POSTERIOR, prior: str = "default",
                     seed: int = 0) -> list[dict[str, Any]]:
    """``n`` worlds from the posterior file at ``path`` (see :func:`worlds_from_frame`)."""
    return worlds_from_frame(read_posterior(path), n, prior=prior, seed=seed)
