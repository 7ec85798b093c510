"""Experiment ``public_channel``: a government-to-government channel against the private market.

Seed 002 lists public employment agencies that move workers abroad as the
third government response to high recruitment costs; seed 001 (II.B) tells
how IOM-Guatemala ran recruitment for a bilateral programme, grew, and then
lost the market to private recruiters founded by its former staff, and
closed. The sweep crosses the channel's capacity (placements a month) with
the share of employers bound to use it first (``public_mandate``), with no
rule on private fees (``configs/experiment/public_channel.yaml``).

Measures per run: the public share of placements and the mean fee at the
horizon (last-12-month means); from the time series, the public share's
**peak** (highest 12-month rolling mean, and its month) and its value at the
horizon. The channel "loses the market it won" in a cell when, on average, it
had won a share (peak at least 5% of placements) and keeps less than half of
its peak at the horizon.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.context import Context
from experiments.report import (
    Report,
    effect_words,
    markdown_table,
    pct,
    with_ci,
    write_csv,
)
from experiments.statistics import bootstrap_diff_ci, summarise

if TYPE_CHECKING:
    import pandas as pd

    from sim.plots import Collected

TITLE = "can a public recruitment channel hold its own against private recruiters?"
CAPACITY, MANDATE = "policy.public_capacity", "policy.public_mandate"
OUTCOMES = ("public_share", "mean_fee_months", "debt_bondage_share")
#: A peak public share below this is "never won a market".
WON = 0.05
#: Keeping less than this fraction of the peak at the horizon is "lost the market".
KEPT = 0.5
ROLLING = 12
QUICK = ["policy.public_capacity=0,30", "policy.public_mandate=0,1"]


def peaks(ts: pd.DataFrame) -> pd.DataFrame:
    """Per run: the peak of the public share's 12-month rolling mean, the month it is reached, and the
    rolling mean at the last month."""
    frame = ts.sort_values(["run_id", "step"])
    rolled = frame.groupby("run_id")["public_share"].transform(lambda s: s.rolling(ROLLING, min_periods=1).mean())
    frame = frame.assign(rolled=rolled.fillna(0.0))
    idx = frame.groupby("run_id")["rolled"].idxmax()
    out = frame.loc[idx, ["run_id", "step", "rolled"]].rename(columns={"step": "peak_month", "rolled": "public_peak"})
    last = frame.groupby("run_id").tail(1)[["run_id", "rolled"]].rename(columns={"rolled": "public_end"})
    return out.merge(last, on="run_id")


def story(row: pd.Series) -> str:
    """What happened to the channel in one cell, in words, from its peak and horizon shares."""
    peak, end = row["public_peak"], row["public_end"]
    if math.isnan(peak) or peak < WON:
        return "never wins a market (peak share below 5% of placements)"
    if end < KEPT * peak:
        return (f"wins a market, then loses it: from a peak of {pct(peak)} of placements around month "
                f"{row['peak_month']:.0f} to {pct(end)} at the horizon")
    return f"wins a market and keeps it: peak {pct(peak)}, {pct(end)} at the horizon"


def analyse(collected: Collected, ctx: Context) -> Path:
    """Curves, time series and ``report.md``; returns the report's path."""
    import pandas as pd

    from sim.plots import format_number, plot_curves, plot_timeseries

    runs = collected.runs
    out, figures = ctx.out_dir, ctx.out_dir / "figures"
    ts = collected.timeseries(["public_share"])
    runs = runs.merge(peaks(ts), on="run_id", how="left")
    measures = (*OUTCOMES, "public_peak", "public_end", "peak_month")
    table = summarise(runs, [CAPACITY, MANDATE], measures)
    table["story"] = [story(r) for _, r in table.iterrows()]
    write_csv(table.rename(columns={CAPACITY: "public_capacity", MANDATE: "public_mandate"}), out / "summary.csv")

    plot_curves(runs, "public_share", CAPACITY, [MANDATE], figures / "curve_public_share_vs_capacity",
                title="Public channel's share of placements by its capacity")
    plot_curves(runs, "mean_fee_months", CAPACITY, [MANDATE], figures / "curve_mean_fee_months_vs_capacity",
                title="Mean fee paid by workers by the public channel's capacity")
    top = runs[CAPACITY].max()
    shown_ts = ts.merge(runs.loc[runs[CAPACITY] == top, ["run_id", MANDATE]], on="run_id")
    if len(shown_ts):
        plot_timeseries(shown_ts, "public_share", [MANDATE], figures / "timeseries_public_share",
                        title=f"Public channel's share over time, capacity {format_number(top)} a month",
                        smooth=ROLLING)

    report = Report(ctx, TITLE, (
        "A public, government-to-government channel with a limited capacity and a low fee (one month of "
        "wage) competes with private recruiters, with no rule on private fees. Employers bound by a mandate "
        "send their vacancies to it first; the others choose it like any recruiter. Seed 001 (II.B) tells "
        "the story of IOM-Guatemala: it ran recruitment for a bilateral programme, grew, then lost the market "
        "to private recruiters and closed."))
    mandates = sorted(runs[MANDATE].unique())
    lines = []
    for m in mandates:
        part = table[(table[MANDATE] == m) & (table[CAPACITY] > 0)]
        if part.empty:
            continue
        r = part.sort_values(CAPACITY).iloc[-1]
        lines.append(f"- **{pct(m, 0)} of employers bound** (capacity {format_number(r[CAPACITY])} a month): the "
                     f"channel {story(r)}; public share at the horizon "
                     + with_ci(r["public_share"], r["public_share_lo"], r["public_share_hi"], as_pct=True) + ".")
    free = table[(table[MANDATE] == 0) & (table[CAPACITY] > 0)]
    if len(free):
        lost = [story(r).startswith("wins a market, then loses") for _, r in free.iterrows()]
        never = [story(r).startswith("never") for _, r in free.iterrows()]
        if all(never):
            guatemala = ("When employers choose freely, the channel never wins a market at any capacity of the "
                         "grid: in the model the IOM-Guatemala story ends before it begins.")
        elif any(lost):
            guatemala = ("When employers choose freely, the channel wins a share and then loses it at "
                         f"{sum(lost)} of {len(free)} capacities: the pattern of IOM-Guatemala, which grew "
                         "and then lost its market to private recruiters.")
        else:
            guatemala = ("When employers choose freely, the channel keeps the market it wins: the data do not "
                         "reproduce IOM-Guatemala's loss of its market.")
        private = runs[runs[CAPACITY] == 0]["employer_cost_per_hire"].dropna()
        price = runs["policy.public_employer_fee"].iloc[0] if "policy.public_employer_fee" in runs else math.nan
        if len(private) and not math.isnan(price):
            paid = private.mean()
            private_words = (f"employers pay private recruiters ${paid:,.0f} a placement on average at the horizon "
                             "(net of kickbacks)" if paid >= 0 else
                             f"private recruiters pay employers ${-paid:,.0f} a placement on average at the horizon "
                             "(kickbacks, net of service fees)")
            guatemala += (f" Employers give vacancies to whoever costs them least (docs/ODD.md, S5): the public "
                          f"channel charges them ${price:,.0f} a placement; without it, {private_words}.")
        bound = table[(table[MANDATE] > 0) & (table[CAPACITY] > 0)]
        if len(bound):
            kept = [story(r).startswith("wins a market and keeps") for _, r in bound.iterrows()]
            guatemala += f" With a mandate, the channel keeps a market in {sum(kept)} of {len(bound)} cells."
        report.section("What happens to the public channel", guatemala, *lines)
    fee_lines = []
    for m in mandates:
        part = runs[runs[MANDATE] == m]
        lo_cap, hi_cap = part[CAPACITY].min(), part[CAPACITY].max()
        if lo_cap == hi_cap:
            continue
        a = part[part[CAPACITY] == hi_cap].set_index("seed")["mean_fee_months"]
        b = part[part[CAPACITY] == lo_cap].set_index("seed")["mean_fee_months"]
        est, lo, hi, _, _ = bootstrap_diff_ci(a, b)
        fee_lines.append(f"- {pct(m, 0)} of employers bound: a capacity of {format_number(hi_cap)} instead of "
                         f"{format_number(lo_cap)} " + effect_words(est, lo, hi, "the mean fee",
                                                                    unit="months of wage") + ".")
    if fee_lines:
        report.section("Fees", "Mean fee paid by all workers placed (public and private), at the horizon:",
                       *fee_lines)
    report.figure("curve_public_share_vs_capacity", "Public channel's share of placements at the horizon, by "
                                                    "capacity, one line per mandate")
    report.figure("curve_mean_fee_months_vs_capacity", "Mean fee paid by workers at the horizon, by capacity")
    report.figure("timeseries_public_share", "Public channel's share of placements over time at the largest "
                                             "capacity (12-month rolling mean)")
    shown = pd.DataFrame({
        "capacity (placements/month)": [format_number(v) for v in table[CAPACITY]],
        "employers bound": [pct(v, 0) for v in table[MANDATE]],
        "public share": [with_ci(a, b, c, as_pct=True) for a, b, c in zip(
            table["public_share"], table["public_share_lo"], table["public_share_hi"])],
        "peak public share": [pct(v) for v in table["public_peak"]],
        "mean fee (months of wage)": [with_ci(a, b, c) for a, b, c in zip(
            table["mean_fee_months"], table["mean_fee_months_lo"], table["mean_fee_months_hi"])],
        "story": table["story"],
        "seeds": table["public_share_n"].astype(int)})
    report.section("Every cell", markdown_table(shown),
                   "Means over seeds; the peak is that of each run's 12-month rolling mean. Brackets: bootstrap "
                   "95% CI. `summary.csv` holds the numbers.")
    return report.write(runs)
