"""Each policy lever moves its outcome in the expected direction, averaged over seeds.

These are the model's face-validity checks: if one fails after a change,
either the change broke a mechanism or the mechanism's direction now
depends on parameters, and docs/ODD.md must say so. Each compares two
worlds that differ only in the lever, over the same seeds, on the mean of
the last three years of a fifteen-year run.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import build_config
from sim.model import RecruitmentModel

SEEDS = range(4)
STEPS = 180
WINDOW = 36
ENFORCED_BAN = {"policy.fee_cap_months": 0.0, "policy.inspection_rate": 0.2, "policy.detection_prob": 0.7,
                "policy.fine": 20000.0}
WEAK_BAN = {"policy.fee_cap_months": 0.0, "policy.inspection_rate": 0.02, "policy.fine": 500.0}


def outcome(overrides: dict, name: str, window: int | None = WINDOW, seeds=SEEDS) -> float:
    """Mean of ``name`` over the last ``window`` months (None: the whole run), averaged over ``seeds``.

    Months where the outcome is undefined (NaN: e.g. no certified recruiter
    to take a share of) are left out.
    """
    values = []
    for seed in seeds:
        model = RecruitmentModel(build_config({"seed": seed, "run.steps": STEPS, **overrides}))
        model.run_model()
        series = model.timeseries()[name]
        if window is not None:
            series = series.tail(window)
        values.append(np.nanmean(series.to_numpy(dtype=float)))
    return float(np.nanmean(values))


def test_a_well_enforced_ban_lowers_fees():
    """Inspections that find violations and fines above the gain make charging workers unprofitable."""
    assert outcome(ENFORCED_BAN, "mean_fee_months") < 0.5 * outcome({}, "mean_fee_months")


def test_a_ban_on_paper_lowers_fees_less_than_an_enforced_one():
    """Rare inspections and low fines leave evasion profitable (fines too low to deter)."""
    weak = outcome(WEAK_BAN, "mean_fee_months")
    assert outcome(ENFORCED_BAN, "mean_fee_months") < weak
    assert outcome(WEAK_BAN, "evading_share") > 0.3


@pytest.mark.parametrize("lever,low,high", [
    ("policy.inspection_rate", 0.01, 0.3),
    ("policy.fine", 200.0, 50000.0),
])
def test_stronger_enforcement_of_a_ban_means_less_evasion(lever, low, high):
    """More inspections or bigger fines raise the expected penalty recruiters weigh."""
    base = {"policy.fee_cap_months": 0.0, "policy.inspection_rate": 0.1, "policy.fine": 5000.0}
    weak = outcome(base | {lever: low}, "evading_share")
    strong = outcome(base | {lever: high}, "evading_share")
    assert strong < weak


def test_joint_liability_raises_employers_use_of_certified_recruiters():
    """Employers who share fines for their recruiters' violations avoid recruiters with a worse record.

    Ten seeds, not four: with joint liability the market tips one way or the
    other (certified share 0.01-0.02 in two of ten seeds, 0.88-0.93 in four),
    so a few seeds can point either way. Measured: 0.54 with liability
    against 0.40 without (months 145-180, seeds 0-9).
    """
    seeds = range(10)
    with_liability = outcome(ENFORCED_BAN | {"policy.joint_liability": True}, "certified_share", seeds=seeds)
    assert with_liability > outcome(ENFORCED_BAN, "certified_share", seeds=seeds) + 0.07


def test_capture_weakens_enforcement_and_fees_come_back():
    """Industry influence cuts inspections and fines, so evasion under a ban pays again.

    The setting is one where enforcement deters most evasion when it is free
    of capture (10% inspections, $5,000 fines); where it barely deters
    anyway, capture has little left to weaken.
    """
    captured = ENFORCED_BAN | {"policy.capture": 1.0, "policy.inspection_rate": 0.1, "policy.fine": 5000.0}
    free = ENFORCED_BAN | {"policy.inspection_rate": 0.1, "policy.fine": 5000.0}
    assert outcome(captured, "mean_fee_months") > outcome(free, "mean_fee_months")


def test_a_public_channel_takes_placements_and_lowers_fees():
    """A low-fee public channel that employers are bound to use serves workers at about a month's wage."""
    public = {"policy.public_capacity": 30, "policy.public_mandate": 0.5}
    assert outcome(public, "public_share") > 0.1
    assert outcome(public, "mean_fee_months") < outcome({}, "mean_fee_months")


def test_an_optional_public_channel_loses_the_market_to_kickbacks():
    """Without a mandate, employers take private recruiters' kickbacks over the public fee
    (the IOM-Guatemala programme lost its market to a private firm, seed 001, II.B)."""
    optional = outcome({"policy.public_capacity": 30}, "public_share")
    bound = outcome({"policy.public_capacity": 30, "policy.public_mandate": 0.5}, "public_share")
    assert optional < bound


def test_anti_retaliation_protection_means_more_complaints_and_fewer_punished():
    """Workers complain more when complaining is safe (seed 001, III.C)."""
    protected = outcome(WEAK_BAN | {"policy.anti_retaliation": 1.0}, "complaints")
    exposed = outcome(WEAK_BAN, "complaints")
    assert protected > exposed
    assert outcome(WEAK_BAN | {"policy.anti_retaliation": 1.0}, "retaliations") == 0


def test_stricter_audits_mean_less_cheating_by_certified_recruiters():
    """Unannounced audits by good auditors who report what they find make hidden fees riskier.

    Measured over the whole run: strict audits also thin out the certified
    recruiters (cheaters lose the label), so late months may have none. In
    a world where the label pays (most employers committed to Employer
    Pays), so that there are label holders to deter: with no rule and no
    such employers the label barely exists and its few holders say little.
    """
    label_pays = {"society.brand_share": 0.9, "society.brand_cost": 3000.0}
    strict = {"certification.announced": False, "certification.subcontract_share": 0.0,
              "certification.leniency": 0.0, "certification.auditor_quality": 0.95}
    assert (outcome(label_pays | strict, "cheating_share", window=None)
            < outcome(label_pays, "cheating_share", window=None))


def test_brand_pressure_raises_the_certified_share():
    """Employers with Employer Pays commitments pay a price for suspect recruiters."""
    brands = {"society.brand_share": 1.0, "society.brand_cost": 8000.0}
    assert outcome(brands, "certified_share") > outcome({}, "certified_share")
