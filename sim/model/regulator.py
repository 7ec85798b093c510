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

from sim.config import Enforcement, Targeting
from sim.model import subagents
from sim.model.recruiters import CERTIFIED, FEE_CHARGING, perceived_kind
from sim.model.workers import DECEIVED, ILLEGAL_FEE, SUBAGENT_FEE

if TYPE_CHECKING:
    from sim.model import RecruitmentModel
    from sim.model.origins import Origin



class Regulator(mesa.Agent):
    """An origin state's enforcement agency (one per origin country, acting on its own licensees, S18)."""

    def __init__(self, model: RecruitmentModel, origin: Origin):
        super().__init__(model)
        self.origin = origin
        self.policy = origin.policy
        self.referrals: list[np.ndarray] = []
        self.detections_per_placement = np.zeros(3)
        self._detected_avg = np.zeros(3)
        self._placed_avg = np.zeros(3)
        self.industry_influence = 0.0
        # the political process (S17; endogenous enforcement only): the budget, the pressure it answers,
        # and this month's lobbying (USD: for, against; by label holders, by the unlabelled)
        self.endogenous = self.policy.enforcement == Enforcement.endogenous
        self.budget = self.policy.inspection_rate
        self.pressure = self.policy.pressure_reference
        self.lobbying = {"for": 0.0, "against": 0.0, "labelled": 0.0, "unlabelled": 0.0}

    def strength(self) -> float:
        """Share of enforcement left after capture: 1 - capture x the fee-charging industry's influence."""
        return 1.0 - self.policy.capture * self.industry_influence

    def effective_fine(self) -> float:
        """The fine per violation actually imposed (USD), after capture."""
        return self.policy.fine * self.strength()

    def effective_rate(self) -> float:
        """Monthly inspection probability per recruiter actually carried out, after capture."""
        return self.inspection_budget() * self.strength()

    def inspection_budget(self) -> float:
        """Inspections per recruiter a month the state pays for: the legislated ``inspection_rate``, or
        under endogenous enforcement the budget the political process has set (S17)."""
        return self.budget if self.endogenous else self.policy.inspection_rate

    def enforcement_strength(self) -> float:
        """Enforcement left, as a share: after capture (fixed), or the budget over the legislated rate
        (endogenous; NaN when the legislated rate is 0)."""
        if not self.endogenous:
            return self.strength()
        b0 = self.policy.inspection_rate
        return self.budget / b0 if b0 > 0 else float("nan")

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

    def licensees(self) -> np.ndarray:
        """Rows of the active private recruiters this regulator licenses (all of them with one origin)."""
        r = self.model.recruiters
        rows = r.private_active()
        if len(self.model.origins) == 1:
            return rows
        return rows[r.origin[rows] == self.origin.index]

    def refer(self, rows: np.ndarray) -> None:
        """Audit findings passed on by the scheme (only when audit reports are not confidential)."""
        self.referrals.append(np.asarray(rows))

    def measure_influence(self) -> None:
        """Industry influence: the fee-charging recruiters' share of the industry's profits."""
        r = self.model.recruiters
        rows = self.licensees()
        profit = np.maximum(r.profit_ema[rows], 0.0)
        total = profit.sum()
        self.industry_influence = float(profit[r.kind[rows] == FEE_CHARGING].sum() / total) if total > 0 else 0.0

    def choose_inspections(self) -> np.ndarray:
        """Rows inspected this month: on average ``inspection_rate`` of recruiters, targeted as set."""
        r = self.model.recruiters
        rows = self.licensees()
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
        if self.policy.substitution > 0:  # audit reports accepted in place of a share of holders' inspections
            holders = perceived_kind(self.model)[rows] == CERTIFIED
            prob = np.where(holders, prob * (1.0 - self.policy.substitution), prob)
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
            records, chance = subagents.inspectable(model, records, p)
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
        if self.endogenous:
            self._lobby()
            self._set_budget(len(referred))
        return {"inspections": int(len(inspected)), "violations_detected": int(len(found)),
                "fines_collected": float(fines.sum() + liability), "licences_revoked": int(len(revoked)),
                "certified_violations_found_inspections": int(w.placed_by_label[found].sum()) if len(found) else 0}

    def _lobby(self) -> None:
        """Recruiters with a stake in enforcement spend a share of their profit lobbying for or against it.

        The side a recruiter takes follows from the published enforcement
        record, not from its business model: its stance is
        ``(d_other - d_own) / (d_other + d_own)`` in [-1, 1], ``d`` the
        detections per placement of its own perceived kind and of the other
        (unlabelled against label holders). A kind caught more than its
        rivals lobbies against enforcement; one caught less lobbies for it
        (more inspections raise its rivals' costs); where nobody is caught,
        nobody lobbies. It spends ``lobby_share`` of its positive monthly
        profit times ``|stance|`` (S17).
        """
        model = self.model
        r = model.recruiters
        rows = self.licensees()
        self.lobbying = dict.fromkeys(self.lobbying, 0.0)
        if len(rows) == 0 or self.policy.lobby_share == 0:
            return
        kind = perceived_kind(model)[rows]
        d = self.detections_per_placement
        own = np.where(kind == CERTIFIED, d[CERTIFIED], d[FEE_CHARGING])
        other = np.where(kind == CERTIFIED, d[FEE_CHARGING], d[CERTIFIED])
        total = own + other
        stance = np.divide(other - own, total, out=np.zeros(len(rows)), where=total > 0)
        spend = self.policy.lobby_share * np.maximum(r.profit_ema[rows], 0.0) * np.abs(stance)
        r.cash[rows] -= spend
        model.ledger.transfer("recruiters", "outside", spend.sum(), "lobbying")
        labelled = r.label[rows]
        self.lobbying = {"for": float(spend[stance > 0].sum()), "against": float(spend[stance < 0].sum()),
                         "labelled": float(spend[labelled].sum()), "unlabelled": float(spend[~labelled].sum())}

    def _set_budget(self, referrals: int) -> None:
        """The political process: next month's inspection budget moves toward a target (S17).

        target = inspection_rate x (1 - diversion, while the scheme exists)
                 x clip((pressure / pressure_reference) ^ pressure_elasticity, 0.1, 10)
                 x exp(lobby_weight x (lobbying for - against) / industry profit),
        clipped to [0, 1]; the budget moves ``budget_adjust`` of the way. Pressure
        is complaints reaching the state, and the scheme's referrals, per 100
        placements whose complaints could reach it (a fading average with the
        same weight): complaints routed to the scheme's auditor neither count
        nor dilute it.
        """
        model = self.model
        p = self.policy
        heard, reachable = model.state_hears[self.origin.index]
        month = 100.0 * (heard + referrals) / max(reachable, 1)
        self.pressure += p.budget_adjust * (month - self.pressure)
        pressure = np.clip((max(self.pressure, 0.0) / p.pressure_reference) ** p.pressure_elasticity, 0.1, 10.0)
        r = model.recruiters
        profit = float(np.maximum(r.profit_ema[self.licensees()], 0.0).sum())
        net = (self.lobbying["for"] - self.lobbying["against"]) / max(profit, 1.0)
        diverted = p.diversion if model.config.certification.enabled else 0.0
        lobbied = np.exp(min(max(p.lobby_weight * net, -50.0), 50.0))  # (bounded: the target is clipped anyway)
        target = p.inspection_rate * (1.0 - diverted) * pressure * lobbied
        self.budget += p.budget_adjust * (min(max(target, 0.0), 1.0) - self.budget)

    def _update_beliefs(self, examined: np.ndarray, inspected: np.ndarray, placements_by_kind: np.ndarray,
                        found_rec: np.ndarray) -> None:
        """Recruiters learn the inspection rate from their own and their peers' inspections;
        everyone reads the published detections per placement by kind."""
        r = self.model.recruiters
        rows = self.licensees()
        peers = len(inspected) / max(len(rows), 1)
        seen = 0.5 * examined[rows] + 0.5 * peers
        memory = self.model.config.market.word_of_mouth_memory
        r.inspection_belief[rows] += memory * (seen - r.inspection_belief[rows])
        kind_found = np.bincount(perceived_kind(self.model)[found_rec], minlength=3)[:3]
        self._detected_avg += memory * (kind_found - self._detected_avg)
        self._placed_avg += memory * (placements_by_kind - self._placed_avg)
        self.detections_per_placement = self._detected_avg / np.maximum(self._placed_avg, 1.0)
