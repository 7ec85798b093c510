"""Every figure a collected sweep calls for, chosen from what varies across it (``recruitsim-plot``).

* **time series** of each outcome, one line per regime, when there are at
  most ``max_lines`` regimes;
* **outcome-vs-lever curves** when a numeric lever varies: the headline
  outcome against the lever with the most values, one line per combination
  of the other varied settings;
* **heatmaps** when two numeric levers vary, one per combination of the
  remaining settings.
"""

from __future__ import annotations

import difflib
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from sim.model.outcomes import OUTCOMES
from sim.plots.charts import plot_curves, plot_heatmap, plot_timeseries
from sim.plots.collected import Collected, load_collected, n_distinct, sweep_design
from sim.plots.errors import PlotError
from sim.plots.figures import DEFAULT_FORMATS, check_formats
from sim.plots.labels import lever_name, outcome_title, regime_words, slug

if TYPE_CHECKING:
    import pandas as pd

#: Outcomes drawn when ``--outcomes`` is not given (the project's headline outcomes).
DEFAULT_OUTCOMES = ("certified_share", "mean_fee_months", "debt_bondage_share")
#: More regimes than this and the time-series figure would be unreadable; it is skipped.
DEFAULT_MAX_LINES = 10


def _progress(message: str, quiet: bool) -> None:
    if not quiet:
        print(f"recruitsim-plot: {message}", file=sys.stderr, flush=True)


def plot_sweep(collected: Collected | str | Path, outcomes: Sequence[str] = DEFAULT_OUTCOMES,
               out: str | Path | None = None, formats: Sequence[str] = DEFAULT_FORMATS,
               max_lines: int = DEFAULT_MAX_LINES, smooth: int = 1, quiet: bool = False) -> list[Path]:
    """Every figure the sweep's design calls for (see the module docstring); returns the files written.

    Args:
        collected: a :class:`~sim.plots.collected.Collected`, or the path of ``SWEEP/collected`` (or ``SWEEP``).
        outcomes: outcome names (columns of the tables).
        out: output folder; default ``SWEEP/figures`` next to ``collected/``.
        formats: file formats, among :data:`sim.plots.figures.FORMATS` (default PNG and SVG).
        max_lines: time-series figures with more regimes than this are skipped.
        smooth: rolling mean (months) applied to each run's time series.
        quiet: no progress lines on stderr.

    Raises:
        PlotError: no collected tables, an unknown outcome or a format that cannot be written.
    """
    check_formats(formats)
    if not isinstance(collected, Collected):
        collected = load_collected(collected)
    runs = collected.runs
    check_outcomes(outcomes, runs.columns)
    out = Path(out) if out is not None else collected.folder.parent / "figures"
    design = sweep_design(runs)
    regime = design.regime
    plans: list[tuple[str, Callable[[], list[Path]]]] = []
    window = _window_note(runs)

    n_regimes = len(runs.groupby(regime, dropna=False)) if regime else 1
    if n_regimes <= max_lines:
        plans.append((f"time series of {len(outcomes)} outcome(s), {n_regimes} regime(s)",
                      partial(_timeseries_plots, collected, outcomes, regime, out, formats, smooth)))
    else:
        _progress(f"{n_regimes} regimes: more than --max-lines {max_lines}, time series skipped", quiet)

    if design.numeric:
        # curves against the numeric lever with the most values; the rest of the regime makes the lines
        x = max(design.numeric, key=lambda c: (n_distinct(runs[c]), -design.numeric.index(c)))
        lines = [c for c in regime if c != x]
        n_lines = len(runs.groupby(lines, dropna=False)) if lines else 1
        if n_lines <= max_lines:
            for outcome in outcomes:
                stem = out / f"curve_{outcome}_vs_{slug(lever_name(x))}"
                plans.append((f"{outcome} vs {lever_name(x)}",
                              partial(plot_curves, runs, outcome, x, lines, stem, formats, window_note=window)))
        else:
            _progress(f"{n_lines} lines per curve: more than --max-lines {max_lines}, curves skipped", quiet)
    if len(design.numeric) >= 2:
        x, y = design.numeric[-1], design.numeric[-2]
        facets = [c for c in regime if c not in (x, y)]
        parts = list(runs.groupby(facets, dropna=False, sort=True)) if facets else [((), runs)]
        for key, part in parts:
            key = key if isinstance(key, tuple) else (key,)
            suffix = ("_" + slug("_".join(f"{lever_name(c)}-{v}" for c, v in zip(facets, key)))) if facets else ""
            where = f" ({regime_words(key, facets)})" if facets else ""
            for outcome in outcomes:
                stem = out / f"heatmap_{outcome}_{slug(lever_name(x))}_{slug(lever_name(y))}{suffix}"
                plans.append((f"heatmap of {outcome}{where}",
                              partial(plot_heatmap, part, outcome, x, y, stem, formats,
                                      title=f"{outcome_title(outcome)}{where}", window_note=window)))

    written: list[Path] = []
    for i, (what, make) in enumerate(plans, 1):
        files = make()
        written += files
        _progress(f"[{i}/{len(plans)}] {what} -> {len(files)} file(s)", quiet)
    _progress(f"wrote {len(written)} file(s) to {out}", quiet)
    return written


def _timeseries_plots(collected: Collected, outcomes: Sequence[str], regime: Sequence[str], out: Path,
                      formats: Sequence[str], smooth: int) -> list[Path]:
    ts = collected.timeseries([o for o in outcomes if o != "step"])
    ts = ts.merge(collected.runs[["run_id", *regime]], on="run_id", how="inner")
    # with two or more varied settings, the last one (if it has few values) is drawn as the line style
    style = regime[-1] if len(regime) >= 2 and n_distinct(collected.runs[regime[-1]]) <= 4 else None
    written = []
    for outcome in outcomes:
        written += plot_timeseries(ts, outcome, regime, out / f"timeseries_{outcome}", formats, smooth=smooth,
                                   style=style)
    return written


def _window_note(runs: pd.DataFrame) -> str:
    col = "run.summary_window_months"
    if col in runs and n_distinct(runs[col]) == 1:
        return f"mean over the last {int(runs[col].iloc[0])} months of each run"
    return "mean over each run's summary window"


def check_outcomes(outcomes: Sequence[str], columns: Iterable[str]) -> None:
    """Raise :class:`PlotError` naming an outcome that is not a column, with close matches."""
    columns = list(columns)
    for name in outcomes:
        if name not in columns:
            close = difflib.get_close_matches(name, [c for c in columns if c in OUTCOMES], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; outcomes are listed in sim/model/outcomes.py"
            raise PlotError(f"unknown outcome '{name}'{hint}")
