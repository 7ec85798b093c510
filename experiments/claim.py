"""Experiment ``claim``: can voluntary certification compete, and only with the state?

The article's claim (seed 001, III.C): a voluntary certification of ethical
recruiters cannot win against fee-charging recruiters unless the state bans
fees to workers and enforces the ban. The sweep crosses the certification
regime (none / voluntary) with four state regimes over 30 seeds
(``configs/experiment/claim.yaml``).

For each regime the analysis takes the headline outcomes (means over each
run's last 12 months) and gives their mean across seeds with a bootstrap 95%
confidence interval. The verdict for a regime, "does certification reach a
meaningful share of placements?", is computed from that interval:
**yes** if its lower bound is above the threshold (25% of placements by
default), **no** if its upper bound is below, **uncertain** otherwise. The
claim's own predictions (no without an enforced ban, yes with one) are then
compared with the verdicts. The effect of the label on fees and debt bondage
is the difference voluntary minus none within each state regime, paired by
seed.
"""

from __future__ import annotations

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
    plural,
    with_ci,
    write_csv,
)
from experiments.statistics import bootstrap_diff_ci, summarise, verdict

if TYPE_CHECKING:
    import pandas as pd

    from sim.plots import Collected

TITLE = "can voluntary certification compete, and only with the state?"
#: Share of placements at which certification counts as "meaningful".
THRESHOLD = 0.25
OUTCOMES = ("certified_share", "mean_fee_months", "debt_bondage_share")
CERT, STATE = "choice.certification", "choice.policy"
STATE_ORDER = ("no_rule", "fee_ban_weak", "fee_ban_enforced", "ban_joint_liability")
STATE_WORDS = {"no_rule": "no rule", "fee_ban_weak": "fee ban, weakly enforced",
               "fee_ban_enforced": "fee ban, enforced", "ban_joint_liability": "fee ban + joint liability"}
CERT_ORDER = ("disabled", "voluntary")
CERT_WORDS = {"disabled": "no certification", "voluntary": "voluntary certification"}
#: What the article's claim predicts for voluntary certification in each state regime.
CLAIM = {"no_rule": "no", "fee_ban_weak": "no", "fee_ban_enforced": "yes", "ban_joint_liability": "yes"}
#: Extra overrides of ``--quick`` (the whole grid is kept: it is only 8 cells).
QUICK: list[str] = []


def verdict_table(table: pd.DataFrame, threshold: float = THRESHOLD) -> pd.DataFrame:
    """Add ``verdict`` (yes / no / uncertain) from the certified share's CI to a :func:`summarise` table."""
    out = table.copy()
    out["verdict"] = [verdict(lo, hi, threshold) for lo, hi in
                      zip(out["certified_share_lo"], out["certified_share_hi"])]
    return out


def verdict_sentence(state: str, row: pd.Series, threshold: float = THRESHOLD) -> str:
    """The verdict of one regime in words, with its numbers."""
    share = with_ci(row["certified_share"], row["certified_share_lo"], row["certified_share_hi"], as_pct=True)
    v = row["verdict"]
    reason = {"yes": f"the whole interval is above the {pct(threshold, 0)} threshold",
              "no": f"the whole interval is below the {pct(threshold, 0)} threshold",
              "uncertain": f"the interval includes the {pct(threshold, 0)} threshold"}[v]
    return (f"- **{STATE_WORDS.get(state, state)}**: **{v}**. Certified recruiters make {share} of "
            f"placements at the horizon; {reason} ({plural(int(row['certified_share_n']), 'seed')}).")


def assess_claim(verdicts: dict[str, str]) -> tuple[str, str]:
    """Compare the verdicts (state regime -> yes/no/uncertain) with the claim's predictions.

    Returns:
        (overall, text): overall is "supported", "contradicted", "partly supported" or
        "inconclusive"; text says which regimes agree, contradict or are undecided.
    """
    agree = [s for s, v in verdicts.items() if s in CLAIM and v == CLAIM[s]]
    contra = [s for s, v in verdicts.items() if s in CLAIM and v != "uncertain" and v != CLAIM[s]]
    unsure = [s for s, v in verdicts.items() if s in CLAIM and v == "uncertain"]
    words = lambda states: "; ".join(STATE_WORDS.get(s, s) for s in states)  # noqa: E731
    if contra:
        overall = "contradicted"
    elif unsure and agree:
        overall = "partly supported"
    elif unsure:
        overall = "inconclusive"
    else:
        overall = "supported"
    parts = []
    if agree:
        parts.append(f"the data agree with it in {len(agree)} of {len(verdicts)} state regimes ({words(agree)})")
    if contra:
        parts.append(f"contradict it in {words(contra)}")
    if unsure:
        parts.append(f"cannot decide in {words(unsure)}")
    return overall, "; ".join(parts) + "."


def effects(runs: pd.DataFrame) -> pd.DataFrame:
    """Voluntary minus no certification, per state regime and outcome, paired by seed."""
    import pandas as pd

    rows = []
    for state in [s for s in STATE_ORDER if s in set(runs[STATE])]:
        part = runs[runs[STATE] == state]
        vol = part[part[CERT] == "voluntary"].set_index("seed")
        none = part[part[CERT] == "disabled"].set_index("seed")
        if vol.empty or none.empty:
            continue
        for name in OUTCOMES:
            est, lo, hi, n, paired = bootstrap_diff_ci(vol[name], none[name])
            rows.append({"state_regime": state, "outcome": name, "difference": est, "lo": lo, "hi": hi,
                         "n": n, "paired_by_seed": paired})
    return pd.DataFrame(rows)


def analyse(collected: Collected, ctx: Context, threshold: float = THRESHOLD) -> Path:
    """Tables, figures and ``report.md`` of the claim experiment; returns the report's path."""
    from sim.plots import plot_timeseries

    runs = collected.runs
    states = [s for s in STATE_ORDER if s in set(runs[STATE])]
    certs = [c for c in CERT_ORDER if c in set(runs[CERT])]
    out, figures = ctx.out_dir, ctx.out_dir / "figures"

    table = verdict_table(summarise(runs, [CERT, STATE], OUTCOMES), threshold)
    table["_order"] = [certs.index(c) * 10 + states.index(s) for c, s in zip(table[CERT], table[STATE])]
    table = table.sort_values("_order").drop(columns="_order").reset_index(drop=True)
    csv = table.rename(columns={CERT: "certification", STATE: "state_regime"})
    csv.insert(len(csv.columns) - 1, "threshold", threshold)
    write_csv(csv, out / "summary.csv")
    eff = effects(runs)
    if not eff.empty:
        write_csv(eff, out / "effects.csv")

    # figures
    point_range_figure(table, STATE, states, [STATE_WORDS[s] for s in states], CERT, certs,
                       [CERT_WORDS[c] for c in certs], OUTCOMES, figures / "regimes",
                       title="Outcomes at the horizon by state and certification regime",
                       thresholds={"certified_share": threshold}, hue_title=None)
    ts = collected.timeseries(list(OUTCOMES)).merge(runs[["run_id", CERT, STATE]], on="run_id")
    vol_ts = ts[ts[CERT] == "voluntary"]
    if not vol_ts.empty:
        plot_timeseries(vol_ts, "certified_share", [STATE], figures / "timeseries_certified_share",
                        title="Certified share of placements over time (voluntary certification)", smooth=12,
                        orders={STATE: STATE_ORDER})
    for name in OUTCOMES[1:]:
        plot_timeseries(ts, name, [STATE, CERT], figures / f"timeseries_{name}", smooth=12, style=CERT,
                        orders={STATE: STATE_ORDER, CERT: CERT_ORDER})

    # report
    vol = table[table[CERT] == "voluntary"].set_index(STATE)
    report = Report(ctx, TITLE, (
        "The article's claim (seed 001, III.C): a voluntary certification of ethical recruiters "
        "(Employer Pays: no fees to workers) cannot compete with fee-charging recruiters unless the state "
        "bans fees and enforces the ban. Here the certified share of placements at the horizon is measured "
        f"under four state regimes; certification counts as reaching a meaningful share at {pct(threshold, 0)} "
        "of placements. Nothing in the model says who wins: the shares come from recruiters' profits, "
        "employers' costs and workers' choices."))
    if len(vol):
        verdicts = {s: vol.loc[s, "verdict"] for s in states if s in vol.index}
        overall, how = assess_claim(verdicts)
        report.section("Verdict", *[verdict_sentence(s, vol.loc[s], threshold) for s in states if s in vol.index])
        report.add(f"**The claim is {overall} by these runs**: it predicts no meaningful share without an "
                   f"enforced ban (no rule, weak ban) and a meaningful share with one; {how}")
    report.section("Outcomes by regime", markdown_table(_shown(table)),
                   "Means over seeds of each run's last-12-month mean; brackets: bootstrap 95% CI. "
                   "Full precision in `summary.csv`.")
    report.figure("regimes", "Certified share, mean fee and debt-bondage share at the horizon, by regime "
                             f"(dashed: the {pct(threshold, 0)} threshold)")
    if not eff.empty:
        lines = []
        for state in states:
            e = eff[eff["state_regime"] == state].set_index("outcome")
            if e.empty:
                continue
            fee = e.loc["mean_fee_months"]
            bond = e.loc["debt_bondage_share"]
            lines.append(f"- **{STATE_WORDS[state]}**: the label "
                         + effect_words(fee["difference"], fee["lo"], fee["hi"], "the mean fee",
                                        unit="months of wage")
                         + "; it " + effect_words(bond["difference"], bond["lo"], bond["hi"],
                                                  "the debt-bondage share", lambda v: num(100 * v),
                                                  "percentage points") + ".")
        paired = bool(eff["paired_by_seed"].all())
        report.section("What the label does to fees and debt bondage",
                       "Voluntary certification minus no certification, within each state regime"
                       + (" (paired by seed: both regimes start from the same seed)" if paired else "")
                       + "; `effects.csv` has every difference.", *lines)
    report.figure("timeseries_certified_share", "Certified share of placements over time under voluntary "
                                                "certification (12-month rolling mean; bands: 95% CI)")
    report.figure("timeseries_mean_fee_months", "Mean fee paid by workers over time, by regime "
                                                "(12-month rolling mean)")
    report.figure("timeseries_debt_bondage_share", "Share of workers abroad in debt bondage over time, by regime "
                                                   "(12-month rolling mean)")
    return report.write(runs)


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for _, r in table.iterrows():
        rows.append({
            "certification": CERT_WORDS.get(r[CERT], r[CERT]),
            "state regime": STATE_WORDS.get(r[STATE], r[STATE]),
            "certified share": with_ci(r["certified_share"], r["certified_share_lo"], r["certified_share_hi"],
                                       as_pct=True),
            "mean fee (months of wage)": with_ci(r["mean_fee_months"], r["mean_fee_months_lo"],
                                                 r["mean_fee_months_hi"]),
            "debt bondage (share of workers abroad)": with_ci(
                r["debt_bondage_share"], r["debt_bondage_share_lo"], r["debt_bondage_share_hi"], as_pct=True,
                digits=2),
            "verdict": r["verdict"] if r[CERT] == "voluntary" else "(no label)",
            "seeds": int(r["certified_share_n"]),
        })
    return pd.DataFrame(rows)
