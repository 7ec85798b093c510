"""The classroom app without a browser: its session logic, its levers, and what it imports.

The session (:mod:`sim.app.session`) is where every value typed into the app
is checked and every model is built, so these tests cover the app's
behaviour quickly and without solara. The real page is tested in a browser
by tests/test_app_browser.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim.app import session as app_session
from sim.app.session import (
    BAN,
    BY_KEY,
    CAP,
    LEVERS,
    NO_RULE,
    SEED,
    ClassroomSession,
    apply_levers,
    lever_values,
)
from sim.config import scenarios
from sim.model import RecruitmentModel

UI_PACKAGES = ("solara", "reacton", "ipyvue", "ipyvuetify", "ipywidgets", "playwright")


def test_importing_the_core_and_the_launcher_imports_no_ui():
    """``import sim, sim.model`` (and the app's launcher and session) must not pull in solara."""
    code = ("import sys, sim, sim.model, sim.config.scenarios, sim.app, sim.app.session; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({UI_PACKAGES!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


# --------------------------------------------------------------------------- levers


@pytest.mark.parametrize("raw,fragment", [
    ("abc", "not a number"), ("", "enter a number"), ("1.5", "out of range"), ("-0.1", "out of range"),
    ("nan", "is not a number"), ("inf", "is not a number"),
])
def test_a_bad_lever_value_is_a_message(raw, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        BY_KEY["policy.inspection_rate"].parse(raw)
    assert "Inspection rate" in str(info.value) and "from 0 to 1" in str(info.value)


@pytest.mark.parametrize("raw,fragment", [("1.5", "not a whole number"), ("-1", "out of range"),
                                          ("seven", "not a number"), (str(2**40), "out of range")])
def test_a_bad_seed_is_a_message(raw, fragment):
    with pytest.raises(ValueError, match=fragment):
        SEED.parse(raw)


def test_good_values_are_read_as_typed():
    assert SEED.parse(" 7 ") == 7 and SEED.parse("0") == 0 and SEED.parse("12.0") == 12
    assert BY_KEY["policy.fine"].parse("20,000") == 20000.0
    assert BY_KEY["policy.public_capacity"].parse("50") == 50
    assert BY_KEY["fee_rule"].parse(BAN) == BAN
    with pytest.raises(ValueError):
        BY_KEY["fee_rule"].parse("abolish")


@pytest.mark.parametrize("name", scenarios.names())
def test_untouched_levers_leave_every_scenario_as_it_is(name):
    """Reading a scenario into the levers and back gives the scenario's own config."""
    base = app_session.scenario_config(name)
    assert apply_levers(base, lever_values(base)) == base


def test_the_fee_rule_maps_to_the_cap_key():
    base = app_session.scenario_config("baseline")
    values = lever_values(base)
    assert values["fee_rule"] == NO_RULE
    assert apply_levers(base, values | {"fee_rule": BAN}).policy.fee_cap_months == 0.0
    assert apply_levers(base, values | {"fee_rule": CAP, "policy.fee_cap_months": 2.5}).policy.fee_cap_months == 2.5


def test_every_lever_has_a_range_the_config_accepts():
    base = app_session.scenario_config("baseline")
    values = lever_values(base)
    for lever in LEVERS:
        if lever.kind in ("float", "int"):
            for end in (lever.lo, lever.hi):
                apply_levers(base, values | {lever.key: end, "fee_rule": CAP})


# --------------------------------------------------------------------------- the session


def small(session: ClassroomSession) -> ClassroomSession:
    """Keep the session's runs small: fewer workers (the base config is the session's own copy)."""
    session.base.market.n_workers = 600
    session.base.market.n_employers = 30
    session.reset()
    return session


def test_step_reset_step_reproduces_the_numbers():
    session = small(ClassroomSession("baseline"))
    session.step(3)
    first = session.latest()
    assert session.month == 3
    session.reset()
    assert session.month == 0 and session.latest()["mean_fee_months"] == "–"
    session.step(3)
    assert session.latest() == first


def test_the_session_runs_the_same_model_as_the_command_line():
    session = ClassroomSession("ban_on_paper")
    session.step(4)
    model = RecruitmentModel(scenarios.compose("ban_on_paper"))
    model.run_model(4)
    assert session.model.timeseries().equals(model.timeseries())


def test_picking_a_scenario_sets_its_levers_and_keeps_the_seed():
    session = ClassroomSession("baseline")
    assert session.set_value("seed", "5") is None
    assert session.load_scenario("ban_on_paper")
    v = session.values
    assert (v["fee_rule"], v["policy.inspection_rate"], v["policy.fine"]) == (BAN, 0.02, 500.0)
    assert v["seed"] == 5 and session.model.config.seed == 5
    assert session.scenario.name == "ban_on_paper" and "WHAT IS IT" in session.scenario.sections
    assert session.load_scenario("public_channel")
    assert session.values["policy.public_capacity"] == 50


def test_a_bad_value_leaves_the_lever_as_it_was():
    session = ClassroomSession("baseline")
    before = dict(session.values)
    message = session.set_value("policy.inspection_rate", "lots")
    assert "not a number" in message
    assert session.values == before and not session.pending
    assert "no control" in session.set_value("market.n_workers", "10")


def test_levers_apply_at_the_start_of_a_run_or_at_reset():
    session = small(ClassroomSession("baseline"))
    assert session.set_value("policy.inspection_rate", "0.3") is None
    assert session.pending
    session.step(1)  # month 0: the change applies before the first step
    assert session.model.config.policy.inspection_rate == 0.3 and not session.pending
    assert session.set_value("policy.fine", "20000") is None
    session.step(1)  # mid-run: it waits for Reset
    assert session.model.config.policy.fine == 1000.0 and session.pending and session.month == 2
    session.reset()
    assert session.model.config.policy.fine == 20000.0 and session.month == 0


def test_a_run_stops_at_the_scenarios_horizon():
    session = small(ClassroomSession("baseline"))
    session.base.run.steps = 5
    session.reset()
    assert session.step(12) == 5 and session.finished
    assert session.step(1) == 0


def test_an_error_while_stepping_is_a_message(monkeypatch):
    session = small(ClassroomSession("baseline"))
    session.step(1)

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(session.model, "step", broken)
    assert session.step(1) == 0
    assert "stopped at month 1" in session.message and "boom" in session.message


def test_an_unknown_scenario_is_a_message():
    session = ClassroomSession("baseline")
    assert not session.load_scenario("no_such_scenario")
    assert "no_such_scenario" in session.message
    assert session.scenario.name == "baseline"


# --------------------------------------------------------------------------- recruitsim-app


def test_the_launcher_checks_its_arguments(capsys):
    from sim.app import main

    assert main(["--scenario", "ban_on_papr"]) == 2
    assert "ban_on_paper" in capsys.readouterr().err
    assert main(["--port", "70000"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "127.0.0.1" in capsys.readouterr().out


def test_the_launcher_says_how_to_install_the_app_extra(monkeypatch, capsys):
    import importlib.util

    from sim.app import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "solara" else real(name, *a))
    assert main([]) == 2  # a usage error: the command needs an extra that is not installed
    assert "bash dev.sh app" in capsys.readouterr().err
