"""Experiment ``audit_design``: do audit designs let certified recruiters abuse undetected?

The article's critique of social auditing (seed 001, III.C): audits announced
in advance let recruiters hide abuse, audits may be subcontracted to cheaper,
weaker auditors, and reports are confidential, so findings never reach the
state. The sweep crosses announced/unannounced audits, the share of audits
subcontracted (0, 0.5, 1) and confidential/open reports, with no state rule
(``configs/experiment/audit_design.yaml``).

**How abuse is measured.** Certified recruiters can die out late in a run,
so the last 12 months alone would often hold none to measure. The measures
are taken over the whole run, month by month, from the time series:

* *abusing undetected*: the share of certified recruiter-months in which the
  label holder was taking hidden fees, ``sum(cheating_share * n_certified) /
  sum(n_certified)``. A recruiter who still holds the label while cheating
  has, by definition, not been caught yet;
* *caught per cheating month*: labels withdrawn over the run divided by
  cheating recruiter-months, ``sum(labels_withdrawn) / sum(cheating_share *
  n_certified)``: roughly the monthly chance that a cheating label holder
  loses its label. (Withdrawals also follow deception found by audits, so
  this slightly overstates the catch rate of hidden fees.)

Runs without any certified recruiter-month have no value and are left out
(the tables give the number of seeds behind each number).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.context import Context
from experiments.figures import point_range_figure
from experiments.report import (
    Report,
    effect_words,
    markdown_table,
    num,
    pct,
    with_ci,
    write_csv,
)
from experiments.statistics import bootstrap_diff_ci, summarise

if TYPE_CHECKING:
    import pandas as pd

    from sim.plots import Collected

TITLE = "do audit designs let certified recruiters abuse undetected?"
ANNOUNCED, SUBCONTRACT, CONFIDENTIAL = ("certification.announced", "certification.subcontract_share",
                                        "certification.confidential")
FACTORS = (ANNOUNCED, SUBCONTRACT, CONFIDENTIAL)
#: Share of audits subcontracted in the IRIS-like default (configs/certification/voluntary.yaml).
IRIS_SUBCONTRACT = 0.5
MEASURES = ("abusing_undetected", "caught_per_cheating_month", "certified_recruiter_months")
LABELS = {
    "abusing_undetected": ("certified recruiter-months cheating (share)", "Abusing undetected"),
    "caught_per_cheating_month": ("labels withdrawn per cheating recruiter-month", "Caught per cheating month"),
    "certified_recruiter_months": ("certified recruiter-months per run", "Certified recruiter-months"),
}
QUICK = ["certification.subcontract_share=0,1"]


def run_measures(ts: pd.DataFrame) -> pd.DataFrame:
    """Per run (``run_id``): the whole-run measures from its time series (see the module docstring)."""
    frame = ts.assign(cheating_months=ts["cheating_share"].fillna(0.0) * ts["n_certified"].fillna(0.0))
    per = frame.groupby("run_id").agg(cheating_months=("cheating_months", "sum"),
                                      certified_recruiter_months=("n_certified", "sum"),
                                      labels_withdrawn=("labels_withdrawn", "sum")).reset_index()
    cert = per["certified_recruiter_months"]
    per["abusing_undetected"] = (per["cheating_months"] / cert).where(cert > 0)
    cheat = per["cheating_months"]
    per["caught_per_cheating_month"] = (per["labels_withdrawn"] / cheat).where(cheat > 0)
    return per


def main_effects(runs: pd.DataFrame, measure: str = "abusing_undetected") -> list[dict]:
    """Each factor's effect on ``measure``: the change from the IRIS-like setting to the other, paired
    by seed and the other factors' levels, pooled over them."""
    changes = [(ANNOUNCED, True, False, "unannounced instead of announced audits"),
               (CONFIDENTIAL, True, False, "open instead of confidential reports"),
               (SUBCONTRACT, None, None, "all audits by subcontractors instead of none")]
    out = []
    for factor, base, alt, words in changes:
        levels = sorted(runs[factor].unique())
        if factor == SUBCONTRACT:
            base, alt = levels[0], levels[-1]
        if base not in set(runs[factor]) or alt not in set(runs[factor]) or base == alt:
            continue
        others = [f for f in FACTORS if f != factor]
        a = runs[runs[factor] == alt].set_index(["seed", *others])[measure]
        b = runs[runs[factor] == base].set_index(["seed", *others])[measure]
        est, lo, hi, n, paired = bootstrap_diff_ci(a, b)
        out.append({"factor": factor, "from": base, "to": alt, "change": words, "difference": est,
                    "lo": lo, "hi": hi, "n": n, "paired": paired})
    return out


def _design_words(row: pd.Series) -> str:
    return (f"{'announced' if row[ANNOUNCED] else 'unannounced'} audits, "
            f"{pct(row[SUBCONTRACT], 0)} subcontracted, {'confidential' if row[CONFIDENTIAL] else 'open'} reports")


def analyse(collected: Collected, ctx: Context) -> Path:
    """Tables, figures and ``report.md``; returns the report's path."""
    import pandas as pd

    runs = collected.runs
    out, figures = ctx.out_dir, ctx.out_dir / "figures"
    ts = collected.timeseries(["cheating_share", "n_certified", "labels_withdrawn"])
    runs = runs.merge(run_measures(ts), on="run_id", how="left")
    measures = (*MEASURES, "cheating_share", "certified_share")
    table = summarise(runs, list(FACTORS), measures)
    write_csv(table.rename(columns={ANNOUNCED: "announced", SUBCONTRACT: "subcontract_share",
                                    CONFIDENTIAL: "confidential"}), out / "summary.csv")
    effects = main_effects(runs)
    if effects:
        write_csv(pd.DataFrame(effects), out / "effects.csv")

    combos = [(a, c) for a in (True, False) for c in (True, False)
              if ((table[ANNOUNCED] == a) & (table[CONFIDENTIAL] == c)).any()]
    table["design"] = [f"{'announced' if a else 'unannounced'}, {'confidential' if c else 'open'}"
                       for a, c in zip(table[ANNOUNCED], table[CONFIDENTIAL])]
    hue_order = [f"{'announced' if a else 'unannounced'}, {'confidential' if c else 'open'}" for a, c in combos]
    subs = sorted(table[SUBCONTRACT].unique())
    point_range_figure(table, SUBCONTRACT, subs, [pct(s, 0) for s in subs], "design", hue_order,
                       [f"audits {h} reports" for h in hue_order], MEASURES[:2], figures / "audit_designs",
                       title="Certified recruiters abusing undetected, by audit design (whole run)",
                       x_title="share of audits subcontracted", labels=LABELS)

    report = Report(ctx, TITLE, (
        "The article's critique of social auditing (seed 001, III.C): audits announced in advance let "
        "recruiters hide abuse, audits subcontracted to cheaper auditors find less, and confidential reports "
        "never reach the state. Here the IRIS-like label is the only check on recruiters (no state rule on "
        "fees), and the audit design varies. The IRIS design as the article describes it is announced "
        "audits, subcontracting allowed, confidential reports."))
    report.section("How abuse is measured",
                   "Over the whole run, month by month (certified recruiters can die out late, so the last "
                   "12 months alone would often have none to measure): *abusing undetected* is the share of "
                   "certified recruiter-months in which the label holder was taking hidden fees, "
                   "sum(cheating_share x n_certified) / sum(n_certified); a recruiter still holding the label "
                   "while cheating has not been caught yet. *Caught per cheating month* is labels withdrawn "
                   "over the run divided by cheating recruiter-months (withdrawals after deception count too). "
                   "Runs without certified recruiters have no value and are left out.")
    if "policy.fee_cap_months" in runs and runs["policy.fee_cap_months"].isna().all():
        report.add("With no rule on fees, hidden fees break the label's rules but no law: a regulator that "
                   "receives open audit findings examines the recruiter's records for illegal fees and deception "
                   "only (docs/ODD.md, S10 and S11), so open reports can matter here only through deception.")
    valid = table.dropna(subset=["abusing_undetected"])
    if len(valid):
        worst = valid.sort_values("abusing_undetected").iloc[-1]
        best = valid.sort_values("abusing_undetected").iloc[0]
        lines = [f"- Most abuse: {_design_words(worst)}: "
                 + with_ci(worst["abusing_undetected"], worst["abusing_undetected_lo"],
                           worst["abusing_undetected_hi"], as_pct=True) + " of certified recruiter-months.",
                 f"- Least abuse: {_design_words(best)}: "
                 + with_ci(best["abusing_undetected"], best["abusing_undetected_lo"],
                           best["abusing_undetected_hi"], as_pct=True) + "."]
        overlap = best["abusing_undetected_hi"] >= worst["abusing_undetected_lo"]
        lines.append("- The intervals of the best and the worst design "
                     + ("overlap: the grid does not separate them clearly." if overlap else
                        "do not overlap: audit design matters."))
        iris = valid[(valid[ANNOUNCED] == True) & (valid[CONFIDENTIAL] == True)]  # noqa: E712
        if len(iris):  # the default share subcontracted (0.5), or the level nearest to it
            level = min(iris[SUBCONTRACT].unique(), key=lambda s: abs(s - IRIS_SUBCONTRACT))
            iris = iris[iris[SUBCONTRACT] == level]
        if len(iris):
            r = iris.iloc[0]
            lines.append(f"- IRIS-like design ({_design_words(r)}): "
                         + with_ci(r["abusing_undetected"], r["abusing_undetected_lo"], r["abusing_undetected_hi"],
                                   as_pct=True) + " of certified recruiter-months cheating; caught per cheating "
                         "month " + with_ci(r["caught_per_cheating_month"], r["caught_per_cheating_month_lo"],
                                            r["caught_per_cheating_month_hi"], digits=3) + ".")
        report.section("Answer", *lines)
    if effects:
        report.section("Effect of each design choice",
                       "Change in the share of certified recruiter-months spent cheating, pooled over the other "
                       "two factors and paired by seed:",
                       *[f"- {e['change'][:1].upper()}{e['change'][1:]} "
                         + effect_words(e["difference"], e["lo"], e["hi"], "it", lambda v: num(100 * v, 1),
                                        "percentage points") + "." for e in effects])
    report.figure("audit_designs", "Share of certified recruiter-months cheating, and labels withdrawn per "
                                   "cheating recruiter-month, by audit design (whole run)")
    shown = pd.DataFrame({
        "audits": ["announced" if a else "unannounced" for a in table[ANNOUNCED]],
        "subcontracted": [pct(s, 0) for s in table[SUBCONTRACT]],
        "reports": ["confidential" if c else "open" for c in table[CONFIDENTIAL]],
        "abusing undetected": [with_ci(a, b, c, as_pct=True) for a, b, c in zip(
            table["abusing_undetected"], table["abusing_undetected_lo"], table["abusing_undetected_hi"])],
        "caught per cheating month": [with_ci(a, b, c, digits=3) for a, b, c in zip(
            table["caught_per_cheating_month"], table["caught_per_cheating_month_lo"],
            table["caught_per_cheating_month_hi"])],
        "certified recruiter-months": [f"{v:.0f}" if not math.isnan(v) else "n/a"
                                       for v in table["certified_recruiter_months"]],
        "certified share at horizon": [pct(v) for v in table["certified_share"]],
        "seeds": table["abusing_undetected_n"].astype(int)})
    report.section("Every design", markdown_table(shown),
                   "Brackets: bootstrap 95% CI over seeds. `summary.csv` and `effects.csv` hold the numbers.")
    return report.write(runs)
