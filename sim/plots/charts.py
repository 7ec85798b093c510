"""The three kinds of figure of a sweep: time series, outcome-vs-lever curves and heatmaps.

Each kind comes twice: ``*_figure`` draws it and returns the matplotlib
figure (for callers that want to change or inspect it), ``plot_*`` draws it
and writes it (:func:`sim.plots.figures.save_figure`). Bands are 95%
confidence intervals of the mean across seeds, cut to the outcome's possible
range; a figure drawn from fewer than 5 seeds says so in its title
(:mod:`sim.plots.bands`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from sim.config.schema import RunConfig
from sim.plots.bands import (
    clip_band,
    fewest_seeds,
    group_ci,
    outcome_range,
    seeds_note,
    seeds_warning,
    with_warning,
)
from sim.plots.figures import DEFAULT_FORMATS, colors, pyplot, save_figure
from sim.plots.labels import (
    format_number,
    legend_entries,
    lever_label,
    lever_name,
    outcome_label,
    outcome_title,
)

if TYPE_CHECKING:
    import pandas as pd

#: What a headline outcome of a run is, unless the caller says otherwise (the default summary window).
WINDOW_NOTE = f"mean over the last {RunConfig.summary_window_months} months of each run"


def timeseries_figure(ts: pd.DataFrame, outcome: str, regime: Sequence[str], title: str | None = None,
                      smooth: int = 1, style: str | None = None,
                      orders: dict[str, Sequence] | None = None) -> Any:
    """An outcome over time, one line per regime, with 95% bands across seeds; returns the figure.

    Args:
        ts: long table with ``run_id``, ``step``, ``outcome`` and the ``regime`` columns.
        outcome: the column to draw.
        regime: columns whose combination is a regime (may be empty: one line).
        title: the figure's title (default: the outcome's, "over time").
        smooth: months of a trailing rolling mean applied to each run before averaging.
        style: one of the ``regime`` columns shown by line style (solid, dashed, ...) instead of
            colour, so that e.g. 4 x 2 regimes read as 4 colours x 2 styles.
        orders: the order of each column's values in the legend (default: sorted).
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()
    regime = list(regime)
    frame = ts
    if smooth > 1:
        frame = ts.sort_values(["run_id", "step"]).copy()
        frame[outcome] = (frame.groupby("run_id")[outcome]
                          .transform(lambda s: s.rolling(smooth, min_periods=1).mean()))
    stats = group_ci(frame, [*regime, "step"], outcome)
    colour_cols = [c for c in regime if c != style]
    groups = list(stats.groupby(regime, dropna=False, sort=True)) if regime else [((), stats)]
    groups = [(k if isinstance(k, tuple) else (k,), part) for k, part in groups]
    groups.sort(key=lambda item: _rank(item[0], regime, orders or {}))
    colour_keys = list(dict.fromkeys(tuple(k[regime.index(c)] for c in colour_cols) for k, _ in groups))
    style_keys = list(dict.fromkeys(k[regime.index(style)] for k, _ in groups)) if style else [None]
    colours = dict(zip(colour_keys, colors(len(colour_keys))))
    dashes = dict(zip(style_keys, ["-", "--", ":", "-."] * (len(style_keys) // 4 + 1)))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for key, part in groups:
        ckey = tuple(key[regime.index(c)] for c in colour_cols)
        skey = key[regime.index(style)] if style else None
        lo, hi = clip_band(outcome, part["lo"], part["hi"])
        ax.plot(part["step"], part["mean"], color=colours[ckey], ls=dashes[skey], lw=1.5)
        ax.fill_between(part["step"], lo, hi, color=colours[ckey], alpha=0.15, lw=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("month")
    ax.set_ylabel(outcome_label(outcome))
    note = seeds_note(stats["n"])
    if smooth > 1:
        note += f"; {smooth}-month rolling mean"
    ax.set_title(with_warning(title or f"{outcome_title(outcome)} over time",
                              seeds_warning(fewest_seeds(ts, regime))), loc="left")
    if note:
        fig.text(0.01, -0.02, note, fontsize=8, color="0.35", ha="left", va="top")
    if regime:
        handles, labels = [], []
        if colour_cols:
            title_c, names = legend_entries(colour_keys, colour_cols)
            if title_c:
                handles.append(Line2D([], [], color="none"))
                labels.append(title_c)
            handles += [Line2D([], [], color=colours[k], lw=1.5) for k in colour_keys]
            labels += names
        if style:
            title_s, names = legend_entries([(k,) for k in style_keys], [style])
            if title_s:
                handles.append(Line2D([], [], color="none"))
                labels.append(title_s)
            handles += [Line2D([], [], color="0.3", ls=dashes[k], lw=1.5) for k in style_keys]
            labels += names
        outside = len(handles) > 5
        ax.legend(handles, labels, fontsize=8, loc="upper left" if outside else "best",
                  bbox_to_anchor=(1.01, 1.0) if outside else None)
    return fig


def plot_timeseries(ts: pd.DataFrame, outcome: str, regime: Sequence[str], stem: Path,
                    formats: Sequence[str] = DEFAULT_FORMATS, title: str | None = None,
                    smooth: int = 1, style: str | None = None,
                    orders: dict[str, Sequence] | None = None) -> list[Path]:
    """:func:`timeseries_figure` written to ``stem.<format>``; returns the files."""
    return save_figure(timeseries_figure(ts, outcome, regime, title=title, smooth=smooth, style=style,
                                         orders=orders), stem, formats)


def _rank(key: tuple, columns: Sequence[str], orders: dict[str, Sequence]) -> tuple:
    """Sort key of a group: each value's position in ``orders[column]`` (else the value itself)."""
    out = []
    for col, value in zip(columns, key):
        order = list(orders.get(col, ()))
        out.append((order.index(value), "") if value in order else (len(order), str(value)))
    return tuple(out)


def _legend(ax: Any, title: str | None = None, n: int = 0) -> None:
    if n > 5:
        ax.legend(title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title_fontsize=8)
    else:
        ax.legend(title=title, fontsize=8, title_fontsize=8)


def curves_figure(runs: pd.DataFrame, outcome: str, x: str, lines: Sequence[str], title: str | None = None,
                  window_note: str = WINDOW_NOTE, hline: float | None = None,
                  hline_label: str | None = None) -> Any:
    """A headline outcome against a numeric lever, one line per combination of ``lines``, 95% bands;
    returns the figure."""
    plt = pyplot()
    lines = list(lines)
    stats = group_ci(runs, [*lines, x], outcome)
    groups = list(stats.groupby(lines, dropna=False, sort=True)) if lines else [((), stats)]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    keys = [k if isinstance(k, tuple) else (k,) for k, _ in groups]
    legend_title, labels = legend_entries(keys, lines) if lines else (None, [None] * len(groups))
    for color, label, (_, part) in zip(colors(len(groups)), labels, groups):
        part = part.sort_values(x)
        lo, hi = clip_band(outcome, part["lo"], part["hi"])
        ax.plot(part[x], part["mean"], color=color, marker="o", ms=4, lw=1.5, label=label)
        ax.fill_between(part[x], lo, hi, color=color, alpha=0.2, lw=0)
    if hline is not None:
        ax.axhline(hline, color="0.3", ls="--", lw=1, label=hline_label)
    ax.set_xlabel(lever_label(x))
    ax.set_ylabel(outcome_label(outcome))
    ax.set_title(with_warning(title or f"{outcome_title(outcome)} by {lever_name(x)}",
                              seeds_warning(fewest_seeds(runs, [*lines, x]))), loc="left")
    note = f"{window_note}; " + seeds_note(stats["n"], "points")
    fig.text(0.01, -0.02, note, fontsize=8, color="0.35", ha="left", va="top")
    if lines or hline is not None:
        _legend(ax, legend_title, n=len(groups))
    return fig


def plot_curves(runs: pd.DataFrame, outcome: str, x: str, lines: Sequence[str], stem: Path,
                formats: Sequence[str] = DEFAULT_FORMATS, title: str | None = None,
                window_note: str = WINDOW_NOTE, hline: float | None = None,
                hline_label: str | None = None) -> list[Path]:
    """:func:`curves_figure` written to ``stem.<format>``; returns the files."""
    return save_figure(curves_figure(runs, outcome, x, lines, title=title, window_note=window_note,
                                     hline=hline, hline_label=hline_label), stem, formats)


def heatmap_figure(runs: pd.DataFrame, outcome: str, x: str, y: str, title: str | None = None,
                   window_note: str = WINDOW_NOTE, fmt: Callable[[float], str] | None = None,
                   contour: float | None = None, contour_label: str | None = None) -> Any:
    """Mean of an outcome over seeds in each cell of a two-lever grid, values written in the cells;
    returns the figure.

    Args:
        contour: draw the boundary between cells below and at/above this value (e.g. a frontier).
    """
    import numpy as np

    plt = pyplot()
    stats = group_ci(runs, [y, x], outcome)
    grid = stats.pivot(index=y, columns=x, values="mean").sort_index().sort_index(axis=1)
    xs, ys = list(grid.columns), list(grid.index)
    values = grid.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(1.1 * len(xs) + 3, 0.6 * len(ys) + 2.4))
    finite = values[np.isfinite(values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if outcome_range(outcome) == (0.0, 1.0):
        vmin = min(vmin, 0.0)  # colours of shares start at zero
    image = ax.imshow(np.ma.masked_invalid(values), origin="lower", aspect="auto", cmap="viridis",
                      vmin=vmin, vmax=vmax if vmax > vmin else vmin + 1e-9)
    ax.set_xticks(range(len(xs)), [format_number(v) for v in xs])
    ax.set_yticks(range(len(ys)), [format_number(v) for v in ys])
    ax.set_xlabel(lever_label(x))
    ax.set_ylabel(lever_label(y))
    ax.grid(False)
    fmt = fmt or (lambda v: f"{v:.2f}" if abs(v) < 10 else f"{v:.0f}")
    mid = (vmin + vmax) / 2
    for i in range(len(ys)):
        for j in range(len(xs)):
            v = values[i, j]
            ax.text(j, i, "n/a" if not np.isfinite(v) else fmt(v), ha="center", va="center", fontsize=8,
                    color="black" if np.isfinite(v) and v > mid else "white")
    if contour is not None and finite.size:
        _draw_frontier(ax, values, contour)
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(outcome_label(outcome))
    ax.set_title(with_warning(title or f"{outcome_title(outcome)}",
                              seeds_warning(fewest_seeds(runs, [y, x]), bands=False)), loc="left")
    n = stats["n"]
    seeds = f"{int(n.min())}" if n.min() == n.max() else f"{int(n.min())}-{int(n.max())}"
    note = f"cells: {window_note}, averaged over {seeds} seeds"
    if contour is not None:
        crossed = bool((finite < contour).any() and (finite >= contour).any())
        what = contour_label or f"boundary at {format_number(contour)}"
        note += f"\nred line: {what}" if crossed else f"\nno red line: every cell is on the same side of {contour:g}"
    fig.text(0.01, -0.02, note, fontsize=8, color="0.35", ha="left", va="top")
    return fig


def plot_heatmap(runs: pd.DataFrame, outcome: str, x: str, y: str, stem: Path,
                 formats: Sequence[str] = DEFAULT_FORMATS, title: str | None = None,
                 window_note: str = WINDOW_NOTE, fmt: Callable[[float], str] | None = None,
                 contour: float | None = None, contour_label: str | None = None) -> list[Path]:
    """:func:`heatmap_figure` written to ``stem.<format>``; returns the files."""
    return save_figure(heatmap_figure(runs, outcome, x, y, title=title, window_note=window_note, fmt=fmt,
                                      contour=contour, contour_label=contour_label), stem, formats)


def _draw_frontier(ax: Any, values: Any, threshold: float) -> None:
    """Red cell edges between cells below ``threshold`` and cells at or above it (NaN: neither)."""
    below = values < threshold
    above = values >= threshold
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            if j + 1 < cols and ((below[i, j] and above[i, j + 1]) or (above[i, j] and below[i, j + 1])):
                ax.plot([j + 0.5, j + 0.5], [i - 0.5, i + 0.5], color="red", lw=2)
            if i + 1 < rows and ((below[i, j] and above[i + 1, j]) or (above[i, j] and below[i + 1, j])):
                ax.plot([j - 0.5, j + 0.5], [i + 0.5, i + 0.5], color="red", lw=2)
