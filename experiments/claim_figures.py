"""The claim experiment's figures: verdict shares over worlds, per-seed distributions, the boundary.

Kept apart from :mod:`experiments.claim` so that the analysis reads as the
verdict's logic and these as drawing. Each writes ``stem.png`` and ``stem.svg``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from experiments.verdict import VERDICTS, column

if TYPE_CHECKING:
    from experiments.verdict import Predictions

#: Colours of the four verdicts.
VERDICT_COLOURS = {"holds": "#2a9d8f", "contradicted": "#e76f51", "inconclusive": "#bbbbbb", "untestable": "#6c757d"}
#: Worlds drawn in the per-seed figure (the first ones; the rest are in worlds.csv).
SEED_WORLDS = 4


def verdict_share_figure(table: pd.DataFrame, spec: Predictions, stem: Path, quick: bool = False) -> None:
    """Stacked horizontal bars: per prediction the share of worlds of each verdict."""
    from sim.plots import pyplot, save_figure

    plt = pyplot()
    rows = table.iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.5, 0.22 * len(rows) + 1.5))
    left = np.zeros(len(rows))
    for v in VERDICTS:
        values = rows[v].fillna(0).to_numpy(dtype=float) if v in rows else np.zeros(len(rows))
        ax.barh(range(len(rows)), values, left=left, color=VERDICT_COLOURS[v], label=v, height=0.8)
        left += values
    ax.set_yticks(range(len(rows)), [f"{p} ({t})" for p, t in zip(rows["prediction"], rows["tier"])], fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of worlds")
    n = int(rows["worlds"].max()) if len(rows) else 0
    ax.set_title(f"Verdicts over {n} world{'s' if n != 1 else ''}" + (" (quick run: meaningless)" if quick else ""),
                 loc="left", fontsize=10)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.04), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    save_figure(fig, stem)
    plt.close(fig)


def seed_distribution_figure(kept: dict, spec: Predictions, stem: Path) -> None:
    """Per regime: each seed's label share (real arm) and Δlabel on fee-free placements, for the first worlds.

    Violins show the spread; dots the seeds, so a bimodal split (e.g. the label
    taking the whole market in some seeds and none in others) is visible where a
    mean and its interval would hide it.
    """
    from sim.plots import pyplot, save_figure

    plt = pyplot()
    baseline = sorted(k for k in kept if k[0] == "baseline")[:SEED_WORLDS]
    regimes = list(spec.data["regimes"])
    fig, axes = plt.subplots(2, 1, figsize=(max(6.0, 1.4 * len(regimes) * max(len(baseline), 1) / 2), 6.5),
                             squeeze=False)
    panels = [("label's share of placements (real arm)", lambda w, r: _values(w, r, "real", None, "certified_share")),
              ("Δlabel on fee-free share (real - none)", lambda w, r: _values(w, r, "real", "none", "fee_free_share"))]
    rng = np.random.default_rng(0)
    for ax, (title, get) in zip(axes[:, 0], panels):
        pos, labels = 0, []
        for key in baseline:
            world = kept[key][0]
            for regime in regimes:
                x = get(world, regime)
                if x is not None and len(x):
                    if len(x) > 1 and np.ptp(x) > 0:
                        ax.violinplot([x], positions=[pos], widths=0.8, showextrema=False)
                    ax.scatter(pos + rng.uniform(-0.15, 0.15, len(x)), x, s=6, color="black", alpha=0.6)
                labels.append(f"w{key[1]}\n{regime}")
                pos += 1
        ax.axhline(0, color="0.6", lw=0.6)
        ax.set_xticks(range(len(labels)), labels, fontsize=6, rotation=90)
        ax.set_title(title, loc="left", fontsize=9)
    fig.tight_layout()
    save_figure(fig, stem)
    plt.close(fig)


def _values(world: dict, regime: str, arm: str, minus: str | None, outcome: str) -> np.ndarray | None:
    cell = world.get((regime, arm))
    if cell is None:
        return None
    x = column(cell, outcome)
    if minus is not None:
        other = world.get((regime, minus))
        if other is None:
            return None
        y = column(other, outcome)
        common = x.index.intersection(y.index)
        x = x.loc[common] - y.loc[common]
    x = x.to_numpy(dtype=float)
    return x[~np.isnan(x)]


def boundary_figure(robust: pd.DataFrame, stem: Path) -> None:
    """Per undecided parameter: the share of worlds where the whole claim holds (and is contradicted) along its grid."""
    from sim.plots import pyplot, save_figure

    plt = pyplot()
    axes_names = [a for a in robust["axis"].dropna().unique() if a]
    fig, axes = plt.subplots(1, max(len(axes_names), 1), figsize=(3.2 * max(len(axes_names), 1), 3.2), squeeze=False)
    for ax, name in zip(axes[0], axes_names):
        part = robust[robust["axis"] == name]
        labels = [str(v) for v in part["value"]]
        ax.plot(range(len(part)), part["holds"], "o-", color=VERDICT_COLOURS["holds"], label="holds")
        ax.plot(range(len(part)), part["contradicted"], "s--", color=VERDICT_COLOURS["contradicted"],
                label="contradicted")
        ax.set_xticks(range(len(part)), labels, fontsize=7, rotation=30)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(name, fontsize=8, loc="left")
    axes[0][0].set_ylabel("share of worlds")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, stem)
    plt.close(fig)
