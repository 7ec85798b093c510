"""Figures from a collected sweep: the functions behind ``recruitsim-plot`` and the experiments' figures.

A sweep collected by ``recruitsim-collect SWEEP`` holds two tables in
``SWEEP/collected/`` (one row per run, one row per run and month). From them
this package draws, with readable defaults (units in the axis labels, regimes
named in words in the legends, PNG and SVG):

* **time series** of an outcome, one line per *regime* (the mean over seeds)
  with a band for the 95% confidence interval of that mean;
* **outcome-vs-lever curves** when a numeric lever varies, with 95% bands;
* **heatmaps** when two numeric levers vary: the mean over seeds in each cell.

Bands never leave the outcome's possible range (a share stays within 0 and 1,
a fee or a count at or above 0), and a figure drawn from fewer than 5 seeds
says so in its title.

Modules, one idea each:

* :mod:`sim.plots.collected`: reading ``SWEEP/collected`` and finding what varies (regimes, levers);
* :mod:`sim.plots.labels`: outcome and lever labels with units, settings and numbers in words;
* :mod:`sim.plots.bands`: confidence intervals across seeds, their possible range, the few-seeds warning;
* :mod:`sim.plots.figures`: house style, colours, writing files and the formats that can be written;
* :mod:`sim.plots.charts`: time series, curves and heatmaps;
* :mod:`sim.plots.sweep`: every figure a sweep calls for (:func:`plot_sweep`).

Matplotlib, pandas and scipy are imported only inside functions, so
``import sim.plots`` stays light. The command line is :mod:`sim.commands.plot`::

    recruitsim-plot SWEEP/collected [--outcomes a,b] [--out DIR] [--format png,svg]
"""

from __future__ import annotations

from sim.plots.bands import (
    CONFIDENCE,
    MIN_SEEDS,
    SIGNED_OUTCOMES,
    UNIT_RANGES,
    clip_band,
    fewest_seeds,
    group_ci,
    mean_ci,
    outcome_range,
    seeds_note,
    seeds_warning,
    with_warning,
)
from sim.plots.charts import (
    curves_figure,
    heatmap_figure,
    plot_curves,
    plot_heatmap,
    plot_timeseries,
    timeseries_figure,
)
from sim.plots.collected import (
    RUNS_FILE,
    TIMESERIES_FILE,
    Collected,
    Design,
    collected_folder,
    config_fields,
    load_collected,
    n_distinct,
    sweep_design,
)
from sim.plots.errors import PlotError
from sim.plots.figures import (
    DEFAULT_FORMATS,
    FORMATS,
    check_formats,
    colors,
    pyplot,
    save_figure,
    savefig_metadata,
)
from sim.plots.labels import (
    OUTCOME_LABELS,
    WORDS,
    format_number,
    legend_entries,
    lever_label,
    lever_name,
    outcome_label,
    outcome_title,
    regime_words,
    slug,
    value_words,
)
from sim.plots.sweep import (
    DEFAULT_MAX_LINES,
    DEFAULT_OUTCOMES,
    check_outcomes,
    plot_sweep,
)

__all__ = [
    "CONFIDENCE", "DEFAULT_FORMATS", "DEFAULT_MAX_LINES", "DEFAULT_OUTCOMES", "FORMATS", "MIN_SEEDS",
    "OUTCOME_LABELS", "RUNS_FILE", "SIGNED_OUTCOMES", "TIMESERIES_FILE", "UNIT_RANGES", "WORDS",
    "Collected", "Design", "PlotError",
    "check_formats", "check_outcomes", "clip_band", "collected_folder", "colors", "config_fields",
    "curves_figure", "fewest_seeds", "format_number", "group_ci", "heatmap_figure", "legend_entries",
    "lever_label", "lever_name", "load_collected", "mean_ci", "n_distinct", "outcome_label", "outcome_range",
    "outcome_title", "plot_curves", "plot_heatmap", "plot_sweep", "plot_timeseries", "pyplot", "regime_words",
    "save_figure", "savefig_metadata", "seeds_note", "seeds_warning", "slug", "sweep_design",
    "timeseries_figure", "value_words", "with_warning",
]
