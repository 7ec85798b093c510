"""Matching applicants to job orders, and the payments a placement sets off.

Each recruiter fills as many of its job orders as its capacity allows from
its applicants, taken in random order (recruiters cannot tell applicants
apart). A placement moves money three ways: the worker pays the fee
(borrowing what savings do not cover), the employer pays the recruiter's
price or receives its kickback, and the recruiter pays the real cost of the
placement (documents, visa, travel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.model import kernels
from sim.model.recruiters import (
    CERTIFIED,
    PUBLIC,
    charged_months,
    perceived_kind,
    placement_capacity,
)
from sim.model.workers import ABROAD, DECEIVED, HIDDEN_FEE, ILLEGAL_FEE, SUBAGENT_FEE

if TYPE_CHECKING:
    from sim.model import RecruitmentModel



@dataclass
class Placements:
    """The workers placed this month and what each paid (arrays aligned by placement).

    ``fee`` is all the worker paid for the placement (USD): the recruiter's
    fee plus ``subagent_fee``, the part a village sub-agent took.
    """

    workers: np.ndarray
    recruiters: np.ndarray
    employers: np.ndarray
    wage: np.ndarray
    fee: np.ndarray
    borrowed: np.ndarray
    employer_price: np.ndarray
    subagent_fee: np.ndarray

    @classmethod
    def empty(cls) -> Placements:
        z = np.zeros(0)
        i = np.zeros(0, dtype=np.int64)
        return cls(i, i, i, z, z, z, z, z)


def match(model: RecruitmentModel, applicants: np.ndarray, chosen: np.ndarray,
          order_employer: np.ndarray, order_recruiter: np.ndarray) -> Placements:
    """Fill job orders from applicants and settle the payments of every placement."""
    r = model.recruiters
    n = r.n
    if len(applicants) == 0 or len(order_employer) == 0:
        r.applicants[:n] = np.bincount(chosen, minlength=n)[:n]
        r.placements[:n] = 0
        return Placements.empty()
    # applicants in random order within each recruiter, and orders too (choice.rank_within_groups);
    # the first min(orders, capacity) applicants are placed, the k-th in the k-th order
    applicant_shuffled = model.rng.permutation(len(chosen))
    order_shuffled = model.rng.permutation(len(order_recruiter))
    r.applicants[:n], accepted, workers, recs, employers = kernels.match_orders(
        applicants, chosen, order_employer, order_recruiter, placement_capacity(model),
        applicant_shuffled, order_shuffled)  # accepted orders: never above capacity (place_job_orders)
    placed = settle(model, workers, recs, employers)
    r.placements[:n] = np.bincount(recs, minlength=n)[:n]
    return placed


def settle(model: RecruitmentModel, workers: np.ndarray, recs: np.ndarray, employers: np.ndarray) -> Placements:
    """Pay fees (to recruiters and village sub-agents), prices, kickbacks, placement and sourcing costs;
    start the workers' contracts.

    The per-placement work and the ledger's totals are one compiled loop
    (:func:`sim.model.kernels.start_contracts`).
    """
    r = model.recruiters
    w = model.workers
    ledger = model.ledger
    open_fee, hidden = charged_months(model)
    public = r.kind[recs] == PUBLIC
    if len(model.origins) == 1:
        wage, fee, borrowed, price, subagent_fee, totals = _start_contracts(
            model, workers, recs, employers, open_fee, hidden, public, model.origins[0].policy)
    else:  # each placement under its recruiter's origin's rules
        origin = r.origin[recs]
        wage, fee, borrowed, price, subagent_fee = (np.zeros(len(recs)) for _ in range(5))
        totals = 0.0
        for o in model.origins:
            mine = np.flatnonzero(origin == o.index)
            *values, part = _start_contracts(model, workers[mine], recs[mine], employers[mine], open_fee, hidden,
                                             public[mine], o.policy)
            for whole, value in zip((wage, fee, borrowed, price, subagent_fee), values):
                whole[mine] = value
            totals = totals + np.asarray(part, dtype=float)
    (loans, fees, service_fees, kickbacks, costs, public_fees, public_service_fees, public_costs, subagent_fees,
     sourcing_costs) = totals
    ledger.note("loans", loans)
    ledger.transfer("workers", "recruiters", fees, "fees")
    ledger.transfer("workers", "public_channel", public_fees, "public_fees")
    ledger.transfer("employers", "recruiters", service_fees, "service_fees")
    ledger.transfer("recruiters", "employers", kickbacks, "kickbacks")
    ledger.transfer("employers", "public_channel", public_service_fees, "public_service_fees")
    ledger.transfer("recruiters", "outside", costs, "placement_costs")
    ledger.transfer("public_channel", "outside", public_costs, "placement_costs")
    w.hired_as[workers] = perceived_kind(model)[recs]  # employers learn quits by the kind they hired from
    ledger.transfer("workers", "subagents", subagent_fees, "subagent_fees")
    ledger.transfer("recruiters", "outside", sourcing_costs, "sourcing_costs")
    hear_about(model, recs, fee, workers)
    return Placements(workers, recs, employers, wage, fee, borrowed, price, subagent_fee)


def _start_contracts(model: RecruitmentModel, workers: np.ndarray, recs: np.ndarray, employers: np.ndarray,
                     open_fee: np.ndarray, hidden: np.ndarray, public: np.ndarray, policy) -> tuple:
    """:func:`sim.model.kernels.start_contracts` for placements made under one origin's ``policy``."""
    r = model.recruiters
    w = model.workers
    m = model.config.market
    cap = policy.fee_cap_months
    return kernels.start_contracts(
        workers, recs, employers, model.employers.wage, open_fee, hidden, public, r.price, r.deceives,
        r.uses_subagents, r.kind, r.label, policy.public_employer_fee, m.placement_cost,
        m.direct_sourcing_cost, m.subagent_fee_months, np.nan if cap is None else cap,
        model.month, m.contract_months,
        w.savings, w.debt, w.status, w.recruiter, w.employer, w.wage, w.fee_paid, w.placed_step, w.months_left,
        w.violation, w.detected, w.spell_gain, w.migrations, w.placed_by_label, r.cash[: r.n],
        model.employers.recruitment_cost, ABROAD, CERTIFIED, ILLEGAL_FEE, DECEIVED, HIDDEN_FEE, SUBAGENT_FEE)


def hear_about(model: RecruitmentModel, recs: np.ndarray, fee: np.ndarray, workers: np.ndarray) -> None:
    """Word of mouth: this month's placements shift what people believe of each kind of recruiter.

    People hear, by the kind they perceive, how many were placed this month,
    how many of them paid a fee and how many were deceived (counted by
    :func:`sim.model.kernels.placements_by_kind`; weighed in
    :mod:`sim.model.beliefs`).
    """
    origin = model.recruiters.origin[recs] if len(model.origins) > 1 else None
    for index, words in enumerate(model.words):  # each origin's people hear of its own recruiters
        mine = slice(None) if origin is None else origin == index
        placed, paid, deceived = kernels.placements_by_kind(recs[mine], perceived_kind(model), fee[mine],
                                                            workers[mine], model.workers.violation, DECEIVED)
        placed[PUBLIC] = paid[PUBLIC] = deceived[PUBLIC] = 0  # the public channel's fee is public, not hearsay
        words.hear(placed, paid, deceived)


def record_memory(model: RecruitmentModel) -> float:
    """Weight of a month in a recruiter's own placement chance and fill rate: three times the
    memory of word of mouth (a recruiter's own record is read fresher than hearsay about its kind)."""
    return min(1.0, 3.0 * model.config.market.word_of_mouth_memory)


def update_recruiter_records(model: RecruitmentModel, order_employer: np.ndarray,
                             order_recruiter: np.ndarray) -> None:
    """Signals recruiters carry into next month: workers' placement chance, employers' fill rate,
    and the wage on offer."""
    r = model.recruiters
    n = r.n
    kernels.update_recruiter_records(r.placements[:n], r.applicants[:n], r.orders[:n], r.placement_prob[:n],
                                     r.placements_ema[:n], r.fill_rate[:n], record_memory(model))
    if len(order_recruiter):
        wage_sum = np.bincount(order_recruiter, weights=model.employers.wage[order_employer], minlength=n)[:n]
        accepted = np.bincount(order_recruiter, minlength=n)[:n]
        r.order_wage[:n] = np.where(accepted > 0, wage_sum / np.maximum(accepted, 1), r.order_wage[:n])
