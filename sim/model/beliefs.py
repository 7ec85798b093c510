"""What people believe about each kind of recruiter: word of mouth, weighed against what they assumed.

Workers and employers cannot see whether a recruiter will charge them or
deceive them; they go by what they hear of recruiters of its kind (as they
perceive it: see :func:`sim.model.recruiters.perceived_kind`). Every kind is
judged by the same rule, a Beta-style average of a prior and the evidence::

    belief = (prior_weight * prior + bad placements heard of) / (prior_weight + placements heard of)

Evidence fades (``market.word_of_mouth_memory`` a month), so a kind that
stops placing anyone drifts back to its prior. The priors:

* unlabelled recruiters: what the starting market showed (the share of
  starting recruiters charging a fee, and deceiving);
* label holders: the label's claim (no fee, no deception) believed with the
  audience's trust (``certification.worker_trust`` for workers,
  ``society.employer_trust`` for employers), the rest assumed like the
  unlabelled. A label has to earn the rest of its reputation with its
  holders' record; a clean record earns it fully, whatever the trust.

With several origin countries (S18) each origin has its own word of mouth,
fed by its own recruiters' placements: one origin's recruiters are not
judged by another's record.

Nothing here favours a business model: the real label and the ``signal``
placebo are judged by the same rule, each by its own holders' record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.kinds import CERTIFIED, FEE_CHARGING

if TYPE_CHECKING:
    from sim.model import RecruitmentModel

KINDS = 3  # fee-charging (unlabelled), certified (label holders as perceived), public


class WordOfMouth:
    """Placements heard of, by perceived kind, and how many paid a fee or were deceived (fading counts)."""

    def __init__(self, fee_prior: float, deceived_prior: float, prior_weight: float, memory: float):
        self.heard = np.zeros(KINDS)
        self.paid = np.zeros(KINDS)
        self.deceived = np.zeros(KINDS)
        self.fee_prior = float(fee_prior)
        self.deceived_prior = float(deceived_prior)
        self.prior_weight = float(prior_weight)
        self.memory = float(memory)

    def hear(self, placed: np.ndarray, paid: np.ndarray, deceived: np.ndarray) -> None:
        """A month of evidence: this month's placements by kind, those that paid a fee, those deceived."""
        keep = 1.0 - self.memory
        self.heard = keep * self.heard + placed[:KINDS]
        self.paid = keep * self.paid + paid[:KINDS]
        self.deceived = keep * self.deceived + deceived[:KINDS]

    def beliefs(self, trust: float) -> tuple[np.ndarray, np.ndarray]:
        """Chance of a fee and of deception by perceived kind, for an audience with this trust in the label.

        The public channel's entries stay 0: its fee is public and fixed by
        policy, and nobody suspects it of deception.
        """
        k = self.prior_weight
        fee = np.zeros(KINDS)
        deceived = np.zeros(KINDS)
        u = FEE_CHARGING
        fee[u] = _average(k, self.fee_prior, self.paid[u], self.heard[u])
        deceived[u] = _average(k, self.deceived_prior, self.deceived[u], self.heard[u])
        # the label's claim (nothing charged, nobody deceived) believed with the audience's trust
        c = CERTIFIED
        fee[c] = _average(k, (1.0 - trust) * fee[u], self.paid[c], self.heard[c])
        deceived[c] = _average(k, (1.0 - trust) * deceived[u], self.deceived[c], self.heard[c])
        return fee, deceived


def _average(weight: float, prior: float, bad: float, heard: float) -> float:
    total = weight + heard
    return prior if total <= 0 else (weight * prior + bad) / total


def for_workers(model: RecruitmentModel, origin: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Workers' beliefs about an origin's recruiters, by perceived kind (chance of a fee, of deception)."""
    return model.words[origin].beliefs(model.config.certification.worker_trust)


def for_employers(model: RecruitmentModel, origin: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Employers' beliefs about an origin's recruiters, by perceived kind (chance of a fee, of deception)."""
    return model.words[origin].beliefs(model.config.society.employer_trust)
