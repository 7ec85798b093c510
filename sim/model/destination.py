"""The destination state's employer-side levers: the employer ban, audit acceptance, information sharing (S18).

Seed 001, note 260: the US federal contracting rule forbids contractors to
use recruiters that charge workers fees, whatever country the workers come
from. Here, under ``policy.employer_ban``, the destination examines a share
of employers each month (``employer_inspection_rate``), finds each recent
hire that paid a fee with ``employer_detection_prob`` (its own standard, not
the origin's rule) and fines the employer ``employer_fine`` per such hire.
Employers anticipate the fine from the destination's published record of
fees found per hire, by the recruiter's origin and the kind they saw
(each origin's recruiters are judged by their own record, not by another
origin's). With ``audit_acceptance`` a hire through a recruiter seen as
certified is never fined: the destination accepts the label as due
diligence (seed 001, III.D), whether or not the holder complies. With
``information_sharing`` what the destination finds is referred to the
recruiter's origin regulator, which examines that recruiter's books at its
next enforcement (and finds something only where its own rules are broken).

Joint liability (``policy.joint_liability``) stays with the origin
regulators: an employer shares the fine for each violation an origin's
regulator finds in its hires.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model.kinds import CERTIFIED, PUBLIC
from sim.model.workers import NEVER_PLACED

if TYPE_CHECKING:
    from sim.model import RecruitmentModel

KINDS = 3


class Destination(mesa.Agent):
    """The destination's labour inspectorate (one per model), acting on employers."""

    def __init__(self, model: RecruitmentModel):
        super().__init__(model)
        self.policy = model.config.policy
        n_origins = len(model.origins)
        # fading counts of hires examined and fees found, by the recruiter's origin and perceived kind
        self._found_avg = np.zeros((n_origins, KINDS))
        self._placed_avg = np.zeros((n_origins, KINDS))
        self.found_per_placement = np.zeros((n_origins, KINDS))
        # the placement (its month) whose fee the destination has found, per worker row: a hire is fined once
        self.found_at = np.full(model.workers.n, NEVER_PLACED, dtype=np.int32)

    def expected_fine(self, origin: np.ndarray, kind: np.ndarray) -> np.ndarray:
        """The employer-ban fine an employer expects per hire through recruiters of these origins and
        perceived kinds (USD): 0 without the ban, and for label holders under audit acceptance."""
        if not self.policy.employer_ban:
            return np.zeros(len(kind))
        fine = self.policy.employer_fine * self.found_per_placement[origin, kind]
        if self.policy.audit_acceptance:
            fine = np.where(kind == CERTIFIED, 0.0, fine)
        return fine

    def inspect(self, placed_origin: np.ndarray, placed_kind: np.ndarray) -> dict:
        """This month's employer inspections, fines and referrals; ``placed_*``: this month's placements'
        recruiter origins and perceived kinds (the record's denominator)."""
        p = self.policy
        if not p.employer_ban:
            return {"employer_violations_found": 0, "employer_fines": 0.0}
        model = self.model
        w = model.workers
        e = model.employers
        rng = model.rng
        examined = rng.random(e.n) < p.employer_inspection_rate
        recent = w.placed_step >= model.month - p.lookback_months + 1
        paid = (w.fee_paid > 0) & (w.recruiter >= 0)
        records = np.flatnonzero(recent & paid & (self.found_at != w.placed_step) & (w.employer >= 0))
        records = records[examined[w.employer[records]]]
        records = records[model.recruiters.kind[w.recruiter[records]] != PUBLIC]  # the state's own channel's fee
        found = records[rng.random(len(records)) < p.employer_detection_prob]
        self.found_at[found] = w.placed_step[found]
        kind = w.hired_as[found].astype(np.int64)
        origin = model.recruiters.origin[w.recruiter[found]]
        fined = found if not p.audit_acceptance else found[kind != CERTIFIED]
        fines = np.bincount(w.employer[fined], minlength=e.n)[: e.n] * p.employer_fine
        e.recruitment_cost += fines
        model.ledger.transfer("employers", "state", float(fines.sum()), "employer_fines")
        if p.information_sharing and len(found):
            for regulator in model.regulators:
                rows = np.unique(w.recruiter[found][origin == regulator.origin.index])
                if len(rows):
                    regulator.refer(rows)
        memory = model.config.market.word_of_mouth_memory
        n_origins = len(model.origins)
        found_count = np.bincount(origin * KINDS + kind, minlength=n_origins * KINDS).reshape(n_origins, KINDS)
        placed = np.bincount(placed_origin * KINDS + placed_kind,
                             minlength=n_origins * KINDS)[: n_origins * KINDS].reshape(n_origins, KINDS)
        self._found_avg += memory * (found_count - self._found_avg)
        self._placed_avg += memory * (placed - self._placed_avg)
        self.found_per_placement = self._found_avg / np.maximum(self._placed_avg, 1.0)
        return {"employer_violations_found": int(len(found)), "employer_fines": float(fines.sum())}


def employer_penalty(model: RecruitmentModel, rows: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """What an employer expects to pay per hire through each recruiter of ``rows``, seen as ``kind``,
    besides the price (USD): its share of the recruiter's own regulator's fines under joint liability
    (:meth:`sim.model.regulator.Regulator.liability_of_kind`), plus the destination's employer-ban fine."""
    if len(model.origins) == 1:
        liability = model.regulator.liability_of_kind(kind)
    else:
        origin = model.recruiters.origin[rows]
        liability = np.zeros(len(rows))
        for regulator in model.regulators:
            mine = origin == regulator.origin.index
            liability[mine] = regulator.liability_of_kind(kind[mine])
    if not model.config.policy.employer_ban:
        return liability
    return liability + model.destination.expected_fine(model.recruiters.origin[rows], kind)
