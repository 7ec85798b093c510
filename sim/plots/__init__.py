"""Figures from a collected sweep: the ``recruitsim-plot`` command and the functions behind it.

A sweep collected by ``recruitsim-collect SWEEP`` holds two tables in
``SWEEP/collected/``: ``runs.parquet`` (one row per run: ``run_id``, ``seed``,
``status``, the ``choice.<group>`` columns, every config key as a dotted
column, every headline outcome) and ``timeseries.parquet`` (one row per run
and month). From them this module draws, with readable defaults (units in the
axis labels, regimes named in words in the legends, PNG and SVG):

* **time series** of an outcome, one line per *regime* (the mean over seeds)
  with a band for the 95% confidence interval of that mean;
* **outcome-vs-lever curves** when a numeric lever varies: the headline
  outcome (mean over the run's last months) against the lever, one line per
  combination of the other varied settings, with 95% bands across seeds;
* **heatmaps** when two numeric levers vary: the mean over seeds in each cell.

A *regime* is one combination of the settings that vary across the sweep,
seeds aside: the ``choice.*`` columns (config group options such as
``policy=fee_ban_weak``) and the config keys that vary on their own (levers
such as ``policy.fine``). Config keys whose values follow from a varied group
option (``policy.fine`` when ``policy`` itself varies) are not counted twice.

Confidence bands are Student-t intervals of the mean across seeds
(``mean ± t(0.975, n-1) · sd / sqrt(n)``); with one seed there is no band.

Matplotlib (Agg backend) and pandas are imported only inside functions, so
``import sim`` stays light.

Usage::

    recruitsim-plot SWEEP/collected [--outcomes a,b] [--out DIR] [--format png,svg]
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import sys
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from sim.model.outcomes import OUTCOMES

if TYPE_CHECKING:
    import pandas as pd

#: Outcomes drawn when ``--outcomes`` is not given (the project's headline outcomes).
DEFAULT_OUTCOMES = ("certified_share", "mean_fee_months", "debt_bondage_share")
DEFAULT_FORMATS = ("png", "svg")
#: More regimes than this and the time-series figure would be unreadable; it is skipped.
DEFAULT_MAX_LINES = 10
CONFIDENCE = 0.95
EXIT_USAGE = 2

#: Short labels for axis titles (the full meaning of every outcome is in sim/model/outcomes.py).
OUTCOME_LABELS = {
    "placements": "placements",
    "certified_share": "certified share of placements",
    "public_share": "public channel's share of placements",
    "mean_fee_months": "mean fee paid by workers",
    "median_fee_months": "median fee paid by workers",
    "p90_fee_months": "90th percentile of fees paid",
    "indebted_share": "share of placed workers who borrowed",
    "debt_bondage_share": "share of workers abroad in debt bondage",
    "mean_payback_months": "months to pay back the fee",
    "evading_share": "share of fee-charging recruiters evading",
    "cheating_share": "share of certified recruiters cheating",
    "deceiving_share": "share of recruiters deceiving",
    "n_certified": "certified recruiters",
    "n_fee_charging": "fee-charging recruiters",
    "hhi": "market concentration (HHI)",
}

#: Options and group names as words in legends.
WORDS = {"no_rule": "no rule", "fee_cap": "fee cap", "fee_ban_weak": "fee ban, weakly enforced",
         "fee_ban_enforced": "fee ban, enforced", "ban_joint_liability": "fee ban + joint liability",
         "disabled": "none", "voluntary": "voluntary"}

#: File names of the collected tables.
RUNS_FILE = "runs.parquet"
TIMESERIES_FILE = "timeseries.parquet"


class PlotError(Exception):
    """A problem with the input the user can fix; ``str()`` is the message."""


# --------------------------------------------------------------------------- reading a collected sweep


@dataclass
class Collected:
    """A collected sweep: the runs table (completed runs only) and where it came from.

    The time series are read lazily, column by column (:meth:`timeseries`), since
    a large sweep's long table need not fit in memory whole.
    """

    runs: pd.DataFrame
    folder: Path
    n_failed: int = 0

    def timeseries(self, columns: Sequence[str]) -> pd.DataFrame:
        """``run_id``, ``step`` and ``columns`` of the completed runs' time series."""
        import pandas as pd

        path = self.folder / TIMESERIES_FILE
        if not path.is_file():
            raise PlotError(f"no {TIMESERIES_FILE} in {self.folder}")
        wanted = list(dict.fromkeys(["run_id", "step", *columns]))
        frame = pd.read_parquet(path, columns=wanted)
        return frame[frame["run_id"].isin(self.runs["run_id"])]


def collected_folder(path: str | Path) -> Path:
    """The folder holding ``runs.parquet``: ``path`` itself, or ``path/collected`` for a sweep folder."""
    path = Path(path)
    for folder in (path, path / "collected"):
        if (folder / RUNS_FILE).is_file():
            return folder
    raise PlotError(f"no {RUNS_FILE} in {path} or {path / 'collected'}; "
                    f"collect the sweep first: recruitsim-collect SWEEP_DIR")


def load_collected(path: str | Path) -> Collected:
    """Read a collected sweep (``SWEEP/collected`` or ``SWEEP``); keep the completed runs."""
    import pandas as pd

    folder = collected_folder(path)
    runs = pd.read_parquet(folder / RUNS_FILE)
    n_failed = 0
    if "status" in runs:
        done = runs["status"] == "completed"
        n_failed = int((~done).sum())
        runs = runs[done]
    if runs.empty:
        raise PlotError(f"{folder / RUNS_FILE} holds no completed run")
    return Collected(runs=runs.reset_index(drop=True), folder=folder, n_failed=n_failed)


# --------------------------------------------------------------------------- what varies


@lru_cache(maxsize=1)
def config_fields() -> dict[str, dataclasses.Field]:
    """Every config key of the schema (dotted) with its dataclass field (unit in ``metadata``)."""
    from sim.config import RecruitsimConfig

    out: dict[str, dataclasses.Field] = {}

    def walk(obj: Any, prefix: str) -> None:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{f.name}.")
            else:
                out[f"{prefix}{f.name}"] = f

    walk(RecruitsimConfig(), "")
    return out


def _nunique(series: pd.Series) -> int:
    return int(series.astype(str).nunique(dropna=False))


@dataclass
class Design:
    """What varies across a sweep, seeds aside.

    Attributes:
        choices: varied ``choice.<group>`` columns (group options).
        levers: varied config keys not implied by a varied group option.
        numeric: the levers among ``levers`` with numbers for values (not booleans).
    """

    choices: list[str]
    levers: list[str]
    numeric: list[str]

    @property
    def regime(self) -> list[str]:
        """The columns whose combination is a regime."""
        return [*self.choices, *self.levers]


def sweep_design(runs: pd.DataFrame) -> Design:
    """Find the varied group options and levers of a runs table (see the module docstring)."""
    import pandas as pd

    keys = config_fields()
    choices = [c for c in runs.columns if c.startswith("choice.") and _nunique(runs[c]) > 1]
    levers = []
    for col in runs.columns:
        if col not in keys or col == "seed" or _nunique(runs[col]) <= 1:
            continue
        if choices and runs.groupby(choices, dropna=False)[col].agg(_nunique).max() <= 1:
            continue  # follows from the group options
        levers.append(col)
    numeric = [c for c in levers if pd.api.types.is_numeric_dtype(runs[c])
               and not pd.api.types.is_bool_dtype(runs[c])
               and runs[c].dropna().map(lambda v: not isinstance(v, bool)).all()]
    return Design(choices=choices, levers=levers, numeric=numeric)


# --------------------------------------------------------------------------- words for people


def outcome_label(name: str) -> str:
    """``"mean fee paid by workers (months of wage)"``: a short label with the unit."""
    unit = OUTCOMES.get(name, ("", ""))[0]
    label = OUTCOME_LABELS.get(name, name.replace("_", " "))
    return f"{label} ({unit})" if unit else label


def outcome_title(name: str) -> str:
    label = OUTCOME_LABELS.get(name, name.replace("_", " "))
    return label[:1].upper() + label[1:]


def lever_name(key: str) -> str:
    """``policy.inspection_rate`` -> ``inspection rate``; booleans keep their group (``certification announced``)."""
    if key.startswith("choice."):
        return key.removeprefix("choice.")
    group, _, name = key.rpartition(".")
    field = config_fields().get(key)
    words = name.replace("_", " ")
    if field is not None and field.metadata.get("unit") == "bool" and group:
        return f"{group} {words}"
    return words


def lever_label(key: str) -> str:
    """Axis label of a lever with its unit: ``fine (USD per detected violation)``."""
    field = config_fields().get(key)
    unit = field.metadata.get("unit", "") if field is not None else ""
    name = lever_name(key)
    return f"{name} ({unit})" if unit and unit not in ("bool", "integer") else name


def value_words(key: str, value: Any) -> str:
    """One setting in words for a legend: ``policy: fee ban, enforced``, ``fine 5000``, ``... announced: yes``."""
    if key.startswith("choice."):
        return f"{lever_name(key)}: {WORDS.get(str(value), str(value).replace('_', ' '))}"
    if isinstance(value, bool) or (hasattr(value, "dtype") and value.dtype == bool):
        return f"{lever_name(key)}: {'yes' if value else 'no'}"
    return f"{lever_name(key)} {format_number(value)}"


def format_number(value: Any) -> str:
    """``20000.0`` -> ``"20,000"``, ``0.05`` -> ``"0.05"``, ``3`` -> ``"3"``."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def regime_words(row: Any, columns: Sequence[str]) -> str:
    """A regime in words from a row (mapping or tuple aligned with ``columns``)."""
    values = [row[c] for c in columns] if hasattr(row, "keys") else list(row)
    return ", ".join(value_words(c, v) for c, v in zip(columns, values)) or "all runs"


def legend_entries(keys: Sequence[tuple], columns: Sequence[str]) -> tuple[str | None, list[str]]:
    """Legend title and one label per key: a single setting names itself in the title
    (``fine (USD per detected violation)``: ``500``, ``20,000``); several are written out in each label."""
    if len(columns) == 1:
        col = columns[0]
        if col.startswith("choice."):
            return lever_name(col), [WORDS.get(str(k[0]), str(k[0]).replace("_", " ")) for k in keys]
        words = [value_words(col, k[0]) for k in keys]
        if all(w.startswith(lever_name(col) + " ") for w in words):  # a number: unit in the title
            return lever_label(col), [format_number(k[0]) for k in keys]
        return None, words
    return None, [regime_words(k, columns) for k in keys]


def slug(text: str) -> str:
    """A file-name-safe version of ``text``."""
    out = "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in str(text))
    return "_".join(part for part in out.split("_") if part)


# --------------------------------------------------------------------------- statistics


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


# --------------------------------------------------------------------------- figures


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "axes.spines.top": False,
                         "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
                         "legend.frameon": False, "font.size": 10, "svg.hashsalt": "recruitsim",
                         "svg.fonttype": "none"})
    return plt


def save_figure(fig: Any, stem: Path, formats: Sequence[str] = DEFAULT_FORMATS) -> list[Path]:
    """Write ``fig`` as ``stem.<format>`` for each format (atomically) and close it."""
    from sim.runs.files import atomic_write_with

    plt = _pyplot()
    paths = []
    stem.parent.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        path = stem.with_name(f"{stem.name}.{fmt}")
        metadata = {"Date": None} if fmt == "svg" else {}
        atomic_write_with(path, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, bbox_inches="tight",
                                                                   metadata=metadata))
        paths.append(path)
    plt.close(fig)
    return paths


def _clip(outcome: str, lo: Any, hi: Any) -> tuple[Any, Any]:
    """Bands of shares stay within [0, 1] (a t interval from few seeds can overshoot)."""
    if OUTCOMES.get(outcome, ("",))[0] == "share":
        return lo.clip(0.0, 1.0), hi.clip(0.0, 1.0)
    return lo, hi


def _colors(n: int) -> list:
    plt = _pyplot()
    cmap = plt.get_cmap("tab10" if n <= 10 else "viridis")
    return [cmap(i) if n <= 10 else cmap(i / max(n - 1, 1)) for i in range(n)]


def _seeds_note(counts: Iterable[int]) -> str:
    counts = [int(c) for c in counts if c]
    if not counts:
        return ""
    lo, hi = min(counts), max(counts)
    seeds = f"{lo}" if lo == hi else f"{lo}-{hi}"
    return f"lines: mean over {seeds} seeds; bands: {CONFIDENCE:.0%} CI of the mean"


def _legend(ax: Any, title: str | None = None, n: int = 0) -> None:
    if n > 5:
        ax.legend(title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title_fontsize=8)
    else:
        ax.legend(title=title, fontsize=8, title_fontsize=8)


def plot_timeseries(ts: pd.DataFrame, outcome: str, regime: Sequence[str], stem: Path,
                    formats: Sequence[str] = DEFAULT_FORMATS, title: str | None = None,
                    smooth: int = 1, style: str | None = None,
                    orders: dict[str, Sequence] | None = None) -> list[Path]:
    """An outcome over time, one line per regime, with 95% bands across seeds.

    Args:
        ts: long table with ``run_id``, ``step``, ``outcome`` and the ``regime`` columns.
        outcome: the column to draw.
        regime: columns whose combination is a regime (may be empty: one line).
        stem: output path without extension.
        smooth: months of a trailing rolling mean applied to each run before averaging.
        style: one of the ``regime`` columns shown by line style (solid, dashed, ...) instead of
            colour, so that e.g. 4 x 2 regimes read as 4 colours x 2 styles.
        orders: the order of each column's values in the legend (default: sorted).
    """
    plt = _pyplot()
    frame = ts
    if smooth > 1:
        frame = ts.sort_values(["run_id", "step"]).copy()
        frame[outcome] = (frame.groupby("run_id")[outcome]
                          .transform(lambda s: s.rolling(smooth, min_periods=1).mean()))
    stats = group_ci(frame, [*regime, "step"], outcome)
    colour_cols = [c for c in regime if c != style]
    groups = list(stats.groupby(list(regime), dropna=False, sort=True)) if regime else [((), stats)]
    groups = [(k if isinstance(k, tuple) else (k,), part) for k, part in groups]
    groups.sort(key=lambda item: _rank(item[0], regime, orders or {}))
    colour_keys = list(dict.fromkeys(tuple(k[regime.index(c)] for c in colour_cols) for k, _ in groups))
    style_keys = list(dict.fromkeys(k[regime.index(style)] for k, _ in groups)) if style else [None]
    colours = dict(zip(colour_keys, _colors(len(colour_keys))))
    dashes = dict(zip(style_keys, ["-", "--", ":", "-."] * (len(style_keys) // 4 + 1)))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for key, part in groups:
        ckey = tuple(key[regime.index(c)] for c in colour_cols)
        skey = key[regime.index(style)] if style else None
        lo, hi = _clip(outcome, part["lo"], part["hi"])
        ax.plot(part["step"], part["mean"], color=colours[ckey], ls=dashes[skey], lw=1.5)
        ax.fill_between(part["step"], lo, hi, color=colours[ckey], alpha=0.15, lw=0)
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("month")
    ax.set_ylabel(outcome_label(outcome))
    note = _seeds_note(stats["n"])
    if smooth > 1:
        note += f"; {smooth}-month rolling mean"
    ax.set_title(title or f"{outcome_title(outcome)} over time", loc="left")
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
    return save_figure(fig, stem, formats)


def _rank(key: tuple, columns: Sequence[str], orders: dict[str, Sequence]) -> tuple:
    """Sort key of a group: each value's position in ``orders[column]`` (else the value itself)."""
    out = []
    for col, value in zip(columns, key):
        order = list(orders.get(col, ()))
        out.append((order.index(value), "") if value in order else (len(order), str(value)))
    return tuple(out)


def plot_curves(runs: pd.DataFrame, outcome: str, x: str, lines: Sequence[str], stem: Path,
                formats: Sequence[str] = DEFAULT_FORMATS, title: str | None = None,
                window_note: str = "mean over the last 12 months of each run",
                hline: float | None = None, hline_label: str | None = None) -> list[Path]:
    """A headline outcome against a numeric lever, one line per combination of ``lines``, 95% bands."""
    plt = _pyplot()
    stats = group_ci(runs, [*lines, x], outcome)
    groups = list(stats.groupby(list(lines), dropna=False, sort=True)) if lines else [((), stats)]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    keys = [k if isinstance(k, tuple) else (k,) for k, _ in groups]
    legend_title, labels = legend_entries(keys, lines) if lines else (None, [None] * len(groups))
    for color, label, (_, part) in zip(_colors(len(groups)), labels, groups):
        part = part.sort_values(x)
        lo, hi = _clip(outcome, part["lo"], part["hi"])
        ax.plot(part[x], part["mean"], color=color, marker="o", ms=4, lw=1.5, label=label)
        ax.fill_between(part[x], lo, hi, color=color, alpha=0.2, lw=0)
    if hline is not None:
        ax.axhline(hline, color="0.3", ls="--", lw=1, label=hline_label)
    ax.set_xlabel(lever_label(x))
    ax.set_ylabel(outcome_label(outcome))
    ax.set_title(title or f"{outcome_title(outcome)} by {lever_name(x)}", loc="left")
    note = f"{window_note}; " + _seeds_note(stats["n"]).replace("lines:", "points:")
    fig.text(0.01, -0.02, note, fontsize=8, color="0.35", ha="left", va="top")
    if lines or hline is not None:
        _legend(ax, legend_title, n=len(groups))
    return save_figure(fig, stem, formats)


def plot_heatmap(runs: pd.DataFrame, outcome: str, x: str, y: str, stem: Path,
                 formats: Sequence[str] = DEFAULT_FORMATS, title: str | None = None,
                 window_note: str = "mean over the last 12 months of each run",
                 fmt: Callable[[float], str] | None = None, contour: float | None = None,
                 contour_label: str | None = None) -> list[Path]:
    """Mean of an outcome over seeds in each cell of a two-lever grid, values written in the cells.

    Args:
        contour: draw the boundary between cells below and at/above this value (e.g. a frontier).
    """
    import numpy as np

    plt = _pyplot()
    stats = group_ci(runs, [y, x], outcome)
    grid = stats.pivot(index=y, columns=x, values="mean").sort_index().sort_index(axis=1)
    xs, ys = list(grid.columns), list(grid.index)
    values = grid.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(1.1 * len(xs) + 3, 0.6 * len(ys) + 2.4))
    finite = values[np.isfinite(values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if OUTCOMES.get(outcome, ("",))[0] == "share":
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
    ax.set_title(title or f"{outcome_title(outcome)}", loc="left")
    n = stats["n"]
    seeds = f"{int(n.min())}" if n.min() == n.max() else f"{int(n.min())}-{int(n.max())}"
    note = f"cells: {window_note}, averaged over {seeds} seeds"
    if contour is not None:
        crossed = bool((finite < contour).any() and (finite >= contour).any())
        what = contour_label or f"boundary at {format_number(contour)}"
        note += f"\nred line: {what}" if crossed else f"\nno red line: every cell is on the same side of {contour:g}"
    fig.text(0.01, -0.02, note, fontsize=8, color="0.35", ha="left", va="top")
    return save_figure(fig, stem, formats)


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


# --------------------------------------------------------------------------- the whole sweep


def _progress(message: str, quiet: bool) -> None:
    if not quiet:
        print(f"recruitsim-plot: {message}", file=sys.stderr, flush=True)


def plot_sweep(collected: Collected | str | Path, outcomes: Sequence[str] = DEFAULT_OUTCOMES,
               out: str | Path | None = None, formats: Sequence[str] = DEFAULT_FORMATS,
               max_lines: int = DEFAULT_MAX_LINES, smooth: int = 1, quiet: bool = False) -> list[Path]:
    """Every figure the sweep's design calls for (see the module docstring); returns the files written.

    Args:
        collected: a :class:`Collected`, or the path of ``SWEEP/collected`` (or ``SWEEP``).
        outcomes: outcome names (columns of the tables).
        out: output folder; default ``SWEEP/figures`` next to ``collected/``.
        formats: file formats (any matplotlib knows; default PNG and SVG).
        max_lines: time-series figures with more regimes than this are skipped.
        smooth: rolling mean (months) applied to each run's time series.
        quiet: no progress lines on stderr.
    """
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
        x = max(design.numeric, key=lambda c: (_nunique(runs[c]), -design.numeric.index(c)))
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
    style = regime[-1] if len(regime) >= 2 and _nunique(collected.runs[regime[-1]]) <= 4 else None
    written = []
    for outcome in outcomes:
        written += plot_timeseries(ts, outcome, regime, out / f"timeseries_{outcome}", formats, smooth=smooth,
                                   style=style)
    return written


def _window_note(runs: pd.DataFrame) -> str:
    col = "run.summary_window_months"
    if col in runs and _nunique(runs[col]) == 1:
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


# --------------------------------------------------------------------------- command line
