"""The experiments' own figure: estimates with confidence intervals, one panel per outcome.

Time series, curves and heatmaps come from :mod:`sim.plots`; this module adds
the point-and-whisker figure the experiments use to compare regimes. Like
every figure of the project, its whiskers stay within what an outcome can
be (:func:`sim.plots.clip_band`) and a figure drawn from fewer than 5 seeds
says so in its title (:func:`sim.plots.seeds_warning`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from experiments.report import pct

if TYPE_CHECKING:
    import pandas as pd


def point_range_figure(table: pd.DataFrame, x: str, x_order: Sequence, x_labels: Sequence[str],
                       hue: str | None, hue_order: Sequence, hue_labels: Sequence[str], outcomes: Sequence[str],
                       stem: Path, title: str, x_title: str = "", thresholds: dict[str, float] | None = None,
                       hue_title: str | None = None, labels: dict[str, tuple[str, str]] | None = None) -> list[Path]:
    """:func:`draw_point_ranges` written as ``stem.png`` and ``stem.svg``; returns the files."""
    from sim.plots import save_figure

    return save_figure(draw_point_ranges(table, x, x_order, x_labels, hue, hue_order, hue_labels, outcomes, title,
                                         x_title=x_title, thresholds=thresholds, hue_title=hue_title,
                                         labels=labels), stem)


def draw_point_ranges(table: pd.DataFrame, x: str, x_order: Sequence, x_labels: Sequence[str],
                      hue: str | None, hue_order: Sequence, hue_labels: Sequence[str], outcomes: Sequence[str],
                      title: str, x_title: str = "", thresholds: dict[str, float] | None = None,
                      hue_title: str | None = None, labels: dict[str, tuple[str, str]] | None = None) -> Any:
    """One panel per outcome: the mean of each group with its 95% CI as a whisker; returns the figure.

    ``table`` is the output of :func:`experiments.statistics.summarise` (columns
    ``<outcome>``, ``<outcome>_lo``, ``<outcome>_hi``, ``<outcome>_n``). Groups
    sit at ``x`` positions, side by side for each ``hue`` value. ``thresholds``
    draws a dashed line in a panel; ``labels`` maps an outcome to its (axis
    label, panel title) where :mod:`sim.plots` has none.
    """
    import numpy as np

    from sim.plots import (
        clip_band,
        colors,
        outcome_label,
        outcome_title,
        pyplot,
        seeds_warning,
        with_warning,
    )

    plt = pyplot()
    hues = list(hue_order) if hue else [None]
    fig, axes = plt.subplots(1, len(outcomes), figsize=(4.2 * len(outcomes) + 0.6, 4.2), squeeze=False)
    width = 0.7 / max(len(hues), 1)
    palette = colors(len(hues))
    fewest = None
    for ax, name in zip(axes[0], outcomes):
        for k, (h, color) in enumerate(zip(hues, palette)):
            part = table if hue is None else table[table[hue] == h]
            xs, ys, los, his = [], [], [], []
            for i, value in enumerate(x_order):
                row = part[part[x] == value]
                if row.empty:
                    continue
                xs.append(i + (k - (len(hues) - 1) / 2) * width)
                ys.append(float(row[name].iloc[0]))
                los.append(float(row[f"{name}_lo"].iloc[0]))
                his.append(float(row[f"{name}_hi"].iloc[0]))
                if f"{name}_n" in row:
                    n = int(row[f"{name}_n"].iloc[0])
                    fewest = n if fewest is None else min(fewest, n)
            ys_a = np.array(ys)
            lo_a, hi_a = clip_band(name, np.array(los), np.array(his))
            err = np.vstack([np.nan_to_num(ys_a - lo_a), np.nan_to_num(hi_a - ys_a)])
            ax.errorbar(xs, ys, yerr=err, fmt="o", color=color, capsize=3, ms=5,
                        label=hue_labels[k] if hue else None)
        if thresholds and name in thresholds:
            ax.axhline(thresholds[name], color="0.3", ls="--", lw=1, label=f"threshold {pct(thresholds[name], 0)}")
        long = max((len(str(t)) for t in x_labels), default=0) > 8
        ax.set_xticks(range(len(x_order)), list(x_labels), rotation=20 if long else 0, ha="right" if long else "center")
        ax.set_xlabel(x_title)
        ylabel, panel = (labels or {}).get(name, (outcome_label(name), outcome_title(name)))
        ax.set_ylabel(ylabel)
        ax.set_title(panel, loc="left", fontsize=10)
    handles, legend_labels = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, legend_labels, title=hue_title, loc="upper center",
                   ncol=len(handles) if len(handles) <= 3 else 2,
                   bbox_to_anchor=(0.5, 0.0), fontsize=9, title_fontsize=9)
    fig.suptitle(with_warning(title, seeds_warning(fewest or 0)), x=0.01, ha="left")
    fig.text(0.99, 0.995, "points: mean over seeds; whiskers: bootstrap 95% CI", fontsize=8, color="0.35",
             ha="right", va="top")
    fig.tight_layout()
    return fig
