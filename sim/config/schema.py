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
from typing import Any, Optional

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


@dataclass
class RecruitsimConfig:
    """The whole configuration of one run."""

    seed: int = param(0, 0, MAX_SEED, "integer", "replication; 0 is a valid seed; at most 2**32 - 1")
    market: MarketConfig = field(default_factory=MarketConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    certification: CertificationConfig = field(default_factory=CertificationConfig)
    society: SocietyConfig = field(default_factory=SocietyConfig)
    run: RunConfig = field(default_factory=RunConfig)
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
    _check(cfg, "")
    _check_cross_keys(cfg)
    return cfg


#: Groups of keys whose values constrain each other (checked together in a sweep's pre-check).
CROSS_KEY_RULES = (("certification.surveillance_period_months", "certification.surveillance_interval_months"),
                   ("policy.enforcement", "policy.capture"))


def _check_cross_keys(cfg: RecruitsimConfig) -> None:
    """Values that are each allowed but not together."""
    cert = cfg.certification
    if cfg.policy.enforcement == Enforcement.endogenous and cfg.policy.capture > 0:
        raise ConfigError("policy.capture", cfg.policy.capture,
                          "0 with policy.enforcement=endogenous (lobbying is industry influence there; "
                          "capture would count it twice)")
    if cert.surveillance_period_months < cert.surveillance_interval_months:
        raise ConfigError("certification.surveillance_period_months", cert.surveillance_period_months,
                          f">= certification.surveillance_interval_months ({cert.surveillance_interval_months})")


def build_config(overrides: dict[str, Any] | None = None) -> RecruitsimConfig:
    """A validated config from the schema defaults plus dotted-key overrides.

    For scripts and tests that do not go through Hydra, e.g.
    ``build_config({"seed": 3, "policy.fee_cap_months": 0})``. Unknown keys
    raise :class:`ConfigError`.
    """
    cfg = RecruitsimConfig()
    for key, value in (overrides or {}).items():
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
