"""The model-level outcomes recorded every month (columns of ``timeseries.parquet``).

Names in ``INTERFACE`` are the public contract (../shared/brief/INTERFACE.md);
the rest are added for analysis. Ratios over this month's placements are
NaN in a month with no placements, since there is nothing to average.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.model import kernels
from sim.model.recruiters import CERTIFIED, FEE_CHARGING, PUBLIC, TRAINING, label_kind
from sim.model.workers import ABROAD, annuity_factors, home_debt_trapped

#: Unit of each outcome (INTERFACE.md, "Outcome names"), for people and plots.
OUTCOME_UNITS = {
    "step": "month",
    "placements": "workers placed abroad per month",
    "certified_share": "share of the month's placements",
    "mean_fee_months": "months of destination wage",
    "indebted_share": "share of workers placed in the month",
    "debt_bondage_share": "share of workers abroad",
    "home_debt_trap_share": "share of people at home",
    "mean_payback_months": "months of net foreign earnings",
    "n_certified": "recruiters",
    "n_fee_charging": "recruiters",
    "violations_detected": "violations per month",
    "fines_collected": "USD per month",
    "fee_free_share": "share of the month's placements",
    "above_cap_share": "share of the month's placements",
    "subagent_fee_share": "share of the fees workers paid in the month",
    "inspection_budget": "inspections per recruiter per month",
    "lobbying_spend": "USD per month",
    "enforcement_strength": "share of the legislated enforcement",
}

if TYPE_CHECKING:
    import pandas as pd

    from sim.model import RecruitmentModel
    from sim.model.placement import Placements

INTERFACE = ("step", "placements", "certified_share", "mean_fee_months", "indebted_share", "debt_bondage_share",
             "mean_payback_months", "n_certified", "n_fee_charging", "violations_detected", "fines_collected",
             "fee_free_share", "above_cap_share", "subagent_fee_share")

# name -> (unit, meaning); the order is the column order
OUTCOMES = {
    "step": ("month", "month just simulated (1 = first)"),
    "placements": ("workers", "workers placed abroad this month"),
    "placements_fee_charging": ("workers", "placements by fee-charging recruiters"),
    "placements_certified": ("workers", "placements by certified recruiters"),
    "placements_public": ("workers", "placements by the public channel"),
    "certified_share": ("share", "share of this month's placements made by certified recruiters"),
    "public_share": ("share", "share of this month's placements made by the public channel"),
    "mean_fee_months": ("months of wage", "mean fee paid by workers placed this month, to recruiters and "
                                          "sub-agents together (SDG 10.7.1)"),
    "median_fee_months": ("months of wage", "median of the same"),
    "p90_fee_months": ("months of wage", "90th percentile of the same"),
    "mean_recruiter_fee_months": ("months of wage", "mean fee paid to the recruiter (or the public channel), "
                                                    "placed this month"),
    "mean_subagent_fee_months": ("months of wage", "mean fee paid to village sub-agents, placed this month"),
    "fee_free_share": ("share", "share of this month's placements where the worker paid no fee to anyone"),
    "above_cap_share": ("share", "share of this month's placements where the worker paid more than the fee cap "
                                 "(NaN without a cap)"),
    "subagent_fee_share": ("share", "share of the fees paid by workers placed this month taken by sub-agents"),
    "subagent_paid_share": ("share", "share of this month's placements where the worker paid a sub-agent"),
    "certified_fee_free_share": ("share", "share of label holders' placements this month where the worker "
                                          "paid no fee to anyone"),
    "certified_hidden_fee_share": ("share", "share of label holders' placements this month where the worker "
                                            "paid a fee to someone"),
    "mean_fee_months_unlabelled": ("months of wage", "mean fee paid by workers placed this month by "
                                                     "recruiters without a label"),
    "indebted_share": ("share", "share of workers placed this month who borrowed to pay"),
    "mean_payback_months": ("months", "months of net foreign earnings to recover the fee, placed this month"),
    "workers_abroad": ("workers", "workers abroad at the end of the month"),
    "debt_bondage_share": ("share", "share of workers abroad whose debt exceeds what their contract can repay"),
    "debt_bondage_share_unlabelled": ("share", "debt bondage among workers abroad placed by a recruiter "
                                               "without a label"),
    "workers_in_debt_share": ("share", "share of all workers who owe money"),
    "home_debt_trap_share": ("share", "share of people at home whose debt home savings cannot repay within "
                                      "market.debt_horizon_months"),
    "departures": ("people", "people leaving the pool of aspiring migrants this month (each replaced by a newcomer)"),
    "debt_written_off": ("USD", "debt lenders wrote off this month: beyond the credit limit, of people leaving, "
                                "and by relief"),
    "mean_net_gain_months": ("months of wage", "net gain over staying home, workers returning this month"),
    "employer_cost_per_hire": ("USD", "mean price employers paid per placement (negative: kickbacks)"),
    "employer_spending": ("USD", "employers' recruitment spending this month: prices less kickbacks, "
                                 "plus joint-liability and employer-ban fines, less churn bonuses received"),
    "kickbacks_paid": ("USD", "kickbacks recruiters paid employers this month"),
    "fee_pass_through": ("share", "kickbacks paid this month over the fees workers placed this month paid to "
                                  "private recruiters (NaN when no such fee was paid)"),
    "kickback_per_hire": ("USD", "mean kickback per placement this month (0 for a placement without one)"),
    "n_recruiters": ("recruiters", "active private recruiters"),
    "n_certified": ("recruiters", "active certified recruiters"),
    "n_fee_charging": ("recruiters", "active fee-charging recruiters"),
    "n_training": ("recruiters", "fee-charging recruiters in certification training"),
    "profit_fee_charging": ("USD/month", "mean recent monthly profit of fee-charging recruiters"),
    "profit_certified": ("USD/month", "mean recent monthly profit of certified recruiters"),
    "evading_share": ("share", "fee-charging recruiters charging above the cap"),
    "cheating_share": ("share", "certified recruiters taking hidden fees"),
    "deceiving_share": ("share", "recruiters deceiving workers about wages"),
    "churning_share": ("share", "fee-charging recruiters offering churning deals"),
    "violations_committed": ("placements", "placements this month with an illegal fee, deception, a hidden fee "
                                           "or a sub-agent fee that breaks the rules"),
    "violations_detected": ("violations", "violations found by inspections this month"),
    "violations_detected_audit": ("recruiters", "certified recruiters caught by audits or complaints"),
    "certified_violations_committed": ("placements", "placements by label holders this month with any violation"),
    "certified_violations_found_inspections": ("violations", "violations of label holders found by inspections "
                                                             "this month"),
    "certified_violations_found_audits": ("recruiters", "label holders found violating by audits or the "
                                                        "scheme's complaint route this month"),
    "certified_violation_records_found_audits": ("placements", "placements with a violation behind this "
                                                               "month's label withdrawals (the holders' labelled "
                                                               "placements of the lookback window): audits' "
                                                               "findings in the unit of the inspections'"),
    "labels_withdrawn": ("recruiters", "certification labels withdrawn after findings"),
    "audits": ("audits", "certification audits carried out (initial, surveillance, recertification)"),
    "audit_failures_initial": ("recruiters", "trainees failing their initial audit"),
    "inspections": ("recruiters", "recruiters inspected this month"),
    "fines_collected": ("USD", "fines paid by recruiters (and employers, under joint liability)"),
    "licences_revoked": ("recruiters", "licences revoked this month"),
    "complaints": ("workers", "complaints filed this month"),
    "retaliations": ("workers", "complainers punished (terminated and blacklisted)"),
    "early_terminations": ("workers", "contracts ended early by employers, churning included "
                                      "(retaliation firings are counted in retaliations)"),
    "completed_contracts": ("workers", "contracts that ran their full length this month"),
    "churn_terminations": ("workers", "workers replaced early under churning deals"),
    "worker_quits": ("workers", "workers abroad who quit (absconded) this month; only with "
                                "market.debt_quit_effect != 0"),
    "hhi": ("index 0-1", "Herfindahl index of this month's placements across recruiters"),
    "entries": ("recruiters", "recruiters entering"),
    "exits": ("recruiters", "recruiters leaving: bankrupt, giving up losses, or licence revoked"),
    "switches_to_certified": ("recruiters", "fee-charging recruiters starting certification"),
    "switches_to_fee_charging": ("recruiters", "certified recruiters dropping the label"),
    "enforcement_strength": ("share", "enforcement left: after capture (fixed enforcement), or the inspection "
                                      "budget over the legislated rate (endogenous)"),
    "inspection_budget": ("share", "inspections per recruiter a month the state pays for (policy.inspection_rate, "
                                   "or the budget the political process set)"),
    "lobbying_spend": ("USD", "recruiters' lobbying this month, for and against enforcement"),
    "lobbying_for": ("USD", "lobbying for enforcement this month"),
    "lobbying_against": ("USD", "lobbying against enforcement this month"),
    "lobbying_spend_labelled": ("USD", "lobbying by label holders this month"),
    "lobbying_spend_unlabelled": ("USD", "lobbying by recruiters without the label this month"),
    "employer_violations_found": ("placements", "hires found by the destination's employer inspections to have paid a "
                                           "fee this month (policy.employer_ban)"),
    "employer_fines": ("USD", "employer-ban fines employers paid this month"),
}

#: Outcomes reported for each origin when there are several (S18): ``<name>_<origin>``, e.g.
#: ``fee_free_share_strict``; the unsuffixed outcomes are the totals over every origin.
PER_ORIGIN = {
    "placements": ("workers", "workers of this origin placed abroad this month"),
    "mean_fee_months": ("months of wage", "mean fee paid by this origin's workers placed this month"),
    "fee_free_share": ("share", "share of this origin's placements this month where the worker paid no fee"),
    "certified_share": ("share", "share of this origin's placements this month made by label holders"),
    "debt_bondage_share": ("share", "share of this origin's workers abroad in debt bondage"),
    "n_recruiters": ("recruiters", "active private recruiters licensed in this origin"),
    "inspection_budget": ("share", "inspections per recruiter a month this origin's state pays for"),
    "enforcement_strength": ("share", "enforcement left in this origin (as enforcement_strength)"),
}


def origin_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of a timeseries that are one origin's outcomes (``PER_ORIGIN`` names, suffixed)."""
    return [column for column in frame.columns if column not in OUTCOMES
            and any(column.startswith(f"{name}_") for name in PER_ORIGIN)]


def outcome_names(model: RecruitmentModel) -> list[str]:
    """Every outcome of the model's timeseries: ``OUTCOMES``, then ``PER_ORIGIN`` for each origin
    when there are several."""
    names = list(OUTCOMES)
    if len(model.origins) > 1:
        names += [f"{name}{origin.suffix}" for origin in model.origins for name in PER_ORIGIN]
    return names


#: Main outcomes whose drift the summary reports (``drift_<name>``, ``drift10y_<name>``): the change a
#: reader must see is small before taking the window's means as a steady state. Names not in
#: ``OUTCOMES`` are skipped, so an outcome added later gets its drift keys without a change here.
DRIFT_OUTCOMES = ("fee_free_share", "mean_fee_months", "certified_share", "debt_bondage_share",
                  "home_debt_trap_share", "placements")
#: Length of each of the two spans the ten-year drift compares: the last five years against the five before.
DRIFT10Y_SPAN_MONTHS = 60


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else float("nan")


def _mean(values: np.ndarray) -> float:
    """``values.mean()`` (NaN when empty), without its Python overhead: the same sum over the same count."""
    return float(np.add.reduce(values) / len(values)) if len(values) else float("nan")


def median_and_p90(values: np.ndarray) -> tuple[float, float]:
    """``np.median(values)`` and ``np.quantile(values, 0.9)``, equal to numpy's bit for bit, from one sort.

    Numpy's rules: the median is the middle value, or the mean of the two
    middle ones; the quantile interpolates linearly between the values
    around position ``(n - 1) * q``, from the upper one when the weight is
    at least one half. Any NaN makes both NaN. NaN, NaN when empty.
    """
    n = len(values)
    if n == 0:
        return float("nan"), float("nan")
    ordered = np.sort(values)
    if np.isnan(ordered[-1]):  # NaNs sort last
        return float("nan"), float("nan")
    half = n // 2
    median = ordered[half] if n % 2 else (ordered[half - 1] + ordered[half]) / 2
    position = (n - 1) * 0.9
    if position >= n - 1:
        p90 = ordered[-1]
    else:
        below = int(np.floor(position))
        weight = position - below
        low, high = ordered[below], ordered[below + 1]
        diff = high - low
        p90 = high - diff * (1 - weight) if weight >= 0.5 else low + diff * weight
    return float(median), float(p90)


def employer_spending(model: RecruitmentModel) -> float:
    """Employers' net money out this month, from the ledger's monthly flows."""
    month = model.ledger.month
    return float(month["service_fees"] + month["public_service_fees"] + month["liability_fines"]
                 + month["employer_fines"] - month["kickbacks"] - month["churn_bonuses"])


def debt_written_off(model: RecruitmentModel) -> float:
    """Debt lenders gave up this month, from the ledger's monthly flows: beyond the credit limit, of leavers, by relief."""
    month = model.ledger.month
    return float(month["write_offs"] + month["departure_write_offs"] + month["relief_write_offs"])


def measure(model: RecruitmentModel, placed: Placements, counts: dict) -> dict:
    """This month's outcomes from the placements made, the event counts, and the state."""
    cfg = model.config
    w = model.workers
    r = model.recruiters
    n = r.n
    keep_share = 1.0 - cfg.market.living_cost_share
    total = len(placed.workers)
    cap = cfg.policy.fee_cap_months
    # the sums over placements, workers and recruiters: three compiled passes (sim.model.kernels)
    (by_kind, mean_fee, mean_payback, borrowers, mean_price, violations, hhi, fee_months,
     chain) = kernels.placement_outcomes(placed.fee, placed.subagent_fee, placed.wage, placed.borrowed,
                                         placed.employer_price, placed.recruiters, label_kind(model), w.violation,
                                         placed.workers, w.placed_by_label, keep_share,
                                         np.nan if cap is None else cap, n)
    (mean_recruiter_fee, mean_subagent_fee, mean_fee_unlabelled, fees_paid, subagent_fees_paid, fee_free,
     above_cap, paid_subagent, labelled, labelled_fee_free, labelled_violations) = chain.tolist()
    median_fee, p90_fee = median_and_p90(fee_months)
    n_abroad, n_bonded, n_in_debt, n_abroad_unlabelled, n_bonded_unlabelled = kernels.worker_outcomes(
        w.status, w.wage, w.debt, w.months_left, w.placed_by_label, ABROAD, keep_share, annuity_factors(model))
    (n_private, n_cert, n_fc, n_training, profit_fc, profit_cert, fc_over, cert_over, deceiving,
     churning) = kernels.recruiter_outcomes(r.active, label_kind(model), r.cert_stage, r.profit_ema, r.overcharges, r.deceives,
                                            r.churns, n, FEE_CHARGING, CERTIFIED, PUBLIC, TRAINING)
    trapped, n_home = home_debt_trapped(model)
    returned = np.concatenate(model.returned) if model.returned else np.zeros(0, dtype=np.int64)
    kickbacks = np.maximum(-placed.employer_price, 0)
    kickbacks_paid = float(kickbacks.sum())
    private_fees = float(placed.fee[r.kind[placed.recruiters] != PUBLIC].sum())
    out = {
        "step": model.month,
        "placements": total,
        "placements_fee_charging": int(by_kind[FEE_CHARGING]),
        "placements_certified": int(by_kind[CERTIFIED]),
        "placements_public": int(by_kind[PUBLIC]),
        "certified_share": _share(by_kind[CERTIFIED], total),
        "public_share": _share(by_kind[PUBLIC], total),
        "mean_fee_months": mean_fee,
        "median_fee_months": median_fee,
        "p90_fee_months": p90_fee,
        "mean_recruiter_fee_months": mean_recruiter_fee,
        "mean_subagent_fee_months": mean_subagent_fee,
        "fee_free_share": _share(fee_free, total),
        "above_cap_share": float("nan") if cap is None else _share(above_cap, total),
        "subagent_fee_share": _share(subagent_fees_paid, fees_paid),
        "subagent_paid_share": _share(paid_subagent, total),
        "certified_fee_free_share": _share(labelled_fee_free, labelled),
        "certified_hidden_fee_share": _share(labelled - labelled_fee_free, labelled),
        "mean_fee_months_unlabelled": mean_fee_unlabelled,
        "indebted_share": _share(borrowers, total),
        "mean_payback_months": mean_payback,
        "workers_abroad": n_abroad,
        "debt_bondage_share": _share(n_bonded, n_abroad),
        "debt_bondage_share_unlabelled": _share(n_bonded_unlabelled, n_abroad_unlabelled),
        "workers_in_debt_share": _share(n_in_debt, w.n),
        "home_debt_trap_share": _share(len(trapped), n_home),
        "debt_written_off": debt_written_off(model),
        "mean_net_gain_months": _mean(w.spell_gain[returned] / cfg.market.dest_wage),
        "employer_cost_per_hire": mean_price,
        "kickbacks_paid": kickbacks_paid,
        "fee_pass_through": kickbacks_paid / private_fees if private_fees > 0 else float("nan"),
        "kickback_per_hire": _mean(kickbacks),
        "employer_spending": employer_spending(model),
        "n_recruiters": n_private,
        "n_certified": n_cert,
        "n_fee_charging": n_fc,
        "n_training": n_training,
        "profit_fee_charging": profit_fc,
        "profit_certified": profit_cert,
        "evading_share": _share(fc_over, n_fc) if cfg.policy.fee_cap_months is not None else 0.0,
        "cheating_share": _share(cert_over, n_cert),
        "deceiving_share": _share(deceiving, n_private),
        "churning_share": _share(churning, n_fc),
        "violations_committed": violations,
        "certified_violations_committed": int(labelled_violations),
        "hhi": hhi,
        "enforcement_strength": model.regulator.enforcement_strength(),
        "inspection_budget": model.regulator.inspection_budget(),
        "lobbying_spend": model.regulator.lobbying["for"] + model.regulator.lobbying["against"],
        "lobbying_for": model.regulator.lobbying["for"],
        "lobbying_against": model.regulator.lobbying["against"],
        "lobbying_spend_labelled": model.regulator.lobbying["labelled"],
        "lobbying_spend_unlabelled": model.regulator.lobbying["unlabelled"],
    }
    for name in OUTCOMES:
        if name not in out:
            out[name] = counts.get(name, 0)
    if len(model.origins) > 1:
        by_origin(model, placed, out)
    return {name: out[name] for name in model.outcome_names}


def by_origin(model: RecruitmentModel, placed: Placements, out: dict) -> None:
    """With several origins: each origin's outcomes (``PER_ORIGIN``, suffixed), and the totals that
    depend on each origin's rules (above its cap; bondage at its lenders' rate; enforcement, weighted by
    the recruiters each state licenses; lobbying, summed)."""
    cfg = model.config
    w = model.workers
    r = model.recruiters
    keep_share = 1.0 - cfg.market.living_cost_share
    origin_of = r.origin[placed.recruiters]
    active = r.private_active()
    above = capped = abroad = bonded = abroad_unlabelled = bonded_unlabelled = 0
    budgets, strengths, weights = [], [], []
    for o, regulator in zip(model.origins, model.regulators):
        mine = origin_of == o.index
        cap = o.policy.fee_cap_months
        (by_kind, mean_fee, _, _, _, _, _, _, chain) = kernels.placement_outcomes(
            placed.fee[mine], placed.subagent_fee[mine], placed.wage[mine], placed.borrowed[mine],
            placed.employer_price[mine], placed.recruiters[mine], label_kind(model), w.violation,
            placed.workers[mine], w.placed_by_label, keep_share, np.nan if cap is None else cap, r.n)
        fee_free, above_cap = chain[5], chain[6]
        total = int(mine.sum())
        if cap is not None:
            above += above_cap
            capped += total
        b = o.workers
        n_abroad, n_bonded, _, n_abroad_u, n_bonded_u = kernels.worker_outcomes(
            w.status[b], w.wage[b], w.debt[b], w.months_left[b], w.placed_by_label[b], ABROAD, keep_share,
            annuity_factors(model, o.market))
        abroad, bonded = abroad + n_abroad, bonded + n_bonded
        abroad_unlabelled, bonded_unlabelled = abroad_unlabelled + n_abroad_u, bonded_unlabelled + n_bonded_u
        licensed = int((r.origin[active] == o.index).sum())
        budgets.append(regulator.inspection_budget())
        strengths.append(regulator.enforcement_strength())
        weights.append(licensed)
        values = {"placements": total, "mean_fee_months": mean_fee, "fee_free_share": _share(fee_free, total),
                  "certified_share": _share(by_kind[CERTIFIED], total),
                  "debt_bondage_share": _share(n_bonded, n_abroad), "n_recruiters": licensed,
                  "inspection_budget": budgets[-1], "enforcement_strength": strengths[-1]}
        for name in PER_ORIGIN:
            out[f"{name}{o.suffix}"] = values[name]
    out["above_cap_share"] = _share(above, capped) if capped else float("nan")
    out["debt_bondage_share"] = _share(bonded, abroad)
    out["debt_bondage_share_unlabelled"] = _share(bonded_unlabelled, abroad_unlabelled)
    out["inspection_budget"] = _weighted(budgets, weights)
    out["enforcement_strength"] = _weighted(strengths, weights)
    for side in ("for", "against", "labelled", "unlabelled"):
        total = sum(regulator.lobbying[side] for regulator in model.regulators)
        out[f"lobbying_{side}" if side in ("for", "against") else f"lobbying_spend_{side}"] = total
    out["lobbying_spend"] = out["lobbying_for"] + out["lobbying_against"]


def _weighted(values: list[float], weights: list[int]) -> float:
    """Mean of ``values`` weighted by ``weights``, NaN values left out (NaN when nothing is left)."""
    values, weights = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    keep = ~np.isnan(values) & (weights > 0)
    return float(np.average(values[keep], weights=weights[keep])) if keep.any() else float("nan")


# --------------------------------------------------------------------------- the run's summary


def _defined_mean(values: np.ndarray) -> float | None:
    """Mean of the values that are not NaN; None when there is none (the outcome was never defined)."""
    values = values[~np.isnan(values)]
    value = float(values.mean()) if len(values) else math.nan
    return None if math.isnan(value) else value


def _change(before: np.ndarray, after: np.ndarray) -> float | None:
    """Mean of ``after`` minus mean of ``before`` (NaN left out); None when either has no defined value."""
    mean_before, mean_after = _defined_mean(before), _defined_mean(after)
    if mean_before is None or mean_after is None:
        return None
    return mean_after - mean_before


def summarise(frame: pd.DataFrame, window_months: int, burn_in_months: int) -> dict:
    """A run's headline outcomes and steady-state diagnostics, from its monthly timeseries.

    Each outcome (``OUTCOMES`` but ``step``) is its mean over the last
    ``window_months`` months, NaN months left out (None when never defined
    there). The window is always the last ``window_months`` months, burn-in
    or not, so that runs of any length are summarised alike; ``steady`` says
    whether it lies wholly after the burn-in, i.e. whether the means can be
    read as the steady state.

    Drift, for each name of ``DRIFT_OUTCOMES`` in ``OUTCOMES``: ``drift_<name>``
    is the mean over the window's second half minus the mean over its first
    half (in a window of odd length the middle month is in neither half);
    ``drift10y_<name>`` is the mean of the last 60 months minus the mean of
    the 60 before them (None in a run of fewer than 120 months). Either is
    None when one of its spans has no defined value.

    Args:
        frame: one row per simulated month, in order, a column per outcome
            (``RecruitmentModel.timeseries``).
        window_months: ``run.summary_window_months``.
        burn_in_months: ``run.burn_in_months``.

    Returns:
        A flat dict of scalars: ``window_months`` (months actually averaged,
        fewer than asked in a shorter run), ``months_simulated``, the outcome
        means, ``total_placements`` (over the whole run), ``burn_in_months``,
        ``steady``, then the ``drift_*`` and ``drift10y_*`` keys.
    """
    months = len(frame)
    window = frame.tail(window_months)
    out: dict = {"window_months": int(len(window)), "months_simulated": int(months)}
    for name in [*OUTCOMES, *origin_columns(frame)]:
        if name != "step":
            out[name] = _defined_mean(window[name].to_numpy(dtype=float))
    out["total_placements"] = int(frame["placements"].sum()) if months else 0
    out["burn_in_months"] = int(burn_in_months)
    out["steady"] = bool(months >= burn_in_months + window_months)
    drifting = [name for name in DRIFT_OUTCOMES if name in OUTCOMES]
    half = len(window) // 2
    for name in drifting:
        values = window[name].to_numpy(dtype=float)
        out[f"drift_{name}"] = _change(values[:half], values[len(values) - half:])
    span = DRIFT10Y_SPAN_MONTHS
    for name in drifting:
        values = frame[name].to_numpy(dtype=float)
        out[f"drift10y_{name}"] = _change(values[-2 * span:-span], values[-span:]) if months >= 2 * span else None
    return out
