"""The parameter space that calibration, sensitivity analysis and scenario discovery sample.

In the XLRM frame (docs/ODD.md) the ``market`` group holds the uncertainties:
the world and the behaviour we do not control and cannot observe directly. A
:class:`Factor` gives one of them a plausible range and says why; the ranges
are wider than our confidence in the defaults, so that an analysis shows what
happens if a default is wrong, but narrow enough to stay in a world that looks
like a labour-recruitment corridor (fees of months, not years, of wages).

Three families are defined here:

* :data:`UNCERTAINTIES`: every uncertain behavioural and market parameter
  (Morris screening varies all of them);
* :data:`CALIBRATED`: the behavioural parameters of the earlier point fit;
* :data:`POLICY_PROCESS`: the political process of endogenous enforcement,
  fitted with the behaviour by :mod:`experiments.calibrate`;
* :data:`NON_STATE_LEVERS`: what civil society, buyers and the certification
  scheme control, sampled with the uncertainties in scenario discovery, where
  the state's levers are held at "no rule" (:mod:`experiments.discovery`).

Population sizes (``n_workers``, ``n_employers``) are scale, not behaviour,
and stay fixed; ``jobs_per_employer`` and ``n_recruiters`` carry the market's
structure (jobs per worker, recruiters per job) instead.
``market.platform_memory`` matters only when the rating platform is on, so it
is varied in discovery (where the platform is a lever) rather than in the
screening. ``market.min_margin`` is only a floor under the markup that
competition for job orders sets (0 by default, below any markup), so it is
not varied either.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from sim.config import RecruitsimConfig


@dataclass(frozen=True)
class Factor:
    """One sampled parameter.

    Attributes:
        key: dotted config key, e.g. ``"market.search_prob"``.
        lo, hi: the range sampled (inclusive), in the key's own unit.
        why: the justification of the range, shown in reports and docs.
        kind: ``"float"``, ``"int"`` (rounded to the nearest integer) or
            ``"bool"`` (true when the sampled value is >= 0.5).
        log: sample uniformly in log space (for scale parameters whose
            plausible values span a factor of several).
    """

    key: str
    lo: float
    hi: float
    why: str
    kind: str = "float"
    log: bool = False

    @property
    def name(self) -> str:
        """The key without its group, for tables and figures."""
        return self.key.split(".", 1)[1]

    def unit_bounds(self) -> tuple[float, float]:
        """The bounds on the scale sampled (log10 for log factors; 0..1 for booleans)."""
        if self.kind == "bool":
            return 0.0, 1.0
        if self.log:
            return math.log10(self.lo), math.log10(self.hi)
        return float(self.lo), float(self.hi)

    def value(self, x: float):
        """The config value for a sample ``x`` drawn between :meth:`unit_bounds`."""
        if self.kind == "bool":
            return bool(x >= 0.5)
        v = 10.0 ** x if self.log else float(x)
        v = min(max(v, self.lo), self.hi)
        return int(round(v)) if self.kind == "int" else v


def _f(key: str, lo: float, hi: float, why: str, kind: str = "float", log: bool = False) -> Factor:
    return Factor(key, lo, hi, why, kind, log)


#: Every uncertain behavioural and market parameter, with the range varied in the screening.
UNCERTAINTIES: tuple[Factor, ...] = (
    # market structure
    _f("market.jobs_per_employer", 10, 40, "1,000 to 4,000 jobs for 5,000 workers: always more workers than jobs "
       "(seed 001, III.A), from a tight to a slack excess supply", "int"),
    _f("market.n_recruiters", 15, 60, "initial recruiters: a concentrated to a crowded corridor; entry and "
       "exit move it afterwards", "int"),
    _f("market.consideration_set", 10, 30, "recruiters a worker or employer knows of: a third of the market to "
       "all of it", "int"),
    # wages and household finance
    _f("market.dest_wage_spread", 0.05, 0.3, "lognormal sigma of foreign wages: a third to twice the default"),
    _f("market.home_wage", 60.0, 200.0, "home wage, USD/month: an eighth to 40% of the $480 foreign wage, "
       "around the calibrated $87 and Pakistan's 2016-17 minimum wage (about $134)"),
    _f("market.home_wage_spread", 0.2, 0.6, "lognormal sigma of home wages: half to 1.5x the default"),
    _f("market.living_cost_share", 0.2, 0.45, "share of the foreign wage spent on food and lodging abroad"),
    _f("market.savings_months", 1.0, 8.0, "savings in months of home wage: a quarter to twice the default"),
    _f("market.remittance_share", 0.3, 0.7, "share of net earnings sent home and spent, not saved"),
    _f("market.home_saving_rate", 0.05, 0.2, "share of home wage saved while at home"),
    _f("market.interest_rate", 0.01, 0.06, "monthly interest of informal lenders: 12% to 72% a year"),
    _f("market.credit_limit_months", 6.0, 18.0, "what lenders lend, in months of foreign wage"),
    # an open population and debts that can end
    _f("market.leave_prob", 1 / 240, 1 / 60, "monthly chance a person at home leaves the pool of aspiring "
       "migrants: an average stay of 5 to 20 years (age, other work, giving up)", log=True),
    _f("market.debt_relief_prob", 0.0, 0.2, "monthly chance a lender writes a debt trapped at home down to "
       "what home savings can repay: never (the default) to about every five months"),
    _f("market.debt_horizon_months", 24, 120, "years of home savings (2 to 10) within which a debt must be "
       "repayable not to count as a trap at home", "int"),
    # worker behaviour
    _f("market.search_prob", 0.1, 0.5, "share of idle workers looking abroad in a month"),
    _f("market.worker_choice_scale", 0.3, 3.0, "logit scale of worker choice (1/months of wage): noisy to "
       "sharp comparison of offers", log=True),
    _f("market.complaint_prob", 0.2, 0.6, "chance an abused worker complains"),
    _f("market.collusion", 0.6, 1.0, "share of workers paying above a rule who stay silent (seed 001, III.A)"),
    _f("market.retaliation_prob", 0.3, 0.7, "chance a complaint is met with retaliation (seed 001, III.C)"),
    _f("market.early_termination_prob", 0.002, 0.008, "monthly chance a contract ends early: 5% to 18% of "
       "two-year contracts"),
    # recruiter economics and behaviour
    _f("market.placement_cost", 300.0, 800.0, "USD per placement: documents, visa, medical, travel "
       "(0.6 to 1.7 months of wage)"),
    _f("market.fixed_cost", 750.0, 3000.0, "USD/month of office and staff: half to twice the default"),
    _f("market.capacity", 5, 20, "placements a month an agency can make", "int"),
    _f("market.initial_cash", 15000.0, 60000.0, "working capital, USD"),
    _f("market.fee_adjust_rate", 0.02, 0.1, "share a price moves in a month", log=True),
    _f("market.price_adjust_step", 10.0, 40.0, "smallest price move, USD"),
    _f("market.deception_markup", 0.1, 0.4, "how far deceivers overstate the wage (seed 001, III.A)"),
    _f("market.honesty_spread", 0.25, 1.0, "lognormal sigma of recruiters' risk attitudes"),
    _f("market.review_prob", 0.05, 0.2, "monthly chance a recruiter reviews its practices: every 5 to 20 months"),
    _f("market.imitation_scale", 1000.0, 4000.0, "scale of the logit noise in the entry decision (USD of "
       "expected value)", log=True),
    _f("market.label_value_months", 6.0, 24.0, "months of profit a recruiter weighs against losing its label"),
    _f("market.churn_bonus", 150.0, 600.0, "USD an employer gets per replaced worker (seed 001, III.A)"),
    _f("market.churn_rate", 0.02, 0.1, "share of a churning pair's workers replaced a month"),
    _f("market.entry_cost", 10000.0, 40000.0, "USD to enter: licence, bond and set-up"),
    _f("market.max_entrants", 1, 4, "new recruiters a month at most", "int"),
    _f("market.exit_patience_months", 6, 24, "a losing recruiter quits with chance 1/this a month", "int"),
    # employer behaviour
    _f("market.employer_choice_scale", 0.005, 0.02, "logit scale of employers' cost comparison (1/USD)",
       log=True),
    _f("market.turnover_cost", 100.0, 400.0, "USD an employer loses replacing a worker"),
    _f("market.debt_quit_effect", -0.5, 0.5, "change in the monthly early-exit chance at the credit limit "
       "(relative): debt holds workers (< 0) or drives them to abscond (> 0); no source fixes the sign"),
    # beliefs and the choice of business model (issue 11: every constant that could decide a result)
    _f("market.initial_deception_share", 0.0, 0.4, "share of starting recruiters deceiving workers; the "
       "burn-in should wash it out"),
    _f("market.initial_churn_share", 0.0, 0.3, "share of starting recruiters offering churning deals"),
    _f("market.initial_fill", 0.7, 1.0, "share of positions held when the run starts"),
    _f("market.profit_memory", 0.05, 0.25, "weight of a month in recruiters' profit averages: a 4 to "
       "20 month memory"),
    _f("market.planning_horizon_months", 12, 48, "months over which a recruiter weighs a change of business "
       "model: half to two contract cycles", "int"),
    _f("market.switch_confidence", 0.0, 2.0, "standard errors of the books' estimate a profit gap must beat: "
       "none (acts on any gap) to a sceptical recruiter"),
    _f("market.profit_prior_weight", 0.5, 10.0, "practitioners whose books count as much as the forward "
       "estimate", log=True),
    _f("market.practice_review_prob", 0.1, 0.5, "monthly chance a recruiter reconsiders evading or cheating"),
    _f("market.practice_experiment_prob", 0.0, 0.05, "chance per review of trying the other practice"),
    _f("market.word_of_mouth_memory", 0.05, 0.25, "weight of a month's evidence in what people hear"),
    _f("market.word_of_mouth_prior_weight", 5.0, 100.0, "placements of evidence that outweigh a prior",
       log=True),
    # the two-tier chain (informal sub-agents, seed 001, III.C)
    _f("market.subagent_share", 0.2, 0.8, "share of aspiring migrants only village sub-agents reach: no figure in "
       "the sources, from a minority to most of them"),
    _f("market.direct_sourcing_cost", 50.0, 400.0, "USD per placement a recruiter pays to find and screen a worker "
       "without sub-agents: a tenth to most of a month's wage"),
    _f("market.subagent_fee_months", 0.25, 3.0, "sub-agents' fee in months of wage: DATA.md lists the sub-agents' "
       "share as unknown, so a week's to three months' wage"),
    _f("market.lower_tier_visibility", 0.1, 0.6, "share of the usual detection chance that reaches sub-agents' "
       "fees: audits and inspections examine the licensed tier first (seed 001, III.C)"),
    # behaviour around the certification scheme (not its design)
    _f("certification.worker_trust", 0.25, 0.75, "how far workers believe the label's claim before evidence"),
    _f("society.employer_trust", 0.25, 0.75, "how far employers believe the label's claim before evidence"),
    _f("certification.exit_cost", 0.0, 10000.0, "USD a holder weighs against dropping the label"),
    _f("certification.concealment", 0.4, 0.8, "share of abuse hidden from an announced audit (seed 001, III.C)"),
    _f("certification.audit_cost", 2500.0, 10000.0, "USD per initial or recertification audit"),
    _f("certification.surveillance_cost", 1000.0, 4000.0, "USD per surveillance audit"),
)

#: The behavioural parameters the corridor calibration fits (docs/VALIDATION.md, section 2).
CALIBRATED: tuple[Factor, ...] = tuple(
    f for f in UNCERTAINTIES if f.key in {
        "market.worker_choice_scale", "market.search_prob", "market.fee_adjust_rate",
        "market.employer_choice_scale"})

#: The political process of endogenous enforcement (``policy.enforcement=endogenous``, ODD S17): no data, so
#: reasoned ranges; they act only where there are inspections for the budget to scale (docs/VALIDATION.md, 5.3).
POLICY_PROCESS: tuple[Factor, ...] = (
    _f("policy.pressure_elasticity", 0.0, 2.0, "how far the inspection budget follows the complaints reaching "
       "the state: not at all to more than in proportion (the schema allows up to 3)"),
    _f("policy.lobby_weight", 0.0, 5.0, "how strongly net lobbying over industry profit moves the budget: not at "
       "all to five times the default"),
)

#: Levers outside the state: the scheme's design, buyers' commitments, a worker rating platform.
NON_STATE_LEVERS: tuple[Factor, ...] = (
    _f("certification.initial_share", 0.0, 0.5, "share of recruiters certified at launch"),
    _f("certification.announced", 0, 1, "audits announced (true) or unannounced", "bool"),
    _f("certification.auditor_quality", 0.4, 1.0, "detection probability of the scheme's auditors"),
    _f("certification.subcontract_share", 0.0, 1.0, "share of audits subcontracted (seed 001, III.C)"),
    _f("certification.leniency", 0.0, 0.6, "chance a finding goes unreported (seed 001, III.C)"),
    _f("certification.confidential", 0, 1, "audit reports belong to the recruiter", "bool"),
    _f("certification.gatekeeping", 0, 1, "social partners vet applicants and hear complaints (seed 001, III.C, "
       "note 293)", "bool"),
    _f("certification.gatekeeper_quality", 0.3, 1.0, "chance social partners find a wrong they ask about"),
    _f("society.brand_share", 0.0, 1.0, "share of employers committed to the Employer Pays Principle"),
    _f("society.brand_cost", 0.0, 5000.0, "expected reputational cost per hire via a suspect recruiter, USD"),
    _f("society.brand_remediation", 0.0, 2.0, "share of the market fee committed employers expect to repay"),
    _f("society.platform_enabled", 0, 1, "a worker rating platform exists (seed 001, III.E)", "bool"),
    _f("society.platform_uptake", 0.0, 0.8, "share of workers who read the platform"),
    _f("market.platform_memory", 0.02, 0.2, "weight of a month's reviews on the platform"),
)


# --------------------------------------------------------------------------- regimes


#: The policy regimes the sensitivity analysis compares, as config overrides.
REGIMES: dict[str, dict] = {
    # the default world: voluntary IRIS-like certification, no rule on fees
    "voluntary_no_rule": {},
    # configs/policy/fee_ban_enforced.yaml
    "enforced_ban": {"policy.fee_cap_months": 0.0, "policy.inspection_rate": 0.2, "policy.targeting": "risk",
                     "policy.detection_prob": 0.7, "policy.fine": 20000.0},
}

REGIME_LABELS = {"voluntary_no_rule": "voluntary certification, no rule",
                 "enforced_ban": "well-enforced fee ban"}


# --------------------------------------------------------------------------- helpers


def problem(factors: Sequence[Factor]) -> dict:
    """The SALib problem dict for ``factors`` (bounds on the sampled scale)."""
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [list(f.unit_bounds()) for f in factors]}


def to_overrides(factors: Sequence[Factor], x: Iterable[float]) -> dict:
    """Config overrides for one sample row ``x`` (values on the sampled scale)."""
    return {f.key: f.value(v) for f, v in zip(factors, x)}


def as_values(factors: Sequence[Factor], samples: np.ndarray) -> np.ndarray:
    """The config values of a sample matrix (rows = points), as floats, for tables and trees."""
    return np.array([[float(f.value(v)) for f, v in zip(factors, row)] for row in np.atleast_2d(samples)])


def defaults(factors: Sequence[Factor]) -> dict:
    """The schema default of each factor's key."""
    cfg = RecruitsimConfig()
    out = {}
    for f in factors:
        group, name = f.key.split(".", 1)
        out[f.key] = getattr(getattr(cfg, group), name)
    return out


def schema_bounds(key: str) -> tuple[float, float]:
    """The allowed range of a config key (``metadata`` of its schema field)."""
    group, name = key.split(".", 1)
    cls = type(getattr(RecruitsimConfig(), group))
    meta = {f.name: f.metadata for f in dataclasses.fields(cls)}[name]
    return meta.get("lo", -math.inf), meta.get("hi", math.inf)


def by_key(factors: Sequence[Factor]) -> Mapping[str, Factor]:
    return {f.key: f for f in factors}
