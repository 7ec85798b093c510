"""Compiled loops (numba) for the model's hottest stages.

A month is a few dozen stages, each a handful of numpy calls; on a default
world most of a month's time is the fixed cost of those calls, and on a
large one it is the worker choice, a matrix of searchers by recruiters in
which most cells are refused loans. Each kernel here replaces one such
block with a single loop, and says which.

The kernels never draw random numbers: the caller draws them from
``model.rng`` exactly as the numpy version did (same calls, same shapes,
same order) and passes them in, and each kernel repeats the numpy
version's arithmetic operation by operation, in the same precision
(float32 where it was float32). Results are therefore equal bit for bit
to the numpy version's; ``tests/test_kernels.py`` checks each kernel
against it and whole runs against digests recorded before the kernels.
Two rules keep that true: no float sum or mean is taken here (numpy sums
pairwise, a loop would not: callers sum in numpy), and no fast-math.

Compilation is lazy (on a kernel's first call, not at import) and cached
on disk (``cache=True``, in ``__pycache__``), so only the first run after
installing or changing this file compiles; later processes load the
machine code. Nothing outside :mod:`sim.model` imports this module, so
``recruitsim --help`` and config errors never load numba.
"""

from __future__ import annotations

import numba
import numpy as np

#: Every kernel: compiled on first call, cached on disk, numpy's rules for division by zero
#: (inf or nan, as the numpy version gave, instead of an exception), no fast-math.
kernel = numba.njit(cache=True, nogil=True, error_model="numpy")

F32 = np.float32


@kernel
def worker_choice(rows, promised_wage, fee_months, hidden_months, placement_prob,
                  deceive_other, deceive_user, hidden_other, hidden_user,
                  windows, window, searchers, platform_user, savings, debt, home_wage,
                  log_noise, stay_home, markup, keep_share, credit_line, half_rate, months, scale):
    """Each searcher's logit choice of a recruiter, or -1 for staying home.

    Replaces the body of :func:`sim.model.workers.choose_recruiters` after
    the draws: the per-option table (net wage, fee, placement chance, as
    anyone else and as a platform user sees them, in float32), the
    per-window gathers, the utility matrix (loan refused beyond the credit
    line, interest on the loan, participation constraint) and
    :func:`sim.model.choice.gumbel_best` plus the stay-home comparison.

    Args:
        rows, promised_wage, ... hidden_user: the options, as in
            :func:`sim.model.recruiters.offers_to_workers`.
        windows: consideration windows (windows x size, option indices);
            ``window``: each searcher's window.
        searchers: worker ids; ``platform_user``, ``savings``, ``debt``,
            ``home_wage``: the whole worker table's arrays.
        log_noise: ``log(max(e, 1e-30))`` of standard exponential float32
            draws, searchers x size (so ``-log_noise`` is Gumbel noise).
        stay_home: the stay-home option's Gumbel noise, one per searcher.
        markup, keep_share, credit_line: float64 constants (deception share
            of the promised wage, 1 - living cost share, credit limit in USD);
            half_rate, months, scale: float32 constants, as the numpy version
            rounded them.

    Returns:
        The chosen recruiter row per searcher (-1: stays home).
    """
    n_options = len(rows)
    # per option (anyone else's view, then a platform user's): net wage, fee, placement chance
    table = np.empty((2 * n_options, 3), np.float32)
    for is_user in range(2):
        for k in range(n_options):
            deceive = deceive_user[k] if is_user else deceive_other[k]
            hidden = hidden_user[k] if is_user else hidden_other[k]
            wage = promised_wage[k] * (1.0 - deceive * markup)
            column = is_user * n_options + k
            table[column, 0] = wage * keep_share
            table[column, 1] = (fee_months[k] + hidden * hidden_months) * wage
            table[column, 2] = placement_prob[k]
    tiny = F32(1e-9)
    zero = F32(0.0)
    out = np.empty(len(searchers), np.int64)
    for i in range(len(searchers)):
        worker = searchers[i]
        base = n_options if platform_user[worker] else 0
        savings_i = F32(savings[worker])
        headroom = F32(credit_line - debt[worker])
        home = F32(home_wage[worker])
        w = window[i]
        # numpy's argmax over the row: the first maximum (or the first nan); with every option
        # refused (-inf) it is the first one, at -inf. A refused option is -inf whatever its noise
        # (the noise is finite), so it can never be the maximum and is skipped.
        best, best_value = 0, F32(-np.inf)
        for j in range(windows.shape[1]):
            column = base + windows[w, j]
            fee = table[column, 1]
            borrowed = fee - savings_i
            if borrowed < zero:
                borrowed = zero
            if borrowed > headroom:
                continue  # lenders refuse a loan past the credit line
            net_wage = table[column, 0]
            placement_chance = table[column, 2]
            gain = (net_wage - home) * months - fee
            if gain * placement_chance * scale < zero:
                # the utility below is this less interest (>= 0), times the same factors: rounding is
                # monotonic, so it is negative too and the option is refused; skip the division
                continue
            interest = borrowed * borrowed * half_rate / (tiny if net_wage < tiny else net_wage)
            utility = (gain - interest) * placement_chance * scale
            if utility < zero:
                continue  # going abroad would not pay (participation constraint)
            value = utility - log_noise[i, j]
            if not value <= best_value:  # greater, or nan: numpy's argmax stops at the first nan
                best, best_value = j, value
                if np.isnan(value):
                    break
        out[i] = -1 if stay_home[i] >= best_value else rows[windows[w, best]]
    return out
