"""Calibration, sensitivity analysis and scenario discovery run end to end, resume, and refuse bad sizes.

The pipelines run at their ``--quick`` size (a tiny world, a handful of
points); the numbers they produce mean nothing, but every stage, table, figure
and report is produced. The parameter space they sample is checked against
the config schema, and the batch adapter's resume (from the results store)
and failure handling are tested directly.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from experiments import batch, calibrate, discovery, sensitivity
from experiments.parameter_space import (
    CALIBRATED,
    NON_STATE_LEVERS,
    UNCERTAINTIES,
    Factor,
    defaults,
    schema_bounds,
    to_overrides,
)
from sim.config import build_config

SMALL = {"run.steps": 12, "market.n_workers": 300, "market.n_employers": 6, "market.n_recruiters": 5}


# --------------------------------------------------------------------------- the parameter space


@pytest.mark.parametrize("factor", UNCERTAINTIES + NON_STATE_LEVERS, ids=lambda f: f.key)
def test_every_factor_is_a_schema_key_with_a_range_inside_the_schema(factor: Factor):
    lo, hi = schema_bounds(factor.key)
    assert lo <= factor.lo < factor.hi <= hi
    assert factor.why, "every range says why"
    build_config({factor.key: factor.value(factor.unit_bounds()[0])})
    build_config({factor.key: factor.value(factor.unit_bounds()[1])})


@pytest.mark.parametrize("factor", UNCERTAINTIES, ids=lambda f: f.key)
def test_every_uncertainty_range_contains_its_default(factor: Factor):
    assert factor.lo <= defaults([factor])[factor.key] <= factor.hi


def test_factor_values_respect_kind_and_scale():
    integer = Factor("market.capacity", 5, 20, "x", "int")
    flag = Factor("certification.announced", 0, 1, "x", "bool")
    scale = Factor("market.worker_choice_scale", 0.3, 3.0, "x", log=True)
    assert integer.value(7.6) == 8 and isinstance(integer.value(7.6), int)
    assert flag.value(0.49) is False and flag.value(0.5) is True
    assert scale.unit_bounds() == pytest.approx((math.log10(0.3), math.log10(3.0)))
    assert scale.value(0.0) == pytest.approx(1.0)
    assert to_overrides([integer, scale], [30.0, 0.0]) == {"market.capacity": 20, "market.worker_choice_scale": 1.0}


def test_calibrated_factors_are_uncertainties():
    assert {f.key for f in CALIBRATED} <= {f.key for f in UNCERTAINTIES}
    assert len(CALIBRATED) == 4


# --------------------------------------------------------------------------- the batch adapter


def record_times(folder) -> dict:
    """Record file -> modification time (ns) of the results store under ``folder``."""
    return {p.name: p.stat().st_mtime_ns for p in (folder / "store" / "runs").glob("*.json")}


def test_batch_keeps_order_records_failures_and_goes_on(tmp_path):
    points = [{**SMALL, "seed": 1}, {**SMALL, "seed": 2, "market.search_prob": 7.0}, {**SMALL, "seed": 3}]
    frame = batch.evaluate(points, jobs=1, store=tmp_path, progress=False)
    assert len(frame) == 3
    assert frame["error"].iloc[1].startswith("ConfigError") and "search_prob" in frame["error"].iloc[1]
    assert frame["error"].iloc[[0, 2]].isna().all()
    assert math.isnan(frame["mean_fee_months"].iloc[1])
    assert batch.failures(frame) == [frame["error"].iloc[1]]
    alone = batch.evaluate(points[2:], jobs=1, progress=False)
    assert alone["placements"].iloc[0] == frame["placements"].iloc[2], "a point's result does not depend on its batch"


def test_batch_resumes_from_the_store_without_rerunning(tmp_path, monkeypatch):
    from sim.runs import engine

    points = [{**SMALL, "seed": s} for s in range(4)]
    first = batch.evaluate(points[:3], jobs=1, store=tmp_path, progress=False)
    assert len(record_times(tmp_path)) == 3, "one record per finished run"
    calls = []
    real = engine.execute
    monkeypatch.setattr(engine, "execute", lambda config, fail=False: calls.append(config.seed) or real(config))
    again = batch.evaluate(points, jobs=1, store=tmp_path, progress=False)
    assert calls == [3], "runs in the store are read, only the missing one runs"
    pd.testing.assert_frame_equal(first, again.iloc[:3])


def test_batch_in_parallel_equals_serial():
    points = [{**SMALL, "seed": s} for s in range(4)]
    serial = batch.evaluate(points, jobs=1, progress=False)
    parallel = batch.evaluate(points, jobs=2, progress=False)
    cols = list(batch.DEFAULT_OUTCOMES)
    pd.testing.assert_frame_equal(serial[cols], parallel[cols])


def test_base_overrides_of_a_scenario_rebuild_the_same_config():
    from sim.config import flat_config, scenarios

    base = batch.base_overrides(["scenario=corridor_korea_eps"])
    assert base["policy.public_capacity"] > 0
    rebuilt = {k: v for k, v in flat_config(build_config(base)).items() if k in base}
    assert rebuilt == {k: v for k, v in flat_config(scenarios.compose("corridor_korea_eps")).items() if k in base}


# --------------------------------------------------------------------------- the pipelines, tiny


@pytest.mark.slow  # (about 30-50 s: the default run stays under 10 minutes; .ci/run runs it)
def test_calibration_runs_end_to_end_and_resumes(tmp_path):
    out = tmp_path / "calibration"
    assert calibrate.main(["--quick", "--jobs", "1", "--out", str(out)]) == 0
    posterior = pd.read_parquet(out / "posterior.parquet")
    for f in calibrate.FITTED:
        assert posterior[f.key].between(f.lo, f.hi).all(), f.key
    report = (out / "report.md").read_text()
    for needle in ("## Targets", "corridor_pakistan_saudi", "corridor_korea_eps", "corridor_philippines",
                   "(quick run: numbers mean nothing)", "recruitsim-calibrate"):
        assert needle in report
    assert (out / "figures" / "marginals.png").stat().st_size > 0
    records = record_times(out / "runs")
    assert records, "the runs are kept in the results store"
    assert calibrate.main(["--quick", "--jobs", "1", "--out", str(out)]) == 0
    assert record_times(out / "runs") == records, "a rerun reuses every run and writes none"
    pd.testing.assert_frame_equal(pd.read_parquet(out / "posterior.parquet"), posterior)


def test_sensitivity_runs_end_to_end(tmp_path):
    out = tmp_path / "sensitivity"
    assert sensitivity.main(["--quick", "--out", str(out)]) == 0
    morris = pd.read_csv(out / "morris.csv")
    assert len(morris) == len(UNCERTAINTIES) * 2 * 2  # factors x regimes x outcomes
    assert set(morris["factor"]) == {f.key for f in UNCERTAINTIES}
    assert (morris["mu_star"] >= 0).all()
    sobol = pd.read_csv(out / "sobol.csv")
    info = json.loads((out / "sensitivity.json").read_text())
    assert set(sobol["factor"]) == set(info["top"]) and len(info["top"]) == 2
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(sobol.columns)
    assert 0 <= info["claim"]["free_above"] <= 1
    report = (out / "report.md").read_text()
    for needle in ("Morris screening", "Sobol indices", "Seed noise", "across sampled worlds"):
        assert needle in report
    assert report.splitlines()[2].endswith("its numbers mean nothing.") and "**" not in report  # --quick
    for stem in ("morris", "sobol", "claim_across_worlds"):
        assert (out / "figures" / f"{stem}.png").stat().st_size > 0


def test_top_factors_are_chosen_by_relative_influence():
    rows = [{"factor": "market.search_prob", "mu_star_relative": 0.2},
            {"factor": "market.home_wage", "mu_star_relative": 1.0},
            {"factor": "market.search_prob", "mu_star_relative": 0.9},
            {"factor": "market.capacity", "mu_star_relative": 0.5}]
    chosen = sensitivity.select_top(pd.DataFrame(rows), 2)
    assert [f.key for f in chosen] == ["market.home_wage", "market.search_prob"]  # in factor order


@pytest.mark.parametrize("args, message", [
    (["--sobol-n", "100"], "power of two"),
    (["--sobol-n", "32"], "at least 64"),
    (["--levels", "3"], "even"),
    (["--trajectories", "1"], "at least 2"),
])
def test_sensitivity_refuses_sample_sizes_salib_is_not_valid_for(args, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        sensitivity.main([*args, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "nothing runs or is written"


def test_discovery_runs_end_to_end(tmp_path):
    out = tmp_path / "discovery"
    assert discovery.main(["--quick", "--out", str(out)]) == 0
    worlds = pd.read_csv(out / "worlds.csv")
    assert len(worlds) == 60
    assert {f.key for f in discovery.FACTORS} <= set(worlds.columns)
    assert worlds["certified_share"].between(0, 1).all()
    info = json.loads((out / "discovery.json").read_text())
    assert info["cases"] == int((worlds["certified_share"] > discovery.THRESHOLD).sum())
    report = (out / "report.md").read_text()
    assert "PRIM boxes" in report and "Decision tree" in report


def test_prim_finds_a_planted_box():
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.uniform(size=(600, 4)), columns=["a", "b", "c", "d"])
    y = ((x["a"] > 0.7) & (x["b"] < 0.4)).to_numpy()
    boxes = discovery.prim_boxes(x, y, min_density=0.9)
    rules = {r["factor"]: r for r in boxes[0]["rules"]}
    assert set(rules) == {"a", "b"}
    assert rules["a"]["lo"] == pytest.approx(0.7, abs=0.05) and rules["b"]["hi"] == pytest.approx(0.4, abs=0.05)
    assert boxes[0]["density"] >= 0.9 and boxes[0]["coverage"] >= 0.8
    leaves, _ = discovery.tree_rules(x, y, depth=2, min_leaf=5, seed=0)
    assert leaves[0]["density"] >= 0.9 and "a >" in leaves[0]["rule"]


def test_discovery_refuses_too_few_worlds(capsys):
    with pytest.raises(SystemExit) as exit_info:
        discovery.main(["--worlds", "3"])
    assert exit_info.value.code == 2
    assert "--worlds must be at least 10" in capsys.readouterr().err
