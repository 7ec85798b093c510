"""Experiment ``voice_and_brands``: can certification compete without the state?

With no rule on fees, two levers outside the state: workers' voice (a rating
platform like the article's Recruitment Advisor, seed 001, III.E, read and
written by a share of workers) and brand pressure (a share of employers with
Employer Pays supply-chain commitments, seed 001, III.B). The sweep crosses
platform uptake with the share of committed employers
(``configs/experiment/voice_and_brands.yaml``).

The answer is read off the certified share of placements at the horizon
(last-12-month mean), per cell: where its mean exceeds 25% and 50% of
placements, and where the whole bootstrap 95% CI does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from experiments.common import Context, Report, markdown_table, pct, summarise, verdict, with_ci, write_csv

if TYPE_CHECKING:
    import pandas as pd

    from sim.plotting import Collected

TITLE = "can certification compete without the state?"
UPTAKE, BRANDS = "society.platform_uptake", "society.brand_share"
OUTCOMES = ("certified_share", "mean_fee_months", "debt_bondage_share")
THRESHOLDS = (0.25, 0.50)
QUICK = ["society.platform_uptake=0,1", "society.brand_share=0,1"]


def cells_above(table: pd.DataFrame, threshold: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cells whose mean certified share exceeds ``threshold``, and those whose whole CI does."""
    mean_above = table[table["certified_share"] > threshold]
    sure = table[[verdict(lo, hi, threshold) == "yes"
                  for lo, hi in zip(table["certified_share_lo"], table["certified_share_hi"])]]
    return mean_above, sure


def _cell(row: pd.Series) -> str:
    return f"uptake {pct(row[UPTAKE], 0)}, brands {pct(row[BRANDS], 0)}"


def analyse(collected: Collected, ctx: Context) -> Path:
    """Heatmaps, curves and ``report.md``; returns the report's path."""
    from sim.plotting import plot_curves, plot_heatmap

    runs = collected.runs
    out, figures = ctx.out_dir, ctx.out_dir / "figures"
    table = summarise(runs, [UPTAKE, BRANDS], OUTCOMES)
    write_csv(table.rename(columns={UPTAKE: "platform_uptake", BRANDS: "brand_share"}), out / "summary.csv")

    plot_heatmap(runs, "certified_share", BRANDS, UPTAKE, figures / "heatmap_certified_share",
                 title="Certified share of placements without a state rule", contour=THRESHOLDS[0],
                 contour_label=f"{pct(THRESHOLDS[0], 0)} of placements")
    plot_heatmap(runs, "mean_fee_months", BRANDS, UPTAKE, figures / "heatmap_mean_fee_months",
                 title="Mean fee paid by workers without a state rule")
    plot_curves(runs, "certified_share", BRANDS, [UPTAKE], figures / "curve_certified_share_vs_brand_share",
                title="Certified share by brand pressure, one line per platform uptake",
                hline=THRESHOLDS[0], hline_label=f"{pct(THRESHOLDS[0], 0)} threshold")

    report = Report(ctx, TITLE, (
        "With no rule on fees (no ban, no inspections), can the voluntary label win a meaningful share of "
        "placements on the strength of workers' voice (a rating platform, seed 001, III.E) and brands' "
        "supply-chain commitments (seed 001, III.B)? The grid crosses the share of workers using the "
        "platform with the share of employers committed to Employer Pays."))
    best = table.sort_values("certified_share").iloc[-1]
    worst = table.sort_values("certified_share").iloc[0]
    lines = []
    for threshold in THRESHOLDS:
        mean_above, sure = cells_above(table, threshold)
        if len(sure):
            lines.append(f"- Above {pct(threshold, 0)} of placements with the whole 95% CI in {len(sure)} of "
                         f"{len(table)} cells: " + "; ".join(_cell(r) for _, r in sure.iterrows()) + ".")
        elif len(mean_above):
            lines.append(f"- Above {pct(threshold, 0)} on average in {len(mean_above)} of {len(table)} cells ("
                         + "; ".join(_cell(r) for _, r in mean_above.iterrows())
                         + "), but in none with its whole 95% CI.")
        else:
            lines.append(f"- In no cell does the certified share exceed {pct(threshold, 0)} of placements on "
                         "average.")
    mean25, sure25 = cells_above(table, THRESHOLDS[0])
    share = lambda r: with_ci(r["certified_share"], r["certified_share_lo"], r["certified_share_hi"],  # noqa: E731
                              as_pct=True)
    lead = ("**Yes, in part of the grid**" if len(sure25) else
            "**Not clearly**: some cells exceed 25% on average, none with its whole 95% CI" if len(mean25) else
            "**No, not in this grid**: no cell reaches 25% of placements on average")
    answer = lead + "; " + (
        f"the highest certified share, {share(best)}, is reached with {_cell(best)}; the lowest, {share(worst)}, "
        f"with {_cell(worst)}.")
    report.section("Answer", answer, *lines)
    report.figure("heatmap_certified_share", "Certified share of placements by platform uptake and brand share "
                                             "(a red line marks the 25% boundary where cells cross it)")
    report.figure("curve_certified_share_vs_brand_share", "Certified share against brand share, one line per "
                                                          "platform uptake")
    report.figure("heatmap_mean_fee_months", "Mean fee paid by workers (months of wage)")
    import pandas as pd

    shown = pd.DataFrame({
        "platform uptake": [pct(v, 0) for v in table[UPTAKE]],
        "brand share": [pct(v, 0) for v in table[BRANDS]],
        "certified share": [with_ci(a, b, c, as_pct=True) for a, b, c in zip(
            table["certified_share"], table["certified_share_lo"], table["certified_share_hi"])],
        "mean fee (months of wage)": [with_ci(a, b, c) for a, b, c in zip(
            table["mean_fee_months"], table["mean_fee_months_lo"], table["mean_fee_months_hi"])],
        "debt bondage": [with_ci(a, b, c, as_pct=True, digits=2) for a, b, c in zip(
            table["debt_bondage_share"], table["debt_bondage_share_lo"], table["debt_bondage_share_hi"])],
        "seeds": table["certified_share_n"].astype(int)})
    report.section("Every cell", markdown_table(shown),
                   "Means over seeds of each run's last-12-month mean; brackets: bootstrap 95% CI. "
                   "`summary.csv` holds the numbers.")
    return report.write(runs)
