"""Experiment ``voice_and_brands``: can certification compete without the state?

With no rule on fees, two levers outside the state: workers' voice (a rating
platform like the article's Recruitment Advisor, seed 001, III.E, read and
written by a share of workers) and brand pressure (a share of employers with
Employer Pays supply-chain commitments, seed 001, III.B). A third lever sets
how hard brand pressure bites: ``society.brand_remediation``, the share of a
worker's fee a committed employer expects to repay per hire through a suspect
recruiter (0.5, the default: half the fee; 2: twice the fee). The sweep crosses
platform uptake, the share of committed employers and the remediation level
(``configs/experiment/voice_and_brands.yaml``).

The answer is read off the certified share of placements at the horizon
(last-12-month mean), per cell and separately for each remediation level:
where its mean exceeds 25% and 50% of placements, and where the whole
bootstrap 95% CI does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from experiments.context import Context
from experiments.report import Report, markdown_table, num, pct, with_ci, write_csv
from experiments.statistics import summarise, verdict

if TYPE_CHECKING:
    import pandas as pd

    from sim.plots import Collected

TITLE = "can certification compete without the state?"
UPTAKE, BRANDS, REMEDIATION = "society.platform_uptake", "society.brand_share", "society.brand_remediation"
LEVERS = [REMEDIATION, UPTAKE, BRANDS]
OUTCOMES = ("certified_share", "mean_fee_months", "debt_bondage_share", "placements")
THRESHOLDS = (0.25, 0.50)
QUICK = ["society.platform_uptake=0,1", "society.brand_share=0,1", "society.brand_remediation=0.5,2"]


def cells_above(table: pd.DataFrame, threshold: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cells whose mean certified share exceeds ``threshold``, and those whose whole CI does."""
    mean_above = table[table["certified_share"] > threshold]
    sure = table[[verdict(lo, hi, threshold) == "yes"
                  for lo, hi in zip(table["certified_share_lo"], table["certified_share_hi"])]]
    return mean_above, sure


def _cell(row: pd.Series) -> str:
    return f"uptake {pct(row[UPTAKE], 0)}, brands {pct(row[BRANDS], 0)}"


def _level(value: float) -> str:
    """``0.5`` -> ``"remediation 0.5 × fee"``."""
    return f"remediation {num(value, 2).rstrip('0').rstrip('.')} × fee"


def _stem(value: float) -> str:
    return "remediation_" + num(value, 2).rstrip("0").rstrip(".").replace(".", "p")


def level_answer(table: pd.DataFrame) -> tuple[str, list[str]]:
    """The answer for one remediation level (``table``: its cells) and one line per threshold."""
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
    # a share of how many placements: strong brand pressure can shrink the market itself
    ref = table[(table[UPTAKE] == best[UPTAKE]) & (table[BRANDS] == table[BRANDS].min())]
    if len(ref) and ref["placements"].iloc[0] > 0:
        ratio = best["placements"] / ref["placements"].iloc[0]
        answer += (f" In that best cell the market makes {num(best['placements'], 1)} placements a month, "
                   f"{pct(ratio, 0)} of the {num(ref['placements'].iloc[0], 1)} it makes at the same uptake with "
                   f"brand share {pct(table[BRANDS].min(), 0)}, and workers pay {num(best['mean_fee_months'], 1)} "
                   "months of wage on average.")
    return answer, lines


def analyse(collected: Collected, ctx: Context) -> Path:
    """Heatmaps (one per remediation level), curves and ``report.md``; returns the report's path."""
    import pandas as pd

    from sim.plots import plot_curves, plot_heatmap

    runs = collected.runs
    out, figures = ctx.out_dir, ctx.out_dir / "figures"
    table = summarise(runs, LEVERS, OUTCOMES)
    write_csv(table.rename(columns={REMEDIATION: "brand_remediation", UPTAKE: "platform_uptake",
                                    BRANDS: "brand_share"}), out / "summary.csv")
    levels = sorted(float(v) for v in table[REMEDIATION].unique())

    report = Report(ctx, TITLE, (
        "With no rule on fees (no ban, no inspections), can the voluntary label win a meaningful share of "
        "placements on the strength of workers' voice (a rating platform, seed 001, III.E) and brands' "
        "supply-chain commitments (seed 001, III.B)? The grid crosses the share of workers using the "
        "platform with the share of employers committed to Employer Pays and with how much a committed "
        "employer expects to repay when fees are found on a hire through a suspect recruiter "
        "(`society.brand_remediation`, as a share of the fee: 0.5, the default, is half the fee; 2 is twice "
        "the fee)."))
    answers = []
    for level in levels:
        part = table[table[REMEDIATION] == level]
        answer, lines = level_answer(part)
        answers.append((level, answer, lines))
    report.section("Answer", *[f"- **{_level(level)}**: {answer}" for level, answer, _ in answers])
    for level, answer, lines in answers:
        report.add(f"{_level(level).capitalize()}:", *lines)

    for level in levels:
        sub = runs[runs[REMEDIATION] == level]
        stem = _stem(level)
        plot_heatmap(sub, "certified_share", BRANDS, UPTAKE, figures / f"heatmap_certified_share_{stem}",
                     title=f"Certified share of placements without a state rule ({_level(level)})",
                     contour=THRESHOLDS[0], contour_label=f"{pct(THRESHOLDS[0], 0)} of placements")
        plot_heatmap(sub, "mean_fee_months", BRANDS, UPTAKE, figures / f"heatmap_mean_fee_months_{stem}",
                     title=f"Mean fee paid by workers without a state rule ({_level(level)})")
    plot_curves(runs, "certified_share", BRANDS, [REMEDIATION, UPTAKE],
                figures / "curve_certified_share_vs_brand_share",
                title="Certified share by brand pressure, one line per remediation level and platform uptake",
                hline=THRESHOLDS[0], hline_label=f"{pct(THRESHOLDS[0], 0)} threshold")
    for level in levels:
        report.figure(f"heatmap_certified_share_{_stem(level)}",
                      f"Certified share of placements by platform uptake and brand share, {_level(level)} "
                      "(a red line marks the 25% boundary where cells cross it)")
    report.figure("curve_certified_share_vs_brand_share", "Certified share against brand share, one line per "
                                                          "remediation level and platform uptake")
    for level in levels:
        report.figure(f"heatmap_mean_fee_months_{_stem(level)}",
                      f"Mean fee paid by workers (months of wage), {_level(level)}")

    shown = pd.DataFrame({
        "brand remediation (× fee)": [num(v, 2).rstrip("0").rstrip(".") for v in table[REMEDIATION]],
        "platform uptake": [pct(v, 0) for v in table[UPTAKE]],
        "brand share": [pct(v, 0) for v in table[BRANDS]],
        "certified share": [with_ci(a, b, c, as_pct=True) for a, b, c in zip(
            table["certified_share"], table["certified_share_lo"], table["certified_share_hi"])],
        "mean fee (months of wage)": [with_ci(a, b, c) for a, b, c in zip(
            table["mean_fee_months"], table["mean_fee_months_lo"], table["mean_fee_months_hi"])],
        "debt bondage": [with_ci(a, b, c, as_pct=True, digits=2) for a, b, c in zip(
            table["debt_bondage_share"], table["debt_bondage_share_lo"], table["debt_bondage_share_hi"])],
        "placements a month": [num(v, 1) for v in table["placements"]],
        "seeds": table["certified_share_n"].astype(int)})
    report.section("Every cell", markdown_table(shown),
                   "A certified share is a share of the month's placements: where brand pressure is strong, "
                   "employers may leave vacancies unfilled rather than hire through suspect recruiters, and "
                   "placements a month show how large the market still is. "
                   "Means over seeds of each run's last-12-month mean; brackets: bootstrap 95% CI. "
                   "`summary.csv` holds the numbers.")
    return report.write(runs)
