"""Employers abroad: state arrays, Mesa views, and the job orders they place.

Employers are cost-conscious (seed 001, III.C): each vacancy goes to the
recruiter whose total cost per hire is lowest, up to logit noise. That cost
is the recruiter's price (negative when it pays a kickback), plus, for
employers with Employer Pays commitments, the expected cost of a recruiter
suspected of charging workers (reputation, and repaying part of the fee as
supplier codes require), plus, under joint liability, the fines the
employer expects to share (seed 001, III.A), plus, where debt changes how
often workers quit (``market.debt_quit_effect``), the turnover cost of the
quits it expects per hire through that kind of recruiter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model import kernels
from sim.model.choice import consideration_windows, log_exponentials
from sim.model.destination import employer_penalty
from sim.model.recruiters import (
    PUBLIC,
    PUBLIC_ROW,
    choosable,
    market_fee_months,
    perceived_kind,
    placement_capacity,
    ratings_view,
    word_of_mouth_view,
)
from sim.model.workers import ABROAD

if TYPE_CHECKING:
    from sim.model import RecruitmentModel

ORDER_ROUNDS = 3  # times a turned-away vacancy is offered to another recruiter within a month


class EmployerTable:
    """Every employer's state, one array per variable."""

    def __init__(self, n: int, config, rng: np.random.Generator, origins: list):
        m = config.market
        sigma = m.dest_wage_spread
        self.n = n
        self.positions = np.full(n, m.jobs_per_employer, dtype=np.int64)
        self.wage = m.dest_wage * rng.lognormal(-sigma**2 / 2, sigma, n)
        self.brand = rng.random(n) < config.society.brand_share
        # bound by a government-to-government agreement to an origin's public channel first (-1: free);
        # one draw each, the origins' mandates laid end to end on [0, 1)
        draw = rng.random(n)
        mandates = np.cumsum([origin.policy.public_mandate for origin in origins])
        self.public_origin = np.full(n, -1, dtype=np.int64)
        for index in range(len(origins) - 1, -1, -1):
            self.public_origin[draw < mandates[index]] = index
        self.public_bound = self.public_origin >= 0
        self.turnover_cost = rng.exponential(m.turnover_cost, n) if m.turnover_cost > 0 else np.zeros(n)
        self.filled = np.zeros(n, dtype=np.int64)
        self.recruitment_cost = np.zeros(n)


class Employer(mesa.Agent):
    """A readable view of one employer row in ``model.employers`` (read-only properties)."""

    def __init__(self, model: RecruitmentModel, row: int):
        super().__init__(model)
        self.row = int(row)

    @property
    def wage(self) -> float:
        return float(self.model.employers.wage[self.row])

    @property
    def has_brand_commitment(self) -> bool:
        return bool(self.model.employers.brand[self.row])

    @property
    def vacancies(self) -> int:
        e = self.model.employers
        return int(e.positions[self.row] - e.filled[self.row])

    @property
    def positions(self) -> int:
        """Jobs it offers."""
        return int(self.model.employers.positions[self.row])

    @property
    def filled(self) -> int:
        """Positions held by a worker abroad when it last placed job orders (stage 2 of a month)."""
        return int(self.model.employers.filled[self.row])


def count_filled(model: RecruitmentModel) -> None:
    """How many of each employer's positions are held by a worker abroad."""
    w = model.workers
    model.employers.filled = kernels.count_by(w.employer, w.status, ABROAD, model.employers.n)


def suspicion(model: RecruitmentModel, rows: np.ndarray) -> np.ndarray:
    """Chance, as employers see it, that a hire through each recruiter paid a fee or was deceived.

    Employers hear the same word of mouth as workers but take the label at
    its record (the label exists to tell them apart); where the rating
    platform runs its reviews are public, so employers see each recruiter's
    record. Fees to the public channel are not recruiter fees.
    """
    kind = perceived_kind(model)[rows]
    fee, deceived = word_of_mouth_view(model, kind, "employers", model.recruiters.origin[rows])
    if model.config.society.platform_enabled:
        fee, deceived = ratings_view(model, rows, fee, deceived)
    return kernels.suspicion(kind, fee, deceived, PUBLIC)  # 1 - (1 - fee) (1 - deceived); 0 for the public channel


def suspect_cost(model: RecruitmentModel) -> float:
    """What a hire through a recruiter known to charge workers costs an employer with an Employer
    Pays commitment (USD): reputation, plus repaying the fee as supplier codes require."""
    s = model.config.society
    return s.brand_cost + s.brand_remediation * market_fee_months(model) * model.config.market.dest_wage


def employer_view(model: RecruitmentModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How employers see each recruiter of ``rows``: (log fill rate, cost per hire, extra cost per hire
    for employers with Employer Pays commitments).

    The cost per hire is the price (negative: a kickback) plus the fines the
    employer expects to share under joint liability, plus the turnover cost
    it expects from workers quitting (:func:`expected_quit_cost`, when quits
    depend on debt); committed employers add
    :func:`suspect_cost` times the chance the recruiter charges or deceives.
    """
    r = model.recruiters
    brand_cost = suspect_cost(model) * suspicion(model, rows)
    base_cost = r.price[rows] + employer_penalty(model, rows, perceived_kind(model)[rows])
    if model.config.market.debt_quit_effect != 0:  # (without it the term is 0: leave the cost as it is, bit for bit)
        base_cost = base_cost + expected_quit_cost(model, rows)
    delivers = np.log(np.maximum(r.fill_rate[rows], 0.01))
    return delivers, base_cost, brand_cost


def expected_quit_cost(model: RecruitmentModel, rows: np.ndarray) -> np.ndarray:
    """Turnover cost an employer expects per hire through each recruiter from workers quitting (USD).

    The market's mean turnover cost times the quits per hire employers
    have seen among recruiters of that kind, as they perceive it
    (:class:`sim.model.contracts.QuitRecord`). Where indebted workers
    quit more (``market.debt_quit_effect > 0``) a recruiter whose workers
    pay no fee costs less; where debt holds workers (``< 0``) it costs more.
    """
    per_hire = model.quit_record.per_hire[perceived_kind(model)[rows]]
    return model.config.market.turnover_cost * per_hire


def place_job_orders(model: RecruitmentModel) -> tuple[np.ndarray, np.ndarray]:
    """Each open vacancy goes to one recruiter; returns (employer, recruiter) per job order.

    A recruiter's chance of being picked is also weighted by its recent fill
    rate (placements per order), so employers drift away from recruiters
    that take orders they cannot fill. A recruiter accepts orders only up to
    its capacity; turned-away vacancies go to the employer's next choice
    among recruiters with spare capacity, for up to ORDER_ROUNDS rounds (the
    rest wait for next month). ``orders`` counts every order asked of a
    recruiter, turned-away ones included: the demand its prices respond to. Vacancies an employer promised to a
    churning recruiter last month go to that recruiter without a choice,
    and employers bound by a government-to-government agreement send their
    vacancies to the public channel while it has capacity.
    """
    cfg = model.config
    e = model.employers
    r = model.recruiters
    # orders reserved by churning recruiters still active, and the vacancies left open: one entry each
    res_emp, res_rec, vacancy_employer = kernels.open_vacancies(e.positions, e.filled, *model.reserved_orders,
                                                                r.active)
    rows = choosable(model)
    if e.public_bound.any():  # (without any, the draw below draws nothing: skip it all)
        # vacancies of employers bound to a public channel go there first, up to its capacity
        rest = np.ones(len(vacancy_employer), dtype=bool)
        for origin in model.origins:  # (the public channel of origin k is row k)
            bound = np.flatnonzero(e.public_origin[vacancy_employer] == origin.index)
            to_public = model.rng.permutation(bound)[: origin.policy.public_capacity]
            rest[to_public] = False
            res_emp = np.concatenate([res_emp, vacancy_employer[to_public]])
            res_rec = np.concatenate([res_rec, np.full(len(to_public), PUBLIC_ROW + origin.index, dtype=np.int64)])
        vacancy_employer = vacancy_employer[rest]
    requests = np.bincount(res_rec, minlength=r.n)[: r.n]
    spare = placement_capacity(model) - requests
    brand = e.brand[vacancy_employer]
    model.vacancies_seen = (int(len(brand) - brand.sum()), int(brand.sum()))  # (plain, committed employers)
    if len(rows) == 0 or len(vacancy_employer) == 0:
        r.orders[: r.n] = requests
        return res_emp, res_rec
    delivers, base_cost, brand_cost = employer_view(model, rows)
    windows = consideration_windows(len(rows), cfg.market.consideration_set, model.rng)
    window = model.rng.integers(0, len(windows), len(vacancy_employer))
    scale = cfg.market.employer_choice_scale
    # utility per window, for employers without and with brand commitments
    plain, branded = kernels.employer_utilities(windows, delivers, base_cost, brand_cost, scale)
    accepted_emp, accepted_rec = [res_emp], [res_rec]
    pending = np.arange(len(vacancy_employer))
    for _ in range(ORDER_ROUNDS):
        # recruiters with no spare capacity turn orders away: employers ask elsewhere next round
        pending, utility = kernels.employer_round_utility(pending, window, windows, rows, spare, brand,
                                                          plain, branded)
        if len(pending) == 0:
            break
        # the draws of choice.gumbel_argmax, then of choice.rank_within_groups
        log_noise = log_exponentials(model.rng, utility.shape)
        shuffled = model.rng.permutation(len(pending))
        took_emp, took_rec, pending = kernels.employer_round_take(
            pending, utility, log_noise, shuffled, window, windows, rows, spare, requests, vacancy_employer)
        accepted_emp.append(took_emp)
        accepted_rec.append(took_rec)
    r.orders[: r.n] = requests
    return np.concatenate(accepted_emp), np.concatenate(accepted_rec)


def accepts_churn(model: RecruitmentModel, employers: np.ndarray) -> np.ndarray:
    """Whether each employer takes a recruiter's offer to replace a worker early.

    The bonus must beat the employer's own cost of turnover; employers with
    Employer Pays commitments refuse (they would carry the reputational risk),
    and so do employers bound to a public channel, whose vacancies must go
    there first rather than to the churning recruiter.
    """
    e = model.employers
    capacity = np.array([origin.policy.public_capacity for origin in model.origins] + [0])
    bound = capacity[e.public_origin[employers]] > 0  # (index -1, a free employer: the 0 appended)
    return (model.config.market.churn_bonus > e.turnover_cost[employers]) & ~e.brand[employers] & ~bound
