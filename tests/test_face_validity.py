"""Face-validity relations: behaviour a real recruitment market obeys, checked over seeds.

tests/test_levers.py checks that each policy lever moves its own outcome in
the expected direction. The relations here are of a different kind: how
fees answer the market's fundamentals (scarcity of jobs, the wage gap),
bounds no fee can cross (what the job is worth to the worker), the
worker's participation constraint, the limiting cases of two levers (a
full public mandate, no certification scheme), and credit. docs/VALIDATION.md
cites them by test name.

Every comparison is between worlds that differ only in the named setting,
run over the same seeds (SEEDS), each outcome averaged over the last WINDOW
months of a STEPS-month run, then over seeds; never a single run. Thresholds
leave a margin below what was measured; the measured numbers (seeds 0-3,
months 145-180, unless a comment says otherwise) sit beside each threshold.
"""

from __future__ import annotations

import functools
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from sim.config import RecruitsimConfig, build_config
from sim.model import RecruitmentModel, recruiters, workers
from sim.runs.simulate import simulate

SEEDS = range(4)
STEPS = 180
WINDOW = 36

# a fee ban that bites: risk-targeted inspections that find most violations, fines far above the gain
ENFORCED_BAN = {"policy.fee_cap_months": 0.0, "policy.targeting": "risk", "policy.detection_prob": 0.7,
                "policy.fine": 20000.0}
# a Korea EPS-like world: a public channel at 0.6 months' wage, a rich destination, a wide wage gap
KOREA = {"policy.public_capacity": 300, "policy.public_fee_months": 0.6, "market.dest_wage": 1500.0,
         "market.home_wage": 250.0}


@functools.lru_cache(maxsize=None)
def _runs(items: tuple) -> tuple[pd.DataFrame, ...]:
    overrides = dict(items)
    return tuple(simulate(build_config({"seed": seed, "run.steps": STEPS, **overrides})).timeseries
                 for seed in SEEDS)


def runs(overrides: dict) -> tuple[pd.DataFrame, ...]:
    """The monthly outcomes of one run per seed in SEEDS (each world is run once per test session)."""
    return _runs(tuple(sorted(overrides.items())))


def outcome(overrides: dict, name: str, window: int = WINDOW) -> float:
    """Mean of ``name`` over the last ``window`` months, averaged over SEEDS (NaN months left out)."""
    per_seed = [np.nanmean(ts[name].tail(window).to_numpy(dtype=float)) for ts in runs(overrides)]
    return float(np.nanmean(per_seed))


# --- 1. enforcement ---------------------------------------------------------------------------------------


def test_more_inspections_under_an_enforced_ban_never_raise_fees():
    """Under a well-enforced ban, more inspections never raise the fee paid, and evasion falls.

    Each inspection raises the chance an illegal fee is found and fined
    ($20,000, far above any fee), so a recruiter weighing gain against
    expected penalty can only evade less as inspections grow; fewer evaders
    cannot mean higher fees. Once evasion is deterred (inspection rate 0.1)
    fees and evasion sit at a floor kept up by recruiters' rare experiments
    (1% of strategy reviews), so steps beyond it are compared with a small
    tolerance rather than asked to fall further.
    """
    rates = (0.02, 0.1, 0.3)
    fees = [outcome(ENFORCED_BAN | {"policy.inspection_rate": rate}, "mean_fee_months") for rate in rates]
    evading = [outcome(ENFORCED_BAN | {"policy.inspection_rate": rate}, "evading_share") for rate in rates]
    # measured: fees 6.568, 0.027, 0.032 months; evading 0.640, 0.0042, 0.0035
    # (8 seeds: fees 6.642, 0.022, 0.046; evading 0.630, 0.0028, 0.0043: the floor is noise)
    for lower, higher in pairwise(fees):
        assert higher <= lower + 0.1, fees
    for lower, higher in pairwise(evading):
        assert higher <= lower + 0.01, evading
    assert evading[-1] < evading[0] - 0.3, evading
    assert fees[-1] < 0.1 * fees[0], fees


# --- 2-3. the market's fundamentals ---------------------------------------------------------------------


def test_scarcer_jobs_mean_higher_fees():
    """With fewer jobs per worker, more applicants compete for each slot and recruiters raise fees.

    Fees are a rent on access to scarce jobs (seed 001, III.A): with no fee
    rule, recruiters price by excess demand, so the fee falls as jobs per
    employer rise from 10 to 20 to 40 (1,000, 2,000, 4,000 jobs for 5,000
    workers).
    """
    fees = [outcome({"market.jobs_per_employer": jobs}, "mean_fee_months") for jobs in (10, 20, 40)]
    # measured: 10.37, 8.68, 0.20 months (8 seeds: 10.28, 8.73, 0.19)
    assert fees[0] > fees[1] + 0.5, fees
    assert fees[1] > fees[2] + 3.0, fees


def test_a_smaller_wage_gap_means_lower_fees():
    """The fee a worker accepts is bounded by what going abroad gains over staying home.

    A higher home wage shrinks that gain, so fewer workers find a given fee
    worth paying; with no fee rule, demand falls and fees with it
    ($100, $150, $250 home wage against $480 abroad).
    """
    fees = [outcome({"market.home_wage": wage}, "mean_fee_months") for wage in (100.0, 150.0, 250.0)]
    # measured with the second version's market: 9.79, 9.40, 6.72 months (4 seeds): the first step is
    # now small, so only its direction is asserted
    assert fees[0] > fees[1], fees
    assert fees[1] > fees[2] + 1.5, fees


# --- 4. a bound no fee crosses -------------------------------------------------------------------------


def worth_to_worker_months(cfg: RecruitsimConfig) -> float:
    """The most a typical worker could expect to gain from a contract, in months of destination wage.

    Net earnings over the contract at the most optimistic promised wage
    (actual wage times 1 + the deception markup), less the home wage forgone.
    """
    m = cfg.market
    return m.contract_months * ((1 + m.deception_markup) * (1 - m.living_cost_share) - m.home_wage / m.dest_wage)


@pytest.mark.parametrize("home_wage", [150.0, 225.0], ids=["default", "home_wage_x1.5"])
def test_fees_stay_within_what_the_job_is_worth(home_wage):
    """In no month does the 90th-percentile fee exceed what the contract is worth to the worker.

    A worker pays a fee only if going abroad still pays after it; no
    recruiter can charge more than the whole gain, however scarce the jobs.
    The bound is computed from the config (24 x (1.25 x 0.7 - home/480)):
    13.5 months at the default $150 home wage, 9.75 at 1.5 times it.
    """
    overrides = {"market.home_wage": home_wage}
    bound = worth_to_worker_months(build_config(overrides))
    for seed, ts in zip(SEEDS, runs(overrides)):
        p90 = ts["p90_fee_months"].dropna()
        assert len(p90) > 0.9 * STEPS
        assert (p90 <= bound).all(), (seed, bound, p90[p90 > bound].head().to_dict())
    # measured, highest monthly p90 of seeds 0-3: 10.87 vs 13.5 (default), 8.20 vs 9.75 (x1.5);
    # of 8 seeds: 10.87 and 8.46;
    # the peaks come in months 20-45 as the market settles, not at the end


# --- 5. the participation constraint (unit level) -------------------------------------------------------


def stepped_model(seed: int, **overrides) -> RecruitmentModel:
    """A model six months into its run (job orders, placement chances and prices all set)."""
    model = RecruitmentModel(build_config({"seed": seed, **overrides}))
    model.run_model(6)
    return model


def uniform_offer(model: RecruitmentModel, fee_months: float) -> dict:
    """This month's offers to workers with every recruiter's fee set to ``fee_months`` (no hidden fees)."""
    offer = dict(recruiters.offers_to_workers(model))
    offer["fee_months"] = np.full(len(offer["rows"]), fee_months)
    offer["hidden_months"] = 0.0
    return offer


@pytest.mark.parametrize("seed", range(3))
def test_nobody_applies_when_no_contract_pays(seed):
    """A worker stays home when every recruiter's fee exceeds the contract's whole net earnings.

    Fees are set in the recruiters' own arrays (the scheme is off, so every
    recruiter charges its asking fee) to 100 months' wage, far above the
    24 x 0.7 = 16.8 months a contract nets even as promised. The searchers
    are given ample savings so that no lender's refusal, only the
    participation constraint, keeps them home.
    """
    # no sub-agents: their own fee would come on top of the recruiters' (the chain is tested elsewhere)
    model = stepped_model(seed, **{"certification.enabled": False, "market.subagent_share": 0.0})
    searchers = workers.find_searchers(model)
    assert len(searchers) > 500
    w = model.workers
    w.savings[searchers] = 1e12
    w.debt[searchers] = 0.0
    r = model.recruiters
    r.fee_months[: r.n] = 100.0
    offer = recruiters.offers_to_workers(model)
    assert len(offer["rows"]) > 10 and (offer["fee_months"] == 100.0).all()
    choice = workers.choose_recruiters(model, searchers, offer)
    assert (choice == -1).all()

    # with fees near zero, going abroad pays and almost everyone applies (measured: 98.7-99.1%)
    r.fee_months[: r.n] = 0.0
    choice = workers.choose_recruiters(model, searchers, recruiters.offers_to_workers(model))
    assert (choice >= 0).mean() > 0.9


@pytest.mark.parametrize("seed", range(3))
def test_the_participation_constraint_is_sharp_at_break_even(seed):
    """Applications stop where the expected gain turns negative, not where logit noise fades.

    Searchers here earn $1 a month at home and need not borrow, so a
    contract gains 24 x 0.7 = 16.8 months of (promised) wage less the fee.
    At a fee of 16 months the gain is small but positive and nearly all
    apply (measured: 96.5-97.7%); at 17 months it is small but negative, a
    difference logit noise alone would barely notice, and nobody applies.
    """
    model = stepped_model(seed)
    searchers = workers.find_searchers(model)
    w = model.workers
    w.savings[searchers] = 1e12
    w.debt[searchers] = 0.0
    w.home_wage[searchers] = 1.0
    below = workers.choose_recruiters(model, searchers, uniform_offer(model, 16.0))
    above = workers.choose_recruiters(model, searchers, uniform_offer(model, 17.0))
    assert (below >= 0).mean() > 0.9
    assert (above == -1).all()


# --- 6. a public channel with a mandate ---------------------------------------------------------------


def test_fees_rise_as_the_public_mandate_weakens():
    """The fewer employers bound to the public channel, the more workers go through private recruiters.

    In a Korea EPS-like world the public channel charges 0.6 months; every
    employer released from the mandate can take a private recruiter's
    kickback instead, and the workers it hires pay the market fee.
    """
    fees = [outcome(KOREA | {"policy.public_mandate": mandate}, "mean_fee_months") for mandate in (1.0, 0.9, 0.8)]
    # measured with the second version's market (recruiters opening at their target price): 0.60,
    # 1.14, 1.85 months; before it: 0.600, 0.873, 2.88 (8 seeds at 0.9: 1.23); per seed, mandate 0.9 is sometimes
    # 0.6 exactly (seed 1), so only the seed mean is compared. At 0.95 the few free employers rarely keep
    # any private recruiter in business (5 of 8 seeds end with none since issue 11's price rule, 3 of
    # seeds 0-3 before it; 8-seed mean now 0.77): too thin a margin to test.
    assert fees[0] < fees[1] - 0.1, fees
    assert fees[1] < fees[2] - 0.5, fees


def test_a_full_mandate_makes_every_placement_public_at_the_public_fee():
    """With public_mandate 1.0 the mean fee equals the public fee (0.6 months) and public_share is 1.

    Checked in every month after the first 36 (the incumbents' contracts
    have ended by then), for every seed. Two leaks used to break it: bound
    employers took churning recruiters' replacement deals (now refused, see
    sim.model.employers.accepts_churn) and a capacity of 150 a month was exceeded
    when contracts ended in bunches (KOREA now has 300, as the corridor does).
    """
    for ts in runs(KOREA | {"policy.public_mandate": 1.0}):
        late = ts[ts["step"] > 36].dropna(subset=["mean_fee_months"])
        assert (late["public_share"] == 1.0).all()
        assert np.allclose(late["mean_fee_months"], 0.6, rtol=0.0, atol=1e-6)


# --- 7. no certification scheme -------------------------------------------------------------------------


def test_without_the_scheme_nobody_is_certified():
    """With certification disabled there is no label to hold: no certified recruiters, no certified placements.

    A limiting case: business-model switches and entry must not create
    certified recruiters when the scheme does not exist. Checked in every month.
    """
    for ts in runs({"certification.enabled": False}):
        assert ts["placements"].gt(0).all()  # certified_share is defined in every month
        assert (ts["certified_share"] == 0.0).all()
        assert (ts["n_certified"] == 0).all()
        assert (ts["placements_certified"] == 0).all()
        assert (ts["n_training"] == 0).all()


# --- 8. credit ------------------------------------------------------------------------------------------


def test_dearer_credit_does_not_lower_debt():
    """At 6% a month, workers end up in debt and in debt bondage at least as often as at 1%.

    Interest makes the same loan grow faster than a contract can repay it,
    so more debtors owe more than their remaining net earnings (bondage)
    and debts last longer (more workers owe money at any time). Dearer
    credit also deters some borrowing (fees fall, 9.2 to 8.2 months, and
    the share of new migrants who borrowed falls, 0.89 to 0.66), but not
    enough to lower either measure of debt.
    """
    cheap, dear = {"market.interest_rate": 0.01}, {"market.interest_rate": 0.06}
    # measured: debt_bondage_share 0.0003 vs 0.0108 (8 seeds: 0.0006 vs 0.0144)
    assert outcome(dear, "debt_bondage_share") > outcome(cheap, "debt_bondage_share") + 0.005
    # measured: workers_in_debt_share 0.230 vs 0.276 (8 seeds: 0.242 vs 0.285)
    assert outcome(dear, "workers_in_debt_share") > outcome(cheap, "workers_in_debt_share") + 0.02
