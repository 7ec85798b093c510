"""Several origin countries sending workers to one destination (config ``origins``; docs/ODD.md, S18).

Why: whether a strict origin loses its workers' jobs to a laxer one must
come out of employers' and recruiters' choices, not out of the way the
model splits the world. So two identical origins must share the market
evenly and add up to the one-origin market; each origin's rules must bind
only its own recruiters; and the destination's levers must act on employers
whatever the origin.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from books import assert_books_balance
from scipy import stats

from sim.config import ConfigError, build_config
from sim.model import RecruitmentModel
from sim.model.kinds import CERTIFIED, PUBLIC

SHORT = {"run.steps": 96, "run.burn_in_months": 48, "run.summary_window_months": 48}
TWO = {"origins.a.share": 0.5, "origins.b.share": 0.5}
BAN = {"fee_cap_months": 0.0, "inspection_rate": 0.2, "targeting": "risk", "detection_prob": 0.7, "fine": 20000.0}
RACE = {"origins.strict.share": 0.5, "origins.lax.share": 0.5} | {f"origins.strict.policy.{k}": v for k, v in BAN.items()}
SEEDS = range(8)


def summaries(overrides: dict, seeds=SEEDS) -> list[dict]:
    out = []
    for seed in seeds:
        model = RecruitmentModel(build_config(SHORT | overrides | {"seed": seed}))
        model.run_model()
        out.append(model.summary())
    return out


def test_two_identical_origins_share_the_market_evenly_and_add_up_to_one_origin():
    two = summaries(TWO)
    one = summaries({})
    share_a = np.array([s["placements_a"] / (s["placements_a"] + s["placements_b"]) for s in two])
    assert 0.4 < share_a.mean() < 0.6
    assert all(0.3 < share < 0.7 for share in share_a)
    for name in ("placements", "mean_fee_months"):
        # the same distribution over seeds: no test of 8 against 8 tells them apart
        assert stats.mannwhitneyu([s[name] for s in two], [s[name] for s in one]).pvalue > 0.01, name
        assert np.mean([s[name] for s in two]) == pytest.approx(np.mean([s[name] for s in one]), rel=0.15), name


def test_two_identical_strict_origins_also_split_evenly():
    """The placebo for the race: both origins enforce the same ban, so neither may win by its place."""
    strict_both = TWO | {f"origins.{o}.policy.{k}": v for o in ("a", "b") for k, v in BAN.items()}
    share_a = [s["placements_a"] / (s["placements_a"] + s["placements_b"]) for s in summaries(strict_both)]
    assert 0.4 < np.mean(share_a) < 0.6


def test_each_origin_rule_binds_only_its_own_recruiters():
    race = summaries(RACE, seeds=range(4))
    for s in race:
        assert s["mean_fee_months_strict"] < 1.0 < s["mean_fee_months_lax"]
        assert s["fee_free_share_strict"] > 0.8 > s["fee_free_share_lax"]
        assert s["placements"] == pytest.approx(s["placements_strict"] + s["placements_lax"])


def test_workers_go_only_through_recruiters_of_their_own_origin_and_books_balance():
    model = RecruitmentModel(build_config(SHORT | RACE | {"seed": 3, "policy.employer_ban": True}))
    model.run_model()
    w, r = model.workers, model.recruiters
    placed = w.recruiter >= 0
    assert (r.origin[w.recruiter[placed]] == w.origin[placed]).all()
    # each origin's people are one block of rows, drawn from its own economy
    assert (w.origin[model.origins[0].workers] == 0).all() and (w.origin[model.origins[1].workers] == 1).all()
    # each origin has its own public channel row, and its regulator inspects only its licensees
    assert [int(r.origin[k]) for k in range(2)] == [0, 1] and (r.kind[:2] == PUBLIC).all()
    assert_books_balance(model)
    frame = model.timeseries()
    assert (frame["placements"] == frame["placements_strict"] + frame["placements_lax"]).all()


def test_a_two_origin_run_is_determined_by_its_seed():
    runs = []
    for _ in range(2):
        model = RecruitmentModel(build_config(SHORT | RACE | {"seed": 5, "run.steps": 48}))
        model.run_model()
        runs.append(model.timeseries())
    assert runs[0].equals(runs[1])
    assert "fee_free_share_strict" in runs[0] and "inspection_budget_lax" in runs[0]


def test_the_destination_ban_fines_employers_whatever_the_origin_and_audit_acceptance_spares_label_holders():
    model = RecruitmentModel(build_config(SHORT | RACE | {"seed": 1, "policy.employer_ban": True,
                                                          "policy.employer_inspection_rate": 0.3}))
    model.run_model()
    frame = model.timeseries()
    assert frame["employer_violations_found"].sum() > 0
    assert model.ledger.total(flow="employer_fines") == pytest.approx(frame["employer_fines"].sum())
    # the lax origin's fees break no rule of its own, yet the destination finds them
    assert frame["violations_detected"].sum() < frame["employer_violations_found"].sum()
    # employers price the destination's record: hires through the lax origin's recruiters are expected to cost more
    record = model.destination.found_per_placement
    assert record[1].max() > record[0].max()
    accepting = model.destination
    accepting.policy = build_config({"policy.employer_ban": True, "policy.audit_acceptance": True}).policy
    kinds = np.array([CERTIFIED, CERTIFIED])
    assert (accepting.expected_fine(np.array([0, 1]), kinds) == 0).all()


def test_the_destination_ban_lowers_fees_in_the_lax_origin():
    seeds = range(4)
    plain = summaries(RACE, seeds)
    banned = summaries(RACE | {"policy.employer_ban": True, "policy.employer_inspection_rate": 0.3}, seeds)
    assert np.mean([s["fee_free_share_lax"] for s in banned]) > np.mean([s["fee_free_share_lax"] for s in plain])


@pytest.mark.parametrize("overrides, key", [
    ({"origins.a.share": 1.0}, "origins.a"),
    (TWO | {"origins.c.policy.fine": 3.0}, "origins.c.share"),
    (TWO | {"origins.b.policy.joint_liability": True}, "origins.b.policy.joint_liability"),
    (TWO | {"origins.b.market.dest_wage": 900.0}, "origins.b.market.dest_wage"),
    ({"origins.a.share": 0.9999, "origins.b.share": 0.0001}, "origins.b.share"),
    ({"origins.a.share": 0.5, "origins.b.share": 0.6}, "origins.b.share"),
    (TWO | {"origins.a.policy.public_mandate": 0.7, "origins.b.policy.public_mandate": 0.7},
     "origins.b.policy.public_mandate"),
    (TWO | {"origins.a.policy.fine": -1.0}, "origins.a.policy.fine"),
])
def test_bad_origin_configs_name_the_key(overrides, key):
    with pytest.raises(ConfigError) as error:
        build_config(overrides)
    assert error.value.key == key


def test_the_command_refuses_a_rule_for_a_missing_origin_with_exit_2(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    done = subprocess.run([sys.executable, "-m", "sim.commands.run", "scenario=two_origins_race",
                           "+origins.nowhere.policy.fine=5", f"hydra.run.dir={tmp_path}"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert "origins.nowhere.share" in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 4


def test_a_bilateral_agreement_is_one_origins_g2g_channel():
    """Only the origin with the agreement has a public channel; employers bound to it send it their vacancies."""
    model = RecruitmentModel(build_config(SHORT | TWO | {"seed": 2, "origins.b.policy.public_capacity": 40,
                                                         "origins.b.policy.public_mandate": 0.5}))
    model.run_model()
    r = model.recruiters
    placed_by = model.workers.recruiter[model.workers.recruiter >= 0]
    assert (placed_by == 1).sum() > 0 and (placed_by == 0).sum() == 0  # origin b's channel (row 1), not a's
    assert set(model.employers.public_origin.tolist()) <= {-1, 1}
    assert (r.kind[[0, 1]] == PUBLIC).all()
    assert (model.workers.origin[model.workers.recruiter == 1] == 1).all()


def test_each_origins_outcomes_have_the_range_of_their_unsuffixed_name():
    from sim.plots.bands import outcome_range

    assert outcome_range("fee_free_share_strict") == (0.0, 1.0)
    assert outcome_range("placements_lax") == (0.0, None)
