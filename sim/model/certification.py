"""The voluntary IRIS-like certification scheme and its audits.

Seed 001, Part III.B: a recruiter completes capacity-building training,
passes an initial audit, then faces surveillance audits every six months
for two years, a recertification audit, and yearly audits after that.
Part III.C: audits are announced (so abuse can be hidden), may be
subcontracted to weaker auditors, are softened by audit firms competing for
clients, and stay confidential (findings do not reach the state);
complaints go to the auditor first. Each of these is a lever in
``certification.*``, and whether cheating pays follows from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.config import Placebo
from sim.model import kernels, subagents
from sim.model.recruiters import (
    CERTIFIED,
    FEE_CHARGING,
    HOLDS_LABEL,
    NOT_CERTIFYING,
    TRAINING,
    fee_income,
)

if TYPE_CHECKING:
    from sim.model import RecruitmentModel


class CertificationScheme:
    """Scheme manager plus its accredited auditors; not an agent, an institution the model owns."""

    def __init__(self, model: RecruitmentModel):
        self.model = model
        self.config = model.config.certification

    def audit_detection_prob(self) -> float:
        """Chance an audit finds and reports a certified recruiter's abuse.

        Auditor quality is averaged over own and subcontracted audits;
        advance notice lets the recruiter hide a share of abuse; a lenient
        auditor leaves some findings out of its report.
        """
        c = self.config
        quality = (1 - c.subcontract_share) * c.auditor_quality + c.subcontract_share * c.subcontractor_quality
        if c.announced:
            quality *= 1.0 - c.concealment
        return quality * (1.0 - c.leniency)

    def perceived_catch_rate(self, volume: np.ndarray) -> np.ndarray:
        """Monthly chance, as recruiters reckon it, that a cheating certified recruiter loses its label.

        Two routes: the next audit, and complaints from the ``volume``
        workers it places a month that survive the auditor and are upheld
        by the scheme manager. Fear of retaliation silences complaints, so
        anti-retaliation protection strengthens this route.
        """
        from sim.model.voice import fear_of_retaliation

        c = self.config
        audits = self.audit_detection_prob() / c.surveillance_interval_months
        heard = self.model.config.market.complaint_prob * (1.0 - fear_of_retaliation(self.model))
        if c.complaint_exhaustion and not c.gatekeeping:
            heard *= 1.0 - c.auditor_dismiss_prob
        upheld = heard * self.complaint_quality()
        complaints = 1.0 - (1.0 - upheld) ** volume
        return 1.0 - (1.0 - audits) * (1.0 - complaints)

    def complaint_quality(self) -> float:
        """Chance that whoever hears a complaint about a label holder finds the wrong behind it:
        social partners when they keep the gate, otherwise the scheme's auditors."""
        c = self.config
        return c.gatekeeper_quality if c.gatekeeping else c.auditor_quality

    def switch_cost(self) -> float:
        """One-off cost of getting the label (training and the initial audit); 0 for a placebo."""
        c = self.config
        return 0.0 if self.model.placebo != Placebo.off else c.training_cost + c.audit_cost

    def running_cost(self) -> float:
        """What keeping the label costs a month on average (surveillance audits); 0 for a placebo."""
        c = self.config
        return 0.0 if self.model.placebo != Placebo.off else c.surveillance_cost / c.surveillance_interval_months

    def start_training(self, rows: np.ndarray) -> None:
        """Recruiters who decided to take the label begin the capacity-building course.

        An applicant means to pass the initial audit it is paying for, so it
        stops what the audit looks for: deceiving workers, charging above
        the rules and taking workers through fee-charging sub-agents (it may
        take any of them up again later, by the same reviews as any holder). Its record stays: vetting by social partners
        still sees what it did before. A placebo label has no course, no
        audit and no cost: it is granted at once.
        """
        if self.model.placebo != Placebo.off:
            self.certify(rows)
            return
        r = self.model.recruiters
        r.cert_stage[rows] = TRAINING
        r.stage_months[rows] = 0
        r.deceives[rows] = False
        r.overcharges[rows] = False
        r.uses_subagents[rows] = False

    def receive_complaints(self, about: np.ndarray) -> None:
        """Complaints about certified recruiters enter the scheme's route.

        With complaint exhaustion the auditor hears them first and dismisses
        some; the rest reach the scheme manager after a delay. Where social
        partners keep the gate they hear workers directly: no auditor first.
        """
        if not self.config.enabled or len(about) == 0:
            return
        r = self.model.recruiters
        delay = 0
        if self.config.complaint_exhaustion and not self.config.gatekeeping:
            about = about[self.model.rng.random(len(about)) >= self.config.auditor_dismiss_prob]
            delay = self.config.exhaustion_months
        np.add.at(r.scheme_queue[:, delay], about, 1)

    def advance(self) -> dict:
        """One month of the scheme: training, audits due, complaints arriving; returns counts."""
        model = self.model
        r = model.recruiters
        c = self.config
        ledger = model.ledger
        n = r.n
        active = r.active[:n]
        if model.placebo != Placebo.off:  # a placebo has no course, no audits and hears no complaints
            return {"audits": 0, "labels_withdrawn": 0, "violations_detected_audit": 0, "audit_failures_initial": 0}

        holders = kernels.rows_of_kind(active, r.cert_stage, n, HOLDS_LABEL, False)  # before today's new labels
        training = kernels.rows_of_kind(active, r.cert_stage, n, TRAINING, False)
        ready = failed = training  # empty unless someone is in training
        if len(training):
            if c.training_months > 0:
                monthly = c.training_cost / c.training_months
                r.cash[training] -= monthly
                r.one_off[training] += monthly
                ledger.transfer("recruiters", "scheme", monthly * len(training), "certification_costs")
            r.stage_months[training] += 1
            ready = training[r.stage_months[training] >= c.training_months]
            if c.training_months == 0 and len(ready):
                r.cash[ready] -= c.training_cost
                r.one_off[ready] += c.training_cost
                ledger.transfer("recruiters", "scheme", c.training_cost * len(ready), "certification_costs")
            r.cash[ready] -= c.audit_cost
            r.one_off[ready] += c.audit_cost
            ledger.transfer("recruiters", "scheme", c.audit_cost * len(ready), "certification_costs")
            found = self._finds_abuse(ready)
            if c.gatekeeping:
                found |= self._vetting_finds(ready)
            passed, failed = ready[~found], ready[found]
            r.cert_stage[failed] = NOT_CERTIFYING
            if len(passed):
                self.certify(passed)

        # label holders: a month on in the audit calendar; audits due paid (kernels.audits_due)
        due, cost = kernels.audits_due(holders, r.certified_months, r.next_audit, r.recertified, r.cash,
                                       c.audit_cost, c.surveillance_cost, c.surveillance_period_months,
                                       c.surveillance_interval_months, c.recertified_interval_months)
        ledger.transfer("recruiters", "scheme", cost, "certification_costs")
        caught_by_audit = due[self._finds_abuse(due)]

        # complaints reaching the scheme manager this month
        heard = kernels.complaints_arriving(r.scheme_queue, n, active, r.cert_stage, HOLDS_LABEL)
        abusing = self._violating(heard)
        investigated = heard[subagents.caught(model, heard, abusing, model.rng.random(len(heard)),
                                              self.complaint_quality(), seen_whole=c.gatekeeping)]

        if len(caught_by_audit) and len(investigated):
            withdrawn = np.unique(np.concatenate([caught_by_audit, investigated]))
        else:  # each is already sorted and unique
            withdrawn = caught_by_audit if len(caught_by_audit) else investigated
        if len(withdrawn):
            self.withdraw(withdrawn)
            if not c.confidential:  # each finding to the regulator of the origin that licenses the recruiter
                for regulator in model.regulators:
                    mine = withdrawn if len(model.origins) == 1 else withdrawn[
                        model.recruiters.origin[withdrawn] == regulator.origin.index]
                    regulator.refer(mine)
        return {"audits": int(len(ready) + len(due)), "labels_withdrawn": int(len(withdrawn)),
                "violations_detected_audit": int(len(withdrawn)), "audit_failures_initial": int(len(failed)),
                "certified_violations_found_audits": int(len(withdrawn)),
                "certified_violation_records_found_audits": self._records_behind(withdrawn)}

    def _records_behind(self, withdrawn: np.ndarray) -> int:
        """The placements with a violation behind this month's withdrawals: each withdrawn holder's
        labelled placements of the last ``policy.lookback_months`` that broke a rule (counted in the unit of
        the inspections' findings, so that the two can be compared)."""
        if len(withdrawn) == 0:
            return 0
        model = self.model
        w = model.workers
        caught = np.zeros(model.recruiters.n, dtype=bool)
        caught[withdrawn] = True
        recent = w.placed_step >= model.month - model.config.policy.lookback_months + 1
        placed = w.recruiter >= 0
        mine = placed & recent & w.placed_by_label & (w.violation != 0)
        return int(caught[w.recruiter[mine]].sum())

    def _vetting_finds(self, rows: np.ndarray) -> np.ndarray:
        """Social partners' vetting of applicants: which of ``rows`` they turn down.

        They ask the workers each applicant placed in the last
        ``policy.lookback_months`` months; every placement that wronged its
        worker (deception, a fee above the legal cap, a fee hidden from the
        worker or taken through a sub-agent) is found with chance
        ``gatekeeper_quality``, and one finding is enough. Fees that were
        legal when charged do not count: before joining, an applicant may
        have charged workers like everyone else.
        """
        model = self.model
        w = model.workers
        recent = w.placed_step >= model.month - model.config.policy.lookback_months + 1
        wronged = np.flatnonzero(recent & (w.violation != 0))
        is_applicant = np.zeros(model.recruiters.n, dtype=bool)
        is_applicant[rows] = True
        wronged = wronged[is_applicant[w.recruiter[wronged]]]
        found = wronged[model.rng.random(len(wronged)) < self.config.gatekeeper_quality]
        turned_down = np.zeros(model.recruiters.n, dtype=bool)
        turned_down[w.recruiter[found]] = True
        return turned_down[rows]

    def _violating(self, rows: np.ndarray) -> np.ndarray:
        """Abuse at the licensed tier: overcharging (a hidden fee, or evading a cap) or deception."""
        r = self.model.recruiters
        return r.overcharges[rows] | r.deceives[rows]

    def _finds_abuse(self, rows: np.ndarray) -> np.ndarray:
        """Which audited recruiters are abusing and get caught (the draw is made for all rows).

        Sub-agents' fees behind the label are seen less often than the
        recruiter's own abuse (:func:`sim.model.subagents.caught`).
        """
        draw = self.model.rng.random(len(rows))
        return subagents.caught(self.model, rows, self._violating(rows), draw, self.audit_detection_prob())

    def certify(self, rows: np.ndarray) -> None:
        """Grant the label. The real one obliges: the recruiter now follows the Employer Pays
        Principle (unless it cheats). A placebo obliges nothing: its holders go on as before."""
        r = self.model.recruiters
        r.label[rows] = True
        r.model_since[rows] = self.model.month
        r.cert_stage[rows] = HOLDS_LABEL
        r.certified_months[rows] = 0
        r.recertified[rows] = False
        r.next_audit[rows] = self.config.surveillance_interval_months
        if self.model.placebo != Placebo.off:
            return
        before = fee_income(self.model, rows)
        r.kind[rows] = CERTIFIED
        r.overcharges[rows] = False
        r.churns[rows] = False
        self._reprice(rows, before)
        self.model.refresh_views(rows)

    def withdraw(self, rows: np.ndarray) -> None:
        """Take the label away (failed audit, upheld complaint, or the recruiter's own choice)."""
        r = self.model.recruiters
        before = fee_income(self.model, rows)
        r.label[rows] = False
        r.model_since[rows] = self.model.month
        r.kind[rows] = FEE_CHARGING
        r.cert_stage[rows] = NOT_CERTIFYING
        r.overcharges[rows] = False
        r.scheme_queue[rows] = 0  # complaints about the old label die with it
        self._reprice(rows, before)
        self.model.refresh_views(rows)

    def _reprice(self, rows: np.ndarray, fee_income_before: np.ndarray) -> None:
        """A recruiter changing business model changes its employer price at once by the worker-fee
        income it gains or loses, keeping its margin per placement.

        It renegotiates with its employers as it changes model (a recruiter
        that stops charging workers cannot go on paying kickbacks out of fees
        it no longer collects); the forward estimate of the switching rule
        (:func:`sim.model.industry.forward_profit`) assumes exactly this.
        Afterwards the price moves with the market as every price does.
        """
        self.model.recruiters.price[rows] += fee_income_before - fee_income(self.model, rows)
