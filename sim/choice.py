"""Discrete choice for many agents at once.

Workers and employers choose among recruiters by a multinomial logit. Drawing
the Gumbel-max way (add standard Gumbel noise to each utility, take the
argmax) gives exactly the logit probabilities and works on a whole matrix of
choosers at once, so no Python loop runs over agents.
"""

from __future__ import annotations

import numpy as np


def gumbel_argmax(utility: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each row of ``utility`` (choosers x options), the option a logit chooser picks.

    Options with utility ``-inf`` are never picked unless every option of the
    row is ``-inf`` (then the first one is returned; callers exclude such rows).
    Noise is drawn in float32: the choice needs ranks, not precision.
    """
    if utility.size == 0:
        return np.zeros(utility.shape[0], dtype=np.int64)
    u = rng.random(utility.shape, dtype=np.float32)
    np.maximum(u, np.float32(1e-12), out=u)
    noise = -np.log(-np.log(u))
    noise += utility.astype(np.float32, copy=False)
    return noise.argmax(axis=1)


def consideration_sets(n_choosers: int, n_options: int, size: int, rng: np.random.Generator) -> np.ndarray | None:
    """Which options each chooser knows of: ``size`` distinct options per chooser, or None for all.

    Workers and employers do not survey every recruiter in a large market;
    each considers a random window of a random ordering of the options, so
    the cost of a choice grows with ``size``, not with the market.
    """
    if n_options <= size:
        return None
    order = rng.permutation(n_options)
    start = rng.integers(0, n_options, n_choosers)
    return order[(start[:, None] + np.arange(size)[None, :]) % n_options]


def fermi(gain: np.ndarray | float, scale: float) -> np.ndarray:
    """Probability of adopting an alternative that pays ``gain`` more (logistic in gain/scale)."""
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(gain, dtype=float) / scale, -50.0, 50.0)))


def rank_within_groups(groups: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order items by group then key; return that order and each ordered item's rank in its group.

    Used to fill each recruiter's slots from its applicants in random order
    without a loop over recruiters.
    """
    order = np.lexsort((keys, groups))
    sorted_groups = groups[order]
    n = len(order)
    if n == 0:
        return order, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    lengths = np.diff(np.r_[starts, n])
    rank = np.arange(n) - np.repeat(starts, lengths)
    return order, rank
