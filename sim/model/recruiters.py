"""Recruiters: state arrays, Mesa views, prices and strategies.

Recruiters are few (tens), but workers and employers look at all of them
every month, so their state is also kept in arrays (:class:`RecruiterTable`)
and the decisions below are vectorised over recruiters. Each row has a Mesa
agent view whose class says its business model: :class:`FeeChargingRecruiter`,
:class:`CertifiedRecruiter`, or the :class:`PublicChannel` (row 0, a
government-to-government recruiter of limited capacity).

Sources: seed 001 Part III.A (fees set by what the market bears, kickbacks,
churning, deception, evasion weighed against expected penalties) and III.C
(certified recruiters under the Employer Pays Principle).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model import beliefs, kernels, subagents
from sim.model.kinds import CERTIFIED, FEE_CHARGING, PUBLIC

if TYPE_CHECKING:
    from sim.model import RecruitmentModel

PUBLIC_ROW = 0  # the public channels are the first rows: origin k's is row PUBLIC_ROW + k
# certification stage of a recruiter
NOT_CERTIFYING, TRAINING, HOLDS_LABEL = 0, 1, 2
MAX_ORDER_SHARE = 0.95   # cap on the order share in the markup 1 / (beta (1 - s)), which has no bound at s = 1


class RecruiterTable:
    """Every recruiter's state, one array per variable; rows are never reused."""

    FLOAT = ("cash", "fee_months", "price", "placement_prob", "honesty", "profit_month", "profit_ema",
             "cash_before", "inspection_belief", "reviews", "reviews_fee", "reviews_deceived",
             "complaints_ema", "order_wage", "placements_ema", "fill_rate", "one_off")
    INT = ("kind", "orders", "applicants", "placements", "loss_months", "strikes", "cert_stage",
           "stage_months", "next_audit", "certified_months", "entered", "capacity", "model_since", "origin")
    BOOL = ("active", "deceives", "churns", "overcharges", "recertified", "label", "uses_subagents")

    def __init__(self, capacity: int, complaint_delay: int):
        self.n = 0
        self._cap = max(capacity, 4)
        for name in self.FLOAT:
            setattr(self, name, np.zeros(self._cap))
        for name in self.INT:
            setattr(self, name, np.zeros(self._cap, dtype=np.int64))
        for name in self.BOOL:
            setattr(self, name, np.zeros(self._cap, dtype=bool))
        # complaints on their way to the certification scheme, by months left
        self.scheme_queue = np.zeros((self._cap, complaint_delay + 1), dtype=np.int64)

    def add(self, count: int) -> np.ndarray:
        """Append ``count`` empty rows (growing the arrays geometrically); return their indices."""
        need = self.n + count
        if need > self._cap:
            new_cap = max(need, 2 * self._cap)
            for name in self.FLOAT + self.INT + self.BOOL:
                old = getattr(self, name)
                grown = np.zeros(new_cap, dtype=old.dtype)
                grown[: self.n] = old[: self.n]
                setattr(self, name, grown)
            queue = np.zeros((new_cap, self.scheme_queue.shape[1]), dtype=np.int64)
            queue[: self.n] = self.scheme_queue[: self.n]
            self.scheme_queue = queue
            self._cap = new_cap
        rows = np.arange(self.n, need)
        self.n = need
        return rows

    def private_active(self) -> np.ndarray:
        """Rows of active private recruiters (the public channel excluded)."""
        return kernels.rows_of_kind(self.active, self.kind, self.n, PUBLIC, True)

    def active_of_kind(self, kind: int) -> np.ndarray:
        """Rows of active recruiters of one kind."""
        return kernels.rows_of_kind(self.active, self.kind, self.n, kind, False)


class Recruiter(mesa.Agent):
    """A readable view of one recruiter row in ``model.recruiters``.

    Every attribute is a read-only property; the class says the business
    model (it changes when the recruiter switches: the model then replaces
    the view). A recruiter that exits loses its view.
    """

    def __init__(self, model: RecruitmentModel, row: int):
        super().__init__(model)
        self.row = int(row)

    def _get(self, name: str):
        return getattr(self.model.recruiters, name)[self.row]

    @property
    def cash(self) -> float:
        return float(self._get("cash"))

    @property
    def fee_months(self) -> float:
        """Fee charged to workers, in months of destination wage (0 for certified, unless cheating)."""
        open_fee, hidden = charged_months(self.model)
        return float(open_fee[self.row] + hidden[self.row])

    @property
    def employer_price(self) -> float:
        """Service fee per placement to employers in USD; negative means a kickback."""
        return float(self._get("price"))

    @property
    def profit(self) -> float:
        """Average monthly profit (USD)."""
        return float(self._get("profit_ema"))

    @property
    def deceives(self) -> bool:
        return bool(self._get("deceives"))

    @property
    def overcharges(self) -> bool:
        """Charges workers more than allowed: evades a fee cap or ban, or, if certified, takes hidden fees."""
        return bool(self._get("overcharges"))

    @property
    def churns(self) -> bool:
        """Has employers replace its workers early for a new fee."""
        return bool(self._get("churns"))

    @property
    def holds_label(self) -> bool:
        """Holds the scheme's label: the real one, or a placebo (``certification.placebo``)."""
        return bool(self._get("label"))

    @property
    def uses_subagents(self) -> bool:
        """Sources its workers through informal village sub-agents, who charge them a fee of their own."""
        return bool(self._get("uses_subagents"))

    @property
    def placements(self) -> int:
        """Workers it placed abroad this month."""
        return int(self._get("placements"))

    @property
    def capacity(self) -> int:
        """Most placements it can make in a month."""
        return int(self._get("capacity"))


class FeeChargingRecruiter(Recruiter):
    """Charges workers what the market bears; may evade caps, deceive, pay kickbacks, churn."""


class CertifiedRecruiter(Recruiter):
    """Holds the voluntary label: charges employers, not workers (Employer Pays), unless it cheats."""


class PublicChannel(Recruiter):
    """A public, government-to-government channel: low fixed fees, limited capacity."""


VIEW_CLASS = {FEE_CHARGING: FeeChargingRecruiter, CERTIFIED: CertifiedRecruiter, PUBLIC: PublicChannel}


def perceived_kind(model: RecruitmentModel) -> np.ndarray:
    """The kind of each recruiter row as employers, workers and the regulator see it.

    Perception follows the label, not what a recruiter does behind it:
    holders of the real label or of the ``signal`` placebo are seen as
    certified (and judged by the label's record); holders of the ``inert``
    placebo are seen as what they are, unlabelled fee-chargers, since
    nobody notices that label. Placebo holders keep the fee-charging kind
    for everything they do (fees, evasion, churning).
    """
    r = model.recruiters
    kind = r.kind[: r.n]
    if not model.label_noticed:
        return kind
    return np.where(r.label[: r.n], CERTIFIED, kind)


def label_kind(model: RecruitmentModel) -> np.ndarray:
    """The kind of each recruiter row with every label holder (real or placebo) counted as certified.

    For the outcomes: ``certified_share`` and ``n_certified`` count holders
    of the run's label, whichever label it is.
    """
    r = model.recruiters
    return np.where(r.label[: r.n], CERTIFIED, r.kind[: r.n])


def placement_capacity(model: RecruitmentModel) -> np.ndarray:
    """Placements each recruiter can make this month (a public channel's is its origin's policy lever)."""
    r = model.recruiters
    capacity = kernels.placement_capacity(r.capacity, r.kind, r.n, PUBLIC, model.origins[0].policy.public_capacity)
    for origin in model.origins[1:]:
        capacity[PUBLIC_ROW + origin.index] = origin.policy.public_capacity
    return capacity


def choosable(model: RecruitmentModel, origin: int | None = None) -> np.ndarray:
    """Rows employers and workers can choose: active private recruiters, and the public channels that
    have capacity; with ``origin``, only that origin's."""
    r = model.recruiters
    if len(model.origins) == 1:
        return r.private_active() if model.config.policy.public_capacity == 0 else np.flatnonzero(r.active[: r.n])
    rows = np.flatnonzero(r.active[: r.n])
    public = r.kind[rows] == PUBLIC
    open_channel = np.array([o.policy.public_capacity > 0 for o in model.origins])[r.origin[rows]]
    rows = rows[~public | open_channel]
    return rows if origin is None else rows[r.origin[rows] == origin]


def market_fee_months(model: RecruitmentModel, origin: int | None = None) -> float:
    """Mean fee fee-charging recruiters ask, in months; what a cheating certified recruiter hides.
    With ``origin``: among that origin's recruiters only."""
    r = model.recruiters
    active = r.active if origin is None else r.active & (r.origin == origin)
    return kernels.market_fee_months(active, r.kind, r.fee_months, r.n, FEE_CHARGING, PUBLIC)


def charged_months(model: RecruitmentModel) -> tuple[np.ndarray, np.ndarray]:
    """What each recruiter charges a worker, in months of wage: (open fee, hidden fee).

    Fee-charging recruiters ask their market fee, capped where a cap applies
    unless they evade it (workers then collude and pay off the books; the
    whole fee counts as open because the worker agreed to it). Certified
    recruiters ask nothing, unless they cheat and take a hidden fee. The
    public channel asks its fixed fee.
    """
    r = model.recruiters
    n = r.n
    charged = None
    for origin in model.origins:  # each under its own origin's fee rule
        policy = origin.policy
        cap = policy.fee_cap_months
        fees = kernels.charged_months(r.active, r.kind, r.fee_months, r.overcharges, n, FEE_CHARGING, CERTIFIED,
                                      PUBLIC, cap is not None, 0.0 if cap is None else cap, policy.public_fee_months)
        if charged is None:
            charged = fees
            continue
        mine = r.origin[:n] == origin.index
        charged[0][mine], charged[1][mine] = fees[0][mine], fees[1][mine]
    return charged


def fee_income(model: RecruitmentModel, rows: np.ndarray) -> np.ndarray:
    """What each recruiter of ``rows`` collects from a worker per placement now, open and hidden (USD)."""
    open_fee, hidden = charged_months(model)
    return (open_fee[rows] + hidden[rows]) * model.recruiters.order_wage[rows]


def offers_to_workers(model: RecruitmentModel, origin: int = 0) -> dict:
    """What searching workers know about each recruiter this month.

    Returns per-option arrays: the advertised fee, the chance of being
    placed (last months' placements over applicants), the promised wage,
    and the perceived chances of a hidden fee and of deception, both as
    platform users (the recruiter's own reviews) and as others (word of
    mouth about recruiters of that kind, sharpened by trust in the label).
    The fee includes a sub-agent's fee where workers see it, and each option
    says whether it can take workers only sub-agents reach
    (:mod:`sim.model.subagents`). Workers of ``origin`` see only the
    recruiters licensed there, and hear their own origin's word of mouth.
    """
    r = model.recruiters
    cfg = model.config
    rows = choosable(model, None if len(model.origins) == 1 else origin)
    open_fee, _ = charged_months(model)
    word_fee, word_deceived = beliefs.for_workers(model, origin)
    # word of mouth for others (trust is already in the beliefs: 1.0 takes them as they are), each
    # recruiter's reviews for platform users; the sub-agent's fee where workers see it
    (fee, chance, promised, hidden_user, hidden_other, deceive_user, deceive_other,
     takes_village) = kernels.offers_to_workers(
        rows, perceived_kind(model), r.order_wage, r.deceives, r.placement_prob, open_fee, word_fee,
        word_deceived, 1.0, r.reviews, r.reviews_fee, r.reviews_deceived,
        cfg.market.deception_markup, r.uses_subagents, cfg.market.subagent_fee_months, CERTIFIED, FEE_CHARGING)
    hidden_months = market_fee_months(model) if len(model.origins) == 1 else market_fee_months(model, origin)
    return {
        "rows": rows,
        "takes_village": takes_village,
        "fee_months": fee,
        "hidden_months": hidden_months,
        "placement_prob": chance,
        "promised_wage": promised,
        "hidden_prob_user": hidden_user,
        "hidden_prob_other": hidden_other,
        "deceive_prob_user": deceive_user,
        "deceive_prob_other": deceive_other,
    }


def word_of_mouth_view(model: RecruitmentModel, kind: np.ndarray, audience: str,
                       origin: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """What an audience (``"workers"`` or ``"employers"``) believes of recruiters of each perceived kind:
    the chance of a fee and of deception (:mod:`sim.model.beliefs`). With several origins, ``origin``
    gives each recruiter's: it is judged by its own origin's record."""
    believe = beliefs.for_workers if audience == "workers" else beliefs.for_employers
    if len(model.origins) == 1:
        fee, deceived = believe(model)
        return kernels.word_of_mouth_view(kind, fee, deceived, 1.0, CERTIFIED, FEE_CHARGING)
    fee_seen, deceived_seen = np.zeros(len(kind)), np.zeros(len(kind))
    for index in range(len(model.origins)):
        mine = origin == index
        fee, deceived = believe(model, index)
        fee_seen[mine], deceived_seen[mine] = kernels.word_of_mouth_view(kind[mine], fee, deceived, 1.0, CERTIFIED,
                                                                        FEE_CHARGING)
    return fee_seen, deceived_seen


def ratings_view(model: RecruitmentModel, rows: np.ndarray, fee_prior: np.ndarray,
                 deceive_prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each recruiter's own record on the rating platform, shrunk toward word of mouth.

    A Beta-style average: word of mouth counts as a couple of reviews, so a
    recruiter with few reviews is judged mostly by its kind.
    """
    r = model.recruiters
    return kernels.ratings_view(rows, r.reviews, r.reviews_fee, r.reviews_deceived, fee_prior, deceive_prior, 2.0)


def break_even_price(model: RecruitmentModel, rows: np.ndarray) -> np.ndarray:
    """The employer price each recruiter aims for (USD per placement): break-even plus the markup competition allows.

    Break-even is the cost of a placement (processing, finding the worker
    where it does not use sub-agents, the fixed cost spread over capacity,
    and for label holders the audits spread over capacity) less the fee the
    worker pays the recruiter; a recruiter that collects large
    fees from workers has a break-even below zero and can afford to pay
    employers kickbacks (seed 001, III.A). On top comes the markup of a
    firm in a logit market under price competition (Nash-Bertrand):
    ``1 / (beta (1 - s))``, with ``beta`` employers' price sensitivity
    (``market.employer_choice_scale``) and ``s`` the recruiter's share of
    last month's job orders (capped at ``MAX_ORDER_SHARE``), never below
    ``market.min_margin``. So the share of a worker fee a recruiter keeps
    rather than passing it on as a kickback is not fixed: it grows as
    employers compare prices less sharply, as competitors are fewer and as
    a recruiter wins more of the orders. Prices move toward this target
    (:func:`update_prices`); at model start, before any order, every share
    is 0 and the markup is ``1 / beta``: the target of a recruiter among
    many, the starting price of certified recruiters.
    """
    r = model.recruiters
    m = model.config.market
    open_fee, hidden = charged_months(model)
    # for each row: processing + fixed cost over capacity + markup + label holders' audits over capacity
    # - the fee the worker pays (kernels.break_even_price); + direct sourcing (sim.model.subagents)
    floor = kernels.break_even_price(rows, open_fee, hidden, r.order_wage, r.capacity, r.cert_stage, HOLDS_LABEL,
                                     m.placement_cost, m.fixed_cost, m.min_margin, model.scheme.running_cost(),
                                     r.orders, r.kind, r.n, PUBLIC, m.employer_choice_scale, MAX_ORDER_SHARE)
    return floor + subagents.sourcing_cost(model, rows)


def update_prices(model: RecruitmentModel) -> None:
    """Recruiters move their prices toward what the market bears.

    Worker fee: raised when applicants outnumber the jobs on offer, lowered
    when they are too few (excess demand pricing). Only recruiters who
    actually charge their asking fee learn from their own applicants; the
    others (capped, or certified) follow those who do, so the asking fee is
    always an estimate of what the market bears. Employer price: raised by
    a step when orders exceed capacity (a scarcity rent; the step grows
    with the overload, orders per unit of capacity, up to 10), otherwise
    moved part way toward the target of :func:`break_even_price` (break-even
    plus the markup its share of orders allows), from above or below;
    below zero it is a kickback.
    """
    r = model.recruiters
    m = model.config.market
    rows = r.private_active()
    if len(rows) == 0:
        return
    open_fee, _ = charged_months(model)
    testing = (r.kind[rows] == FEE_CHARGING) & (open_fee[rows] >= r.fee_months[rows] - 1e-9)
    tested = rows[testing]
    slots = np.minimum(r.orders[tested], r.capacity[tested])
    target = np.maximum(2 * slots, 1)
    pressure = np.tanh((r.applicants[tested] - target) / target)
    r.fee_months[tested] = np.minimum(np.maximum(r.fee_months[tested] * np.exp(m.fee_adjust_rate * pressure), 0.05),
                                      120.0)  # np.clip's values, without its overhead
    # recruiters not charging their asking fee (capped, or certified) learn it from those who do
    untested = rows[~testing]
    if len(tested) and len(untested):
        reference = r.fee_months[tested].mean()
        r.fee_months[untested] += m.fee_adjust_rate * (reference - r.fee_months[untested])

    kernels.update_employer_prices(rows, break_even_price(model, rows), r.price, r.orders, r.capacity,
                                   m.fee_adjust_rate, m.price_adjust_step)


def perceived_detection(model: RecruitmentModel, rows: np.ndarray) -> np.ndarray:
    """Chance, as each recruiter sees it, that one violation is caught by inspectors.

    It rests on the recruiter's belief about the monthly inspection rate
    (what it and its peers have seen), the detection probability and how many
    months of records an inspection can look back over.
    """
    p = model.config.policy
    detection = p.detection_prob if len(model.origins) == 1 else _by_origin(model, rows, "detection_prob")
    monthly = model.recruiters.inspection_belief[rows] * detection
    return 1.0 - (1.0 - monthly) ** p.lookback_months


def _by_origin(model: RecruitmentModel, rows: np.ndarray, key: str) -> np.ndarray:
    """Each recruiter row's value of an origin's policy key (a missing fee cap: NaN)."""
    values = np.array([np.nan if getattr(o.policy, key) is None else float(getattr(o.policy, key))
                       for o in model.origins])
    return values[model.recruiters.origin[rows]]


def choose_compliance(model: RecruitmentModel, everyone: bool = False) -> None:
    """Recruiters decide whether to break the fee rule, weighing gain against expected penalty.

    Fee-charging recruiters under a cap evade it when the fee they forgo
    exceeds the fine they expect plus their share of the licence at risk.
    Certified recruiters take hidden fees when that gain exceeds the
    label's value times their chance of losing it (audits, complaints) plus
    expected fines. ``honesty`` scales each recruiter's weighing. The same
    reviewers then decide whether to source workers through village
    sub-agents (:func:`sim.model.subagents.choose_sourcing`). With
    ``everyone``, every recruiter reviews (the starting market, so that no
    recruiter begins the run breaking a rule it would not break).
    """
    r = model.recruiters
    cfg = model.config
    rows = r.private_active()
    reviewing = rows if everyone else rows[model.rng.random(len(rows)) < cfg.market.practice_review_prob]
    reviewing = reviewing[r.cert_stage[reviewing] != TRAINING]  # applicants keep clean for their audit
    if len(reviewing) == 0:
        return
    kind = r.kind[reviewing]
    wage = np.maximum(r.order_wage[reviewing], 1.0)
    caught = perceived_detection(model, reviewing)
    franchise = cfg.market.label_value_months * np.maximum(r.profit_ema[reviewing], 0.0)
    volume = np.maximum(r.placements_ema[reviewing], 0.5)
    if len(model.origins) == 1:
        fine = model.regulator.effective_fine()
        cap = cfg.policy.fee_cap_months
        revoke = cfg.policy.revoke_after
        capped = cap is not None
        cap = cap if capped else 0.0
        hidden_gain = market_fee_months(model) * wage
    else:  # each recruiter weighs its own origin's rules (S18)
        origin = r.origin[reviewing]
        fine = np.array([regulator.effective_fine() for regulator in model.regulators])[origin]
        cap = _by_origin(model, reviewing, "fee_cap_months")
        capped = ~np.isnan(cap)
        cap = np.where(capped, cap, 0.0)
        revoke = _by_origin(model, reviewing, "revoke_after")
        hidden_gain = np.array([market_fee_months(model, o.index) for o in model.origins])[origin] * wage
    # fee-charging: evade a cap?
    excess = np.where(capped, np.maximum(r.fee_months[reviewing] - cap, 0.0) * wage, 0.0)
    licence_risk = np.divide(caught * franchise / volume, revoke, out=np.zeros(len(reviewing)),
                             where=np.asarray(revoke) > 0)
    evade_penalty = caught * fine + licence_risk
    evade = (excess > r.honesty[reviewing] * evade_penalty) & capped
    # certified: take a hidden fee? (illegal too where a cap applies)
    label_loss = model.scheme.perceived_catch_rate(volume) * franchise / volume  # per placement
    cheat_penalty = label_loss + np.where(capped, caught * fine, 0.0)
    cheat = hidden_gain > r.honesty[reviewing] * cheat_penalty
    choice = np.where(kind == CERTIFIED, cheat, evade)
    explore = model.rng.random(len(reviewing)) < cfg.market.practice_experiment_prob
    meaningful = (kind == CERTIFIED) | capped  # with no cap there is nothing to evade
    r.overcharges[reviewing] = (choice ^ explore) & meaningful
    open_fee, hidden = charged_months(model)
    subagents.choose_sourcing(model, reviewing, caught, label_loss, open_fee + hidden)


def imitate_practices(model: RecruitmentModel) -> None:
    """Deception and churning follow what they earn among recruiters of the same kind.

    Each month a few recruiters (``review_prob``) look at the books of
    recruiters of their own kind: the mean operating profit of those who
    follow a practice against those who do not. A learner takes the
    practice up, or drops it, only when the gap in its favour exceeds
    ``switch_confidence`` standard errors (the spread of profits in the
    kind over both groups' sizes): the same evidence rule as the choice of
    business model, so luck among a few peers moves no one and a practice
    that pays no more than its absence does not spread by drift. Rare
    experiments (``practice_experiment_prob``) keep both ways in play.
    Whether a practice pays is left to the market and to enforcement.
    Only fee-charging recruiters churn.
    """
    r = model.recruiters
    m = model.config.market
    rows = r.private_active()
    if len(rows) < 2:
        return
    rng = model.rng
    learners = rows[rng.random(len(rows)) < m.review_prob]
    learners = learners[r.cert_stage[learners] != TRAINING]  # applicants keep clean for their audit
    if len(learners) == 0:
        return
    for name in ("deceives", "churns"):
        practice = getattr(r, name)
        for kind in (FEE_CHARGING, CERTIFIED):
            if name == "churns" and kind != FEE_CHARGING:
                continue
            mine = learners[r.kind[learners] == kind]
            peers = rows[r.kind[rows] == kind]
            if len(mine) == 0 or len(peers) < 2:
                continue
            gain = practice_gain(r.profit_ema[peers], practice[peers], m.switch_confidence)
            if gain is None:
                continue
            take_up, drop = gain
            follows = practice[mine]
            practice[mine] = np.where(follows, ~drop, take_up)
    flip_d = rng.random(len(learners)) < m.practice_experiment_prob
    flip_c = rng.random(len(learners)) < m.practice_experiment_prob
    r.deceives[learners] ^= flip_d
    r.churns[learners] ^= flip_c & (r.kind[learners] == FEE_CHARGING)
    r.churns[learners] &= r.kind[learners] == FEE_CHARGING


def practice_gain(profits: np.ndarray, follows: np.ndarray, confidence: float) -> tuple[bool, bool] | None:
    """Whether the books say to take a practice up and whether they say to drop it.

    Take up: the followers' mean profit beats the others' by more than
    ``confidence`` standard errors; drop: the reverse. None when one side
    has nobody (nothing to compare: only experiments move it then).
    """
    n_yes, n_no = int(follows.sum()), int((~follows).sum())
    if n_yes == 0 or n_no == 0:
        return None
    gap = float(profits[follows].mean() - profits[~follows].mean())
    error = float(profits.std(ddof=1)) * np.sqrt(1.0 / n_yes + 1.0 / n_no)
    return gap > confidence * error, -gap > confidence * error
