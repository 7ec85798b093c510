"""Endogenous enforcement (policy.enforcement=endogenous): each channel of the political process alone.

Why: whether voluntary certification weakens the state must come out of
the channels (complaints reaching the state, lobbying whose side follows
the enforcement record, diversion, substitution), not be fixed by one of
them. Each test turns one channel on, holds the rest off, and checks the
direction its rule gives; with every channel off the endogenous state is
the fixed one, run for run.
"""

from __future__ import annotations

import numpy as np
import pytest
from books import assert_books_balance

from sim.config import ConfigError, build_config
from sim.model import RecruitmentModel
from sim.model.kinds import CERTIFIED, FEE_CHARGING

ENFORCED_BAN = {"policy.fee_cap_months": 0.0, "policy.inspection_rate": 0.2, "policy.targeting": "risk",
                "policy.detection_prob": 0.7, "policy.fine": 20000.0}
SMALL = {"market.n_workers": 2000, "market.n_employers": 40, "market.n_recruiters": 15}
CHANNELS_OFF = {"policy.enforcement": "endogenous", "policy.pressure_elasticity": 0.0, "policy.lobby_share": 0.0,
                "policy.diversion": 0.0, "policy.substitution": 0.0}


def model_at(months: int, **overrides) -> RecruitmentModel:
    model = RecruitmentModel(build_config(SMALL | ENFORCED_BAN | {"seed": 2} | overrides))
    model.run_model(months)
    return model


def test_with_every_channel_off_endogenous_enforcement_is_the_fixed_one_run_for_run():
    fixed = model_at(60)
    endogenous = model_at(60, **CHANNELS_OFF)
    assert fixed.timeseries().equals(endogenous.timeseries())
    assert (endogenous.timeseries()["inspection_budget"] == 0.2).all()


def set_budget_after(model: RecruitmentModel, heard: int, reachable: int, referrals: int = 0) -> float:
    """The budget after one update from a budget at the legislated rate and pressure at its reference."""
    reg = model.regulator
    reg.budget = model.config.policy.inspection_rate
    reg.pressure = model.config.policy.pressure_reference
    model.state_hears = [[heard, reachable]]
    reg._set_budget(referrals)
    return reg.budget


def test_complaints_reaching_the_state_raise_the_budget_and_quiet_lowers_it():
    """Pressure above the reference raises the target, below it lowers it (only this channel on)."""
    model = model_at(1, **(CHANNELS_OFF | {"policy.pressure_elasticity": 0.5}))
    b0 = model.config.policy.inspection_rate
    loud = set_budget_after(model, heard=60, reachable=100)   # 60 per 100 against a reference of 20
    usual = set_budget_after(model, heard=20, reachable=100)
    quiet = set_budget_after(model, heard=0, reachable=100)
    assert usual == pytest.approx(b0)
    assert quiet < b0 < loud
    # the scheme's referrals count as complaints reaching the state
    assert set_budget_after(model, heard=0, reachable=100, referrals=60) == pytest.approx(loud)


def test_complaints_routed_to_the_auditor_neither_count_nor_dilute_the_pressure():
    """Under complaint exhaustion a label holder's placements and complaints are left out of the
    state's count altogether: routing alone does not lower the pressure."""
    model = model_at(1, **CHANNELS_OFF)
    from sim.model import voice
    from sim.model.placement import Placements

    r = model.recruiters
    rows = r.private_active()[:2]
    model.scheme.certify(rows[:1])  # one holder of the real label, one unlabelled recruiter
    w = model.workers
    workers = np.arange(10)
    w.violation[workers] = 2  # deceived: everyone was wronged
    placed = Placements(workers, np.repeat(rows, 5), np.zeros(10, dtype=np.int64), np.full(10, 480.0),
                        np.zeros(10), np.zeros(10), np.zeros(10), np.zeros(10))
    voice.complain(model, placed)
    heard, reachable = model.state_hears[0]
    assert reachable == 5  # the holder's five placements cannot reach the state
    assert heard <= 5


def lobby_with_record(model: RecruitmentModel, unlabelled: float, labelled: float) -> dict:
    reg = model.regulator
    reg.detections_per_placement[:] = 0.0
    reg.detections_per_placement[FEE_CHARGING] = unlabelled
    reg.detections_per_placement[CERTIFIED] = labelled
    model.recruiters.profit_ema[: model.recruiters.n] = 1000.0
    reg._lobby()
    return reg.lobbying


def test_the_side_a_recruiter_lobbies_on_follows_the_enforcement_record_not_its_business_model():
    model = model_at(1, **(CHANNELS_OFF | {"policy.lobby_share": 0.05, "certification.initial_share": 0.4}))
    assert model.recruiters.label.any() and (~model.recruiters.label[model.recruiters.private_active()]).any()
    # the unlabelled are the ones caught: label holders lobby for enforcement, the unlabelled against
    caught_unlabelled = lobby_with_record(model, unlabelled=0.1, labelled=0.0)
    assert caught_unlabelled["for"] == pytest.approx(caught_unlabelled["labelled"])
    assert caught_unlabelled["against"] == pytest.approx(caught_unlabelled["unlabelled"])
    assert caught_unlabelled["for"] > 0 and caught_unlabelled["against"] > 0
    # the same record reversed: the sides swap, whatever the business models
    caught_labelled = lobby_with_record(model, unlabelled=0.0, labelled=0.1)
    assert caught_labelled["against"] == pytest.approx(caught_labelled["labelled"])
    assert caught_labelled["for"] == pytest.approx(caught_labelled["unlabelled"])
    assert caught_labelled["for"] > 0 and caught_labelled["against"] > 0
    nobody_caught = lobby_with_record(model, unlabelled=0.0, labelled=0.0)
    assert nobody_caught == {"for": 0.0, "against": 0.0, "labelled": 0.0, "unlabelled": 0.0}


def test_net_lobbying_moves_the_budget_its_way():
    model = model_at(1, **(CHANNELS_OFF | {"policy.lobby_weight": 5.0}))
    reg = model.regulator
    b0 = model.config.policy.inspection_rate
    budgets = {}
    for side in ("for", "against"):
        reg.lobbying = {"for": 0.0, "against": 0.0, "labelled": 0.0, "unlabelled": 0.0, side: 1e5}
        budgets[side] = set_budget_after(model, heard=20, reachable=100)
    assert budgets["against"] < b0 < budgets["for"]


def test_diversion_lowers_the_budget_while_the_scheme_exists_whoever_holds_the_label():
    with_scheme = model_at(1, **(CHANNELS_OFF | {"policy.diversion": 0.5}))
    without = model_at(1, **(CHANNELS_OFF | {"policy.diversion": 0.5, "certification.enabled": False}))
    assert not with_scheme.recruiters.label.any()
    assert set_budget_after(with_scheme, 20, 100) < set_budget_after(without, 20, 100)


def test_substitution_spares_label_holders_inspections_without_adding_to_anyone_elses():
    """Audit reports accepted in place of inspections: holders are inspected less, the rest as before."""
    model = model_at(1, **(CHANNELS_OFF | {"certification.initial_share": 0.4}))
    r = model.recruiters
    holders = np.zeros(r.n, dtype=bool)
    holders[r.private_active()] = r.label[r.private_active()]
    assert holders.any()
    counts = {}
    for substitution in (0.0, 1.0):  # the same market, inspected 300 times under each setting
        model.regulator.policy.substitution = substitution
        inspected = np.concatenate([model.regulator.choose_inspections() for _ in range(300)])
        counts[substitution] = (holders[inspected].sum(), (~holders[inspected]).sum())
    assert counts[1.0][0] == 0 < counts[0.0][0]
    assert counts[1.0][1] == pytest.approx(counts[0.0][1], rel=0.15)


def test_capture_and_endogenous_enforcement_together_are_refused():
    with pytest.raises(ConfigError, match="policy.capture"):
        build_config({"policy.enforcement": "endogenous", "policy.capture": 0.3})


def test_money_balances_with_lobbying():
    model = model_at(60, **{"policy.enforcement": "endogenous", "policy.lobby_share": 0.1,
                            "certification.initial_share": 0.3})
    assert model.ledger.total(flow="lobbying") > 0
    assert model.ledger.total(flow="lobbying") == pytest.approx(model.timeseries()["lobbying_spend"].sum())
    assert_books_balance(model)


def mean_budget(overrides: dict, seeds=(0, 1, 2)) -> float:
    """The inspection budget over the last four years of ten, averaged over seeds."""
    budgets = []
    for seed in seeds:
        model = RecruitmentModel(build_config(ENFORCED_BAN | {"seed": seed, "run.steps": 120} | overrides))
        model.run_model()
        budgets.append(model.timeseries()["inspection_budget"].tail(48).mean())
    return float(np.mean(budgets))


@pytest.mark.parametrize("world,label_raises", [
    # holders, caught less than the fee-chargers, lobby hard for inspections; findings are shared
    ({"policy.joint_liability": True, "policy.lobby_share": 0.2, "policy.lobby_weight": 10.0,
      "certification.confidential": False, "certification.complaint_exhaustion": False,
      "policy.pressure_elasticity": 0.0}, True),
    # the scheme's existence diverts half the budget, nobody lobbies
    ({"policy.diversion": 0.5, "policy.lobby_share": 0.0}, False),
])
def test_the_label_can_raise_or_lower_the_states_inspections(world, label_raises):
    """Neither sign is built in: a documented world where the label's presence raises the budget (a
    constituency for enforcement) and one where it lowers it (diversion), endogenous enforcement both."""
    world = world | {"policy.enforcement": "endogenous"}
    with_label = mean_budget(world)
    without = mean_budget(world | {"certification.enabled": False})
    assert (with_label > without) == label_raises, (with_label, without)


def test_audits_findings_are_also_counted_in_placements_like_the_inspections():
    """EB-S1 compares the share of label holders' violations found by inspections and by audits: both in
    placements with a violation. The records behind a withdrawal are counted only in months with one."""
    from sim.config.scenarios import compose

    model = RecruitmentModel(compose("lobbying", ["seed=1", "run.steps=120"]))
    model.run_model()
    frame = model.timeseries()
    withdrawn = frame["labels_withdrawn"] > 0
    assert withdrawn.any()
    assert (frame.loc[~withdrawn, "certified_violation_records_found_audits"] == 0).all()
    assert frame.loc[withdrawn, "certified_violation_records_found_audits"].sum() > 0
