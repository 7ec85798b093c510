"""The experiments' statistics: bootstrap confidence intervals across seeds, summaries and verdicts.

Pure functions of numbers and tables (no files, no words), so that the
verdict logic can be tested on synthetic data with known answers:

* :func:`bootstrap_mean_ci`, :func:`bootstrap_diff_ci`: percentile-bootstrap
  95% confidence intervals across seeds (fixed resampling seed: reruns give
  the same numbers);
* :func:`summarise`: one row per regime with each outcome's mean, CI and n;
* :func:`verdict`: "yes" / "no" / "uncertain" from a confidence interval and
  a threshold.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    import pandas as pd

CONFIDENCE = 0.95
#: Bootstrap resamples and the resampling seed (fixed, so that reports are reproducible).
N_BOOT = 10_000
BOOT_SEED = 12345


def _clean(values: Iterable[float]):
    import numpy as np

    x = np.asarray(list(values) if not hasattr(values, "__array__") else values, dtype=float)
    return x[~np.isnan(x)]


def bootstrap_mean_ci(values: Iterable[float], confidence: float = CONFIDENCE, n_boot: int = N_BOOT,
                      seed: int = BOOT_SEED) -> tuple[float, float, float, int]:
    """Mean across seeds and its percentile-bootstrap confidence interval: (mean, lo, hi, n).

    NaN values (an outcome undefined in a run) are left out; ``n`` counts the
    rest. With fewer than two values the bounds are NaN.
    """
    import numpy as np

    x = _clean(values)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return mean, float(lo), float(hi), n


def bootstrap_diff_ci(a: pd.Series, b: pd.Series, confidence: float = CONFIDENCE, n_boot: int = N_BOOT,
                      seed: int = BOOT_SEED) -> tuple[float, float, float, int, bool]:
    """Mean of ``a`` minus mean of ``b`` with a bootstrap CI: (diff, lo, hi, n, paired).

    When both series are indexed by seed and share their seeds, the
    difference is paired by seed (the two regimes start from the same seed:
    common random numbers) and the CI resamples seeds; otherwise the two
    samples are resampled independently.
    """
    import numpy as np

    a = a.dropna()
    b = b.dropna()
    common = a.index.intersection(b.index)
    if len(common) >= 2 and len(common) == len(a) == len(b) and a.index.is_unique and b.index.is_unique:
        diff = (a.loc[common] - b.loc[common]).to_numpy(dtype=float)
        est, lo, hi, n = bootstrap_mean_ci(diff, confidence, n_boot, seed)
        return est, lo, hi, n, True
    xa, xb = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    if len(xa) < 2 or len(xb) < 2:
        est = float(xa.mean() - xb.mean()) if len(xa) and len(xb) else math.nan
        return est, math.nan, math.nan, min(len(xa), len(xb)), False
    rng = np.random.default_rng(seed)
    ma = xa[rng.integers(0, len(xa), size=(n_boot, len(xa)))].mean(axis=1)
    mb = xb[rng.integers(0, len(xb), size=(n_boot, len(xb)))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(ma - mb, [tail, 100 - tail])
    return float(xa.mean() - xb.mean()), float(lo), float(hi), min(len(xa), len(xb)), False


def summarise(runs: pd.DataFrame, by: Sequence[str], outcomes: Sequence[str]) -> pd.DataFrame:
    """One row per group of ``by``: for each outcome its mean, bootstrap CI bounds and n across seeds.

    Columns: the ``by`` columns, then ``<outcome>``, ``<outcome>_lo``,
    ``<outcome>_hi``, ``<outcome>_n`` for each outcome.
    """
    import pandas as pd

    rows = []
    for key, part in runs.groupby(list(by), sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        for name in outcomes:
            est, lo, hi, n = bootstrap_mean_ci(part[name])
            row.update({name: est, f"{name}_lo": lo, f"{name}_hi": hi, f"{name}_n": n})
        rows.append(row)
    return pd.DataFrame(rows)


def verdict(lo: float, hi: float, threshold: float) -> str:
    """``"yes"`` if the whole CI lies above ``threshold``, ``"no"`` if it lies below, else ``"uncertain"``.

    A bound exactly at the threshold, or a missing bound, leaves the answer uncertain.
    """
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return "uncertain"
    if lo > threshold:
        return "yes"
    if hi < threshold:
        return "no"
    return "uncertain"
