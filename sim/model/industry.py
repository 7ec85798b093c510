"""Industry dynamics: recruiters' books, exit, entry, and switching business model.

This is where "can certification compete?" is decided, and nothing here
favours either model: recruiters leave when they run out of money or
keep losing it, enter when incumbents earn more than entry costs, and
adopt or drop the label by comparing what recruiters of each kind earn
(payoff-biased imitation). Sources: MODEL.md "Market dynamics"; seed 001,
Part III.C on the low entry threshold of the recruitment market.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.choice import fermi
from sim.model.recruiters import (
    CERTIFIED,
    FEE_CHARGING,
    HOLDS_LABEL,
    MUTATION,
    NOT_CERTIFYING,
    PROFIT_MEMORY,
    charged_months,
)

if TYPE_CHECKING:
    from sim.model import RecruitmentModel

CERTIFICATION_HORIZON_MONTHS = 24  # over which a recruiter spreads the cost of getting certified


def close_books(model: RecruitmentModel) -> None:
    """Pay fixed costs, record the month's profit, and let failing recruiters exit."""
    m = model.config.market
    r = model.recruiters
    rows = r.private_active()
    r.cash[rows] -= m.fixed_cost
    model.ledger.transfer("recruiters", "outside", m.fixed_cost * len(rows), "fixed_costs")
    r.profit_month[rows] = r.cash[rows] - r.cash_before[rows]
    r.profit_ema[rows] += PROFIT_MEMORY * (r.profit_month[rows] - r.profit_ema[rows])
    losing = r.profit_ema[rows] < 0
    r.loss_months[rows] = np.where(losing, r.loss_months[rows] + 1, 0)
    gives_up = losing & (model.rng.random(len(rows)) < 1.0 / m.exit_patience_months)
    failing = rows[(r.cash[rows] < 0) | gives_up]
    model.exit_recruiters(failing)
    active = r.private_active()
    if len(active):
        open_fee, hidden = charged_months(model)
        fee_income = (open_fee[active] + hidden[active]) * r.order_wage[active]
        margin = float((r.price[active] + fee_income).mean()) - m.placement_cost
        model.typical_margin += PROFIT_MEMORY * (margin - model.typical_margin)


def certification_cost_per_month(model: RecruitmentModel) -> float:
    """What getting and keeping the label costs a month, spread over a two-year horizon (USD)."""
    c = model.config.certification
    upfront = c.training_cost + c.audit_cost
    return upfront / CERTIFICATION_HORIZON_MONTHS + c.surveillance_cost / c.surveillance_interval_months


def mean_profit(model: RecruitmentModel, kind: int) -> float | None:
    """Average monthly profit of active recruiters of a kind (None if there are none)."""
    r = model.recruiters
    rows = r.private_active()
    rows = rows[r.kind[rows] == kind]
    return float(r.profit_ema[rows].mean()) if len(rows) else None


def switch_business_models(model: RecruitmentModel) -> dict:
    """Some recruiters compare their profit with the other kind's average and may switch.

    A fee-charging recruiter weighs the certified average less the cost of
    certification; adopting means entering training (the label comes only
    after the initial audit). A certified recruiter may drop the label.
    With no certified recruiter to look at, adoption happens only by rare
    experiment.
    """
    cfg = model.config
    r = model.recruiters
    rng = model.rng
    rows = r.private_active()
    reviewing = rows[rng.random(len(rows)) < cfg.market.review_prob]
    fee_profit = mean_profit(model, FEE_CHARGING)
    cert_profit = mean_profit(model, CERTIFIED)
    adopters = np.zeros(0, dtype=np.int64)
    if cfg.certification.enabled:
        candidates = reviewing[(r.kind[reviewing] == FEE_CHARGING) & (r.cert_stage[reviewing] == NOT_CERTIFYING)]
        if cert_profit is None:
            adopt = rng.random(len(candidates)) < MUTATION
        else:
            gain = cert_profit - certification_cost_per_month(model) - r.profit_ema[candidates]
            adopt = rng.random(len(candidates)) < fermi(gain, cfg.market.imitation_scale)
        adopters = candidates[adopt]
        model.scheme.start_training(adopters)
    holders = reviewing[r.cert_stage[reviewing] == HOLDS_LABEL]
    if fee_profit is None:
        drop = rng.random(len(holders)) < MUTATION
    else:
        drop = rng.random(len(holders)) < fermi(fee_profit - r.profit_ema[holders], cfg.market.imitation_scale)
    droppers = holders[drop]
    model.scheme.withdraw(droppers)
    return {"switches_to_certified": int(len(adopters)), "switches_to_fee_charging": int(len(droppers))}


def enter(model: RecruitmentModel) -> dict:
    """New recruiters enter when the business would repay the entry cost.

    A would-be entrant expects the better of: the average profit of the
    better-earning kind, or serving the job orders incumbents turned away
    last month at the typical margin. It enters when a year's worth
    (``label_value_months``) of that exceeds the entry cost (the barrier),
    with logit noise. Entrants pick their business model the same way
    incumbents switch.
    """
    cfg = model.config
    m = cfg.market
    rng = model.rng
    if m.max_entrants == 0:
        return {"entries": 0}
    fee_profit = mean_profit(model, FEE_CHARGING)
    cert_profit = mean_profit(model, CERTIFIED)
    serving_unmet = min(m.capacity, model.unmet_orders) * model.typical_margin - m.fixed_cost
    expected = max([p for p in (fee_profit, cert_profit) if p is not None] + [serving_unmet])
    value = expected * m.label_value_months - m.entry_cost
    p_enter = float(fermi(value, m.imitation_scale))
    count = int(rng.binomial(m.max_entrants, p_enter))
    if count == 0:
        return {"entries": 0}
    rows = model.add_recruiters(count, FEE_CHARGING)
    r = model.recruiters
    r.cash[rows] -= m.entry_cost
    model.ledger.transfer("recruiters", "outside", m.entry_cost * count, "entry_costs")
    if cfg.certification.enabled and cert_profit is not None and fee_profit is not None:
        gain = cert_profit - certification_cost_per_month(model) - fee_profit
        certify = rows[rng.random(count) < fermi(gain, m.imitation_scale)]
        model.scheme.start_training(certify)
    return {"entries": count}


def begin_month(model: RecruitmentModel) -> None:
    """Note each recruiter's cash so the month's profit can be measured at its end."""
    r = model.recruiters
    r.cash_before[: r.n] = r.cash[: r.n]

