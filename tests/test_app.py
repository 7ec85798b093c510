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
    first = session.headline()
    assert session.month == 3
    session.reset()
    assert session.month == 0 and session.headline()["mean_fee_months"] == "–"
    session.step(3)
    assert session.headline() == first


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


def test_the_plots_text_is_never_smaller_than_the_bound():
    """Every panel's text is at least MIN_FONT_PT points in an SVG shown >= MIN_PANEL_PX wide: >= 16 px."""
    from sim.app import plots

    session = small(ClassroomSession("fee_cap"))
    session.step(24)
    assert plots.MIN_FONT_PT * plots.MIN_PANEL_PX / (plots.PANEL_WIDTH_IN * 72) >= plots.MIN_FONT_PX
    for panel in plots.PANELS:
        fig = plots.run_figure(panel, session.series(), session.horizon, session.applied)
        assert plots.smallest_font_pt(fig) >= plots.MIN_FONT_PT, panel.key
        assert fig.axes[0].get_ylim()[0] == 0 and fig.axes[0].get_ylim()[1] in panel.ranges


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


def test_the_headline_numbers_are_the_commands_summary_over_its_window():
    """The app's headline says which months it averages, and they are the numbers of model.summary()."""
    from sim.app.session import READOUT

    session = small(ClassroomSession("baseline"))
    session.step(60)
    assert session.window() == (13, 60)
    model = RecruitmentModel(apply_levers(session.base, session.values))
    model.run_model(60)
    summary = model.summary()
    for name, (_, decimals) in READOUT.items():
        assert session.headline()[name] == f"{summary[name]:.{decimals}f}"


def test_a_bad_value_blocks_step_run_and_reset_until_fixed():
    session = small(ClassroomSession("baseline"))
    assert "out of range" in session.set_value("policy.fine", "-5")
    assert session.blocked
    assert session.step(1) == 0 and not session.reset() and session.month == 0
    assert session.set_value("policy.fine", "2000") is None
    assert not session.blocked and session.step(1) == 1


def test_the_link_restores_scenario_levers_and_seed():
    session = ClassroomSession("ban_on_paper")
    session.set_value("seed", "7")
    session.set_value("policy.fine", "20000")
    session.set_value("policy.joint_liability", True)
    session.set_value("market.n_employers", "150")
    query = session.query()
    other = ClassroomSession("baseline")
    assert other.restore(query) == []
    assert other.scenario.name == "ban_on_paper" and other.values == session.values
    assert other.model.config == apply_levers(session.base, session.values)
    assert other.restore("scenario=baseline&policy.fine=lots&market.bogus=1") and other.values["policy.fine"] == 1000


def test_things_to_try_set_the_levers_as_the_command_would():
    session = ClassroomSession("ban_on_paper")
    commands = dict(session.scenario.commands())
    line = next(c for c in commands if "policy.fine=20000" in c)
    assert session.try_command(line)
    assert session.values["policy.fine"] == 20000.0
    expected = scenarios.compose("ban_on_paper", ["policy.fine=20000"])
    expected.seed = session.values["seed"]
    assert session.model.config == expected
    assert not session.try_command("recruitsim scenario=ban_on_paper policy.fine=-3")
    assert "policy.fine" in session.message


def test_every_things_to_try_line_of_every_scenario_sets_up():
    for name in scenarios.names():
        session = ClassroomSession(name)
        for command, _ in session.scenario.commands():
            assert session.try_command(command), (command, session.message)


def test_jump_to_the_end_and_export():
    import io

    import pandas as pd

    session = small(ClassroomSession("baseline"))
    session.base.run.steps = 30
    session.reset()
    assert session.finish() == 30 and session.finished
    frame = pd.read_csv(io.StringIO(session.csv()))
    assert list(frame["seed"].unique()) == [session.values["seed"]]
    assert frame.drop(columns=["scenario", "seed"]).equals(session.model.timeseries().reset_index(drop=True))


def test_a_comparison_runs_both_setups_on_the_same_seeds():
    import time

    from sim.app.session import Comparison, Setup

    session = ClassroomSession("baseline")  # a Setup is a scenario and levers: default-size runs, kept short
    session.set_value("market.n_employers", "40")
    a = Setup.of(session)
    session.load_scenario("fee_ban_enforced")
    session.set_value("market.n_employers", "40")
    b = Setup.of(session)
    comparison = Comparison()
    progress = []
    comparison_setups = {"A": a, "B": b}
    comparison.start(comparison_setups, first_seed=4, n_seeds=2, on_progress=lambda: progress.append(1))
    deadline = time.monotonic() + 300
    while comparison.running and time.monotonic() < deadline:
        time.sleep(0.2)
    assert comparison.message is None and comparison.done == comparison.total == 4 and len(progress) == 4
    assert comparison.seeds == [4, 5]
    for label, setup in comparison_setups.items():
        for seed, frame in zip(comparison.seeds, comparison.runs[label]):
            model = RecruitmentModel(setup.config(seed))
            model.run_model()
            assert frame.equals(model.timeseries()), (label, seed)
    table = {row["setup"]: row for row in comparison.table()}
    assert table["A"]["seeds"] == table["B"]["seeds"] == 2
    assert float(table["B"]["fee (months of wage)"].split()[0]) < float(table["A"]["fee (months of wage)"].split()[0])


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
