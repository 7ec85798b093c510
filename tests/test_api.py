"""The public Python API: ``import sim`` / ``import recruitsim``, and RecruitmentModel as Mesa users drive it.

A Mesa user builds the model with keyword parameters and ``rng``, steps it
with ``step``/``run_for``/``run_model``, reads ``model.agents`` and the
DataCollector, and hands the class to ``mesa.batch_run``. These tests check
each of those paths, that the seed of every run is recorded, and that the
keyword route gives the very runs the config route gives.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import pydoc
import subprocess
import sys
import warnings
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

import sim
from sim import RecruitmentModel, build_config, compose_scenario, flat_config, simulate
from sim.config import ConfigError, Targeting
from sim.model.outcomes import OUTCOMES
from sim.model.recruiters import Recruiter
from sim.model.workers import ABROAD, Worker

ROOT = Path(__file__).resolve().parent.parent
#: A small world for fast runs, as keyword levers.
SMALL = {"market__n_workers": 400, "market__n_employers": 10, "market__n_recruiters": 6, "run__steps": 12}
LEVERS = {"policy__fee_cap_months": [None, 0], "policy__inspection_rate": [0.0, 0.1]}
HEAVY = ("mesa", "numpy", "pandas", "hydra", "omegaconf", "matplotlib", "solara")


def run_python(code: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, **env), timeout=300)


def batch(parameters: dict, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Mesa 3.5 deprecates iterations=
        rows = mesa.batch_run(RecruitmentModel, parameters=parameters, number_processes=1,
                              display_progress=False, **kwargs)
    return pd.DataFrame(rows)


def seeded_batch_arguments(parameters: dict, seeds: list[int]) -> tuple[dict, dict]:
    """Explicit seeds for batch_run: its ``rng`` argument (Mesa 3.4+) or a model parameter (Mesa 3.3)."""
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        return parameters, {"rng": seeds}
    return {**parameters, "rng": seeds}, {}


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


# --------------------------------------------------------------------------- the packages


def test_import_sim_is_light_and_names_load_on_first_use():
    code = ("import sys, json, sim\n"
            f"heavy = {HEAVY!r}\n"
            "loaded = lambda: sorted({m.split('.')[0] for m in sys.modules} & set(heavy))\n"
            "before = loaded()\n"
            "names = sim.__all__\n"
            "model = sim.RecruitmentModel\n"
            "print(json.dumps({'before': before, 'after': loaded(), 'names': names}))")
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["before"] == []
    assert "mesa" in report["after"]  # the name was imported when first used
    assert {"RecruitmentModel", "build_config", "compose_scenario", "simulate", "RunResult",
            "load_sweep"} <= set(report["names"])


def test_every_public_name_resolves_and_dir_lists_them():
    assert set(sim.__all__) == set(sim._EXPORTS)  # the literal list and the lazy table agree
    for name in sim.__all__:
        assert getattr(sim, name) is not None, name
    assert set(sim.__all__) <= set(dir(sim))
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        sim.no_such_name  # noqa: B018


def test_import_recruitsim_gives_the_same_names_and_stays_light():
    done = run_python("import sys, recruitsim\n"
                      f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))", cwd=Path("/"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    import recruitsim

    assert recruitsim.__all__ == sim.__all__
    assert set(sim.__all__) <= set(dir(recruitsim))
    for name in sim.__all__:
        assert getattr(recruitsim, name) is getattr(sim, name), name
    assert "sim" in recruitsim.__doc__
    with pytest.raises(AttributeError):
        recruitsim.no_such_name  # noqa: B018


# --------------------------------------------------------------------------- building a model


def test_help_shows_the_real_parameters_not_mesas():
    params = inspect.signature(RecruitmentModel).parameters
    assert list(params) == ["config", "scenario", "rng", "levers"]
    assert params["levers"].kind is inspect.Parameter.VAR_KEYWORD
    assert all(params[name].kind is inspect.Parameter.KEYWORD_ONLY for name in ("scenario", "rng"))
    text = pydoc.render_doc(RecruitmentModel, renderer=pydoc.plaintext)
    head = text[: text.index("Method resolution order")]
    for word in ("scenario", "rng", "**levers", "policy__fee_cap_months", "batch_run", "running"):
        assert word in head, word
    assert "you have to pass either seed or rng" not in text
    assert "*args" not in head


def test_keyword_levers_set_config_keys_with_their_types():
    model = RecruitmentModel(rng=5, policy__fee_cap_months=0, policy__inspection_rate=np.float64(0.1),
                             policy__targeting="risk", certification__enabled=np.bool_(False),
                             market__n_workers=np.int64(300), **{"policy.fine": 2500})
    c = model.config
    assert c.seed == 5
    assert c.policy.fee_cap_months == 0.0 and type(c.policy.fee_cap_months) is float
    assert c.policy.inspection_rate == 0.1 and type(c.policy.inspection_rate) is float
    assert c.policy.targeting is Targeting.risk
    assert c.certification.enabled is False
    assert c.market.n_workers == 300 and type(c.market.n_workers) is int
    assert c.policy.fine == 2500.0
    assert model.workers.n == 300


def test_levers_on_a_config_change_a_copy_and_a_config_alone_is_run_as_given():
    config = build_config({"seed": 4, "run.steps": 6})
    changed = RecruitmentModel(config, policy__fine=9000)
    assert changed.config.policy.fine == 9000 and config.policy.fine != 9000
    assert changed.config.seed == 4
    assert RecruitmentModel(config).config is config
    assert RecruitmentModel(config, rng=4).config is config


def test_a_scenario_by_name_with_levers_is_the_scenario_the_command_composes():
    model = RecruitmentModel(scenario="ban_on_paper", rng=2, run__steps=3, policy__fine=750)
    expected = compose_scenario("ban_on_paper", ["seed=2", "run.steps=3", "policy.fine=750"])
    assert flat_config(model.config) == flat_config(expected)


def test_an_unknown_keyword_is_a_type_error_naming_the_closest_levers():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'policy__fee_cap'.*policy__fee_cap_months"):
        RecruitmentModel(policy__fee_cap=0)
    with pytest.raises(TypeError, match=r"'fee_cap_months'.*did you mean policy__fee_cap_months\?"):
        RecruitmentModel(fee_cap_months=0)
    with pytest.raises(TypeError, match=r"'n_agents'"):
        RecruitmentModel(n_agents=10)


def test_a_value_of_the_wrong_type_or_out_of_range_is_refused():
    with pytest.raises(TypeError, match=r"policy__inspection_rate='0.1': expected a number"):
        RecruitmentModel(policy__inspection_rate="0.1")
    with pytest.raises(TypeError, match=r"certification__enabled=1: expected True or False"):
        RecruitmentModel(certification__enabled=1)
    with pytest.raises(ConfigError, match=r"policy.inspection_rate=2"):
        RecruitmentModel(policy__inspection_rate=2)
    with pytest.raises(ConfigError, match=r"one of random, complaints, risk"):
        RecruitmentModel(policy__targeting="everyone")


def test_config_seed_and_rng_must_agree():
    config = build_config({"seed": 2})
    with pytest.raises(ValueError, match=r"rng=3 disagrees with config.seed=2"):
        RecruitmentModel(config, rng=3)
    with pytest.raises(TypeError, match="config or a scenario, not both"):
        RecruitmentModel(config, scenario="baseline")
    with pytest.raises(TypeError, match="RecruitsimConfig"):
        RecruitmentModel({"seed": 2})


def test_seed_is_the_deprecated_name_of_rng():
    with pytest.warns(FutureWarning, match="use rng"):
        model = RecruitmentModel(seed=6, run__steps=1)
    assert model.config.seed == 6
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="rng or seed"):
        RecruitmentModel(seed=6, rng=7)


def test_the_seed_used_is_recorded_whatever_rng_is():
    assert RecruitmentModel(rng=np.int64(11), run__steps=1).config.seed == 11
    fresh = {RecruitmentModel(run__steps=1, market__n_workers=10).config.seed for _ in range(3)}
    assert len(fresh) == 3  # rng=None without a config: a fresh seed each time, as in Mesa
    from_generator = RecruitmentModel(rng=np.random.default_rng(5), run__steps=1).config.seed
    assert from_generator == RecruitmentModel(rng=np.random.default_rng(5), run__steps=1).config.seed
    with pytest.raises(TypeError, match="rng must be"):
        RecruitmentModel(rng="five")


def test_keyword_route_runs_exactly_the_config_route():
    """Same seed, same results: simulate(build_config({"seed": 3})) and RecruitmentModel(rng=3)."""
    result = simulate(build_config({"seed": 3}))
    model = RecruitmentModel(rng=3)
    model.run_model()
    pd.testing.assert_frame_equal(model.timeseries(), result.timeseries)
    assert model.summary() == result.summary


# --------------------------------------------------------------------------- running


def test_running_turns_false_at_the_horizon():
    model = RecruitmentModel(rng=1, **SMALL)
    for month in range(1, 13):
        assert model.running
        model.step()
        assert model.month == month
    assert not model.running
    model.run_model()  # nothing left to run
    assert model.month == 12
    assert not RecruitmentModel(rng=1, run__steps=0).running


def test_run_for_then_run_model_runs_to_the_horizon_like_one_run():
    straight = RecruitmentModel(rng=8, **SMALL)
    straight.run_model()
    mixed = RecruitmentModel(rng=8, **SMALL)
    mixed.run_for(5)
    assert mixed.month == 5 and mixed.running
    mixed.run_model()
    assert mixed.month == 12 and mixed.steps == 12 and not mixed.running
    pd.testing.assert_frame_equal(mixed.timeseries(), straight.timeseries())
    mixed.run_model(2)  # a number of months runs past the horizon, as callers of run_model(n) expect
    assert mixed.month == 14


# --------------------------------------------------------------------------- agents and data


def test_agents_are_read_only_views_of_the_tables():
    model = RecruitmentModel(rng=2, **SMALL)
    model.run_for(6)
    w = model.workers
    workers = model.agents_by_type[Worker]
    assert len(workers) == w.n
    abroad = workers.select(lambda a: a.abroad)
    assert len(abroad) == int((w.status == ABROAD).sum())
    assert abroad.agg("debt", sum) == pytest.approx(float(w.debt[w.status == ABROAD].sum()))
    for agent in list(workers)[:50]:
        i = agent.index
        assert (agent.employer, agent.wage, agent.months_left, agent.migrations) == (
            int(w.employer[i]), float(w.wage[i]), int(w.months_left[i]), int(w.migrations[i]))
    recruiters = model.agents.select(agent_type=Recruiter)
    r = model.recruiters
    assert len(recruiters) == int(r.active[: r.n].sum())
    assert sum(recruiters.groupby(type).count().values()) == len(recruiters)
    for agent in recruiters:
        assert (agent.placements, agent.capacity, agent.overcharges, agent.churns) == (
            int(r.placements[agent.row]), int(r.capacity[agent.row]), bool(r.overcharges[agent.row]),
            bool(r.churns[agent.row]))
    e = model.employers
    for agent in model.agents_by_type[sim.Employer]:
        assert (agent.positions, agent.filled) == (int(e.positions[agent.row]), int(e.filled[agent.row]))
    with pytest.raises(AttributeError):
        workers.set("debt", 0.0)


def test_the_datacollector_has_a_row_a_month_with_every_outcome_and_the_seed():
    model = RecruitmentModel(rng=9, **SMALL)
    model.run_model()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 12
    assert set(OUTCOMES) | {"seed"} <= set(frame.columns)
    assert (frame["seed"] == 9).all()
    assert list(model.timeseries().columns) == list(OUTCOMES)


# --------------------------------------------------------------------------- mesa.batch_run


def test_batch_run_with_two_levers_and_iterations_records_a_seed_per_run():
    frame = batch({**LEVERS, **SMALL}, iterations=3, max_steps=100, data_collection_period=-1)
    assert len(frame) == 4 * 3
    assert set(OUTCOMES) | {"seed", *LEVERS} <= set(frame.columns)
    assert (frame["step"] == 12).all()  # every run stopped at its horizon (running), not at max_steps
    for _, cell in frame.groupby(["iteration"]):
        assert len(cell) == 4
    for _, runs in frame.groupby([frame["policy__fee_cap_months"].astype(str), "policy__inspection_rate"]):
        assert runs["seed"].nunique() == 3  # distinct replications
    row = frame.iloc[5]
    levers = {k: (None if pd.isna(row[k]) else row[k]) for k in LEVERS}
    again = RecruitmentModel(rng=int(row["seed"]), **levers, **SMALL)
    again.run_model()
    last = again.timeseries().iloc[-1]
    assert all(same(float(last[name]), float(row[name])) for name in OUTCOMES), "the seed does not reproduce the run"


def test_batch_run_with_explicit_seeds_is_reproducible():
    parameters, seeding = seeded_batch_arguments({**LEVERS, **SMALL}, [0, 1])
    first = batch(parameters, max_steps=100, data_collection_period=1, **seeding)
    second = batch(parameters, max_steps=100, data_collection_period=1, **seeding)
    pd.testing.assert_frame_equal(first, second)
    assert sorted(first["seed"].unique()) == [0, 1]
    assert len(first) == 4 * 2 * 12


# --------------------------------------------------------------------------- a collected sweep and the tutorial


def test_load_sweep_reads_both_tables(tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from collected_tables import make_collected
    finally:
        sys.path.remove(str(ROOT / "tests"))
    make_collected(tmp_path / "sweep", [{"policy.inspection_rate": 0.0}, {"policy.inspection_rate": 0.2}], [0, 1])
    for where in (tmp_path / "sweep", tmp_path / "sweep" / "collected"):
        runs, timeseries = sim.load_sweep(where)
        assert len(runs) == 4 and set(runs["seed"]) == {0, 1}
        assert len(timeseries) == 4 * 18 and "policy.inspection_rate" in timeseries
    with pytest.raises(FileNotFoundError, match="recruitsim-collect"):
        sim.load_sweep(tmp_path)


def test_the_tutorial_runs(tmp_path):
    out = tmp_path / "figures"
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "tutorial.py")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, MPLBACKEND="Agg", RECRUITSIM_TUTORIAL_OUT=str(out)))
    assert done.returncode == 0, done.stderr[-3000:]
    figure = out / "batch_mean_fee.png"
    assert figure.is_file() and figure.stat().st_size > 10_000
    assert "running: False" in done.stdout
