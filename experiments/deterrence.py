"""Experiment ``deterrence``: the inspection rate and fine at which a fee ban stops being evaded.

Under a ban on fees to workers (``policy.fee_cap_months=0``; random
inspections, detection probability 0.5), the sweep crosses the inspection
rate with the fine per detected violation (``configs/experiment/deterrence.yaml``).
For each cell the analysis takes, across seeds, the headline (last-12-month)
mean fee, the share of fee-charging recruiters evading the ban, and the
certified share of placements, and draws them as heatmaps.

**Evasion** is ``evading_share``, the share of fee-charging recruiters who
charge workers despite the ban; in a run whose last months have no
fee-charging recruiter at all it is undefined, and counts as 0 (nobody is
left to evade). The **deterrence frontier** is, for each inspection rate, the
least fine of the grid from which on (that fine and every larger one) mean
evasion stays below the target (10% by default); it is "robust" where the
upper bounds of the bootstrap 95% CIs are below the target too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from experiments.context import Context
from experiments.report import Report, markdown_table, pct, with_ci, write_csv
from experiments.statistics import summarise

if TYPE_CHECKING:
    import pandas as pd

    from sim.plots import Collected

TITLE = "when do inspections and fines deter evasion of a fee ban?"
#: Evasion below this share of fee-charging recruiters counts as deterred.
TARGET = 0.10
RATE, FINE = "policy.inspection_rate", "policy.fine"
OUTCOMES = ("mean_fee_months", "evading_share", "certified_share")
QUICK = ["policy.inspection_rate=0,0.2", "policy.fine=500,20000"]


def with_evasion(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with ``evasion``: evading_share, 0 where no fee-charging recruiter was left to evade."""
    out = runs.copy()
    nobody = out["evading_share"].isna() & (out["n_fee_charging"].fillna(0) == 0)
    out["evasion"] = out["evading_share"].where(~nobody, 0.0)
    return out


def frontier(table: pd.DataFrame, target: float = TARGET) -> pd.DataFrame:
    """Per inspection rate: the least fine from which on mean evasion stays below ``target``.

    ``table`` has one row per (rate, fine) with ``evasion``, ``evasion_hi``.
    Columns of the result: rate, ``fine`` (NaN if no fine in the grid deters),
    ``robust`` (CI upper bounds below the target too, from that fine on),
    ``evasion`` and its CI at that fine.
    """
    import math

    import pandas as pd

    rows = []
    for rate, part in table.groupby(RATE, sort=True):
        part = part.sort_values(FINE).reset_index(drop=True)
        below = (part["evasion"] < target).to_numpy()
        first = None
        for i in range(len(part)):
            if below[i:].all():
                first = i
                break
        if first is None:
            rows.append({RATE: rate, "fine": math.nan, "robust": False, "evasion": math.nan,
                         "evasion_lo": math.nan, "evasion_hi": math.nan})
            continue
        robust = bool((part["evasion_hi"].iloc[first:] < target).all())
        r = part.iloc[first]
        rows.append({RATE: rate, "fine": r[FINE], "robust": robust, "evasion": r["evasion"],
                     "evasion_lo": r["evasion_lo"], "evasion_hi": r["evasion_hi"]})
    return pd.DataFrame(rows)


def analyse(collected: Collected, ctx: Context, target: float = TARGET) -> Path:
    """Heatmaps, the frontier table and ``report.md``; returns the report's path."""
    from sim.plots import format_number, plot_curves, plot_heatmap

    runs = with_evasion(collected.runs)
    out, figures = ctx.out_dir, ctx.out_dir / "figures"
    measures = ("evasion", *OUTCOMES)
    table = summarise(runs, [RATE, FINE], measures)
    write_csv(table.rename(columns={RATE: "inspection_rate", FINE: "fine"}), out / "summary.csv")
    front = frontier(table, target)
    write_csv(front.rename(columns={RATE: "inspection_rate"}), out / "frontier.csv")

    heat = runs.assign(evading_share=runs["evasion"])
    plot_heatmap(heat, "evading_share", FINE, RATE, figures / "heatmap_evading_share",
                 title="Share of fee-charging recruiters evading the ban", contour=target,
                 contour_label=f"deterrence frontier: evasion below {pct(target, 0)} to the right/above")
    plot_heatmap(runs, "mean_fee_months", FINE, RATE, figures / "heatmap_mean_fee_months",
                 title="Mean fee paid by workers under the ban")
    plot_heatmap(runs, "certified_share", FINE, RATE, figures / "heatmap_certified_share",
                 title="Certified share of placements under the ban")
    plot_curves(runs, "mean_fee_months", FINE, [RATE], figures / "curve_mean_fee_months_vs_fine",
                title="Mean fee by fine, one line per inspection rate")

    report = Report(ctx, TITLE, (
        "A ban on fees to workers only bites if breaking it costs more than it brings (seed 001, III.A: "
        "fines are often too low to deter). Here fees are banned and the state chooses how many recruiters "
        "to inspect each month and how much to fine per violation found (random inspections, detection "
        "probability 0.5, licence revoked after three strikes). Evasion is the share of fee-charging "
        f"recruiters still charging workers at the horizon; the ban counts as deterring where it is below "
        f"{pct(target, 0)}."))
    lines = []
    for _, f in front.iterrows():
        rate = format_number(float(f[RATE]))
        if f["fine"] != f["fine"]:  # NaN
            worst = table[table[RATE] == f[RATE]].sort_values(FINE).iloc[-1]
            lines.append(f"- inspecting {pct(f[RATE], 0)} of recruiters a month (rate {rate}): **no fine in the "
                         f"grid deters**; at the largest fine, ${worst[FINE]:,.0f}, evasion is "
                         + with_ci(worst["evasion"], worst["evasion_lo"], worst["evasion_hi"], as_pct=True) + ".")
        else:
            lines.append(f"- inspecting {pct(f[RATE], 0)} of recruiters a month (rate {rate}): evasion stays below "
                         f"{pct(target, 0)} from a fine of **${f['fine']:,.0f}** on (there: "
                         + with_ci(f["evasion"], f["evasion_lo"], f["evasion_hi"], as_pct=True)
                         + ("" if f["robust"] else "; the CI reaches above the target at this or a larger fine, "
                            "so the frontier is not certain") + ").")
    deterred = front.dropna(subset=["fine"])
    if deterred.empty:
        summary = "No combination of inspection rate and fine in the grid deters evasion."
    else:
        cheapest = deterred.sort_values([RATE]).iloc[0]
        summary = (f"The lowest inspection rate that deters with some fine of the grid is {pct(cheapest[RATE], 0)} "
                   f"a month (from ${cheapest['fine']:,.0f}); {len(deterred)} of {len(front)} inspection rates "
                   "deter at some fine.")
        no_inspect = front[front[RATE] == 0]
        if len(no_inspect) and no_inspect["fine"].isna().all():
            summary += " Without inspections no fine deters: a fine nobody risks paying costs nothing."
        least_fine = table[FINE].min()
        if (table.loc[table[FINE] == least_fine, "evasion"] >= target).all():
            summary += (f" With the smallest fine, ${least_fine:,.0f}, no inspection rate of the grid deters: "
                        "the ban needs both levers.")
    report.section("The deterrence frontier", summary, *lines)
    report.figure("heatmap_evading_share", "Evasion of the ban by inspection rate and fine "
                                            f"(red: the frontier where evasion falls below {pct(target, 0)})")
    report.figure("heatmap_mean_fee_months", "Mean fee paid by workers (months of wage) under the ban")
    report.figure("heatmap_certified_share", "Certified share of placements under the ban")
    report.figure("curve_mean_fee_months_vs_fine", "Mean fee against the fine, one line per inspection rate")
    shown = table.copy()
    shown = shown.assign(**{
        "inspection rate": shown[RATE].map(lambda v: format_number(float(v))),
        "fine (USD)": shown[FINE].map(lambda v: f"{v:,.0f}"),
        "evasion": [with_ci(a, b, c, as_pct=True) for a, b, c in
                    zip(shown["evasion"], shown["evasion_lo"], shown["evasion_hi"])],
        "mean fee (months of wage)": [with_ci(a, b, c) for a, b, c in
                                      zip(shown["mean_fee_months"], shown["mean_fee_months_lo"],
                                          shown["mean_fee_months_hi"])],
        "certified share": [with_ci(a, b, c, as_pct=True) for a, b, c in
                            zip(shown["certified_share"], shown["certified_share_lo"],
                                shown["certified_share_hi"])],
        "seeds": shown["evasion_n"].astype(int)})
    cols = ["inspection rate", "fine (USD)", "evasion", "mean fee (months of wage)", "certified share", "seeds"]
    report.section("Every cell", markdown_table(shown[cols]),
                   "Means over seeds of each run's last-12-month mean; brackets: bootstrap 95% CI. "
                   "`summary.csv` and `frontier.csv` hold the numbers.")
    return report.write(runs)
