"""Rent division that emerges: employer prices, kickbacks and their pass-through, and workers quitting.

Issue 11, item 3. Employer prices move toward break-even (unit cost less
worker-fee income) plus the Nash-Bertrand markup of a logit demand,
``1 / (beta (1 - s))``, and rise with the overload when orders exceed
capacity. How much of a worker's fee reaches employers as a kickback
(``fee_pass_through``) is an outcome: it falls where employers compare
prices less sharply (a small ``beta``) and where few recruiters share the
orders. ``market.debt_quit_effect`` makes workers quit with a chance tied
to their own debt; off (0) it draws nothing.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_kernels import SMALL

from sim.config import build_config
from sim.model import RecruitmentModel, recruiters
from sim.model.recruiters import (
    FEE_CHARGING,
    HOLDS_LABEL,
    MAX_ORDER_SHARE,
    PUBLIC_ROW,
    charged_months,
)

#: Outcomes added with issue 11's pricing and quits (not in the runs recorded before it)
NEW_OUTCOMES = ("fee_pass_through", "kickback_per_hire", "worker_quits")
SEEDS = (0, 1, 2)


def run(overrides: dict) -> RecruitmentModel:
    model = RecruitmentModel(build_config(overrides))
    model.run_model()
    return model


def fixed_floor_break_even_price(model: RecruitmentModel, rows: np.ndarray) -> np.ndarray:
    """Break-even plus ``min_margin``, in numpy: unit cost (label holders' audits included) less the
    worker-fee income per placement."""
    r = model.recruiters
    m = model.config.market
    c = model.config.certification
    open_fee, hidden = charged_months(model)
    fee_income = (open_fee[rows] + hidden[rows]) * r.order_wage[rows]
    unit_cost = m.placement_cost + m.fixed_cost / np.maximum(r.capacity[rows], 1)
    audits_per_month = np.where(r.cert_stage[rows] == HOLDS_LABEL,
                                c.surveillance_cost / c.surveillance_interval_months, 0.0)
    return unit_cost + m.min_margin + audits_per_month / np.maximum(r.capacity[rows], 1) - fee_income


# --- the target price -----------------------------------------------------------------------------


def test_the_markup_grows_with_the_order_share_and_respects_its_floor_and_cap():
    """Target = break-even + max(1 / (beta (1 - s)), min_margin), s = the share of private orders
    (the public channel's excluded), capped at MAX_ORDER_SHARE; with no orders s = 0."""
    model = RecruitmentModel(build_config(SMALL | {"seed": 1, "policy.public_capacity": 20}))
    model.run_model(3)
    r, m = model.recruiters, model.config.market
    rows = r.private_active()
    beta = m.employer_choice_scale
    break_even = fixed_floor_break_even_price(model, rows) - m.min_margin  # min_margin is 0 by default

    r.orders[: r.n] = 0
    np.testing.assert_allclose(recruiters.break_even_price(model, rows), break_even + 1 / beta)

    r.orders[PUBLIC_ROW] = 1000  # not a private recruiter's order: shares unchanged
    r.orders[rows] = 0
    r.orders[rows[:2]] = (3, 1)  # shares 3/4 and 1/4
    target = recruiters.break_even_price(model, rows)
    np.testing.assert_allclose(target[:2] - break_even[:2], [1 / (beta * 0.25), 1 / (beta * 0.75)])
    np.testing.assert_allclose(target[2:] - break_even[2:], 1 / beta)

    r.orders[rows] = 0
    r.orders[rows[0]] = 5  # all the orders: share capped
    assert recruiters.break_even_price(model, rows)[0] - break_even[0] == pytest.approx(
        1 / (beta * (1 - MAX_ORDER_SHARE)))

    model.config.market.min_margin = 500.0  # a floor above the markup of a small share binds
    target = recruiters.break_even_price(model, rows)
    np.testing.assert_allclose(target[1:] - break_even[1:], 500.0)
    assert target[0] - break_even[0] == pytest.approx(1 / (beta * (1 - MAX_ORDER_SHARE)))


def test_prices_move_part_way_to_the_target_from_below_and_above():
    """Without overload a price moves the share ``fee_adjust_rate`` of the way to its target, from
    either side: no jump up to a floor (the old rule)."""
    model = RecruitmentModel(build_config(SMALL | {"seed": 2}))
    model.run_model(3)
    r, m = model.recruiters, model.config.market
    rows = r.private_active()
    r.orders[: r.n] = 0
    r.orders[rows] = 1  # nobody overloaded
    target = recruiters.break_even_price(model, rows)
    r.price[rows] = target + np.where(np.arange(len(rows)) % 2, 3000.0, -3000.0)
    before = r.price[rows].copy()
    recruiters.update_prices(model)
    target = recruiters.break_even_price(model, rows)  # asking fees moved too
    np.testing.assert_allclose(r.price[rows], before + m.fee_adjust_rate * (target - before))
    assert (np.abs(r.price[rows] - target) > 2000.0).all()


# --- kickbacks and their pass-through as outcomes -------------------------------------------------


def test_fewer_competitors_pass_less_of_the_fee_on():
    """Same demand (100 employers of 20 jobs), 5 recruiters against 30, entry closed so the number
    stays: the few are overloaded and have large order shares, so their prices climb (scarcity rent
    and markup) and employers get smaller kickbacks, a smaller share of the fee. Paired seeds; never
    more for the few in any seed, less over the seeds (the 30 can thin out by exits until they too
    are overloaded and pay no kickback: seed 0 ends with 10)."""
    few_kickback, many_kickback, few_share, many_share = [], [], [], []
    for seed in SEEDS:
        common = {"seed": seed, "run.steps": 96, "run.summary_window_months": 24, "market.max_entrants": 0}
        many = run(common).summary()
        few = run(common | {"market.n_recruiters": 5}).summary()
        assert few["n_recruiters"] == 5 and many["n_recruiters"] > 5
        assert few["kickback_per_hire"] <= many["kickback_per_hire"]
        assert few["fee_pass_through"] <= many["fee_pass_through"]
        few_kickback.append(few["kickback_per_hire"])
        many_kickback.append(many["kickback_per_hire"])
        few_share.append(few["fee_pass_through"])
        many_share.append(many["fee_pass_through"])
    assert np.mean(few_kickback) < np.mean(many_kickback)
    assert np.mean(few_share) < np.mean(many_share)


@pytest.mark.parametrize("seed", SEEDS)
def test_employers_comparing_prices_less_sharply_pay_higher_markups(seed):
    """A smaller logit price sensitivity (beta 0.001 instead of 0.00834 /USD) raises the markup
    1 / (beta (1 - s)) from about $120 to about $1,000: employers pay more per hire (smaller
    kickbacks) and a smaller share of the fee reaches them. Paired seeds."""
    common = {"seed": seed, "run.steps": 120, "run.summary_window_months": 24}
    sharp = run(common).summary()
    blunt = run(common | {"market.employer_choice_scale": 0.001}).summary()
    assert blunt["employer_cost_per_hire"] > sharp["employer_cost_per_hire"]
    assert blunt["fee_pass_through"] < sharp["fee_pass_through"]


@pytest.mark.parametrize("seed", SEEDS)
def test_fee_pass_through_is_a_share_of_the_fee(seed):
    """Each month's pass-through lies between 0 and about 1 (a kickback can exceed the fee of the
    month's placements only by what a recruiter's price lags behind its fee income), the
    kickback per hire is never negative, and it is the kickbacks paid over the placements."""
    ts = run({"seed": seed, "run.steps": 120}).timeseries()
    placed = ts["placements"] > 0
    assert ts.loc[placed, "fee_pass_through"].between(0.0, 1.2).all()
    assert (ts.loc[placed, "kickback_per_hire"] >= 0).all()
    np.testing.assert_allclose(ts.loc[placed, "kickback_per_hire"] * ts.loc[placed, "placements"],
                               ts.loc[placed, "kickbacks_paid"])
    assert ts["fee_pass_through"].mean() > 0.5  # with many small recruiters most of a fee is passed on


def test_fee_pass_through_is_undefined_in_months_without_fees():
    """Under an enforced ban most months see no fee paid to a recruiter: pass-through is NaN exactly
    then (nothing to pass on), and defined in the months where an evader or a cheat took a fee."""
    ban = {"policy.fee_cap_months": 0.0, "policy.inspection_rate": 0.2, "policy.targeting": "risk",
           "policy.detection_prob": 0.7, "policy.fine": 20000.0}
    ts = run({"seed": 0, **ban}).timeseries()
    no_fee = (ts["placements"] == 0) | (ts["mean_fee_months"] == 0)
    assert no_fee.sum() > 100
    assert ts.loc[no_fee, "fee_pass_through"].isna().all()
    assert ts.loc[~no_fee, "fee_pass_through"].notna().all()
    assert ts.loc[no_fee & (ts["placements"] > 0), "kickback_per_hire"].eq(0).all()


# --- workers quitting: employers' value of debt-free workers --------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_more_workers_quit_where_debt_drives_them_away_than_where_it_holds_them(seed):
    """debt_quit_effect +0.5 (the indebted abscond more) against -0.5 (debt holds workers), paired
    seeds: the quit chance is p (|e| + e d), so any debt makes quits more frequent at +0.5."""
    common = {"seed": seed, "run.steps": 120}
    away = run(common | {"market.debt_quit_effect": 0.5}).timeseries()["worker_quits"].sum()
    held = run(common | {"market.debt_quit_effect": -0.5}).timeseries()["worker_quits"].sum()
    assert away > held > 0


def test_quits_cost_employers_and_enter_their_choice():
    """Each quit costs its employer the employer's turnover cost (ledger flow ``turnover_costs``), and
    employers count turnover cost times the quits per hire of a recruiter's kind in its cost."""
    model = run({"seed": 3, "run.steps": 60, "market.debt_quit_effect": 0.5})
    quits = int(model.timeseries()["worker_quits"].sum())
    assert quits > 0
    cost = model.ledger.total(source="employers", target="outside", flow="turnover_costs")
    assert 0 < cost
    assert model.quit_record.per_hire[FEE_CHARGING] > 0
    from sim.model.employers import expected_quit_cost

    rows = model.recruiters.private_active()
    expected = expected_quit_cost(model, rows)
    assert (expected > 0).all()
    assert expected.max() <= model.config.market.turnover_cost * model.quit_record.per_hire.max()


def test_quit_chance_follows_each_workers_debt():
    """p (|e| + e d): with e > 0 it rises with debt (p e debt-free, 2 p e at the credit limit and
    beyond); with e < 0 it falls (p |e| debt-free, 0 at the limit); at e = 0 it is 0."""
    from sim.model.contracts import quit_prob

    model = RecruitmentModel(build_config(SMALL | {"seed": 0}))
    m = model.config.market
    limit = m.credit_limit_months * m.dest_wage
    model.workers.debt[:4] = [0.0, limit / 2, limit, 3 * limit]
    workers = np.arange(4)
    p = m.early_termination_prob
    for effect, expected in ((0.5, [0.5, 0.75, 1.0, 1.0]), (-0.5, [0.5, 0.25, 0.0, 0.0]), (0.0, [0, 0, 0, 0])):
        m.debt_quit_effect = effect
        np.testing.assert_allclose(quit_prob(model, workers), p * np.array(expected), atol=1e-15)
