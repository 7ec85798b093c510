"""Discrete choice for many agents at once.

Workers and employers choose among recruiters by a multinomial logit. Drawing
the Gumbel-max way (add standard Gumbel noise to each utility, take the
argmax) gives exactly the logit probabilities and works on a whole matrix of
choosers at once, so no Python loop runs over agents.
"""

from __future__ import annotations

import numpy as np

from sim.model import kernels


def gumbel_argmax(utility: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each row of ``utility`` (choosers x options), the option a logit chooser picks."""
    return gumbel_best(utility, rng)[0]


def gumbel_best(utility: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each row's logit choice and its noisy utility (so an extra option can be compared after).

    Options with utility ``-inf`` are never picked unless every option of the
    row is ``-inf`` (then the first one is returned; callers exclude such rows).
    Noise is drawn in float32: the choice needs ranks, not precision.
    """
    if utility.size == 0:
        return np.zeros(utility.shape[0], dtype=np.int64), np.full(utility.shape[0], -np.inf, dtype=np.float32)
    noise = log_exponentials(rng, utility.shape)
    np.subtract(utility.astype(np.float32, copy=False), noise, out=noise)
    best = noise.argmax(axis=1)
    return best, noise[np.arange(len(best)), best]


def log_exponentials(rng: np.random.Generator, shape) -> np.ndarray:
    """Minus standard Gumbel noise, in float32: the log of standard exponential draws.

    A standard Gumbel draw is -log of a standard exponential one (one log,
    not two); draws are floored at 1e-30 so none is -inf. Adding a Gumbel
    draw to a utility is subtracting one of these.
    """
    noise = rng.standard_exponential(shape, dtype=np.float32)
    np.maximum(noise, np.float32(1e-30), out=noise)
    np.log(noise, out=noise)
    return noise


def consideration_windows(n_options: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """The sets of options a chooser may know of this month: one row per set, ``size`` options each.

    Workers and employers do not survey every recruiter in a large market:
    each considers one window of ``size`` consecutive options in this
    month's random ordering of them (there are ``n_options`` such windows;
    with no more options than ``size``, a single window holds them all).
    Choosers then draw a window, so the cost of a choice grows with
    ``size``, not with the market, and per-option values can be laid out
    per window once instead of gathered per chooser.
    """
    if n_options <= size:
        return np.arange(n_options)[None, :]
    # window i: the options at positions i .. i + size - 1 of the ordering, running past its end
    return kernels.windows_from_order(rng.permutation(n_options), size)


def fermi(gain: np.ndarray | float, scale: float) -> np.ndarray:
    """Probability of adopting an alternative that pays ``gain`` more (logistic in gain/scale)."""
    # np.clip(x, -50, 50)'s values, without its overhead
    return 1.0 / (1.0 + np.exp(-np.minimum(np.maximum(np.asarray(gain, dtype=float) / scale, -50.0), 50.0)))


def rank_within_groups(groups: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Order items by group, in random order within each group; return that order and each
    ordered item's rank in its group.

    Used to fill each recruiter's slots from its applicants in random order
    without a loop over recruiters. (A stable sort of a random permutation.)
    """
    shuffled = rng.permutation(len(groups))
    # a stable sort by group of the shuffled items (kernels.order_by_group: a counting sort)
    return kernels.order_by_group(shuffled, groups)
