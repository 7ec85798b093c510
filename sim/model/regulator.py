"""The regulator: inspections, fines, licence revocation, joint liability, capture.

Seed 001, Part III.A: registration and licensing with fines too low to
deter; joint liability of employers proposed but rarely adopted; industry
political influence weakening enforcement. Seed 002: stepping up
enforcement is the first of three government responses to recruitment
costs. The regulator inspects recruiters (at random, after complaints, or
by risk), finds each recorded violation of the last months with some
probability, fines it, and revokes the licence after repeated findings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.config import Targeting
from sim.model import subagents
from sim.model.recruiters import CERTIFIED, FEE_CHARGING, perceived_kind
from sim.model.workers import DECEIVED, ILLEGAL_FEE, SUBAGENT_FEE

if TYPE_CHECKING:
    from sim.model import RecruitmentModel



class Regulator(mesa.Agent):
    """The state's enforcement agency (one per model)."""

    def __init__(self, model: RecruitmentModel):
        super().__init__(model)
        self.policy = model.config.policy
        self.referrals: list[np.ndarray] = []
        self.detections_per_placement = np.zeros(3)
        self._detected_avg = np.zeros(3)
        self._placed_avg = np.zeros(3)
        self.industry_influence = 0.0

    def strength(self) -> float:
        """Share of enforcement left after capture: 1 - capture x the fee-charging industry's influence."""
        return 1.0 - self.policy.capture * self.industry_influence

    def effective_fine(self) -> float:
        """The fine per violation actually imposed (USD), after capture."""
        return self.policy.fine * self.strength()

    def effective_rate(self) -> float:
        """Monthly inspection probability per recruiter actually carried out, after capture."""
        return self.policy.inspection_rate * self.strength()

    def expected_liability(self, rows: np.ndarray) -> np.ndarray:
        """Fine an employer expects to share per hire through each recruiter (USD), under joint liability.

        Employers read the published enforcement record: detected violations
        per placement among recruiters of the same kind.
        """
        return self.liability_of_kind(perceived_kind(self.model)[rows])

    def liability_of_kind(self, kind: np.ndarray) -> np.ndarray:
        """The same, for a recruiter of each perceived ``kind`` (0 without joint liability)."""
        if not self.policy.joint_liability:
            return np.zeros(len(kind))
        return self.policy.liability_share * self.effective_fine() * self.detections_per_placement[kind]

    def refer(self, rows: np.ndarray) -> None:
        """Audit findings passed on by the scheme (only when audit reports are not confidential)."""
        self.referrals.append(np.asarray(rows))

    def measure_influence(self) -> None:
        """Industry influence: the fee-charging recruiters' share of the industry's profits."""
        r = self.model.recruiters
        rows = r.private_active()
        profit = np.maximum(r.profit_ema[rows], 0.0)
        total = profit.sum()
        self.industry_influence = float(profit[r.kind[rows] == FEE_CHARGING].sum() / total) if total > 0 else 0.0

    def choose_inspections(self) -> np.ndarray:
        """Rows inspected this month: on average ``inspection_rate`` of recruiters, targeted as set."""
        r = self.model.recruiters
        rows = r.private_active()
        rate = self.effective_rate()
        if len(rows) == 0 or rate <= 0:
            return np.zeros(0, dtype=np.int64)
        if self.policy.targeting == Targeting.random:
            weight = np.ones(len(rows))
        elif self.policy.targeting == Targeting.complaints:
            weight = r.complaints_ema[rows] + 1e-6
        else:  # risk: record of findings, complaints, and no label
            label = np.where(perceived_kind(self.model)[rows] == CERTIFIED, self.policy.label_inspection_weight, 1.0)
            weight = label * (1.0 + r.strikes[rows]) * (1.0 + r.complaints_ema[rows])
        prob = np.minimum(1.0, rate * len(rows) * weight / weight.sum())
        return rows[self.model.rng.random(len(rows)) < prob]

    def enforce(self, placements_by_kind: np.ndarray) -> dict:
        """Inspect, find violations in the records, fine, share fines with employers, revoke licences.

        Sub-agents' illegal fees are in the records too, but inspectors see
        them less often (:func:`sim.model.subagents.inspectable`).
        """
        model = self.model
        r = model.recruiters
        w = model.workers
        p = self.policy
        n = r.n
        inspected = self.choose_inspections()
        referred = np.concatenate(self.referrals) if self.referrals else np.zeros(0, dtype=np.int64)
        self.referrals = []
        examined = np.zeros(n, dtype=bool)
        examined[inspected] = True
        examined[referred] = True
        examined &= r.active[:n]

        # sub-agents' fees are illegal only under a fee cap (without one they break only the label's rule)
        wrongs = ILLEGAL_FEE | DECEIVED | (SUBAGENT_FEE if p.fee_cap_months is not None else 0)
        records = np.flatnonzero(((w.violation & wrongs) != 0) & ~w.detected
                                 & (w.placed_step >= model.month - p.lookback_months + 1))
        records = records[examined[w.recruiter[records]]]
        chance = p.detection_prob
        if wrongs & SUBAGENT_FEE:
            records, chance = subagents.inspectable(model, records)
        found = records[model.rng.random(len(records)) < chance]
        w.detected[found] = True
        rec = w.recruiter[found]
        per_recruiter = np.bincount(rec, minlength=n)[:n]
        fine = self.effective_fine()
        fines = per_recruiter * fine
        r.cash[:n] -= fines
        model.ledger.transfer("recruiters", "state", fines.sum(), "fines")
        liability = 0.0
        if p.joint_liability and len(found):
            liability = p.liability_share * fine * len(found)
            share = np.bincount(w.employer[found], minlength=model.employers.n) * p.liability_share * fine
            model.employers.recruitment_cost += share
            model.ledger.transfer("employers", "state", liability, "liability_fines")

        struck = np.flatnonzero(per_recruiter > 0)
        r.strikes[struck] += 1
        revoked = struck[r.strikes[struck] >= p.revoke_after] if p.revoke_after > 0 else struck[:0]
        model.exit_recruiters(revoked)

        self._update_beliefs(examined, inspected, placements_by_kind, rec)
        return {"inspections": int(len(inspected)), "violations_detected": int(len(found)),
                "fines_collected": float(fines.sum() + liability), "licences_revoked": int(len(revoked)),
                "certified_violations_found_inspections": int(w.placed_by_label[found].sum()) if len(found) else 0}

    def _update_beliefs(self, examined: np.ndarray, inspected: np.ndarray, placements_by_kind: np.ndarray,
                        found_rec: np.ndarray) -> None:
        """Recruiters learn the inspection rate from their own and their peers' inspections;
        everyone reads the published detections per placement by kind."""
        r = self.model.recruiters
        rows = r.private_active()
        peers = len(inspected) / max(len(rows), 1)
        seen = 0.5 * examined[rows] + 0.5 * peers
        memory = self.model.config.market.word_of_mouth_memory
        r.inspection_belief[rows] += memory * (seen - r.inspection_belief[rows])
        kind_found = np.bincount(perceived_kind(self.model)[found_rec], minlength=3)[:3]
        self._detected_avg += memory * (kind_found - self._detected_avg)
        self._placed_avg += memory * (placements_by_kind - self._placed_avg)
        self.detections_per_placement = self._detected_avg / np.maximum(self._placed_avg, 1.0)
