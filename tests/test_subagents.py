"""The two-tier chain (sim/model/subagents.py): village sub-agents below the licensed recruiters.

What is checked, and why:

* money: sub-agents' fees are a new flow out of workers' pockets, so the
  books must still balance to the cent and the sub-agents' receipts must be
  what the placed workers paid them;
* the switch: without village workers there are no sub-agents and nobody
  pays one; where every worker lives in a village, placements go through
  sub-agents;
* the decision: lower tiers that inspections and audits can see make a
  certified recruiter under an enforced ban use sub-agents less;
* reach: a village worker is placed only by a recruiter using sub-agents;
* the outcomes: each is recomputed from the month's placements themselves.
"""

from __future__ import annotations

import numpy as np
import pytest
from books import assert_books_balance

from sim import compose_scenario
from sim.config import build_config
from sim.model import RecruitmentModel, placement, subagents
from sim.model.recruiters import CERTIFIED
from sim.model.workers import DECEIVED, ILLEGAL_FEE, SUBAGENT_FEE

SMALL = {"market.n_workers": 2000, "market.n_employers": 40, "market.n_recruiters": 12}
ENFORCED_BAN = {"policy.fee_cap_months": 0.0, "policy.inspection_rate": 0.2, "policy.targeting": "risk",
                "policy.detection_prob": 0.7, "policy.fine": 20000.0}


def run(overrides: dict, steps: int = 60) -> RecruitmentModel:
    model = RecruitmentModel(build_config(SMALL | {"run.steps": steps} | overrides))
    model.run_model()
    return model


class PlacementLog:
    """Every month's placements, with the recruiters' practices and kinds at the time."""

    def __init__(self, monkeypatch):
        self.months: list[dict] = []
        match = placement.match

        def logged(model, *args, **kwargs):
            placed = match(model, *args, **kwargs)
            r = model.recruiters
            self.months.append({"placed": placed, "uses_subagents": r.uses_subagents.copy(),
                                "kind": r.kind.copy(), "label": r.label.copy(),
                                "violation": model.workers.violation[placed.workers].copy(),
                                # (a row's person can leave the pool later: record where they live now)
                                "village": model.workers.village[placed.workers].copy(),
                                "placed_by_label": model.workers.placed_by_label[placed.workers].copy()})
            return placed

        monkeypatch.setattr(placement, "match", logged)


@pytest.mark.parametrize("regime", [{}, ENFORCED_BAN, {"policy.fee_cap_months": 1.0, "policy.inspection_rate": 0.1,
                                                      "certification.initial_share": 0.5}])
def test_money_balances_to_the_cent_with_subagents(regime, monkeypatch):
    """Sub-agents receive exactly what the placed workers paid them, and every sector still balances."""
    log = PlacementLog(monkeypatch)
    model = run({"seed": 3, "market.subagent_share": 0.6, **regime}, steps=48)
    ledger = model.ledger
    cent = 0.01
    paid_to_subagents = sum(float(month["placed"].subagent_fee.sum()) for month in log.months)
    assert paid_to_subagents > 0
    assert ledger.balance["subagents"] == pytest.approx(paid_to_subagents, abs=cent)
    assert ledger.total(flow="subagent_fees") == pytest.approx(paid_to_subagents, abs=cent)
    assert ledger.total(flow="sourcing_costs") > 0
    assert_books_balance(model)  # every sector, debts and write-offs (tests/books.py)
    # each sub-agent fee is subagent_fee_months of the worker's wage, paid at a recruiter using sub-agents
    for month in log.months:
        placed = month["placed"]
        through = month["uses_subagents"][placed.recruiters]
        expected = np.where(through, model.config.market.subagent_fee_months * placed.wage, 0.0)
        np.testing.assert_allclose(placed.subagent_fee, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("seed", range(3))
def test_without_village_workers_nobody_pays_a_subagent(seed):
    model = run({"seed": seed, "market.subagent_share": 0.0})
    ts = model.timeseries()
    assert not model.workers.village.any()
    assert not model.recruiters.uses_subagents.any()
    assert ((ts["subagent_fee_share"] == 0) | ts["subagent_fee_share"].isna()).all()
    assert (ts["subagent_paid_share"].fillna(0) == 0).all()
    assert (ts["mean_subagent_fee_months"].fillna(0) == 0).all()
    assert model.ledger.balance["subagents"] == 0
    assert ts["placements"].sum() > 0


@pytest.mark.parametrize("seed", range(3))
def test_where_every_worker_lives_in_a_village_most_placements_pay_a_subagent(seed):
    model = run({"seed": seed, "market.subagent_share": 1.0, "market.direct_sourcing_cost": 3000.0})
    ts = model.timeseries()
    paid = ts["subagent_paid_share"].to_numpy(dtype=float)
    assert np.nanmean(paid) > 0.9
    assert ts["placements"].sum() > 0
    assert np.nanmean(ts["subagent_fee_share"]) > 0


def certified_subagent_use(visibility: float, seed: int, steps: int = 30, settle: int = 8) -> float:
    """Share of certified recruiter-months spent using sub-agents, real label, enforced ban.

    Counted after ``settle`` months: recruiters start with sub-agents by chance and review their
    practices a quarter of the months. Short: under an enforced ban the label brings its pilots little,
    and they drop it within a few years, after which there is no certified recruiter to observe.
    """
    config = compose_scenario("baseline", [
        "policy=fee_ban_enforced", f"seed={seed}", f"run.steps={steps}", "certification.initial_share=0.5",
        "certification.placebo=off", f"market.lower_tier_visibility={visibility}"])
    assert config.policy.fee_cap_months == 0.0 and config.certification.placebo.value == "off"
    model = RecruitmentModel(config)
    using = months = 0
    for month in range(steps):
        model.step()
        if month < settle:
            continue
        r = model.recruiters
        certified = r.active_of_kind(CERTIFIED)
        using += int(r.uses_subagents[certified].sum())
        months += len(certified)
    assert months > 0, "no certified recruiter to observe"
    return using / months


@pytest.mark.parametrize("seed", range(3))
def test_visible_lower_tiers_deter_certified_recruiters_from_subagents(seed):
    """Under an enforced ban a sub-agent fee is illegal and breaks the label: when inspections and audits
    see the lower tier as well as the licensed one, the expected penalty outweighs the sourcing cost saved;
    when they never see it, nothing is risked."""
    hidden = certified_subagent_use(0.0, seed)
    seen = certified_subagent_use(1.0, seed)
    assert seen < 0.3 and hidden > seen + 0.3, (hidden, seen)


def test_village_workers_are_placed_only_by_recruiters_using_subagents(monkeypatch):
    """A mixed market (a low visibility makes some recruiters, by honesty, use sub-agents under a ban)."""
    log = PlacementLog(monkeypatch)
    run({"seed": 5, **ENFORCED_BAN, "market.lower_tier_visibility": 0.01}, steps=48)
    placed_village = placed_direct_elsewhere = 0
    for month in log.months:
        placed = month["placed"]
        through = month["uses_subagents"][placed.recruiters]
        from_village = month["village"]
        assert through[from_village].all()
        placed_village += int(from_village.sum())
        placed_direct_elsewhere += int((~from_village & ~through).sum())
    assert placed_village > 0 and placed_direct_elsewhere > 0


@pytest.mark.parametrize("regime,some_fee_free", [
    ({}, False),
    (ENFORCED_BAN | {"market.lower_tier_visibility": 0.05}, True),  # months with fee-free and paying placements
    ({"policy.fee_cap_months": 1.0, "certification.initial_share": 0.5}, False),
])
def test_outcomes_recomputed_from_the_placements(regime, some_fee_free, monkeypatch):
    """fee_free_share is 1 - the share of placements with any fee; the chain's and the label's outcomes
    and the violation bits agree with the month's placements."""
    log = PlacementLog(monkeypatch)
    model = run({"seed": 1, "certification.initial_share": 0.3, **regime}, steps=48)
    ts = model.timeseries()
    cap = model.config.policy.fee_cap_months
    mixed_months = 0
    for month, (_, row) in zip(log.months, ts.iterrows(), strict=True):
        placed = month["placed"]
        if len(placed.workers) == 0:
            assert np.isnan(row["fee_free_share"])
            continue
        paid = placed.fee > 0
        mixed_months += 0 < paid.mean() < 1
        assert row["fee_free_share"] == pytest.approx(1.0 - paid.mean(), abs=1e-12)
        assert row["subagent_paid_share"] == pytest.approx((placed.subagent_fee > 0).mean(), abs=1e-12)
        assert row["mean_subagent_fee_months"] == pytest.approx((placed.subagent_fee / placed.wage).mean())
        assert row["mean_recruiter_fee_months"] + row["mean_subagent_fee_months"] == pytest.approx(
            row["mean_fee_months"])
        if placed.fee.sum() > 0:
            assert row["subagent_fee_share"] == pytest.approx(placed.subagent_fee.sum() / placed.fee.sum())
        else:
            assert np.isnan(row["subagent_fee_share"])
        if cap is None:
            assert np.isnan(row["above_cap_share"])
        else:
            assert row["above_cap_share"] == pytest.approx((placed.fee > cap * placed.wage + 1e-9).mean(), abs=1e-12)
        labelled = month["label"][placed.recruiters]
        np.testing.assert_array_equal(month["placed_by_label"], labelled)
        if labelled.any():
            assert row["certified_fee_free_share"] == pytest.approx((~paid[labelled]).mean(), abs=1e-12)
            assert row["certified_hidden_fee_share"] == pytest.approx(paid[labelled].mean(), abs=1e-12)
            assert row["certified_violations_committed"] == int((month["violation"][labelled] != 0).sum())
        else:
            assert np.isnan(row["certified_fee_free_share"])
        if (~labelled).any():
            assert row["mean_fee_months_unlabelled"] == pytest.approx(
                (placed.fee[~labelled] / placed.wage[~labelled]).mean())
        # the sub-agent fee is a violation at an Employer Pays recruiter, or above a cap
        kind = month["kind"][placed.recruiters]
        if cap is None:
            breaks = (placed.subagent_fee > 0) & (kind == CERTIFIED)
        else:
            breaks = (placed.subagent_fee > 0) & ((kind == CERTIFIED) | (placed.fee > cap * placed.wage + 1e-9))
        np.testing.assert_array_equal((month["violation"] & SUBAGENT_FEE) != 0, breaks)
    if some_fee_free:  # the check above met both kinds of placement in one month
        assert mixed_months > 0


def test_above_cap_share_is_nan_without_a_cap():
    ts = run({"seed": 2}).timeseries()
    assert ts["placements"].sum() > 0
    assert ts["above_cap_share"].isna().all()


@pytest.mark.parametrize("visibility,found", [(0.0, False), (1.0, True)])
def test_inspections_find_subagent_fees_only_as_far_as_they_see_the_lower_tier(visibility, found, monkeypatch):
    """Records whose only wrong is an illegal sub-agent fee are found by inspections with the usual
    chance times lower_tier_visibility: never at 0, often at 1. Every recruiter keeps its sub-agents
    (the sourcing choice is held fixed: this is about detection), and the enforced ban's fine keeps
    the licensed tier within the ban."""
    monkeypatch.setattr(subagents, "choose_sourcing", lambda *args, **kwargs: None)
    model = run({"seed": 4, **ENFORCED_BAN, "market.subagent_share": 1.0,
                 "market.lower_tier_visibility": visibility}, steps=48)
    w = model.workers
    only_subagent = ((w.violation & SUBAGENT_FEE) != 0) & ((w.violation & (ILLEGAL_FEE | DECEIVED)) == 0)
    assert only_subagent.sum() > 10  # (records of people who left the pool are gone with them)
    assert (w.detected & only_subagent).any() == found
