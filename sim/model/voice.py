"""Workers' voice: complaints, retaliation against complainers, and the rating platform.

Seed 001, Part III.C: workers who complain fear blacklisting, termination
and deportation, so many stay silent; where they colluded to pay above a
cap, fewer still complain (III.A). Complaints about certified recruiters
go first to the auditor and reach the scheme manager only once that route
is exhausted (III.C). Part III.E proposes peer reviews of recruiters (the
Recruitment Advisor platform); here platform users review each recruiter
when their contract ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.recruiters import CERTIFIED, perceived_kind
from sim.model.workers import AT_HOME, DECEIVED, HIDDEN_FEE, ILLEGAL_FEE, SUBAGENT_FEE

if TYPE_CHECKING:
    from sim.model import RecruitmentModel
    from sim.model.placement import Placements

COMPLAINT_MEMORY = 1.0 / 12  # complaints_ema forgets over about a year


def fear_of_retaliation(model: RecruitmentModel) -> float:
    """The chance a complainer is punished, which workers know and which silences them."""
    m, p = model.config.market, model.config.policy
    return m.retaliation_prob * (1.0 - p.anti_retaliation)


def complain(model: RecruitmentModel, placed: Placements) -> dict:
    """Workers placed this month who were wronged may complain; some complainers suffer retaliation.

    Wrongs: a fee above the legal cap, a hidden fee, deception about the
    wage, a sub-agent's fee that breaks the rules. A worker who knowingly
    paid above a cap colluded and is less likely to complain; a sub-agent's
    fee at a recruiter seen as certified was hidden from the worker, so it
    is no collusion. Returns this month's counts for the outcomes.
    """
    m = model.config.market
    w = model.workers
    r = model.recruiters
    rng = model.rng
    v = w.violation[placed.workers]
    wronged = v != 0
    # complaints about holders of the real label go to its auditor first where the scheme says so:
    # they do not reach the state (S17's pressure counts complaints and placements that can reach it)
    to_scheme_only = (r.kind[placed.recruiters] == CERTIFIED) & model.config.certification.complaint_exhaustion
    # (by the recruiter's origin: each origin's state hears about its own licensees)
    origin = model.recruiters.origin[placed.recruiters]
    reach = ~to_scheme_only
    model.state_hears = [[0, int(reach[origin == o.index].sum()) if len(model.origins) > 1 else int(reach.sum())]
                         for o in model.origins]
    if not wronged.any():
        r.complaints_ema[: r.n] *= 1.0 - COMPLAINT_MEMORY
        return {"complaints": 0, "retaliations": 0}
    colluded = (v & (ILLEGAL_FEE | SUBAGENT_FEE)) > 0
    colluded &= (v & (DECEIVED | HIDDEN_FEE)) == 0
    through_subagent = (v & SUBAGENT_FEE) > 0
    if through_subagent.any():
        colluded &= ~(through_subagent & (perceived_kind(model)[placed.recruiters] == CERTIFIED))
    prob = m.complaint_prob * (1.0 - fear_of_retaliation(model)) * np.where(colluded, 1.0 - m.collusion, 1.0)
    complains = wronged & (rng.random(len(v)) < prob)
    who = placed.workers[complains]
    about = placed.recruiters[complains]
    heard = complains & reach
    for o in model.origins:
        model.state_hears[o.index][0] = int(heard[origin == o.index].sum()) if len(model.origins) > 1 else int(
            heard.sum())
    n = r.n
    counts = np.bincount(about, minlength=n)[:n]
    r.complaints_ema[:n] += COMPLAINT_MEMORY * (counts - r.complaints_ema[:n])
    model.scheme.receive_complaints(about[r.kind[about] == CERTIFIED])

    punished = who[rng.random(len(who)) < fear_of_retaliation(model)]
    terminate(model, punished, blacklist=True)
    return {"complaints": int(len(who)), "retaliations": int(len(punished))}


def terminate(model: RecruitmentModel, workers: np.ndarray, blacklist: bool = False) -> None:
    """End the contracts of ``workers`` now; blacklisted ones cannot migrate for a while."""
    w = model.workers
    return_home(model, workers)
    if blacklist:
        w.blacklisted_until[workers] = model.month + model.config.market.blacklist_months


def return_home(model: RecruitmentModel, workers: np.ndarray) -> None:
    """Workers come home (contract over or cut short) and platform users post a review."""
    w = model.workers
    r = model.recruiters
    w.status[workers] = AT_HOME
    w.months_left[workers] = 0
    model.returned.append(workers)
    reviewers = workers[w.platform_user[workers]]
    if len(reviewers):
        rec = w.recruiter[reviewers]
        n = r.n
        r.reviews[:n] += np.bincount(rec, minlength=n)[:n]
        r.reviews_fee[:n] += np.bincount(rec, weights=w.fee_paid[reviewers] > 0, minlength=n)[:n]
        deceived = (w.violation[reviewers] & DECEIVED) > 0
        r.reviews_deceived[:n] += np.bincount(rec, weights=deceived, minlength=n)[:n]


def forget_reviews(model: RecruitmentModel) -> None:
    """Old reviews fade, so a recruiter that mends its ways can recover its rating."""
    r = model.recruiters
    keep = 1.0 - model.config.market.platform_memory
    for name in ("reviews", "reviews_fee", "reviews_deceived"):
        getattr(r, name)[: r.n] *= keep
