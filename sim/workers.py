"""Workers (aspiring migrants): state arrays, the Mesa view, and their behaviour.

Workers are numerous, so their state lives in :class:`WorkerTable` (one numpy
array per variable, owned by the model) and every behaviour below acts on all
workers at once. :class:`Worker` is a Mesa agent that reads one row, so a
person exploring the model (or the class app) can still say ``worker.debt``.

Seed 001, Part III.A is the source of the mechanisms: debt-financed fees,
deception about the job, early replacement (churning), debt bondage,
collusion under caps, fear of retaliation, and re-migration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.choice import consideration_sets, gumbel_argmax

if TYPE_CHECKING:
    from sim.model import RecruitmentModel

AT_HOME, ABROAD = 0, 1
# violation bits recorded on a placement
ILLEGAL_FEE, DECEIVED, HIDDEN_FEE = 1, 2, 4


class WorkerTable:
    """Every worker's state, one array per variable (index = worker id)."""

    def __init__(self, n: int, config, rng: np.random.Generator):
        m = config.market
        sigma = m.home_wage_spread
        self.n = n
        self.home_wage = m.home_wage * rng.lognormal(-sigma**2 / 2, sigma, n)
        self.savings = m.savings_months * self.home_wage * rng.lognormal(-0.125, 0.5, n)
        self.debt = np.zeros(n)
        self.status = np.zeros(n, dtype=np.int8)
        self.platform_user = rng.random(n) < config.society.platform_uptake
        if not config.society.platform_enabled:
            self.platform_user[:] = False
        # the current or last placement
        self.recruiter = np.full(n, -1, dtype=np.int32)
        self.employer = np.full(n, -1, dtype=np.int32)
        self.wage = np.zeros(n)
        self.fee_paid = np.zeros(n)
        self.placed_step = np.full(n, -10**6, dtype=np.int32)
        self.months_left = np.zeros(n, dtype=np.int16)
        self.violation = np.zeros(n, dtype=np.int8)
        self.detected = np.zeros(n, dtype=bool)
        self.spell_gain = np.zeros(n)
        self.blacklisted_until = np.zeros(n, dtype=np.int32)
        self.migrations = np.zeros(n, dtype=np.int16)


class Worker(mesa.Agent):
    """A readable view of one worker; the numbers live in ``model.workers``."""

    def __init__(self, model: RecruitmentModel, index: int):
        super().__init__(model)
        self.index = int(index)

    def _get(self, name: str):
        return getattr(self.model.workers, name)[self.index]

    @property
    def abroad(self) -> bool:
        return bool(self._get("status") == ABROAD)

    @property
    def savings(self) -> float:
        return float(self._get("savings"))

    @property
    def debt(self) -> float:
        return float(self._get("debt"))

    @property
    def home_wage(self) -> float:
        return float(self._get("home_wage"))

    @property
    def recruiter(self) -> int:
        """Row of the recruiter of the current or last placement (-1: never placed)."""
        return int(self._get("recruiter"))

    @property
    def fee_paid(self) -> float:
        return float(self._get("fee_paid"))


def find_searchers(model: RecruitmentModel) -> np.ndarray:
    """Workers at home, not blacklisted, who look for a job abroad this month."""
    w = model.workers
    idle = (w.status == AT_HOME) & (w.blacklisted_until <= model.month)
    looking = model.rng.random(w.n) < model.config.market.search_prob
    return np.flatnonzero(idle & looking)


def choose_recruiters(model: RecruitmentModel, searchers: np.ndarray, offer: dict) -> np.ndarray:
    """Each searcher picks a recruiter (or none) by logit over expected net gain.

    The expected gain of going through recruiter k is the chance of being
    placed (workers prefer recruiters with access to jobs, seed 001 III.C)
    times the contract's net earnings over home earnings, less the fee and
    the interest on what must be borrowed. Lenders refuse a loan that would
    take the worker's debt past the credit limit. Each searcher weighs the
    recruiters it knows of (``market.consideration_set``). Workers who read the rating
    platform see each recruiter's own record of hidden fees and deception;
    the others go by word of mouth about recruiters of that kind.

    Args:
        offer: per-option arrays from :func:`sim.recruiters.offers_to_workers`.

    Returns:
        For each searcher, the recruiter row chosen, or -1 for staying home.
    """
    m = model.config.market
    w = model.workers
    if len(searchers) == 0 or len(offer["rows"]) == 0:
        return np.full(len(searchers), -1, dtype=np.int64)
    # what each option offers a platform user (1) and anyone else (0): net wage, fee, placement chance
    markup = m.deception_markup / (1.0 + m.deception_markup)
    table = np.empty((2, len(offer["rows"]), 3), dtype=np.float32)
    for is_user, suffix in ((0, "other"), (1, "user")):
        wage = offer["promised_wage"] * (1.0 - offer[f"deceive_prob_{suffix}"] * markup)
        table[is_user, :, 0] = wage * (1.0 - m.living_cost_share)
        table[is_user, :, 1] = (offer["fee_months"] + offer[f"hidden_prob_{suffix}"] * offer["hidden_months"]) * wage
        table[is_user, :, 2] = offer["placement_prob"]
    known = consideration_sets(len(searchers), len(offer["rows"]), m.consideration_set, model.rng)
    user = w.platform_user[searchers].astype(np.intp)
    seen = table[user] if known is None else table[user[:, None], known]
    net_wage, fee, placement_prob = seen[..., 0], seen[..., 1], seen[..., 2]

    borrowed = fee - w.savings[searchers].astype(np.float32)[:, None]
    np.maximum(borrowed, 0.0, out=borrowed)
    interest = borrowed * borrowed * np.float32(0.5 * m.interest_rate) / np.maximum(net_wage, np.float32(1e-9))
    home = w.home_wage[searchers].astype(np.float32)[:, None]
    gain = np.float32(m.contract_months) * (net_wage - home) - fee - interest
    utility = np.float32(m.worker_choice_scale / m.dest_wage) * placement_prob * gain
    owed = w.debt[searchers].astype(np.float32)[:, None]
    utility[borrowed + owed > np.float32(m.credit_limit_months * m.dest_wage)] = -np.inf
    stay_home = np.zeros((len(searchers), 1), dtype=np.float32)
    pick = gumbel_argmax(np.hstack([stay_home, utility]), model.rng)
    option = np.maximum(pick - 1, 0)
    if known is not None:
        option = known[np.arange(len(searchers)), option]
    return np.where(pick == 0, -1, offer["rows"][option])


def pay_fees(model: RecruitmentModel, placed: np.ndarray, fee: np.ndarray) -> np.ndarray:
    """Workers pay ``fee`` from savings and borrow the rest from informal lenders.

    Returns how much each borrowed. The loan goes straight to the fee, so in
    the ledger the lender lends to the worker and the worker pays the fee.
    """
    w = model.workers
    from_savings = np.minimum(w.savings[placed], fee)
    borrowed = fee - from_savings
    w.savings[placed] -= from_savings
    w.debt[placed] += borrowed
    model.ledger.note("loans", borrowed.sum())
    return borrowed


def bondage_mask(model: RecruitmentModel, rows: np.ndarray) -> np.ndarray:
    """Which of the workers ``rows`` (abroad) are in debt bondage.

    Definition: the worker's debt exceeds the present value, at the lenders'
    interest rate, of the net earnings left in the contract; even paying
    everything they net until the contract ends, they go home owing money.
    """
    m = model.config.market
    w = model.workers
    net = w.wage[rows] * (1.0 - m.living_cost_share)
    n = w.months_left[rows].astype(float)
    r = m.interest_rate
    annuity = n if r == 0 else (1.0 - (1.0 + r) ** -n) / r
    return w.debt[rows] > net * annuity + 1e-9


def earn_and_repay(model: RecruitmentModel) -> None:
    """A month of earning, interest and repayment for every worker.

    Abroad: net foreign earnings repay debt first, the rest is saved. At
    home: a share of the home wage is saved and debt is repaid from savings.
    Interest accrues on all debt, so an unpaid debt grows (perpetual debt)
    until it reaches the credit limit: lenders write off what lies beyond
    what they would ever lend, since no contract could repay it.
    """
    m = model.config.market
    w = model.workers
    ledger = model.ledger
    interest = w.debt * m.interest_rate
    w.debt += interest
    ledger.transfer("workers", "lenders", interest.sum(), "interest")

    abroad = w.status == ABROAD
    income = np.where(abroad, w.wage * (1.0 - m.living_cost_share), w.home_wage * m.home_saving_rate)
    ledger.transfer("outside", "workers", income.sum(), "earnings")
    cash = w.savings + income
    repay = np.minimum(w.debt, cash)
    w.savings = cash - repay
    w.debt -= repay
    ledger.note("repayments", repay.sum())
    limit = m.credit_limit_months * m.dest_wage
    excess = np.where(abroad, 0.0, np.maximum(w.debt - limit, 0.0))
    w.debt -= excess
    ledger.transfer("lenders", "workers", excess.sum(), "write_offs")
    w.spell_gain += np.where(abroad, income - w.home_wage, 0.0) - np.where(abroad, interest, 0.0)
