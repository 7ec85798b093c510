"""Contracts abroad: early termination, churning, and the end of a contract.

Churning (seed 001, III.A): a recruiter offers the employer a bonus to
replace a worker early; the replaced worker goes home, often still in
debt, and the replacement pays a new fee to the same recruiter. Here a
churning fee-charging recruiter makes that offer on each of its workers
abroad, the employer accepts when the bonus beats its own turnover cost,
and the freed position is promised to the recruiter for next month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.employers import accepts_churn
from sim.model.recruiters import FEE_CHARGING
from sim.model.voice import return_home
from sim.model.workers import ABROAD

if TYPE_CHECKING:
    from sim.model import RecruitmentModel

MIN_MONTHS_BEFORE_CHURN = 3  # a replacement must first arrive and settle in


def end_contracts(model: RecruitmentModel) -> dict:
    """Early terminations, churning and completed contracts of this month; returns the counts."""
    m = model.config.market
    w = model.workers
    r = model.recruiters
    rng = model.rng
    abroad = np.flatnonzero(w.status == ABROAD)
    rec = w.recruiter[abroad]
    emp = w.employer[abroad]

    churner = r.churns[rec] & (r.kind[rec] == FEE_CHARGING) & r.active[rec]
    settled = model.month - w.placed_step[abroad] >= MIN_MONTHS_BEFORE_CHURN
    candidates = np.flatnonzero(churner & settled)
    candidates = candidates[accepts_churn(model, emp[candidates])]
    churned = candidates[rng.random(len(candidates)) < m.churn_rate]

    other = np.ones(len(abroad), dtype=bool)
    other[churned] = False
    early = np.flatnonzero(other & (rng.random(len(abroad)) < m.early_termination_prob))

    churn_rec, churn_emp = rec[churned], emp[churned]
    bonus = np.bincount(churn_rec, minlength=r.n)[: r.n] * m.churn_bonus
    r.cash[: r.n] -= bonus
    model.ledger.transfer("recruiters", "employers", bonus.sum(), "churn_bonuses")
    model.reserved_orders = (churn_emp.astype(np.int64), churn_rec.astype(np.int64))

    return_home(model, abroad[churned])
    return_home(model, abroad[early])

    still = abroad[w.status[abroad] == ABROAD]
    w.months_left[still] -= 1
    finished = still[w.months_left[still] <= 0]
    return_home(model, finished)
    return {"churn_terminations": int(len(churned)), "early_terminations": int(len(churned) + len(early)),
            "completed_contracts": int(len(finished))}
