"""The classroom app's figures: one panel per outcome, fixed axes, text readable on a projector.

Drawn with matplotlib on the server (no charting library in the browser,
nothing fetched from a CDN). The page embeds each panel as inline SVG with
its text kept as text (``svg.fonttype = none``), so the browser draws the
letters and the browser tests can measure them; downloads are PNG.

Legibility: a panel's SVG is :data:`PANEL_WIDTH_IN` inches wide (72 SVG
units an inch) and the page shows it at least :data:`MIN_PANEL_PX` pixels
wide, so text of :data:`MIN_FONT_PT` points is never drawn smaller than
:data:`MIN_FONT_PX` pixels. Honesty: every panel has a fixed range chosen
for its outcome (shares from 0 to 100%, fees from 0), never the data's own
range, so the noise of a month does not look like a jump; a range widens
only in fixed steps, when a line would leave it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

MIN_FONT_PX = 16
MIN_PANEL_PX = 330           # the page never shows a panel narrower (CSS min-width)
PANEL_WIDTH_IN = 4.6         # 331 SVG units: shown at >= 330 px, a point is >= 1 px
PANEL_HEIGHT_IN = 3.0
MIN_FONT_PT = 16.5           # every text in a panel; 16.5 pt * 330/331 >= 16 px
TITLE_PT = 17.5

COLORS = {"fee": "#c0392b", "certified": "#1e8449", "public": "#2471a3", "training": "#b7950b",
          "debt": "#6c3483", "home": "#a04000", "borrow": "#566573"}
SETUP_COLORS = {"A": "#1f4e99", "B": "#d35400"}


@dataclass(frozen=True)
class Line:
    outcome: str
    label: str
    color: str
    scale: float = 1.0  # e.g. 100 for a share shown in %


@dataclass(frozen=True)
class Panel:
    """One plot: a title, a unit, fixed y ranges to choose from (the first that holds the data), lines."""

    key: str
    title: str
    unit: str
    ranges: tuple[float, ...]
    lines: tuple[Line, ...]
    guide: str


PANELS: tuple[Panel, ...] = (
    Panel("fee", "Fee paid by workers placed", "months of wage", (16.0, 32.0, 64.0, 128.0),
          (Line("mean_fee_months", "mean fee", COLORS["fee"]),),
          "what the workers placed that month paid (recruiter and sub-agent), in months of their wage abroad "
          "(the SDG 10.7.1 indicator)"),
    Panel("borrowed", "Borrowed to pay the fee", "% of workers placed", (100.0,),
          (Line("indebted_share", "borrowed", COLORS["borrow"], 100.0),),
          "share of the month's placed workers who borrowed to pay"),
    Panel("bondage", "Debt bondage abroad", "% of workers abroad", (10.0, 100.0),
          (Line("debt_bondage_share", "in debt bondage", COLORS["debt"], 100.0),),
          "workers abroad whose debt exceeds what the rest of their contract can repay"),
    Panel("home", "Debt trap at home", "% of people at home", (100.0,),
          (Line("home_debt_trap_share", "in the debt trap", COLORS["home"], 100.0),),
          "people at home who could not repay their debt from home earnings within five years"),
    Panel("certified", "Label holders' share", "% of placements", (100.0,),
          (Line("certified_share", "certified", COLORS["certified"], 100.0),
           Line("public_share", "public channel", COLORS["public"], 100.0)),
          "share of the month's placements made by label holders (and by the public channel, if any)"),
    Panel("recruiters", "Recruiters by kind", "recruiters", (40.0, 80.0, 160.0, 320.0),
          (Line("n_fee_charging", "fee-charging", COLORS["fee"]),
           Line("n_certified", "certified", COLORS["certified"]),
           Line("n_training", "training", COLORS["training"])),
          "active private recruiters of each business model"),
)
BY_KEY = {p.key: p for p in PANELS}


def y_top(panel: Panel, highest: float) -> float:
    """The first of the panel's fixed ranges that holds ``highest`` (the last if none does)."""
    for top in panel.ranges:
        if not np.isfinite(highest) or highest <= top:
            return top
    return panel.ranges[-1]


def _style(ax, panel: Panel, horizon: int, top: float) -> None:
    ax.set_title(panel.title, fontsize=TITLE_PT, loc="left", pad=6)
    ax.set_ylabel(panel.unit, fontsize=MIN_FONT_PT)
    ax.set_xlim(0, max(horizon, 1))
    ax.set_ylim(0, top)
    ax.set_yticks(np.linspace(0, top, 3))
    ax.set_yticklabels([f"{t:g}" for t in np.linspace(0, top, 3)])
    years = max(horizon, 1) / 12
    step = 5 if years > 12 else 2 if years > 4 else 1
    ticks = np.arange(0, years + 1e-9, step) * 12
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t / 12:g}" for t in ticks])
    ax.set_xlabel("years", fontsize=MIN_FONT_PT, labelpad=1)
    ax.tick_params(labelsize=MIN_FONT_PT, length=3, pad=2)
    ax.grid(alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _figure() -> tuple[Figure, object]:
    fig = Figure(figsize=(PANEL_WIDTH_IN, PANEL_HEIGHT_IN), dpi=72)
    ax = fig.subplots()
    fig.subplots_adjust(left=0.2, right=0.97, top=0.86, bottom=0.25)
    return fig, ax


def _visible(panel: Panel, line: Line, applied: dict) -> bool:
    if line.outcome == "public_share":
        return bool(applied.get("policy.public_capacity"))
    return True


def run_figure(panel: Panel, series: pd.DataFrame, horizon: int, applied: dict) -> Figure:
    """One panel of one run, month by month, the x axis the whole run."""
    fig, ax = _figure()
    highest = 0.0
    for line in panel.lines:
        if not _visible(panel, line, applied) or series.empty or line.outcome not in series:
            continue
        y = series[line.outcome].to_numpy(dtype=float) * line.scale
        ax.plot(series["step"], y, color=line.color, lw=2.0, label=line.label)
        if np.isfinite(y).any():
            highest = max(highest, float(np.nanmax(y)))
    if panel.key == "fee" and applied.get("fee_rule") == "cap":
        ax.axhline(applied["policy.fee_cap_months"], ls="--", color="#555555", lw=1.5, label="legal cap")
    _style(ax, panel, horizon, y_top(panel, highest))
    return fig


def legend(panel: Panel, applied: dict) -> list[tuple[str, str]]:
    """The panel's legend as (label, colour) pairs, drawn by the page under the panel (text in a plot
    large enough to read would hide the lines); empty for a panel of one line."""
    items = [(line.label, line.color) for line in panel.lines if _visible(panel, line, applied)]
    if panel.key == "fee" and applied.get("fee_rule") == "cap":
        items.append(("legal cap (dashed)", "#555555"))
    return items if len(items) > 1 else []


def band_figure(panel: Panel, runs: dict[str, list[pd.DataFrame]], horizon: int) -> Figure:
    """One panel of several setups over several seeds: each setup's mean line and its min-max band.

    Only the panel's first line is drawn (one outcome per panel), one colour per setup.
    """
    fig, ax = _figure()
    line = panel.lines[0]
    highest = 0.0
    for setup, frames in runs.items():
        if not frames:
            continue
        months = min(len(f) for f in frames)
        if months == 0:
            continue
        values = np.vstack([f[line.outcome].to_numpy(dtype=float)[:months] for f in frames]) * line.scale
        x = frames[0]["step"].to_numpy()[:months]
        color = SETUP_COLORS.get(setup, "#333333")
        with np.errstate(all="ignore"):
            mean = np.nanmean(values, axis=0)
            low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        if len(frames) > 1:
            ax.fill_between(x, low, high, color=color, alpha=0.2, lw=0)
        ax.plot(x, mean, color=color, lw=2.0, label=f"{setup} ({len(frames)} seed{'s' if len(frames) > 1 else ''})")
        if np.isfinite(high).any():
            highest = max(highest, float(np.nanmax(high)))
    _style(ax, panel, horizon, y_top(panel, highest))
    if panel.key == "recruiters":  # one line per setup: the panel's first outcome only
        ax.set_title("Fee-charging recruiters", fontsize=TITLE_PT, loc="left", pad=6)
    return fig


def svg(fig: Figure) -> str:
    """The figure as an SVG element with its text as text (the browser draws and can measure it)."""
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "recruitsim"}):
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def png(figures: list[Figure], columns: int = 2) -> bytes:
    """Several panels in one PNG (the download), laid out in ``columns``."""
    import matplotlib.image as mpimg

    images = []
    for fig in figures:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        buffer.seek(0)
        images.append(mpimg.imread(buffer, format="png"))
    if not images:
        return b""
    h, w = images[0].shape[:2]
    rows = (len(images) + columns - 1) // columns
    sheet = np.ones((rows * h, columns * w, images[0].shape[2]), dtype=images[0].dtype)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] = image[:h, :w]
    out = io.BytesIO()
    mpimg.imsave(out, sheet, format="png")
    return out.getvalue()


def smallest_font_pt(fig: Figure) -> float:
    """The smallest text size in a figure, points (the tests check it against MIN_FONT_PT)."""
    sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
             if t.get_text() and t.get_visible()]
    return min(sizes) if sizes else float("inf")
