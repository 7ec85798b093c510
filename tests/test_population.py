"""An open pool of aspiring migrants and debts that can end (sim/model/workers.py: leave_and_arrive, relieve_debts).

People at home leave the pool at ``market.leave_prob`` a month and a newcomer,
drawn as the first pool was, takes each one's place; lenders write off what
leavers owed, and with ``market.debt_relief_prob`` write debts trapped at home
down to what home savings can repay. These tests check that the pool keeps
its size, that departures happen at the stated rate, that newcomers arrive
fresh and debt-free, that money still balances, that relief shrinks the home
debt trap, and that runs stay reproducible.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from books import assert_books_balance

from sim.config import build_config
from sim.model import RecruitmentModel, kernels, workers
from sim.model.workers import (
    ABROAD,
    AT_HOME,
    NEVER_PLACED,
    home_repayable_per_home_wage,
)

SMALL = {"market.n_workers": 1500, "market.n_employers": 40, "market.n_recruiters": 12, "run.steps": 60}
#: a pool that turns over fast, so that a short run sees many departures and arrivals
FAST = {"market.leave_prob": 0.05}
SEEDS = (0, 1, 2, 3)


def model_for(overrides: dict) -> RecruitmentModel:
    return RecruitmentModel(build_config(SMALL | overrides))


def run(overrides: dict) -> RecruitmentModel:
    model = model_for(overrides)
    model.run_model()
    return model


def test_the_pool_keeps_its_size_while_people_come_and_go():
    model = run(FAST | {"seed": 1})
    w, n = model.workers, SMALL["market.n_workers"]
    assert model.timeseries()["departures"].sum() > 0.5 * FAST["market.leave_prob"] * n  # many did leave
    assert w.n == n
    for name, values in vars(w).items():
        if isinstance(values, np.ndarray):
            assert len(values) == n, name
    assert np.isin(w.status, (AT_HOME, ABROAD)).all()
    assert len(model.agents_by_type[workers.Worker]) == n
    assert (w.arrived > 0).any() and w.arrived.max() <= model.month


@pytest.mark.parametrize("seed", SEEDS)
def test_departures_are_leave_prob_of_the_people_at_home(seed):
    """Each month's departures are Binomial(people at home and not placed this month, leave_prob).

    The people who may leave in month t are those at home at the end of
    month t-1 less those placed in month t (abroad, or sent home by
    retaliation: they stay until next month). Summed over the run, the
    departures must lie within four standard deviations of their expectation.
    """
    p = 0.03
    model = model_for({"market.leave_prob": p, "seed": seed})
    at_home_before = [int((model.workers.status == AT_HOME).sum())]
    model.run_model()
    ts = model.timeseries()
    at_home_before += list(SMALL["market.n_workers"] - ts["workers_abroad"].to_numpy()[:-1])
    eligible = np.array(at_home_before) - ts["placements"].to_numpy()
    expected = p * eligible.sum()
    sd = math.sqrt(p * (1 - p) * eligible.sum())
    assert abs(ts["departures"].sum() - expected) < 4 * sd, (ts["departures"].sum(), expected, sd)


def test_a_closed_pool_has_no_departures_and_no_newcomers():
    model = run({"market.leave_prob": 0.0, "seed": 3})
    assert (model.timeseries()["departures"] == 0).all()
    assert (model.workers.arrived == 0).all()
    assert model.ledger.total(flow="departures") == model.ledger.total(flow="arrivals") == 0


def test_only_people_at_home_leave_and_newcomers_arrive_fresh_and_debt_free():
    """A newcomer takes the leaver's row: at home, no debt, never placed, a new draw of wage and savings.

    Leavers were at home when the month began (people abroad finish their
    contracts first). Newcomers' home wages and savings come from the
    distribution of the first pool: mean ``market.home_wage``, and savings
    of ``savings_months`` home wages on average.
    """
    model = model_for(FAST | {"seed": 4, "market.interest_rate": 0.05})
    m = model.config.market
    w = model.workers
    home_wages, savings_ratio = [], []
    previous_debts = []
    for _ in range(48):
        before = {name: getattr(w, name).copy() for name in ("status", "home_wage", "debt", "migrations")}
        model.step()
        new = np.flatnonzero(w.arrived == model.month)
        assert len(new) == model.last["departures"]
        assert (before["status"][new] == AT_HOME).all()
        assert (w.home_wage[new] != before["home_wage"][new]).all()
        assert (w.debt[new] == 0).all() and (w.status[new] == AT_HOME).all()
        assert (w.recruiter[new] == -1).all() and (w.employer[new] == -1).all()
        assert (w.wage[new] == 0).all() and (w.fee_paid[new] == 0).all() and (w.spell_gain[new] == 0).all()
        assert (w.violation[new] == 0).all() and not w.detected[new].any()
        assert (w.migrations[new] == 0).all() and (w.months_left[new] == 0).all()
        assert (w.blacklisted_until[new] == 0).all() and (w.placed_step[new] == NEVER_PLACED).all()
        home_wages.append(w.home_wage[new])
        savings_ratio.append(w.savings[new] / w.home_wage[new])
        previous_debts.append(before["debt"][new])
    assert (np.concatenate(previous_debts) > 0).sum() > 10  # debts really were left behind
    home_wages, savings_ratio = np.concatenate(home_wages), np.concatenate(savings_ratio)
    assert len(home_wages) > 1000
    assert abs(home_wages.mean() - m.home_wage) < 4 * home_wages.std() / math.sqrt(len(home_wages))
    assert abs(savings_ratio.mean() - m.savings_months) < 4 * savings_ratio.std() / math.sqrt(len(home_wages))
    view = model.agents_by_type[workers.Worker].select(lambda a: a.index == int(new[0])).to_list()[0]
    assert view.arrived == model.month and view.debt == 0.0


def test_money_balances_to_the_cent_with_departures_and_debt_relief():
    model = run(FAST | {"market.debt_relief_prob": 0.1, "seed": 2})
    ledger = model.ledger
    for flow in ("departures", "arrivals", "departure_write_offs", "relief_write_offs", "write_offs"):
        assert ledger.total(flow=flow) > 0, flow
    assert_books_balance(model, tol=0.01)
    # the monthly outcome adds up to every kind of write-off
    written_off = sum(ledger.total(flow=flow) for flow in ("write_offs", "departure_write_offs", "relief_write_offs"))
    assert model.timeseries()["debt_written_off"].sum() == pytest.approx(written_off)


def test_relief_writes_trapped_debts_down_to_what_home_savings_repay():
    """Relieved: at home in the trap, new debt = what home savings repay over the horizon; the rest untouched.

    Four years without relief fill the trap; then one month of relief at 0.5.
    """
    model = model_for({"seed": 6})
    model.run_model(48)
    model.config.market.debt_relief_prob = 0.5
    w = model.workers
    debt_before = w.debt.copy()
    trapped, _ = workers.home_debt_trapped(model)
    written_before = model.ledger.total(flow="relief_write_offs")
    workers.relieve_debts(model)
    changed = np.flatnonzero(w.debt != debt_before)
    assert 0 < len(changed) < len(trapped)  # about half of the trapped
    assert np.isin(changed, trapped).all()
    repayable = w.home_wage[changed] * home_repayable_per_home_wage(model.config)
    np.testing.assert_allclose(w.debt[changed], repayable, rtol=1e-12)
    assert (debt_before[changed] > repayable).all()
    assert model.ledger.total(flow="relief_write_offs") - written_before == pytest.approx(
        (debt_before - w.debt).sum())


def test_the_repayable_debt_is_an_annuity_and_a_plain_sum_without_interest():
    config = build_config({"market.interest_rate": 0.02, "market.debt_horizon_months": 36,
                           "market.home_saving_rate": 0.1})
    paid = 0.1 * sum(1.02 ** -k for k in range(1, 37))  # each month's saving, discounted to today
    assert home_repayable_per_home_wage(config) == pytest.approx(paid)
    free = build_config({"market.interest_rate": 0.0, "market.debt_horizon_months": 36,
                         "market.home_saving_rate": 0.1})
    assert home_repayable_per_home_wage(free) == pytest.approx(3.6)


def test_debt_relief_shrinks_the_home_debt_trap():
    """With relief the home debt trap share at month 120 is lower than without, seed by seed."""
    for seed in SEEDS:
        without = run({"seed": seed, "run.steps": 120}).timeseries()["home_debt_trap_share"].iloc[-1]
        with_relief = run({"seed": seed, "run.steps": 120, "market.debt_relief_prob": 0.1}
                          ).timeseries()["home_debt_trap_share"].iloc[-1]
        assert with_relief < without, (seed, with_relief, without)


def test_the_open_pool_is_deterministic_for_a_seed():
    overrides = FAST | {"market.debt_relief_prob": 0.1, "seed": 9}
    a, b = run(overrides), run(overrides)
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())
    for name in ("home_wage", "savings", "debt", "arrived", "status"):
        np.testing.assert_array_equal(getattr(a.workers, name), getattr(b.workers, name))
    other = run(overrides | {"seed": 10}).timeseries()
    assert not a.timeseries()["departures"].equals(other["departures"])


def test_home_debt_trap_share_is_a_share_and_undefined_with_nobody_at_home():
    ts = run(FAST | {"market.debt_relief_prob": 0.05, "seed": 5, "run.steps": 120}).timeseries()
    share = ts["home_debt_trap_share"]
    assert share.notna().all()
    assert ((share >= 0) & (share <= 1)).all()
    assert share.max() > 0
    empty = run({"market.n_workers": 0, "run.steps": 6}).timeseries()
    assert empty["home_debt_trap_share"].isna().all()
    assert (empty["departures"] == 0).all()


def test_leavers_kernel_takes_people_at_home_not_placed_this_month_below_the_chance():
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 1000):
        status = rng.integers(0, 2, n).astype(np.int8)
        placed_step = rng.integers(-3, 5, n).astype(np.int32)
        draws = rng.random(n)
        got = kernels.leavers(status, placed_step, draws, AT_HOME, 4, 0.3)
        want = np.flatnonzero((status == AT_HOME) & (placed_step != 4) & (draws < 0.3))
        np.testing.assert_array_equal(got, want)
