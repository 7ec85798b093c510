"""Contracts abroad: early termination, churning, workers quitting, and the end of a contract.

Churning (seed 001, III.A): a recruiter offers the employer a bonus to
replace a worker early; the replaced worker goes home, often still in
debt, and the replacement pays a new fee to the same recruiter. Here a
churning fee-charging recruiter makes that offer on each of its workers
abroad, the employer accepts when the bonus beats its own turnover cost,
and the freed position is promised to the recruiter for next month.

Quitting ties what a worker's debt is worth to an employer to the worker's
actual debt (``market.debt_quit_effect``, off by default): indebted
workers may abscond more, so employers gain from debt-free workers, or be
less able to quit, so employers gain from debt. Each quit costs the
employer its turnover cost; employers learn the quits per hire of each
kind of recruiter (:class:`QuitRecord`) and count them in a recruiter's
cost when they place job orders.
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
QUIT_MEMORY = 0.1  # weight of this month in employers' record of quits per hire (as the regulator's record)


class QuitRecord:
    """What employers know of workers quitting: quits per hire by the recruiter's perceived kind.

    Like the regulator's published detections per placement, a ratio of
    moving averages: quits this month (by the kind of the recruiter that
    placed the worker, as employers saw it at the hire: a recruiter that
    changes kind does not take its earlier workers' record along) over
    hires this month. In a steady state it is the share of hires that end
    in a quit, which is what an employer expects of its next hire through
    that kind.

    Attributes:
        per_hire: expected quits per hire, by kind (fee-charging,
            certified, public).
    """

    def __init__(self) -> None:
        self.per_hire = np.zeros(3)
        self.quits_this_month = np.zeros(3)
        self._quits_avg = np.zeros(3)
        self._hires_avg = np.zeros(3)

    def learn(self, hires_by_kind: np.ndarray) -> None:
        """Fold this month's quits and hires into the record, and start counting the next month's."""
        self._quits_avg += QUIT_MEMORY * (self.quits_this_month - self._quits_avg)
        self._hires_avg += QUIT_MEMORY * (hires_by_kind - self._hires_avg)
        self.per_hire = self._quits_avg / np.maximum(self._hires_avg, 1.0)
        self.quits_this_month = np.zeros(3)


def quit_prob(model: RecruitmentModel, workers: np.ndarray) -> np.ndarray:
    """Each worker's chance of quitting (absconding) this month, from its debt.

    With ``e = market.debt_quit_effect``, ``p = market.early_termination_prob``
    and ``d`` the worker's debt over the credit limit (at most 1), the
    chance is ``p (|e| + e d)``: for ``e > 0`` from ``p e`` when debt-free to
    ``2 p e`` at the credit limit (the indebted abscond more); for ``e < 0``
    from ``p |e|`` when debt-free to 0 at the limit (debt holds workers).
    Either way a worker at the credit limit leaves early with a chance
    ``e p`` above a debt-free worker's, the unit of ``debt_quit_effect``;
    and quitting fades out continuously as ``e`` goes to 0, where there is
    none (the base rate of quitting is scaled by ``|e|`` for that reason: a
    fixed base rate would jump in at any ``e != 0``).
    """
    m = model.config.market
    limit = m.credit_limit_months * m.dest_wage
    debt_share = np.minimum(model.workers.debt[workers] / max(limit, 1e-9), 1.0)
    return m.early_termination_prob * (abs(m.debt_quit_effect) + m.debt_quit_effect * debt_share)


def end_contracts(model: RecruitmentModel) -> dict:
    """Churning, employers' early terminations, workers' quits and completed contracts; returns the counts.

    Quits (:func:`quit_prob`) are drawn only when ``market.debt_quit_effect``
    is not 0, among the workers neither churned nor terminated; each costs
    its employer the employer's turnover cost and goes into employers'
    record of quits per hire (:class:`QuitRecord`).
    """
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
    quits = early[:0]
    if m.debt_quit_effect != 0:  # without the effect, nothing is drawn: runs stay as they were
        other[early] = False
        stayers = np.flatnonzero(other)
        quits = stayers[rng.random(len(stayers)) < quit_prob(model, abroad[stayers])]
        cost = model.employers.turnover_cost[emp[quits]].sum()
        model.ledger.transfer("employers", "outside", float(cost), "turnover_costs")
        model.quit_record.quits_this_month += np.bincount(w.hired_as[abroad[quits]], minlength=3)[:3]

    churn_rec, churn_emp = rec[churned], emp[churned]
    bonus = np.bincount(churn_rec, minlength=r.n)[: r.n] * m.churn_bonus
    r.cash[: r.n] -= bonus
    model.ledger.transfer("recruiters", "employers", bonus.sum(), "churn_bonuses")
    model.reserved_orders = (churn_emp.astype(np.int64), churn_rec.astype(np.int64))

    return_home(model, abroad[churned])
    return_home(model, abroad[early])
    return_home(model, abroad[quits])

    still = abroad[w.status[abroad] == ABROAD]
    w.months_left[still] -= 1
    finished = still[w.months_left[still] <= 0]
    return_home(model, finished)
    return {"churn_terminations": int(len(churned)), "early_terminations": int(len(churned) + len(early)),
            "worker_quits": int(len(quits)), "completed_contracts": int(len(finished))}
