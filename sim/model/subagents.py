"""The two-tier chain: informal village sub-agents below the licensed recruiters.

Seed 001, Part III.C: many aspiring migrants are reached only by informal
sub-agents in their villages, who bring them to licensed recruiters and
charge fees of their own; audits and inspections examine the licensed tier
and leave the lower tiers of the chain unexamined (note 281), and recruiters
subcontract to such sub-agents without authorisation. A certified recruiter
that sources workers through sub-agents therefore risks hidden fees through
them, whatever it charges itself.

The rules, each vectorised over recruiters or placements:

* a share ``market.subagent_share`` of workers live where only sub-agents
  reach (``WorkerTable.village``); only recruiters using sub-agents can take
  them (:func:`sim.model.kernels.worker_choice` excludes the others);
* a recruiter either sources every worker through sub-agents
  (``RecruiterTable.uses_subagents``), and every worker it places pays the
  sub-agent fee on top of its own fee, or pays ``market.direct_sourcing_cost``
  per placement and takes direct workers only
  (:func:`sim.model.kernels.start_contracts`, :func:`sourcing_cost`);
* workers see the sub-agent fee as part of the price of a recruiter seen as
  fee-charging; behind one seen as certified it is a hidden fee, expected
  only through word of mouth and ratings
  (:func:`sim.model.kernels.offers_to_workers`);
* it chooses at the monthly compliance review (:func:`choose_sourcing`):
  sub-agents when the sourcing cost they save exceeds its honesty times the
  expected penalty of the sub-agent fees they take;
* inspections, audits and the scheme's complaint route find a sub-agent fee
  that breaks the rules with their usual chance times
  ``market.lower_tier_visibility`` (:func:`caught`, :func:`inspectable`).

Sub-agents exist only where village workers live: with ``subagent_share``
0 no recruiter uses them and the model draws exactly the random numbers it
drew before the chain existed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.config import Placebo
from sim.model.kinds import CERTIFIED
from sim.model.workers import DECEIVED, ILLEGAL_FEE

if TYPE_CHECKING:
    from sim.model import RecruitmentModel


def exist(model: RecruitmentModel) -> bool:
    """Whether the world has sub-agents at all (some workers live where only they reach)."""
    return any(origin.market.subagent_share > 0 for origin in model.origins)


def initial_practice(model: RecruitmentModel, count: int, origin: int = 0) -> np.ndarray:
    """Whether each of ``count`` new private recruiters of ``origin`` starts with sub-agents (chance its
    ``subagent_share``).

    Starting recruiters and entrants draw alike. Nothing is drawn in a world
    without sub-agents.
    """
    if not exist(model):
        return np.zeros(count, dtype=bool)
    return model.rng.random(count) < model.origins[origin].market.subagent_share


def choose_sourcing(model: RecruitmentModel, reviewing: np.ndarray, caught: np.ndarray,
                    label_loss: np.ndarray, charged: np.ndarray) -> None:
    """Recruiters under review decide whether to source workers through sub-agents.

    Called from :func:`sim.model.recruiters.choose_compliance` with the terms
    it already computed for the same reviewers: ``caught`` (perceived chance
    an inspection finds one violation), ``label_loss`` (the label's value
    times the scheme's perceived monthly catch rate, per placement) and
    ``charged`` (what each recruiter row charges a worker now, open and
    hidden, in months of wage). A recruiter uses
    sub-agents when the direct sourcing cost saved per placement exceeds its
    honesty times the expected penalty per placement of the sub-agent fee:

    * at a certified (Employer Pays) recruiter a sub-agent fee is a hidden
      fee: the label lost, as in the cheating rule, with the scheme's catch
      rate scaled by ``lower_tier_visibility``;
    * under a fee cap or ban, a placement whose recruiter fee plus sub-agent
      fee exceeds the cap is illegal: the expected fine times the perceived
      detection, times ``lower_tier_visibility``.

    With no rule and no label the sub-agent fee breaks nothing, so sub-agents
    carry no penalty. As in the compliance review, a reviewer does the
    opposite of its choice with chance ``market.practice_experiment_prob``.
    """
    if not exist(model) or len(reviewing) == 0:
        return
    cfg = model.config
    m = cfg.market
    r = model.recruiters
    visibility = m.lower_tier_visibility
    if m.subagent_fee_months > 0:
        penalty = np.where(r.kind[reviewing] == CERTIFIED, visibility * label_loss, 0.0)
        for regulator in model.regulators:  # each recruiter under its own origin's cap and fines
            cap = regulator.policy.fee_cap_months
            if cap is None:
                continue
            illegal = charged[reviewing] + m.subagent_fee_months > cap + 1e-9
            if len(model.origins) > 1:
                illegal &= r.origin[reviewing] == regulator.origin.index
            penalty += np.where(illegal, visibility * caught * regulator.effective_fine(), 0.0)
        use = m.direct_sourcing_cost > r.honesty[reviewing] * penalty
    else:  # a sub-agent who charges nothing breaks no rule
        use = np.full(len(reviewing), m.direct_sourcing_cost > 0)
    explore = model.rng.random(len(reviewing)) < model.config.market.practice_experiment_prob
    r.uses_subagents[reviewing] = use ^ explore


def sourcing_cost(model: RecruitmentModel, rows: np.ndarray) -> np.ndarray:
    """What finding each recruiter's next worker costs it (USD per placement): 0 through sub-agents."""
    r = model.recruiters
    return np.where(r.uses_subagents[rows], 0.0, model.config.market.direct_sourcing_cost)


def hides_subagent_fees(model: RecruitmentModel, rows: np.ndarray) -> np.ndarray:
    """Which of the audited ``rows`` take workers who pay sub-agents, against the label's Employer Pays rule.

    Only the real label forbids fees to workers; a placebo obliges nothing,
    so its holders' sub-agents break no rule of the scheme.
    """
    r = model.recruiters
    if model.placebo != Placebo.off or model.config.market.subagent_fee_months == 0:
        return np.zeros(len(rows), dtype=bool)
    return r.uses_subagents[rows]


def caught(model: RecruitmentModel, rows: np.ndarray, abusing: np.ndarray, draw: np.ndarray,
           chance: float, seen_whole: bool = False) -> np.ndarray:
    """Which of ``rows`` an audit or an investigated complaint catches.

    Abuse at the licensed tier (``abusing``: overcharging or deception) is
    found when ``draw < chance``; sub-agent fees behind an Employer Pays label
    only when ``draw < chance * lower_tier_visibility``, unless whoever looks
    sees the whole chain (``seen_whole``: social partners who hear workers
    directly, ``certification.gatekeeping``). One draw per recruiter serves
    both.
    """
    found = abusing & (draw < chance)
    if len(rows) and exist(model):
        lower = hides_subagent_fees(model, rows)
        visibility = 1.0 if seen_whole else model.config.market.lower_tier_visibility
        found |= lower & (draw < chance * visibility)
    return found


def inspectable(model: RecruitmentModel, records: np.ndarray, p) -> tuple[np.ndarray, np.ndarray | float]:
    """The violation records an inspection can find, and the chance of finding each.

    ``records`` are placements with a violation bit (illegal fee, deception,
    and under a fee cap sub-agent fee) in an examined recruiter's books. A record whose only
    wrong is a sub-agent fee is illegal only where the worker paid more than
    a fee cap allows (a sub-agent fee that breaks only the label's rule is
    the scheme's business, not the state's); inspectors find it with
    ``detection_prob · lower_tier_visibility``, the others with
    ``detection_prob``; ``p``: the inspecting origin's policy.
    """
    w = model.workers
    licensed = (w.violation[records] & (ILLEGAL_FEE | DECEIVED)) != 0
    if licensed.all():
        return records, p.detection_prob
    cap = p.fee_cap_months
    illegal = licensed.copy()
    if cap is not None:
        illegal |= w.fee_paid[records] > cap * w.wage[records] + 1e-9
    records, licensed = records[illegal], licensed[illegal]
    chance = np.where(licensed, p.detection_prob, p.detection_prob * model.config.market.lower_tier_visibility)
    return records, chance
