"""Typed configuration: the schema every YAML file in ``configs/`` starts from.

The groups follow the XLRM frame (see docs/ODD.md, section "Parameters"):

* ``market``: uncertainties, the world we do not control (populations, wages,
  behaviour). Calibration and sensitivity analysis vary these.
* ``policy``: the state's levers (fee rule, inspections, fines, joint
  liability, capture, anti-retaliation, a public recruitment channel).
* ``certification``: the voluntary IRIS-like scheme and its audit design.
* ``society``: levers held by civil society and buyers (a worker rating
  platform, brands' supply-chain commitments).
* ``run``: how long to simulate and how to summarise.

Each field carries its unit, its allowed range and where its default comes
from in ``metadata``; :func:`validate` checks the ranges at start-up because
Hydra checks only types. Money is in US dollars per month unless a name says
otherwise (``*_months`` values are in months of destination wage).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, Optional

INF = math.inf
#: Largest seed: every tool reading the results (Parquet, pandas, numpy) holds it in an int64.
MAX_SEED = 2**32 - 1


def param(default: Any, lo: float = -INF, hi: float = INF, unit: str = "", source: str = "") -> Any:
    """A config field with its range, unit and source kept beside its default.

    Args:
        default: the default value.
        lo, hi: inclusive bounds checked by :func:`validate`.
        unit: the unit a user should read the value in.
        source: where the default comes from (seed passage, data or reasoning).
    """
    return field(default=default, metadata={"lo": lo, "hi": hi, "unit": unit, "source": source})


class Targeting(str, Enum):
    """How the regulator chooses whom to inspect (MODEL.md, Regulators)."""

    random = "random"
    complaints = "complaints"
    risk = "risk"


class Enforcement(str, Enum):
    """How the inspection budget is set: by the legislator once (``fixed``) or by a political process
    each month (``endogenous``: complaints reaching the state, lobbying, diversion; docs/ODD.md, S17)."""

    fixed = "fixed"
    endogenous = "endogenous"


class Placebo(str, Enum):
    """Which label the scheme hands out: the real one, or a control that isolates part of it.

    ``off``: the real IRIS-like label (Employer Pays, audits, costs).
    ``inert``: costless, never audited, no obligation, and nobody notices it:
    employers, workers and the regulator treat its holders as unlabelled
    (the noise floor of the switching rule).
    ``signal``: costless, never audited, no obligation, but perceived by the
    same rules as the real label, fed by its own holders' record (what the
    signal alone is worth: the greenwashing benchmark).
    """

    off = "off"
    inert = "inert"
    signal = "signal"


@dataclass
class MarketConfig:
    """Uncertainties: the world the levers act on."""

    # populations
    n_workers: int = param(5000, 0, 10_000_000, "workers", "brief: thousands of workers")
    n_recruiters: int = param(30, 0, 100_000, "recruiters", "brief: tens of recruiters")
    n_employers: int = param(100, 0, 1_000_000, "employers", "brief: around a hundred employers")
    jobs_per_employer: int = param(
        20, 0, 100_000, "positions", "sets total jobs to 2,000: far fewer than workers (seed 001, III.A)")
    # wages and contracts
    contract_months: int = param(24, 1, 240, "months", "two-year contracts typical of Gulf corridors")
    dest_wage: float = param(480.0, 1.0, 1e6, "USD/month",
                             "ILO 2016 survey of returnees from Saudi Arabia: about $480 monthly earnings")
    dest_wage_spread: float = param(0.15, 0.0, 2.0, "lognormal sigma", "reasoning: modest wage dispersion")
    home_wage: float = param(87.2, 0.0, 1e6, "USD/month",
                             "calibrated (results/calibration): what a job abroad is worth to Pakistani workers; "
                             "below the 2016-17 minimum wage of about $134, as informal rural earnings are")
    home_wage_spread: float = param(0.4, 0.0, 3.0, "lognormal sigma", "reasoning: rural/urban dispersion")
    living_cost_share: float = param(0.3, 0.0, 1.0, "share of wage", "reasoning: food and lodging abroad")
    savings_months: float = param(4.0, 0.0, 1000.0, "months of home wage", "reasoning: small savings")
    remittance_share: float = param(0.5, 0.0, 1.0, "share of net earnings left after repayment",
                                    "reasoning: remittances mostly pay for the family's consumption")
    home_saving_rate: float = param(0.1, 0.0, 1.0, "share of home wage", "reasoning")
    # credit
    interest_rate: float = param(0.03, 0.0, 1.0, "per month",
                                 "reasoning: informal lenders charge several percent a month")
    credit_limit_months: float = param(12.0, 0.0, 1000.0, "months of destination wage",
                                       "reasoning: lenders lend against expected earnings")
    # population and debt
    leave_prob: float = param(0.00833, 0.0, 0.1, "per month, people at home",
                              "reasoning: people stop seeking work abroad after about ten years on average "
                              "(age, other work, giving up); each is replaced by a new aspiring migrant, so the "
                              "pool is stationary and labour supply stays far above demand (seed 001, III.A)")
    debt_relief_prob: float = param(0.0, 0.0, 0.5, "per month",
                                    "reasoning: informal lenders renegotiate a debt the borrower cannot repay at "
                                    "home; 0 by default (no source for a rate): departures are the default way "
                                    "debts end; varied in sensitivity analysis")
    debt_horizon_months: int = param(60, 1, 600, "months",
                                     "reasoning: a debt is a trap at home when home savings cannot repay it "
                                     "within five years at the lenders' rate")
    # worker behaviour
    consideration_set: int = param(30, 1, 100_000, "recruiters",
                                   "reasoning: a worker or employer knows of at most this many recruiters")
    search_prob: float = param(0.377, 0.0, 1.0, "per month",
                               "calibrated (results/calibration): share of idle workers looking abroad")
    worker_choice_scale: float = param(0.806, 0.0, 100.0, "1/months of wage",
                                       "calibrated (results/calibration): logit scale of worker choice")
    complaint_prob: float = param(0.4, 0.0, 1.0, "per abuse", "reasoning: chance an abused worker complains")
    collusion: float = param(0.8, 0.0, 1.0, "share",
                             "seed 001, III.A: workers collude to pay above caps; share who then stay silent")
    retaliation_prob: float = param(0.5, 0.0, 1.0, "per complaint",
                                    "seed 001, III.C: blacklisting, termination, deportation")
    blacklist_months: int = param(24, 0, 1200, "months", "reasoning: one contract length")
    early_termination_prob: float = param(0.004, 0.0, 1.0, "per month", "reasoning: ~10% of contracts end early")
    platform_memory: float = param(0.05, 0.0, 1.0, "weight of a month's reviews",
                                   "reasoning: ratings forget over about two years")
    # recruiter economics
    placement_cost: float = param(500.0, 0.0, 1e7, "USD per placement",
                                  "reasoning: documents, visa, medical, travel, about one month of wage")
    fixed_cost: float = param(1500.0, 0.0, 1e8, "USD/month", "reasoning: office and staff")
    min_margin: float = param(0.0, 0.0, 1e7, "USD per placement",
                              "reasoning: a floor on the emergent markup over unit cost less worker-fee "
                              "income (the markup itself comes from competition for job orders)")
    capacity: int = param(10, 1, 1_000_000, "placements/month", "reasoning: a small agency's throughput")
    initial_cash: float = param(30000.0, 0.0, 1e10, "USD", "reasoning: working capital")
    fee_adjust_rate: float = param(0.0344, 0.0, 1.0, "share per month",
                                   "calibrated (results/calibration): prices move slowly")
    price_adjust_step: float = param(20.0, 0.0, 1e6, "USD per month", "reasoning")
    deception_markup: float = param(0.25, 0.0, 10.0, "share above actual wage",
                                    "seed 001, III.A: workers misled about the job on offer")
    honesty_spread: float = param(0.5, 0.0, 5.0, "lognormal sigma",
                                  "reasoning: recruiters differ in how much risk they accept")
    review_prob: float = param(0.1, 0.0, 1.0, "per month",
                               "reasoning: recruiters review practices and business model about yearly")
    imitation_scale: float = param(2000.0, 1e-9, 1e9, "USD",
                                   "reasoning: the scale of the entry decision's logit noise on a would-be "
                                   "entrant's expected value (business models and practices are chosen on "
                                   "evidence of profit instead)")
    label_value_months: float = param(12.0, 0.0, 1200.0, "months of profit",
                                      "reasoning: the profit at stake for a recruiter: what it expects to "
                                      "lose with its label or licence, and the horizon of an entry decision")
    churn_bonus: float = param(300.0, 0.0, 1e7, "USD per replaced worker",
                               "seed 001, III.A: incentives to employers to replace workers early")
    churn_rate: float = param(0.05, 0.0, 1.0, "per month", "reasoning: share of a churning pair's workers replaced")
    # entry and exit
    entry_cost: float = param(20000.0, 0.0, 1e10, "USD", "reasoning: licence, bond and set-up (entry barrier)")
    max_entrants: int = param(2, 0, 1_000_000, "recruiters/month", "reasoning")
    exit_patience_months: int = param(12, 1, 1200, "months",
                                      "reasoning: a losing recruiter quits with chance 1/12 a month")
    # beliefs and business-model choice
    initial_deception_share: float = param(
        0.2, 0.0, 1.0, "share of starting recruiters",
        "reasoning: deception about the job is common (seed 001, III.A); drawn alike for every starting "
        "recruiter, whatever its business model; the burn-in lets imitation move it")
    initial_churn_share: float = param(
        0.1, 0.0, 1.0, "share of starting recruiters",
        "reasoning: churning deals exist but are not the rule (seed 001, III.A); drawn alike for every "
        "starting recruiter")
    initial_fill: float = param(0.9, 0.0, 1.0, "share of positions",
                                "reasoning: positions held by a worker abroad when the run starts, contracts "
                                "at every stage, so that contract ends do not come in waves")
    profit_memory: float = param(0.1, 0.01, 1.0, "weight of a month's profit",
                                 "reasoning: recruiters judge a business by about the last ten months; a "
                                 "recruiter's record counts for comparing business models after 1/profit_memory "
                                 "months in its model")
    planning_horizon_months: int = param(
        24, 1, 240, "months",
        "reasoning: a recruiter weighs a change of business model over about one contract cycle; a one-off "
        "cost is compared with this many months of the expected profit gap")
    switch_confidence: float = param(
        1.0, 0.0, 5.0, "standard errors",
        "reasoning: a recruiter switches only on a profit gap it can tell from noise: the observed part of "
        "the gap must exceed this many standard errors; the same for every label, real or placebo")
    profit_prior_weight: float = param(
        2.0, 0.1, 100.0, "recruiters",
        "reasoning: how many practitioners' books it takes before a recruiter trusts what they earn more than "
        "its own forward estimate from prices and costs")
    practice_review_prob: float = param(0.25, 0.0, 1.0, "per month",
                                        "reasoning: recruiters reconsider evading or cheating about quarterly")
    practice_experiment_prob: float = param(
        0.01, 0.0, 0.5, "per review",
        "reasoning: rare experiments with the other practice keep every practice in play")
    word_of_mouth_memory: float = param(
        0.1, 0.01, 1.0, "weight of a month's evidence",
        "reasoning: what people hear of a kind of recruiter fades over about ten months; also the memory of "
        "recruiters' beliefs about inspections")
    word_of_mouth_prior_weight: float = param(
        20.0, 0.0, 10_000.0, "placements",
        "reasoning: how many placements of evidence outweigh what people assumed before; the same for the "
        "label's record and the rest")
    # employers
    employer_choice_scale: float = param(0.00834, 1e-6, 100.0, "1/USD",
                                         "calibrated (results/calibration): cost-conscious employers "
                                         "(seed 001, III.C)")
    turnover_cost: float = param(
        200.0, 0.0, 1e7, "USD (mean)", "reasoning: employer's cost of replacing a worker; heterogeneous")
    # employers' value of debt-free workers
    debt_quit_effect: float = param(
        0.0, -1.0, 1.0, "change in the monthly early-exit chance at the credit limit, relative",
        "reasoning: indebted workers may abscond more (employers gain from debt-free workers) or be less able "
        "to quit (employers gain from debt); no source fixes the sign, so 0 by default and both signs in "
        "sensitivity analysis")
    # two-tier chain (informal sub-agents)
    subagent_share: float = param(0.5, 0.0, 1.0, "share of aspiring migrants",
                                  "reasoning: many migrants live where only informal village sub-agents reach "
                                  "(seed 001, III.C)")
    direct_sourcing_cost: float = param(150.0, 0.0, 5000.0, "USD per placement",
                                        "reasoning: what finding and screening a worker costs a recruiter "
                                        "without sub-agents")
    subagent_fee_months: float = param(1.0, 0.0, 6.0, "months of destination wage",
                                       "reasoning: no figure in the sources for the sub-agents' share (DATA.md "
                                       "lists it as missing); varied in sensitivity analysis")
    lower_tier_visibility: float = param(0.3, 0.0, 1.0, "share",
                                         "seed 001, III.C: audits and inspections examine the licensed tier "
                                         "first and rarely reach sub-agents")


@dataclass
class PolicyConfig:
    """The state's levers (seed 001 III.A and III.C; seed 002 section on recruitment costs)."""

    fee_cap_months: Optional[float] = param(
        None, 0.0, 1000.0, "months of destination wage", "null: no rule; 0: ban (ILO C181 art. 7)")
    inspection_rate: float = param(0.0, 0.0, 1.0, "per recruiter per month", "lever; 0 = no inspections")
    targeting: Targeting = param(Targeting.random, unit="random | complaints | risk", source="lever")
    detection_prob: float = param(0.5, 0.0, 1.0, "per violation inspected", "reasoning")
    lookback_months: int = param(12, 1, 1200, "months", "reasoning: records an inspection can examine")
    fine: float = param(1000.0, 0.0, 1e9, "USD per detected violation",
                        "seed 001, III.A: fines often too low to deter")
    revoke_after: int = param(3, 0, 1000, "strikes (0 = never)",
                              "reasoning: three strikes; a strike is a month in which an examination "
                              "(inspection, or a referral from the scheme) finds violations")
    joint_liability: bool = param(False, unit="bool", source="seed 001, III.A: proposed, rarely adopted")
    liability_share: float = param(1.0, 0.0, 10.0, "times the fine",
                                   "reasoning: the employer pays this multiple of the fine per violation, "
                                   "on top of the recruiter's fine")
    employer_ban: bool = param(
        False, unit="bool",
        source="seed 001, note 260 (the US federal contracting rule): the destination forbids employers to hire "
               "through recruiters that charge workers fees, and inspects employers (employer_inspection_rate); a "
               "destination lever, the same for every origin")
    employer_inspection_rate: float = param(
        0.05, 0.0, 1.0, "per employer per month",
        "reasoning: under employer_ban, the share of employers whose recent hires the destination examines a "
        "month (each hire's fee found with detection_prob)")
    employer_detection_prob: float = param(
        0.5, 0.0, 1.0, "per hire examined",
        "reasoning: under employer_ban, the chance the destination finds that an examined hire paid a fee "
        "(its own standard, whatever the origin's rule; as policy.detection_prob by default)")
    employer_fine: float = param(
        1000.0, 0.0, 1e9, "USD per hire found to have paid a fee",
        "reasoning: under employer_ban, what the employer pays per such hire (as policy.fine for recruiters)")
    audit_acceptance: bool = param(
        False, unit="bool",
        source="seed 001, III.D: states accept private audits as due diligence; under employer_ban, hires "
               "through a recruiter seen as certified are not fined")
    information_sharing: bool = param(
        False, unit="bool",
        source="seed 001, III.A (responsibility deflected across jurisdictions): the destination refers what "
               "its employer inspections find to the recruiter's origin regulator, which then examines it")
    capture: float = param(0.0, 0.0, 1.0, "strength",
                           "seed 001, III.A: industry influence weakens enforcement")
    anti_retaliation: float = param(0.0, 0.0, 1.0, "protection strength", "seed 001, III.C and III.E")
    enforcement: Enforcement = param(
        Enforcement.fixed, unit="fixed | endogenous",
        source="seed 001, III.D: enforcement follows politics; fixed = policy.inspection_rate every month "
               "(today's behaviour), endogenous = a budget moved by complaints and lobbying (S17)")
    budget_adjust: float = param(
        1 / 12, 0.01, 1.0, "share per month",
        "reasoning: the inspection budget moves a twelfth of the way to its target a month (a yearly budget "
        "cycle); endogenous enforcement only")
    pressure_reference: float = param(
        20.0, 0.01, 1000.0, "complaints reaching the state per 100 placements",
        "measured: the label-free no-rule baseline at fixed enforcement (19-20 per 100, 3 seeds); at this "
        "pressure the budget's target is the legislated inspection_rate")
    pressure_elasticity: float = param(
        0.5, 0.0, 3.0, "elasticity",
        "reasoning: the budget's target scales with (pressure / reference) to this power (floor 0.1, cap 10); "
        "0 = complaints move nothing")
    lobby_share: float = param(
        0.02, 0.0, 0.5, "share of positive monthly profit",
        "reasoning: what a recruiter with a stake in enforcement spends lobbying; the side it takes follows "
        "from the published enforcement record (S17), not from its business model")
    lobby_weight: float = param(
        1.0, 0.0, 20.0, "per unit of net lobbying over industry profit",
        "reasoning: the budget's target is multiplied by exp(lobby_weight x (spend for - spend against) / "
        "industry profit)")
    diversion: float = param(
        0.0, 0.0, 1.0, "share of the budget",
        "seed 001, III.D: the scheme's existence can divert the state's attention and budget from regulating "
        "(a scenario axis, 0 by default): the target falls by this share while certification is enabled, "
        "whoever holds the label")
    substitution: float = param(
        0.0, 0.0, 1.0, "share",
        "seed 001, III.D (a government paying for private audits instead of inspecting): the state accepts a "
        "label holder's audit report in place of this share of its inspections; those inspections are not "
        "done (a scenario axis, 0 by default)")
    label_inspection_weight: float = param(
        1.0, 0.0, 1.0, "weight",
        "reasoning: risk-based targeting's weight for a recruiter seen as certified, relative to one seen as "
        "unlabelled; 1 = the label earns no lighter inspection (no source for a discount; was 0.5)")
    public_capacity: int = param(0, 0, 10_000_000, "placements/month",
                                 "seed 002: public agencies; seed 001, II.B: IOM-Guatemala")
    public_mandate: float = param(0.0, 0.0, 1.0, "share of employers",
                                  "employers bound by a government-to-government agreement to use the "
                                  "public channel first (Korea EPS-like); 0: employers choose freely")
    public_fee_months: float = param(1.0, 0.0, 100.0, "months of destination wage",
                                     "reasoning: about one month (Korea EPS-like)")
    public_employer_fee: float = param(500.0, 0.0, 1e7, "USD per placement", "reasoning: covers placement cost")


@dataclass
class CertificationConfig:
    """The IRIS-like voluntary scheme (seed 001, III.B and III.C)."""

    enabled: bool = param(True, unit="bool", source="IRIS certification exists and is voluntary")
    placebo: Placebo = param(Placebo.off, unit="off | inert | signal",
                             source="control arms: off = the real label; inert = a costless label nobody "
                                    "notices; signal = a costless label without audits or obligations, "
                                    "perceived like the real one")
    initial_share: float = param(0.0, 0.0, 1.0, "share of recruiters certified at start",
                                 "seed 001, III.E with note 263: no recruiter listed as certified four years "
                                 "after launch; a scenario may start with pilot recruiters (note 264)")
    training_months: int = param(3, 0, 120, "months", "seed 001, III.B: capacity building before applying")
    training_cost: float = param(3000.0, 0.0, 1e8, "USD", "reasoning")
    audit_cost: float = param(5000.0, 0.0, 1e8, "USD per initial or recertification audit", "reasoning")
    surveillance_cost: float = param(2000.0, 0.0, 1e8, "USD per surveillance audit", "reasoning: lighter")
    surveillance_interval_months: int = param(6, 1, 120, "months", "seed 001, III.B: every six months")
    surveillance_period_months: int = param(24, 1, 1200, "months", "seed 001, III.B: for two years")
    recertified_interval_months: int = param(12, 1, 120, "months", "seed 001, III.B: then every twelve")
    announced: bool = param(True, unit="bool", source="seed 001, III.C: IRIS audits are announced")
    concealment: float = param(0.6, 0.0, 1.0, "share of abuse hidden when announced",
                               "seed 001, III.C: notice lets targets hide abuse")
    auditor_quality: float = param(0.7, 0.0, 1.0, "detection prob.", "reasoning")
    subcontract_share: float = param(0.5, 0.0, 1.0, "share of audits",
                                     "seed 001, III.C: subcontracting is not prohibited")
    subcontractor_quality: float = param(0.2, 0.0, 1.0, "detection prob.", "seed 001, III.C: Ali Enterprises")
    leniency: float = param(0.3, 0.0, 1.0, "prob. a finding is not reported",
                            "seed 001, III.C: competition among audit firms")
    confidential: bool = param(True, unit="bool", source="seed 001, III.C: reports belong to the recruiter")
    complaint_exhaustion: bool = param(True, unit="bool", source="seed 001, III.C: auditor first")
    exhaustion_months: int = param(6, 0, 1200, "months", "reasoning")
    auditor_dismiss_prob: float = param(0.5, 0.0, 1.0, "per complaint", "reasoning")
    worker_trust: float = param(0.5, 0.0, 1.0, "weight",
                                "reasoning: how far workers believe the label's claim (no fees, no "
                                "deception) before its holders' record speaks; with no trust they assume "
                                "label holders are like the rest until evidence comes in")
    exit_cost: float = param(0.0, 0.0, 1e8, "USD",
                             "reasoning: one-off cost of dropping the label (reputation, relabelling); 0 by "
                             "default, no source")
    gatekeeping: bool = param(False, unit="bool",
                              source="seed 001, III.C, note 293: social partners (worker associations, NGOs) "
                                     "vetting who is ethical, a role IRIS dropped; off as IRIS was launched")
    gatekeeper_quality: float = param(
        0.7, 0.0, 1.0, "detection prob.",
        "reasoning: chance that social partners, who talk to workers directly, find a wrong done to the "
        "workers they ask about (deception, fees at either tier)")


@dataclass
class SocietyConfig:
    """Levers held by workers' organisations and buyers."""

    platform_enabled: bool = param(False, unit="bool", source="seed 001, III.E: Recruitment Advisor")
    platform_uptake: float = param(0.2, 0.0, 1.0, "share of workers", "reasoning")
    brand_share: float = param(0.1, 0.0, 1.0, "share of employers",
                               "seed 001, III.B: Employer Pays pledges of large brands")
    brand_cost: float = param(1000.0, 0.0, 1e8, "USD per hire via a suspect recruiter",
                              "reasoning: expected reputational cost")
    brand_remediation: float = param(1.0, 0.0, 10.0, "share of the market fee",
                                     "seed 001, III.B notes: supplier codes require repaying fees found; "
                                     "enters committed employers' expected cost (no money moves)")
    employer_trust: float = param(
        0.5, 0.0, 1.0, "weight",
        "reasoning: how far employers believe the label's claim before its holders' record speaks; the "
        "same rule as certification.worker_trust (was fixed at full trust)")


@dataclass
class RunConfig:
    """How long to simulate and how to summarise."""

    steps: int = param(240, 0, 100_000, "months", "brief: 20 years")
    burn_in_months: int = param(192, 0, 100_000, "months",
                                "months simulated before outcomes count: the label-free baseline's fees, "
                                "placements and home debt trap settle within about 16 years (docs/VALIDATION.md, "
                                "'Steady state'); with the 48-month window this fills the 240-month default run")
    summary_window_months: int = param(48, 1, 100_000, "months",
                                       "headline = mean over the last 48 months: two 24-month contracts, "
                                       "a window of whole contract cycles")
    worker_agents: bool = param(True, unit="bool",
                                source="create Worker Mesa agents (views); off saves memory in huge runs")
    replications: int = param(1, 1, 100_000, "seeds per sweep job",
                              "sweeps only: a job runs seeds seed, seed+1, ..., each a run of its own; "
                              "batching spreads Hydra's per-job overhead (~80 ms); must be 1 in a single run")


#: What an origin country sets for its own workers' economy (``origins.NAME.market.KEY``); every other
#: market key is shared (the destination's jobs, recruiters' costs, behaviour).
ORIGIN_MARKET_KEYS = ("home_wage", "home_wage_spread", "savings_months", "interest_rate", "credit_limit_months",
                      "subagent_share")
#: What an origin's state sets for itself (``origins.NAME.policy.KEY``): its fee rule, its regulator and
#: the political process behind it, and its government-to-government channel. The other policy keys
#: are the destination's (joint liability, the employer ban, audit acceptance, information sharing,
#: anti-retaliation) or the records' (lookback), the same for every origin.
ORIGIN_POLICY_KEYS = ("fee_cap_months", "inspection_rate", "targeting", "detection_prob", "fine", "revoke_after",
                      "capture", "enforcement", "budget_adjust", "pressure_reference", "pressure_elasticity",
                      "lobby_share", "lobby_weight", "diversion", "substitution", "label_inspection_weight",
                      "public_capacity", "public_mandate", "public_fee_months", "public_employer_fee")


@dataclass
class OriginConfig:
    """One origin country of several sending workers to the same destination (docs/ODD.md, S18).

    Keys left out inherit the run's ``market`` and ``policy`` values.
    """

    share: Optional[float] = param(None, 0.0, 1.0, "share of workers and of recruiters",
                                   "lever: the origin's size; the shares of all origins sum to 1")
    market: Dict[str, Any] = field(default_factory=dict)
    policy: Dict[str, Any] = field(default_factory=dict)


@dataclass
class RecruitsimConfig:
    """The whole configuration of one run."""

    seed: int = param(0, 0, MAX_SEED, "integer", "replication; 0 is a valid seed; at most 2**32 - 1")
    market: MarketConfig = field(default_factory=MarketConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    certification: CertificationConfig = field(default_factory=CertificationConfig)
    society: SocietyConfig = field(default_factory=SocietyConfig)
    run: RunConfig = field(default_factory=RunConfig)
    # empty: one origin country (the market and policy above); otherwise two or more, by name, each an
    # OriginConfig (S18). Typed Any for Hydra, so that the command line can add an origin
    # (+origins.NAME.share=0.5); validate() turns each into an OriginConfig
    origins: Dict[str, Any] = field(default_factory=dict)
    scenario_name: str = "baseline"
    description: str = ""


class ConfigError(ValueError):
    """A config value outside its allowed range; the message names key, value and range."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid config value {key}={value!r}: allowed {allowed}")


def _allowed(meta: dict, kind: type) -> str:
    lo, hi = meta.get("lo", -INF), meta.get("hi", INF)
    name = "integer" if kind is int else "number"
    if hi == INF:
        return f"{name} >= {lo:g}"
    return f"{name} in [{lo:g}, {hi:g}]"


def _check(obj: Any, prefix: str) -> None:
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            _check(value, key + ".")
            continue
        meta = f.metadata
        if value is None or isinstance(value, (bool, str, Enum)) or "lo" not in meta:
            continue
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(key, value, _allowed(meta, type(value)))
        if not meta["lo"] <= value <= meta["hi"]:
            raise ConfigError(key, value, _allowed(meta, type(value)))


def validate(cfg: Any) -> RecruitsimConfig:
    """Turn a composed config into typed objects and range-check every value.

    Hydra checks keys and types when it composes; ranges are ours to check.
    Accepts an OmegaConf ``DictConfig`` or a :class:`RecruitsimConfig`.

    Raises:
        ConfigError: the first value outside its documented range.
    """
    if not isinstance(cfg, RecruitsimConfig):
        from omegaconf import OmegaConf

        cfg = OmegaConf.to_object(cfg)
    cfg.origins = {str(name): _origin(name, value) for name, value in (cfg.origins or {}).items()}
    _check(cfg, "")
    _check_cross_keys(cfg.policy, "policy.")
    _check_certification(cfg.certification)
    _check_origins(cfg)
    return cfg


#: Groups of keys whose values constrain each other (checked together in a sweep's pre-check).
CROSS_KEY_RULES = (("certification.surveillance_period_months", "certification.surveillance_interval_months"),
                   ("policy.enforcement", "policy.capture"))


def _check_cross_keys(policy: PolicyConfig, prefix: str) -> None:
    """Policy values that are each allowed but not together."""
    if policy.enforcement == Enforcement.endogenous and policy.capture > 0:
        raise ConfigError(f"{prefix}capture", policy.capture,
                          f"0 with {prefix}enforcement=endogenous (lobbying is industry influence there; "
                          "capture would count it twice)")


def _check_certification(cert: CertificationConfig) -> None:
    if cert.surveillance_period_months < cert.surveillance_interval_months:
        raise ConfigError("certification.surveillance_period_months", cert.surveillance_period_months,
                          f">= certification.surveillance_interval_months ({cert.surveillance_interval_months})")


def origin_configs(cfg: RecruitsimConfig) -> list[tuple[str, float, MarketConfig, PolicyConfig]]:
    """Each origin's name, share, and the market and policy it runs under (its own keys over the shared ones).

    No origins configured: one origin, named ``""``, with the run's market and policy.

    Raises:
        ConfigError: an origin key that is not one an origin sets (naming the key and the allowed ones),
            or a value of the wrong type or outside its range.
    """
    if not cfg.origins:
        return [("", 1.0, cfg.market, cfg.policy)]
    resolved = []
    for name, origin in cfg.origins.items():
        share = origin.share if origin.share is not None else float("nan")
        market = _with_origin_keys(cfg.market, origin.market, ORIGIN_MARKET_KEYS, f"origins.{name}.market.")
        policy = _with_origin_keys(cfg.policy, origin.policy, ORIGIN_POLICY_KEYS, f"origins.{name}.policy.")
        resolved.append((str(name), share, market, policy))
    return resolved


def _origin(name: str, value: Any) -> OriginConfig:
    """An origin as given (an OriginConfig, or a mapping from YAML or the command line), typed."""
    if isinstance(value, OriginConfig):
        return value
    if not isinstance(value, dict):
        raise ConfigError(f"origins.{name}", value, "a mapping with share, market and policy")
    unknown = set(value) - {"share", "market", "policy"}
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(f"origins.{name}.{key}", value[key], "share, market or policy")
    for section in ("market", "policy"):
        if not isinstance(value.get(section) or {}, dict):
            raise ConfigError(f"origins.{name}.{section}", value[section], "a mapping of keys an origin sets")
    share = value.get("share")
    if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float))):
        raise ConfigError(f"origins.{name}.share", share, "a number in (0, 1]")
    return OriginConfig(None if share is None else float(share), dict(value.get("market") or {}),
                        dict(value.get("policy") or {}))


def _with_origin_keys(shared: Any, own: dict, allowed: tuple, prefix: str) -> Any:
    """The shared section with an origin's own values, each type-coerced and range-checked."""
    values = {}
    fields = {f.name: f for f in dataclasses.fields(shared)}
    for key, value in (own or {}).items():
        if key not in allowed:
            where = "a key an origin sets: " + ", ".join(allowed)
            if key in fields:
                where += f" ({prefix.split('.')[-2]}.{key} is the same for every origin: set it once)"
            raise ConfigError(f"{prefix}{key}", value, where)
        values[key] = _coerce(fields[key], value, f"{prefix}{key}")
    section = dataclasses.replace(shared, **values)
    for key in values:
        f = fields[key]
        value = getattr(section, key)
        if value is None or isinstance(value, (bool, str, Enum)):
            continue
        if not math.isfinite(value) or not f.metadata["lo"] <= value <= f.metadata["hi"]:
            raise ConfigError(f"{prefix}{key}", value, _allowed(f.metadata, type(value)))
    return section


def _coerce(f: dataclasses.Field, value: Any, key: str) -> Any:
    """An origin's value (from YAML or the command line, untyped) as the schema's field type."""
    default = f.default
    if isinstance(default, Enum):
        try:
            return type(default)(value)
        except ValueError:
            raise ConfigError(key, value, " | ".join(e.value for e in type(default))) from None
    if value is None:
        if f.name == "fee_cap_months":
            return None
        raise ConfigError(key, value, _allowed(f.metadata, type(default)))
    if isinstance(default, bool) or isinstance(value, bool):
        raise ConfigError(key, value, _allowed(f.metadata, type(default)))
    if isinstance(default, int) and f.name != "fee_cap_months":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise ConfigError(key, value, _allowed(f.metadata, int))
        return value
    if not isinstance(value, (int, float)):
        raise ConfigError(key, value, _allowed(f.metadata, float))
    return float(value)


def _check_origins(cfg: RecruitsimConfig) -> None:
    """Two or more origins, each with a share and workers, shares summing to 1, their own keys valid."""
    if not cfg.origins:
        return
    names = list(cfg.origins)
    if len(names) < 2:
        raise ConfigError(f"origins.{names[0]}", "one origin",
                          "two or more origins (one origin is the plain market and policy: leave origins empty)")
    total = 0.0
    mandate = 0.0
    for name, share, _, policy in origin_configs(cfg):
        if not share > 0:
            raise ConfigError(f"origins.{name}.share", cfg.origins[name].share,
                              "a share in (0, 1] for every origin (is this a rule for an origin that is not "
                              "defined? define it with its share)")
        if round(share * cfg.market.n_workers) == 0 and cfg.market.n_workers > 0:
            raise ConfigError(f"origins.{name}.share", share,
                              f"a share that gives the origin workers (market.n_workers={cfg.market.n_workers})")
        _check_cross_keys(policy, f"origins.{name}.policy.")
        total += share
        mandate += policy.public_mandate
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(f"origins.{names[-1]}.share", cfg.origins[names[-1]].share,
                          f"shares that sum to 1 (they sum to {total:g})")
    if mandate > 1.0 + 1e-9:
        raise ConfigError(f"origins.{names[-1]}.policy.public_mandate", mandate,
                          "mandates that sum to at most 1 over the origins (a share of employers each)")


def build_config(overrides: dict[str, Any] | None = None) -> RecruitsimConfig:
    """A validated config from the schema defaults plus dotted-key overrides.

    For scripts and tests that do not go through Hydra, e.g.
    ``build_config({"seed": 3, "policy.fee_cap_months": 0})``. Unknown keys
    raise :class:`ConfigError`.
    """
    cfg = RecruitsimConfig()
    for key, value in (overrides or {}).items():
        if key.startswith("origins."):  # origins.NAME.share, origins.NAME.market.KEY, origins.NAME.policy.KEY
            _set_origin_key(cfg, key, value)
            continue
        *path, last = key.split(".")
        node = cfg
        for part in path:
            node = getattr(node, part, None)
        if node is None or not dataclasses.is_dataclass(node) or last not in {f.name for f in dataclasses.fields(node)}:
            raise ConfigError(key, value, "a key of the schema in sim/config/schema.py")
        if last == "targeting":
            value = Targeting(value)
        elif last == "placebo":
            value = Placebo(value)
        elif last == "enforcement":
            value = Enforcement(value)
        setattr(node, last, value)
    return validate(cfg)


def _set_origin_key(cfg: RecruitsimConfig, key: str, value: Any) -> None:
    parts = key.split(".")
    if len(parts) == 3 and parts[2] == "share":
        cfg.origins.setdefault(parts[1], OriginConfig()).share = value
    elif len(parts) == 4 and parts[2] in ("market", "policy"):
        getattr(cfg.origins.setdefault(parts[1], OriginConfig()), parts[2])[parts[3]] = value
    else:
        raise ConfigError(key, value, "origins.NAME.share, origins.NAME.market.KEY or origins.NAME.policy.KEY")


def register_configs() -> None:
    """Register the schemas with Hydra's ConfigStore so YAML files are type-checked."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="recruitsim_schema", node=RecruitsimConfig)
    cs.store(group="market", name="market_schema", node=MarketConfig)
    cs.store(group="policy", name="policy_schema", node=PolicyConfig)
    cs.store(group="certification", name="certification_schema", node=CertificationConfig)
    cs.store(group="society", name="society_schema", node=SocietyConfig)
    cs.store(group="run", name="run_schema", node=RunConfig)
