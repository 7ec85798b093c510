"""Industry dynamics: recruiters' books, exit, entry, and the choice of business model.

This is where "can certification compete?" is decided, so nothing here
favours either business model (MODEL.md, "Second version"):

* books: a recruiter's *operating* profit leaves out one-off costs (entry,
  training, the initial audit), so a new label holder's books are not
  depressed by what it paid to switch, and recurring audits count in full;
* exit: recruiters leave when they run out of money or keep losing it;
* business model: a recruiter compares what it expects to earn with and
  without the label (:func:`expected_gap`), including for a model nobody
  practises yet, and switches only when the gap over its planning horizon
  pays the one-off cost of switching and is told apart from noise: at equal
  expected profits nobody switches. The same rule applies to the real label
  and to the placebos;
* entry: would-be entrants enter when a business would repay the entry
  cost, then choose their model by the same comparison and copy the
  practices of an incumbent of that model.

Sources: MODEL.md "Market dynamics"; seed 001, Part III.C (low entry
threshold; cost-conscious employers and placement-seeking workers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.config import Placebo
from sim.model.choice import fermi
from sim.model.destination import employer_penalty
from sim.model.employers import employer_view, suspect_cost
from sim.model.kinds import CERTIFIED, FEE_CHARGING
from sim.model.recruiters import (
    MAX_ORDER_SHARE,
    TRAINING,
    break_even_price,
    charged_months,
    choosable,
    fee_income,
    market_fee_months,
    word_of_mouth_view,
)

if TYPE_CHECKING:
    from sim.model import RecruitmentModel


def close_books(model: RecruitmentModel) -> None:
    """Pay fixed costs, record the month's operating profit, and let failing recruiters exit."""
    m = model.config.market
    r = model.recruiters
    rows = r.private_active()
    r.cash[rows] -= m.fixed_cost
    model.ledger.transfer("recruiters", "outside", m.fixed_cost * len(rows), "fixed_costs")
    r.profit_month[rows] = r.cash[rows] - r.cash_before[rows] + r.one_off[rows]
    r.profit_ema[rows] += m.profit_memory * (r.profit_month[rows] - r.profit_ema[rows])
    losing = r.profit_ema[rows] < 0
    r.loss_months[rows] = np.where(losing, r.loss_months[rows] + 1, 0)
    gives_up = losing & (model.rng.random(len(rows)) < 1.0 / m.exit_patience_months)
    failing = rows[(r.cash[rows] < 0) | gives_up]
    model.exit_recruiters(failing)
    active = r.private_active()
    if len(active):
        margin = float((r.price[active] + fee_income(model, active)).mean()) - m.placement_cost
        model.typical_margin += m.profit_memory * (margin - model.typical_margin)


def mean_profit(model: RecruitmentModel, label: bool, origin: int | None = None) -> float | None:
    """Average monthly operating profit of active recruiters with (or without) the label (of ``origin``
    only, if given); None if none."""
    r = model.recruiters
    rows = _of_origin(model, r.private_active(), origin)
    rows = rows[r.label[rows] == label]
    return float(r.profit_ema[rows].mean()) if len(rows) else None


# --- what a recruiter expects to earn under each business model ----------------------------------

def forward_profit(model: RecruitmentModel, rows: np.ndarray, label: bool,
                   market: tuple | None = None) -> np.ndarray:
    """Monthly profit each recruiter of ``rows`` would expect with (or without) the label, from prices
    and costs everyone can see: a forward estimate that needs no one to practise the model.

    The recruiter keeps its margin per placement: its employer price moves by
    the worker-fee income it would gain or lose and by the label's running
    cost per placement. Its orders are what employers' own choice rule (a
    logit over cost per hire: price, expected liability, and for employers
    with Employer Pays commitments the chance of a fee or deception as they
    perceive the recruiter's kind) would give it against today's
    competitors, for this month's vacancies, up to its capacity. Left out,
    for every model alike: workers' side (applicants are plentiful), fines
    and churning.
    """
    m = model.config.market
    r = model.recruiters
    placebo = model.placebo != Placebo.off
    fee_months = current_fee_months(model)
    own_fee = fee_months[rows]
    running = model.scheme.running_cost()
    own_running = np.where(r.label[rows], running, 0.0)
    running_x = running if label else 0.0
    if label:
        fee_x = own_fee if placebo else np.zeros(len(rows))  # Employer Pays: nothing from workers
    else:
        if len(model.origins) == 1:
            unlabelled = unlabelled_fee_months(model, fee_months)
        else:  # what an unlabelled recruiter charges in the recruiter's own origin
            unlabelled = np.array([unlabelled_fee_months(model, fee_months, o.index)
                                   for o in model.origins])[r.origin[rows]]
        fee_x = np.where(r.label[rows] & (not placebo), unlabelled, own_fee)
    capacity = np.maximum(r.capacity[rows], 1).astype(float)
    wage = r.order_wage[rows]
    price = r.price[rows] + (own_fee - fee_x) * wage + (running_x - own_running) / capacity
    orders = expected_orders(model, rows, price, label, market)
    placed = np.minimum(orders, capacity)
    margin = price + fee_x * wage - m.placement_cost
    return placed * margin - m.fixed_cost - running_x


def current_fee_months(model: RecruitmentModel) -> np.ndarray:
    """What each recruiter row charges a worker now, openly or hidden (months of wage)."""
    open_fee, hidden = charged_months(model)
    return open_fee + hidden


def unlabelled_fee_months(model: RecruitmentModel, fee_months: np.ndarray, origin: int | None = None) -> float:
    """The fee a recruiter without the label typically charges now (months of wage), in ``origin`` if given."""
    r = model.recruiters
    rows = _of_origin(model, r.private_active(), origin)
    rows = rows[~r.label[rows] & (r.kind[rows] == FEE_CHARGING)]
    if len(rows):
        return float(fee_months[rows].mean())
    cap = model.origins[origin or 0].policy.fee_cap_months
    fee = market_fee_months(model, origin)
    return fee if cap is None else min(fee, cap)


def _of_origin(model: RecruitmentModel, rows: np.ndarray, origin: int | None) -> np.ndarray:
    """The rows licensed in ``origin`` (all of them when it is None or there is one origin)."""
    if origin is None or len(model.origins) == 1:
        return rows
    return rows[model.recruiters.origin[rows] == origin]


def employers_market(model: RecruitmentModel) -> tuple | None:
    """Employers' utilities of today's recruiters, the part of :func:`expected_orders` that does not
    depend on the recruiter being weighed (computed once for both business models); None when there
    is no recruiter or no vacancy."""
    cfg = model.config
    plain_vacancies, committed_vacancies = model.vacancies_seen
    everyone = choosable(model)
    if len(everyone) == 0 or plain_vacancies + committed_vacancies == 0:
        return None
    scale = cfg.market.employer_choice_scale
    delivers, base_cost, brand_cost = employer_view(model, everyone)
    plain_u = delivers - scale * base_cost
    committed_u = plain_u - scale * brand_cost
    shift = max(plain_u.max(), committed_u.max())
    return everyone, delivers, plain_u, committed_u, shift


def expected_orders(model: RecruitmentModel, rows: np.ndarray, price: np.ndarray, label: bool,
                    market: tuple | None = None) -> np.ndarray:
    """Job orders a month each recruiter of ``rows`` would get at ``price``, with or without the label.

    Employers' logit choice (:func:`sim.model.employers.place_job_orders`)
    evaluated in expectation: each of this month's open vacancies picks
    among the recruiters its employer considers, the recruiter in question
    being seen as the label makes it look (:func:`sim.model.recruiters.perceived_kind`).
    ``market``: :func:`employers_market`, when the caller has it already.
    """
    cfg = model.config
    market = employers_market(model) if market is None else market
    if market is None:
        return np.zeros(len(rows))
    everyone, delivers, plain_u, committed_u, shift = market
    plain_vacancies, committed_vacancies = model.vacancies_seen
    scale = cfg.market.employer_choice_scale
    plain_all, committed_all = np.exp(plain_u - shift).sum(), np.exp(committed_u - shift).sum()
    position = np.searchsorted(everyone, rows)
    # the recruiter as it would be seen: perceived kind, liability and suspicion of that kind
    seen_as = CERTIFIED if (label and model.label_noticed) else FEE_CHARGING
    kind_view = np.full(len(rows), seen_as, dtype=np.int64)
    liability = employer_penalty(model, rows, kind_view)
    fee, deceived = word_of_mouth_view(model, kind_view, "employers", model.recruiters.origin[rows])
    suspicion = 1.0 - (1.0 - fee) * (1.0 - deceived)
    own_plain = delivers[position] - scale * (price + liability)
    own_committed = own_plain - scale * suspect_cost(model) * suspicion
    n = len(everyone)
    size = min(cfg.market.consideration_set, n)
    # an employer considers `size` of the n recruiters: the others' weight scaled to size - 1 of n - 1
    others_share = (size - 1) / (n - 1) if n > 1 else 0.0
    considered = size / n
    plain_others = (plain_all - np.exp(plain_u[position] - shift)) * others_share
    committed_others = (committed_all - np.exp(committed_u[position] - shift)) * others_share
    own_p, own_c = np.exp(own_plain - shift), np.exp(own_committed - shift)
    share_plain = own_p / np.maximum(own_p + plain_others, 1e-300)
    share_committed = own_c / np.maximum(own_c + committed_others, 1e-300)
    return considered * (plain_vacancies * share_plain + committed_vacancies * share_committed)


def observed_gap(model: RecruitmentModel, label_now: np.ndarray,
                 origin: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From the books of recruiters settled in each model: (gap other - own, its standard error,
    the weight the books earn against the forward estimate), per reviewer.

    A recruiter counts once it has spent ``1 / market.profit_memory`` months
    in its model (its profit average then mostly reflects that model). The
    standard error uses the spread of profits across all settled
    recruiters, since a handful of practitioners cannot tell their own.
    The weight is n / (n + ``market.profit_prior_weight``), n the settled
    practitioners of the other model; with none, the books say nothing.
    With ``origin``, only that origin's recruiters' books (they work under
    its rules).
    """
    m = model.config.market
    r = model.recruiters
    rows = _of_origin(model, r.private_active(), origin)
    settled = rows[model.month - r.model_since[rows] >= int(np.ceil(1.0 / m.profit_memory))]
    # the spread of profits across all settled recruiters: a few practitioners' own spread says too little
    spread = float(r.profit_ema[settled].std(ddof=1)) if len(settled) > 1 else 0.0
    stats = {}
    for held in (False, True):
        profits = r.profit_ema[settled[r.label[settled] == held]]
        stats[held] = (len(profits), float(profits.mean()) if len(profits) else 0.0)
    gap = np.empty(len(label_now))
    error = np.empty(len(label_now))
    weight = np.empty(len(label_now))
    for held in (False, True):
        mine = label_now == held
        n_own, mean_own = stats[held]
        n_other, mean_other = stats[not held]
        if n_other == 0 or n_own == 0:
            gap[mine], error[mine], weight[mine] = 0.0, 0.0, 0.0
            continue
        gap[mine] = mean_other - mean_own
        error[mine] = spread * np.sqrt(1.0 / n_other + 1.0 / n_own)
        weight[mine] = n_other / (n_other + m.profit_prior_weight)
    return gap, error, weight


def expected_gap(model: RecruitmentModel, rows: np.ndarray, label_now: np.ndarray,
                 confidence: float) -> np.ndarray:
    """Expected monthly profit of the other business model minus the current one, per recruiter,
    taken at ``confidence`` standard errors below the books' estimate.

    The forward estimate (:func:`forward_profit`, the same formula for both
    models) is corrected by what practitioners' books show, weighted by how
    many of them there are (:func:`observed_gap`). The books' sampling
    error is charged against the gap, so luck in a few practitioners'
    profits does not move anyone.
    """
    market = employers_market(model)
    forward = forward_profit(model, rows, True, market) - forward_profit(model, rows, False, market)
    forward = np.where(label_now, -forward, forward)
    if len(model.origins) == 1:
        books, error, weight = observed_gap(model, label_now)
    else:  # each recruiter reads the books of its own origin's peers
        books, error, weight = np.zeros(len(rows)), np.zeros(len(rows)), np.zeros(len(rows))
        origin = model.recruiters.origin[rows]
        for o in model.origins:
            mine = origin == o.index
            books[mine], error[mine], weight[mine] = observed_gap(model, label_now[mine], o.index)
    return (1.0 - weight) * forward + weight * books - confidence * weight * error


def switch_cost(model: RecruitmentModel, to_label: bool) -> float:
    """One-off cost of the move, counted once in the decision (a placebo label costs nothing either way)."""
    if model.placebo != Placebo.off:
        return 0.0
    return model.scheme.switch_cost() if to_label else model.config.certification.exit_cost


def switch_business_models(model: RecruitmentModel) -> dict:
    """Reviewing recruiters take or drop the label when the expected gain pays for the switch.

    A recruiter switches when ``planning_horizon_months`` times the expected
    monthly gap (:func:`expected_gap`) exceeds the one-off cost of switching
    (:func:`switch_cost`), and, to take the label, when its cash covers that
    cost. Strictly: at equal expected profits nobody moves.
    Taking the real label starts the training course (the label comes after
    the initial audit); a placebo is granted at once. Recruiters in training
    do not review.
    """
    cfg = model.config
    r = model.recruiters
    rows = r.private_active()
    reviewing = rows[model.rng.random(len(rows)) < cfg.market.review_prob]
    if not cfg.certification.enabled:
        return {"switches_to_certified": 0, "switches_to_fee_charging": 0}
    reviewing = reviewing[r.cert_stage[reviewing] != TRAINING]
    if len(reviewing) == 0:
        return {"switches_to_certified": 0, "switches_to_fee_charging": 0}
    label_now = r.label[reviewing].copy()
    gain = cfg.market.planning_horizon_months * expected_gap(model, reviewing, label_now,
                                                             cfg.market.switch_confidence)
    # (a recruiter that cannot pay the one-off cost from its cash does not start)
    adopters = reviewing[~label_now & (gain > switch_cost(model, True)) & (r.cash[reviewing] > switch_cost(model, True))]
    droppers = reviewing[label_now & (gain > switch_cost(model, False))]
    model.scheme.start_training(adopters)
    model.scheme.withdraw(droppers)
    return {"switches_to_certified": int(len(adopters)), "switches_to_fee_charging": int(len(droppers))}


def enter(model: RecruitmentModel) -> dict:
    """New recruiters enter when the business would repay the entry cost.

    A would-be entrant expects the better of: the average profit of
    recruiters with or without the label, or serving the job orders
    incumbents turned away last month at the typical margin (in an empty
    market, at the markup of a recruiter with every order,
    ``1 / (beta (1 - MAX_ORDER_SHARE))``). It opens at its own target
    price (:func:`sim.model.recruiters.break_even_price`). It enters when
    ``label_value_months`` of that exceeds the entry cost (the barrier), with
    logit noise of scale ``imitation_scale``. An entrant has no status quo:
    it takes the label when the expected gap over its planning horizon pays
    the label's one-off cost (the point estimate, no evidence margin), and
    copies the practices (deception, churning, evasion or cheating) of a
    random incumbent of the model it chose.

    With several origins (S18) each would-be entrant (``max_entrants`` a
    month in all) comes from an origin with its share's chance, weighs that
    origin's incumbents' profits under its rules and the destination's unmet
    orders, and is licensed there.
    """
    m = model.config.market
    if m.max_entrants == 0:
        return {"entries": 0}
    if len(model.origins) == 1:
        return {"entries": _enter(model, 0, m.max_entrants)}
    candidates = model.rng.multinomial(m.max_entrants, [o.share for o in model.origins])
    return {"entries": sum(_enter(model, o.index, int(count)) for o, count in zip(model.origins, candidates))}


def _enter(model: RecruitmentModel, origin: int, candidates: int) -> int:
    """Entry in one origin by up to ``candidates`` would-be entrants (see :func:`enter`); returns the count."""
    cfg = model.config
    m = cfg.market
    rng = model.rng
    incumbents = _of_origin(model, model.recruiters.private_active(), origin)
    unlabelled, labelled = mean_profit(model, False, origin), mean_profit(model, True, origin)
    margin = model.typical_margin
    if len(model.recruiters.private_active()) == 0:  # an empty market: the first entrant has every order
        margin = 1.0 / (m.employer_choice_scale * (1.0 - MAX_ORDER_SHARE))
    serving_unmet = min(m.capacity, model.unmet_orders) * margin - m.fixed_cost
    expected = max([p for p in (unlabelled, labelled) if p is not None] + [serving_unmet])
    value = expected * m.label_value_months - m.entry_cost
    p_enter = float(fermi(value, m.imitation_scale))
    count = int(rng.binomial(candidates, p_enter))
    if count == 0:
        return 0
    rows = model.add_recruiters(count, FEE_CHARGING, origin)
    r = model.recruiters
    r.cash[rows] -= m.entry_cost
    r.one_off[rows] += m.entry_cost
    model.ledger.transfer("recruiters", "outside", m.entry_cost * count, "entry_costs")
    take_label = np.zeros(count, dtype=bool)
    if cfg.certification.enabled:
        gain = m.planning_horizon_months * expected_gap(model, rows, np.zeros(count, dtype=bool), 0.0)
        take_label = gain > switch_cost(model, True)
    copy_practices(model, rows, incumbents, take_label)
    r.price[rows] = break_even_price(model, rows)  # an entrant opens at its own target price
    model.scheme.start_training(rows[take_label])
    return count


def copy_practices(model: RecruitmentModel, rows: np.ndarray, incumbents: np.ndarray, label: np.ndarray) -> None:
    """Entrants copy the practices of a random incumbent of the business model each chose
    (of any incumbent when that model has none; drawn as at the start when there are no incumbents).
    Practices: deception, churning, evading a cap or cheating, and sourcing through sub-agents."""
    r = model.recruiters
    m = model.config.market
    rng = model.rng
    for held in (False, True):
        mine = rows[label == held]
        if len(mine) == 0:
            continue
        pool = incumbents[r.label[incumbents] == held]
        if len(pool) == 0:
            pool = incumbents
        if len(pool) == 0:
            r.deceives[mine] = rng.random(len(mine)) < m.initial_deception_share
            r.churns[mine] = rng.random(len(mine)) < m.initial_churn_share
            continue
        mentor = pool[rng.integers(0, len(pool), len(mine))]
        for name in ("deceives", "churns", "overcharges", "uses_subagents"):
            getattr(r, name)[mine] = getattr(r, name)[mentor]
        r.churns[mine] &= r.kind[mentor] == FEE_CHARGING
        r.overcharges[mine] &= r.kind[mentor] == FEE_CHARGING


def begin_month(model: RecruitmentModel) -> None:
    """Note each recruiter's cash so the month's profit can be measured at its end."""
    r = model.recruiters
    r.cash_before[: r.n] = r.cash[: r.n]
    r.one_off[: r.n] = 0.0

