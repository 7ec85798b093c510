"""The participatory classroom game without a browser (:mod:`sim.app.game`).

The game takes some agents' decisions from students and leaves the others
to the model; these tests check that it changes nothing when nobody plays,
that each decision reaches the market where it should, and that bad input
or a student leaving never stops the session.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.app.game import EMPLOYER, MARKET_CHOICE, RECRUITER, ClassroomGame
from sim.config import build_config, scenarios
from sim.model import RecruitmentModel


def small_config(seed: int = 3, steps: int = 240):
    return build_config({"seed": seed, "market.n_workers": 800, "market.n_employers": 40,
                         "market.n_recruiters": 8, "run.steps": steps})


def test_a_session_without_students_runs_bit_for_bit_like_the_plain_model():
    game = ClassroomGame(config=small_config())
    while game.month < game.horizon:
        game.advance(7)  # the teacher advances in uneven jumps
    plain = RecruitmentModel(small_config())
    plain.run_model()
    assert game.month == 240
    assert game.model.timeseries().equals(plain.timeseries())


def test_the_default_scenario_without_students_is_the_plain_model():
    game = ClassroomGame("baseline")
    game.advance(24)
    plain = RecruitmentModel(scenarios.compose("baseline"))
    plain.run_model(24)
    assert game.model.timeseries().equals(plain.timeseries())


def test_joining_needs_the_code_a_name_and_a_role():
    game = ClassroomGame(config=small_config())
    with pytest.raises(ValueError, match="code"):
        game.join("ZZZZ", "Ana", RECRUITER)
    with pytest.raises(ValueError, match="name"):
        game.join(game.code, "  ", RECRUITER)
    with pytest.raises(ValueError, match="role"):
        game.join(game.code, "Ana", "regulator")
    ana = game.join(game.code.lower(), "Ana", RECRUITER)
    assert ana.role == RECRUITER and game.model.recruiters.active[ana.row]
    assert game.join(game.code, "Ana", RECRUITER) is ana, "joining again (a reopened tab) is the same player"
    ben = game.join(game.code, "Ben", RECRUITER)
    assert ben.row != ana.row


def test_a_recruiters_fee_and_practices_hold_through_the_month():
    game = ClassroomGame(config=small_config())
    game.advance(12)
    ana = game.join(game.code, "Ana", RECRUITER)
    assert game.decide(ana.token, fee_months="2.5", deceive=False, cheat=False) is None
    game.advance(6)
    r = game.model.recruiters
    assert r.fee_months[ana.row] == 2.5 and not r.deceives[ana.row]
    charged = [b["fee_charged"] for b in ana.books]
    assert charged == [2.5] * 6, "workers are asked exactly the student's fee (no rule in force)"
    hired = [b["hires"] for b in ana.books]
    assert sum(hired) == len(ana.placed)
    for worker, _, month in ana.placed:
        assert game.model.workers.recruiter[worker] == ana.row or game.model.workers.placed_step[worker] != month


def test_a_student_seeking_the_label_trains(monkeypatch):
    game = ClassroomGame(config=small_config())
    ana = game.join(game.code, "Ana", RECRUITER)
    assert game.decide(ana.token, seek_label=True) is None
    game.advance(1)
    r = game.model.recruiters
    assert r.cert_stage[ana.row] == 1, "in training from the month the student chose it"
    assert game.decide(ana.token, seek_label=False) is None
    game.advance(1)
    assert r.cert_stage[ana.row] == 0 and not r.label[ana.row]


def test_the_markets_choice_of_business_model_leaves_a_players_recruiter_alone(monkeypatch):
    """The model's yearly choice of business model applies to simulated recruiters only."""
    from sim.model import industry

    def everyone_trains(model):
        rows = model.recruiters.private_active()
        model.scheme.start_training(rows[model.recruiters.cert_stage[rows] == 0])
        return {"switches_to_certified": len(rows), "switches_to_fee_charging": 0}

    game = ClassroomGame(config=small_config())
    ana = game.join(game.code, "Ana", RECRUITER)
    game.decide(ana.token, seek_label=False, deceive=True)
    monkeypatch.setattr(industry, "switch_business_models", everyone_trains)
    game.advance(1)
    r = game.model.recruiters
    others = [row for row in r.private_active() if row != ana.row]
    assert all(r.cert_stage[row] == 1 for row in others)
    assert r.cert_stage[ana.row] == 0 and r.deceives[ana.row]


def test_an_employer_sends_its_orders_to_the_recruiter_it_chose():
    game = ClassroomGame(config=small_config())
    game.advance(6)
    eva = game.join(game.code, "Eva", EMPLOYER)
    target = game.recruiter_rows()[-1]
    assert game.decide(eva.token, recruiter=target, take_kickbacks=True) is None
    game.advance(24)
    w = game.model.workers
    hires = [b for b in eva.books if b["hires"]]
    assert hires, "the employer hired someone in two years"
    for worker, _, month in eva.placed:
        if w.placed_step[worker] == month and game.model.recruiters.active[target]:
            assert w.recruiter[worker] == target


def test_an_employer_refusing_kickbacks_gets_no_kickback():
    game = ClassroomGame(config=small_config())
    game.advance(12)
    eva = game.join(game.code, "Eva", EMPLOYER)
    assert game.decide(eva.token, recruiter=MARKET_CHOICE, take_kickbacks=False) is None
    game.advance(24)
    assert all(h.get("price", 0.0) >= 0 for h in eva.history)
    assert sum(b["hires"] for b in eva.books) > 0
    assert abs(sum(b["kickbacks"] for b in eva.books)) < 1e-6, "every kickback offered was handed back"
    assert all(b["cost_per_hire"] >= -1e-9 for b in eva.books)


def test_refused_kickbacks_go_back_to_the_recruiter_and_the_books_balance():
    game = ClassroomGame("baseline")  # early in the baseline every recruiter pays kickbacks
    game.advance(3)
    eva = game.join(game.code, "Eva", EMPLOYER)
    game.decide(eva.token, take_kickbacks=False)
    game.advance(6)
    refused = sum(b["refused"] for b in eva.books)
    assert refused > 0, "early in the baseline every recruiter pays kickbacks: some were handed back"
    assert game.model.ledger.total(flow="refused_kickbacks") == pytest.approx(refused)
    assert sum(b["kickbacks"] for b in eva.books) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("decision, says", [
    ({"fee_months": "lots"}, "not a number"), ({"fee_months": "-1"}, "from 0 to"), ({"fee_months": "nan"}, "from 0"),
    ({"fee_months": "1e9"}, "from 0"), ({"cheat": "yes"}, "yes or no"), ({"bribe": True}, "does not decide"),
    ({"recruiter": 10**6}, "not in the market"), ({"recruiter": "the cheap one"}, "from the list"),
    ({"take_kickbacks": 1}, "yes or no"),
])
def test_bad_input_is_a_message_and_changes_nothing(decision, says):
    game = ClassroomGame(config=small_config())
    role = EMPLOYER if set(decision) & {"recruiter", "take_kickbacks"} else RECRUITER
    ana = game.join(game.code, "Ana", role)
    before = vars(ana.decision).copy()
    message = game.decide(ana.token, **decision)
    assert message and says in message
    assert vars(ana.decision) == before
    assert game.advance(2) == 2
    assert "not in this session" in game.decide("no-such-token", fee_months=1)


def test_a_closed_tab_keeps_the_agent_and_the_session_goes_on():
    game = ClassroomGame(config=small_config())
    ana = game.join(game.code, "Ana", RECRUITER)
    game.decide(ana.token, fee_months="1.0")
    game.leave(ana.token)
    assert game.advance(3) == 3
    assert not ana.connected and len(ana.books) == 3
    assert game.model.recruiters.fee_months[ana.row] == 1.0 or not game.model.recruiters.active[ana.row]


def test_a_player_whose_agency_closes_takes_over_another():
    game = ClassroomGame(config=small_config())
    ana = game.join(game.code, "Ana", RECRUITER)
    old = ana.row
    game.model.exit_recruiters(np.array([old]))
    game.advance(1)
    assert ana.row != old and game.model.recruiters.active[ana.row]
    assert "closed" in ana.messages[-1]


def test_teacher_levers_apply_and_bad_ones_are_messages():
    game = ClassroomGame(config=small_config())
    assert game.set_lever("policy.inspection_rate", "0.2") is None
    assert game.model.config.policy.inspection_rate == 0.2
    assert game.model.regulator.policy.inspection_rate == 0.2
    assert game.set_lever("fee_rule", "ban") is None and game.model.config.policy.fee_cap_months == 0.0
    assert "out of range" in game.set_lever("policy.fine", "-3")
    assert "no policy lever" in game.set_lever("market.n_workers", "3")
    assert game.advance(2) == 2


def test_the_debrief_sets_choices_against_workers_outcomes():
    game = ClassroomGame(config=small_config())
    ana = game.join(game.code, "Ana", RECRUITER)
    eva = game.join(game.code, "Eva", EMPLOYER)
    game.decide(ana.token, fee_months="0", cheat=False, deceive=False)
    game.decide(eva.token, recruiter=ana.row)
    game.advance(24)
    rows = {row["name"]: row for row in game.debrief()}
    assert set(rows) == {"Ana", "Eva"}
    assert rows["Ana"]["workers placed"] == len(ana.placed) > 0
    assert rows["Ana"]["mean fee paid (months)"] <= 1.0 + 1e-9, "no recruiter fee: at most a sub-agent's month"
    assert "fee 0.0" in rows["Ana"]["choices"]
    assert rows["Ana"]["bonded abroad now"] >= 0 and rows["Eva"]["workers placed"] >= 0
