"""Confidence bands that do not mislead: how wide, within which range, and from how many seeds.

A band is the Student-t confidence interval of the mean across seeds
(``mean ± t(0.975, n-1) · sd / sqrt(n)``); with one seed there is no band.
Two things keep it honest:

* **The possible range.** A t interval from few seeds can reach past what an
  outcome can be (a share above 1, a negative fee). :func:`clip_band` cuts the
  band at the outcome's range, found from its unit in
  :data:`sim.model.outcomes.OUTCOMES` (:data:`UNIT_RANGES`), except for the
  few outcomes that can be negative whatever their unit says
  (:data:`SIGNED_OUTCOMES`).
* **The number of seeds.** Below :data:`MIN_SEEDS` seeds a band says little;
  :func:`seeds_warning` gives the words a figure's title then carries.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from sim.model.outcomes import OUTCOMES, PER_ORIGIN

if TYPE_CHECKING:
    import pandas as pd

CONFIDENCE = 0.95
#: Fewer seeds than this and a figure says its bands (or means) are rough.
MIN_SEEDS = 5

#: The range of every unit of :data:`sim.model.outcomes.OUTCOMES`: (lowest, highest), None for no bound.
#: Counts, money and durations cannot be negative; shares and indices lie in [0, 1].
UNIT_RANGES: dict[str, tuple[float | None, float | None]] = {
    "share": (0.0, 1.0),
    "index 0-1": (0.0, 1.0),
    "month": (0.0, None),
    "months": (0.0, None),
    "months of wage": (0.0, None),
    "workers": (0.0, None),
    "people": (0.0, None),
    "recruiters": (0.0, None),
    "placements": (0.0, None),
    "violations": (0.0, None),
    "audits": (0.0, None),
    "USD": (0.0, None),
    "USD/month": (None, None),  # profits: a loss is a negative profit
}

#: Outcomes that can be negative although their unit usually cannot, and why.
SIGNED_OUTCOMES = {
    "mean_net_gain_months": "a worker can come home with less than staying would have earned",
    "employer_cost_per_hire": "kickbacks from recruiters make the price negative",
    "employer_spending": "kickbacks and churn bonuses received can exceed what employers pay",
}


def outcome_range(name: str) -> tuple[float | None, float | None]:
    """The values outcome ``name`` can take: (lowest, highest), None where unbounded (or unknown)."""
    if name in SIGNED_OUTCOMES:
        return None, None
    if name not in OUTCOMES:  # one origin's outcome (``fee_free_share_strict``): its unsuffixed name's unit
        unit = next((unit for base, (unit, _) in PER_ORIGIN.items() if name.startswith(f"{base}_")), None)
        return UNIT_RANGES.get(unit, (None, None))
    return UNIT_RANGES.get(OUTCOMES[name][0], (None, None))


def clip_band(outcome: str, lo: Any, hi: Any) -> tuple[Any, Any]:
    """The band's lower and upper edges (Series or arrays) cut to the outcome's possible range."""
    low, high = outcome_range(outcome)
    if low is None and high is None:
        return lo, hi
    return lo.clip(low, high), hi.clip(low, high)


def seeds_warning(n_seeds: int, bands: bool = True) -> str:
    """``"only 3 seeds: bands are rough"`` for a figure built from fewer than :data:`MIN_SEEDS` seeds, else ``""``.

    Args:
        n_seeds: the fewest seeds behind any line, point or cell of the figure.
        bands: the figure draws confidence bands (else it shows means only, as a heatmap does).
    """
    if n_seeds >= MIN_SEEDS or n_seeds < 1:
        return ""
    if n_seeds == 1:
        return "only 1 seed: no confidence bands" if bands else "only 1 seed: each value is a single run"
    return f"only {n_seeds} seeds: " + ("bands are rough" if bands else "means are rough")


def with_warning(title: str, warning: str) -> str:
    """``title`` with ``warning`` in brackets after it (unchanged when there is no warning)."""
    return f"{title} ({warning})" if warning else title


def fewest_seeds(frame: pd.DataFrame, by: Sequence[str]) -> int:
    """The fewest runs (seeds) in any group of ``by``: distinct ``run_id`` if the frame has them, else rows."""
    if frame.empty:
        return 0
    if "run_id" in frame:
        counts = frame.groupby(list(by), dropna=False)["run_id"].nunique() if by else [frame["run_id"].nunique()]
    else:
        counts = frame.groupby(list(by), dropna=False).size() if by else [len(frame)]
    return int(min(counts))


def seeds_note(counts: Iterable[int], what: str = "lines") -> str:
    """``"lines: mean over 3-5 seeds; bands: 95% CI of the mean"`` from the ``n`` of each point drawn."""
    counts = [int(c) for c in counts if c]
    if not counts:
        return ""
    lo, hi = min(counts), max(counts)
    seeds = f"{lo}" if lo == hi else f"{lo}-{hi}"
    return f"{what}: mean over {seeds} seeds; bands: {CONFIDENCE:.0%} CI of the mean"


def mean_ci(values: pd.Series | Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float, int]:
    """Mean of ``values`` (NaN left out) and its Student-t confidence interval: (mean, lo, hi, n)."""
    import numpy as np
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def group_ci(frame: pd.DataFrame, by: Sequence[str], column: str,
             confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Per group of ``by``: ``mean``, ``lo``, ``hi`` (t interval of the mean) and ``n`` of ``column``.

    Vectorised: one groupby for mean, sd and count, so it is fast on long time series.
    """
    import numpy as np
    from scipy import stats

    g = frame.groupby(list(by), dropna=False, sort=True)[column]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    n = out["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)), np.nan)
        half = t * out["sd"].to_numpy(dtype=float) / np.sqrt(n)
    out["lo"] = out["mean"] - half
    out["hi"] = out["mean"] + half
    return out.drop(columns="sd")
