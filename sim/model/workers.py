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

from sim.model import kernels
from sim.model.choice import consideration_windows, log_exponentials

if TYPE_CHECKING:
    from sim.model import RecruitmentModel

AT_HOME, ABROAD = 0, 1
# violation bits recorded on a placement; SUBAGENT_FEE: the worker paid a village sub-agent a fee that
# breaks the rules (over a cap or ban, or any sub-agent fee at an Employer Pays recruiter; sim.model.subagents)
ILLEGAL_FEE, DECEIVED, HIDDEN_FEE, SUBAGENT_FEE = 1, 2, 4, 8


#: ``placed_step`` of a person never placed: far enough back that no lookback or settling time reaches it
NEVER_PLACED = -10**6


def draw_newcomers(count: int, config, rng: np.random.Generator, market=None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Home wage, savings, platform use and reach of ``count`` new aspiring migrants.

    One function for the pool at the start and for every later arrival, so
    that a newcomer is drawn from the same population as the first people
    (three draws, always in this order and always made, so the random
    stream does not depend on whether the platform is on).

    Returns:
        ``home_wage`` (USD/month, mean-preserving lognormal around
        ``market.home_wage``), ``savings`` (USD), ``platform_user`` and
        ``village`` (lives where only informal sub-agents reach; drawn only
        when ``market.subagent_share`` is above 0). ``market``: the origin's
        (:mod:`sim.model.origins`; default the run's).
    """
    m = config.market if market is None else market
    sigma = m.home_wage_spread
    home_wage = m.home_wage * rng.lognormal(-sigma**2 / 2, sigma, count)
    savings = m.savings_months * home_wage * rng.lognormal(-0.125, 0.5, count)
    platform_user = rng.random(count) < config.society.platform_uptake
    if not config.society.platform_enabled:
        platform_user[:] = False
    share = m.subagent_share
    village = rng.random(count) < share if share > 0 else np.zeros(count, dtype=bool)
    return home_wage, savings, platform_user, village


class WorkerTable:
    """Every worker's state, one array per variable (index = worker id).

    A row is a place in the pool of aspiring migrants, held by one person at
    a time: when a person leaves the pool (:func:`leave_and_arrive`) a
    newcomer takes the row, so the pool keeps ``n`` people and every array
    keeps its length.
    """

    def __init__(self, n: int, config, rng: np.random.Generator, origins: list):
        self.n = n
        # each origin's people are one block of rows, drawn from its own economy (sim.model.origins)
        self.origin = np.zeros(n, dtype=np.int64)
        drawn = [draw_newcomers(o.workers.stop - o.workers.start, config, rng, o.market) for o in origins]
        self.home_wage, self.savings, self.platform_user, self.village = (
            np.concatenate(parts) if len(origins) > 1 else parts[0] for parts in zip(*drawn))
        for o in origins:
            self.origin[o.workers] = o.index
        self.debt = np.zeros(n)
        self.status = np.zeros(n, dtype=np.int8)
        self.arrived = np.zeros(n, dtype=np.int32)  # month the row's current person arrived (0: the first pool)
        # the current or last placement
        self.recruiter = np.full(n, -1, dtype=np.int32)
        self.employer = np.full(n, -1, dtype=np.int32)
        self.wage = np.zeros(n)
        self.fee_paid = np.zeros(n)
        self.placed_step = np.full(n, NEVER_PLACED, dtype=np.int32)
        self.hired_as = np.zeros(n, dtype=np.int8)  # the recruiter's kind as employers saw it at the placement
        self.months_left = np.zeros(n, dtype=np.int16)
        self.violation = np.zeros(n, dtype=np.int8)
        self.detected = np.zeros(n, dtype=bool)
        self.spell_gain = np.zeros(n)
        self.blacklisted_until = np.zeros(n, dtype=np.int32)
        self.migrations = np.zeros(n, dtype=np.int16)
        # whether the last placement was made by a holder of the run's label (the outcomes compare the
        # labelled and the unlabelled)
        self.placed_by_label = np.zeros(n, dtype=bool)


class Worker(mesa.Agent):
    """A readable view of one worker; the numbers live in ``model.workers``.

    Every attribute is a read-only property reading row ``index`` of the
    table, so it is always current; the model's stages change the table,
    never the view.

    A row is a place in the pool, occupied by one person at a time: when
    its person leaves the pool a newcomer takes the place
    (:func:`leave_and_arrive`), and the view then shows the newcomer
    (``arrived`` says since when). The view follows the place, not one
    person for the whole run.
    """

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
        """All the worker paid for the current or last placement (USD): recruiter's fee plus any sub-agent's."""
        return float(self._get("fee_paid"))

    @property
    def employer(self) -> int:
        """Row of the employer of the current or last placement (-1: never placed)."""
        return int(self._get("employer"))

    @property
    def wage(self) -> float:
        """Monthly wage abroad of the current or last placement (USD; 0: never placed)."""
        return float(self._get("wage"))

    @property
    def months_left(self) -> int:
        """Months left on the contract abroad (0 at home)."""
        return int(self._get("months_left"))

    @property
    def village(self) -> bool:
        """Lives where only village sub-agents reach: only recruiters using sub-agents can take this worker."""
        return bool(self._get("village"))

    @property
    def migrations(self) -> int:
        """Times the row's current person has been placed abroad during the run."""
        return int(self._get("migrations"))

    @property
    def arrived(self) -> int:
        """Month the row's current person joined the pool (0: in the pool when the run started)."""
        return int(self._get("arrived"))


def find_searchers(model: RecruitmentModel) -> np.ndarray:
    """Workers at home, not blacklisted, who look for a job abroad this month."""
    w = model.workers
    draws = model.rng.random(w.n)  # one per worker, searching or not
    return kernels.searchers(w.status, w.blacklisted_until, draws, AT_HOME, model.month,
                             model.config.market.search_prob)


def choose_recruiters(model: RecruitmentModel, searchers: np.ndarray, offer: dict, market=None) -> np.ndarray:
    """Each searcher picks a recruiter (or none) by logit over expected net gain.

    The expected gain of going through recruiter k is the chance of being
    placed (workers prefer recruiters with access to jobs, seed 001 III.C)
    times the contract's net earnings over home earnings, less the fee and
    the interest on what must be borrowed. Lenders refuse a loan that would
    take the worker's debt past the credit limit. Each searcher weighs the
    recruiters it knows of (``market.consideration_set``). Workers who read the rating
    platform see each recruiter's own record of hidden fees and deception;
    the others go by word of mouth about recruiters of that kind. A worker
    only village sub-agents reach can go only through recruiters that use
    them (:mod:`sim.model.subagents`).

    Args:
        offer: per-option arrays from :func:`sim.model.recruiters.offers_to_workers`.
        market: the searchers' origin's market (credit; default the run's).

    Returns:
        For each searcher, the recruiter row chosen, or -1 for staying home.
    """
    m = model.config.market
    credit = m if market is None else market  # the searchers' origin's lenders
    w = model.workers
    rng = model.rng
    if len(searchers) == 0 or len(offer["rows"]) == 0:
        return np.full(len(searchers), -1, dtype=np.int64)
    windows = consideration_windows(len(offer["rows"]), m.consideration_set, rng)
    window = rng.integers(0, len(windows), len(searchers))
    # Gumbel noise per option considered, then for staying home (choice.log_exponentials)
    log_noise = log_exponentials(rng, (len(searchers), windows.shape[1]))
    stay_home = log_exponentials(rng, len(searchers))
    np.negative(stay_home, out=stay_home)
    # the utility and the choice: one compiled loop over searchers and options (kernels.worker_choice)
    return kernels.worker_choice(
        offer["rows"], offer["promised_wage"], offer["fee_months"], offer["hidden_months"],
        offer["placement_prob"], offer["deceive_prob_other"], offer["deceive_prob_user"],
        offer["hidden_prob_other"], offer["hidden_prob_user"], offer["takes_village"],
        windows, window, searchers, w.platform_user, w.village, w.savings, w.debt, w.home_wage, log_noise, stay_home,
        m.deception_markup / (1.0 + m.deception_markup), 1.0 - m.living_cost_share,
        credit.credit_limit_months * m.dest_wage, np.float32(0.5 * credit.interest_rate),
        np.float32(m.contract_months), np.float32(m.worker_choice_scale / m.dest_wage))


def bondage_mask(model: RecruitmentModel, rows: np.ndarray) -> np.ndarray:
    """Which of the workers ``rows`` (abroad) are in debt bondage.

    Definition: the worker's debt exceeds the present value, at the lenders'
    interest rate, of the net earnings left in the contract; even paying
    everything they net until the contract ends, they go home owing money.
    """
    m = model.config.market
    w = model.workers
    net = w.wage[rows] * (1.0 - m.living_cost_share)
    if len(model.origins) == 1:
        factor = annuity_factors(model)[w.months_left[rows]]
    else:  # at each worker's own lenders' rate
        factor = np.stack([annuity_factors(model, o.market) for o in model.origins])[w.origin[rows], w.months_left[rows]]
    return w.debt[rows] > net * factor + 1e-9


def annuity_factors(model: RecruitmentModel, market=None) -> np.ndarray:
    """Present value, at the lenders' rate, of one dollar a month for k months, k = 0 .. the longest contract left.
    ``market``: an origin's (its lenders' rate; default the run's)."""
    r = (model.config.market if market is None else market).interest_rate
    months = np.arange(max(int(model.workers.months_left.max(initial=0)), model.config.market.contract_months) + 1,
                       dtype=float)
    return months if r == 0 else (1.0 - (1.0 + r) ** -months) / r


def earn_and_repay(model: RecruitmentModel) -> None:
    """A month of earning, interest and repayment for every worker.

    Abroad: net foreign earnings repay debt first; of the rest, the family
    at home spends ``remittance_share`` and the worker saves the remainder. At
    home: a share of the home wage is saved and debt is repaid from savings.
    Interest accrues on all debt, so an unpaid debt grows (perpetual debt)
    until it reaches the credit limit: lenders write off what lies beyond
    what they would ever lend, since no contract could repay it.
    """
    m = model.config.market
    w = model.workers
    ledger = model.ledger
    # one compiled pass over each origin's block of workers (kernels.earn_and_repay), at its lenders' terms;
    # the ledger's totals are summed here
    parts = []
    for o in model.origins:
        b = o.workers
        parts.append(kernels.earn_and_repay(
            w.status[b], w.wage[b], w.home_wage[b], w.savings[b], w.debt[b], w.spell_gain[b], ABROAD,
            1.0 - m.living_cost_share, m.home_saving_rate, o.market.interest_rate,
            o.market.credit_limit_months * m.dest_wage, m.remittance_share))
    income, interest, repaid, written_off, spent = (
        parts[0] if len(parts) == 1 else [np.concatenate(column) for column in zip(*parts)])
    ledger.transfer("outside", "workers", income.sum(), "earnings")
    ledger.transfer("workers", "lenders", interest.sum(), "interest")
    ledger.note("repayments", repaid.sum())
    ledger.transfer("lenders", "workers", written_off.sum(), "write_offs")
    ledger.transfer("workers", "outside", spent.sum(), "family_consumption")


def home_repayable_per_home_wage(config, market=None) -> float:
    """What a person at home can repay, per dollar of home wage: the home debt trap's threshold.

    The present value, at the lenders' rate ``market.interest_rate``, of
    saving ``home_saving_rate`` of the home wage every month for
    ``debt_horizon_months`` (an annuity factor; with no interest, the plain
    sum). A debt above ``home_wage`` times this cannot be repaid from home
    savings within the horizon. ``market``: an origin's (default the run's).
    """
    m = config.market
    r, months = (m if market is None else market).interest_rate, m.debt_horizon_months
    annuity = float(months) if r == 0 else (1.0 - (1.0 + r) ** -months) / r
    return m.home_saving_rate * annuity


def home_debt_trapped(model: RecruitmentModel) -> tuple[np.ndarray, int]:
    """People at home in the home debt trap (rows, by id) and the number of people at home.

    In the trap: at home, with a debt larger than what home savings can
    repay within ``debt_horizon_months`` at the lenders' rate
    (:func:`home_repayable_per_home_wage`); the counterpart at home of debt
    bondage abroad (:func:`bondage_mask`).
    """
    w = model.workers
    if len(model.origins) == 1:
        return kernels.home_debt_trap(w.status, w.debt, w.home_wage, AT_HOME,
                                      home_repayable_per_home_wage(model.config))
    trapped, at_home = [], 0
    for o in model.origins:  # each block at its own lenders' rate
        b = o.workers
        rows, home = kernels.home_debt_trap(w.status[b], w.debt[b], w.home_wage[b], AT_HOME,
                                            home_repayable_per_home_wage(model.config, o.market))
        trapped.append(rows + b.start)
        at_home += home
    return np.concatenate(trapped), at_home


def leave_and_arrive(model: RecruitmentModel) -> dict:
    """People at home leave the pool of aspiring migrants; a newcomer takes each one's place.

    Each person at home leaves with chance ``market.leave_prob`` a month
    (age, other work, giving up); people abroad finish their contract first.
    A person placed this month and already sent home (retaliation) stays
    until next month, so that this month's placements are counted with the
    person who made them. The leaver's savings leave the model with them
    (ledger flow ``departures``) and lenders write off the debt they leave
    behind (``departure_write_offs``): nobody is left to collect from. The
    newcomer is drawn as the first pool was (:func:`draw_newcomers`),
    arrives with savings (``arrivals``) and no debt, at home, never placed.
    The pool therefore keeps its size, and its composition is stationary.

    Returns:
        ``{"departures": people who left this month}`` for the outcomes.
    """
    m = model.config.market
    w = model.workers
    if m.leave_prob == 0 or w.n == 0:  # no draws at all: the random stream is the closed pool's
        return {"departures": 0}
    draws = model.rng.random(w.n)  # one per row, at home or not
    rows = kernels.leavers(w.status, w.placed_step, draws, AT_HOME, model.month, m.leave_prob)
    if len(rows) == 0:
        return {"departures": 0}
    ledger = model.ledger
    ledger.transfer("workers", "outside", w.savings[rows].sum(), "departures")
    ledger.transfer("lenders", "workers", w.debt[rows].sum(), "departure_write_offs")
    for o in model.origins:  # each newcomer from the economy of the origin whose row it takes
        mine = rows if len(model.origins) == 1 else rows[w.origin[rows] == o.index]
        w.home_wage[mine], w.savings[mine], w.platform_user[mine], w.village[mine] = draw_newcomers(
            len(mine), model.config, model.rng, o.market)
    ledger.transfer("outside", "workers", w.savings[rows].sum(), "arrivals")
    w.arrived[rows] = model.month
    w.debt[rows] = 0.0
    w.status[rows] = AT_HOME
    w.recruiter[rows] = -1
    w.employer[rows] = -1
    w.wage[rows] = 0.0
    w.fee_paid[rows] = 0.0
    w.placed_step[rows] = NEVER_PLACED
    w.months_left[rows] = 0
    w.violation[rows] = 0
    w.detected[rows] = False
    w.spell_gain[rows] = 0.0
    w.blacklisted_until[rows] = 0
    w.migrations[rows] = 0
    return {"departures": int(len(rows))}


def relieve_debts(model: RecruitmentModel) -> None:
    """Lenders write some debts trapped at home down to what the borrower can repay.

    Each person in the home debt trap (:func:`home_debt_trapped`) has, with
    chance ``market.debt_relief_prob`` a month, the debt renegotiated down
    to the largest debt home savings repay within ``debt_horizon_months``;
    the lender writes off the rest (ledger flow ``relief_write_offs``). A
    lender gains nothing by holding a claim the borrower can never pay, and
    can collect the renegotiated debt. Without relief (the default) debts at
    home end only when their holder migrates again or leaves the pool, or
    are cut back to the credit limit (:func:`earn_and_repay`).
    """
    m = model.config.market
    if m.debt_relief_prob == 0 or model.workers.n == 0:  # no draws: the random stream is unchanged
        return
    w = model.workers
    trapped, _ = home_debt_trapped(model)
    relieved = trapped[model.rng.random(len(trapped)) < m.debt_relief_prob]
    per_wage = np.array([home_repayable_per_home_wage(model.config, o.market) for o in model.origins])
    repayable = w.home_wage[relieved] * per_wage[w.origin[relieved]]
    written_off = w.debt[relieved] - repayable
    w.debt[relieved] = repayable
    model.ledger.transfer("lenders", "workers", written_off.sum(), "relief_write_offs")
