"""Bayesian calibration (experiments/calibrate.py): recovery, the posterior file, resumption, posterior worlds.

The quick tests run a tiny world (``batch.QUICK_WORLD``, about 0.05 s a run)
with a handful of particles; the slow ones the full set of fitted parameters
and the corridors at full size. docs/VALIDATION.md, section 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import batch, calibrate
from experiments.calibrate import CORRIDORS, FITTED, Budget, Corridor
from experiments.parameter_space import by_key, schema_bounds
from sim.runs.posterior import COLUMNS, PosteriorError, posterior_worlds, read_posterior

PAKISTAN = "corridor_pakistan_saudi"


def test_abc_recovers_a_known_parameter_from_data_made_by_the_model(tmp_path):
    """The market's slack sets the fee: ABC on the model's own output must find the value that made it."""
    factor = by_key(FITTED)["market.jobs_per_employer"]
    truth = {factor.key: 30}
    targets = calibrate.synthetic_targets([factor], truth, [Corridor(PAKISTAN, 0, 1, "")], range(900, 904), batch.QUICK_WORLD)
    corridor = Corridor(PAKISTAN, targets[PAKISTAN], 0.3, "synthetic", seeds=2)
    frame, stats = calibrate.run_abc(prior="default", factors=[factor], corridors=[corridor], targets=targets,
                                     budget=Budget(population=16, generations=3, simulations=160, seeds=2,
                                                   min_epsilon=0.0),
                                     world=batch.QUICK_WORLD, store=tmp_path / "runs", db=tmp_path / "abc.db",
                                     jobs=None)
    row = calibrate.contraction(frame, [factor]).iloc[0]
    assert row["q05"] <= truth[factor.key] <= row["q95"], row.to_dict()
    assert row["contraction"] >= calibrate.UNIDENTIFIED_BELOW, row.to_dict()  # identified by the report's rule
    assert stats["final_epsilon"] < 1.0


def test_priors_widen_and_go_log_where_they_apply():
    widened = {f.key: f for f in calibrate.prior_factors("widened")}
    logged = {f.key: f for f in calibrate.prior_factors("log")}
    for f in FITTED:
        w = widened[f.key]
        lo, hi = schema_bounds(f.key)
        assert w.lo <= f.lo and w.hi >= f.hi and (w.lo < f.lo or w.hi > f.hi or (f.lo, f.hi) == (lo, hi))
        assert lo <= w.lo and w.hi <= hi
        assert logged[f.key].log == (f.lo > 0)
    with pytest.raises(ValueError, match="unknown prior"):
        calibrate.prior_factors("flat")


def _run_quick(out: Path, generations: int, **kw) -> dict:
    budget = Budget(population=6, generations=generations, simulations=200, seeds=1, min_epsilon=0.0)
    return calibrate.calibrate(priors=["default", "log"], budgets={"default": budget, "log": budget}, jobs=1,
                               out_dir=out, quick=True, **kw)


def test_posterior_file_schema_report_and_worlds(tmp_path):
    out = tmp_path / "cal"
    assert calibrate.main(["--recovery", "--quick", "--jobs", "1", "--out", str(out)]) == 0
    recovery = pd.read_csv(out / "recovery.csv")
    assert list(recovery["parameter"]) == [f.key for f in FITTED] and recovery["covered"].dtype == bool
    assert (recovery["q05"] <= recovery["q95"]).all()
    result = _run_quick(out, 2)
    posterior = read_posterior(out / "posterior.parquet")
    assert list(posterior.columns) == [*COLUMNS, *[f.key for f in FITTED]]
    assert set(posterior["prior"]) == {"default", "log"}
    assert posterior["generation"].dtype.kind == "i" and posterior["particle"].dtype.kind == "i"
    sums = posterior.groupby(["prior", "generation"])["weight"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    for prior in ("default", "log"):
        for f in calibrate.prior_factors(prior):
            assert posterior[f.key].between(f.lo, f.hi).all(), f.key
    assert (posterior.groupby(["prior", "generation"])["epsilon"].nunique() == 1).all()
    saved = json.loads((out / "calibration.json").read_text())
    assert saved["priors"]["default"]["final_epsilon"] == result["priors"]["default"]["final_epsilon"]
    assert set(saved["predictive"]) == {c.scenario for c in CORRIDORS}
    assert saved["runs"] > 0 and saved["run_seconds"] > 0  # the whole calibration's cost, over sessions
    for check in saved["predictive"].values():
        assert 0 <= check["coverage"] <= 1 and check["q05"] <= check["q95"]
    report = (out / "report.md").read_text()
    for needle in ("## What the data identify", "## Sensitivity to the prior", "## Posterior predictive checks",
                   "## Checks not used for fitting", "## Recovery of known parameters", "ESS",
                   "(quick run: numbers mean nothing)"):
        assert needle in report, needle
    worlds = posterior_worlds(5, path=out / "posterior.parquet", prior="log")
    assert len(worlds) == 5 and set(worlds[0]) == {f.key for f in FITTED}
    assert isinstance(worlds[0]["market.jobs_per_employer"], int)
    with pytest.raises(PosteriorError, match="no particles for prior 'widened'"):
        posterior_worlds(1, path=out / "posterior.parquet", prior="widened")
    with pytest.raises(PosteriorError, match="no posterior"):
        posterior_worlds(1, path=tmp_path / "missing.parquet")


@pytest.mark.slow  # (about 30-50 s: the default run stays under 10 minutes; .ci/run runs it)
def test_an_interrupted_calibration_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch):
    """Stopped in the middle of a generation, a rerun continues and ends with the same posterior."""
    budget = Budget(population=6, generations=3, simulations=200, seeds=1, min_epsilon=0.0)

    def run(out):
        return calibrate.calibrate(priors=["default"], budgets={"default": budget}, jobs=1, out_dir=out,
                                   quick=True)

    run(tmp_path / "whole")
    real = calibrate.Evaluator.compute
    calls = []

    def interrupted(self, thetas):
        calls.append(self.generation)
        if self.generation == 2:
            real(self, thetas[: len(thetas) // 2])  # half the batch finished, then Ctrl-C
            raise KeyboardInterrupt
        return real(self, thetas)

    monkeypatch.setattr(calibrate.Evaluator, "compute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "split")
    monkeypatch.setattr(calibrate.Evaluator, "compute", real)
    assert not (tmp_path / "split" / "posterior.parquet").exists()
    resumed = run(tmp_path / "split")
    whole = pd.read_parquet(tmp_path / "whole" / "posterior.parquet")
    split = pd.read_parquet(tmp_path / "split" / "posterior.parquet")
    pd.testing.assert_frame_equal(whole, split)
    assert resumed["priors"]["default"]["runs_this_session"] < json.loads(
        (tmp_path / "whole" / "calibration.json").read_text())["priors"]["default"]["runs_this_session"]


@pytest.mark.slow  # (about 20 s)
def test_a_finished_calibration_rerun_adds_no_generation(tmp_path):
    """A prior that met its tolerance is not run further when the command is rerun (as after a crash in a later prior)."""
    budget = Budget(population=6, generations=3, simulations=200, seeds=1, min_epsilon=1e9)

    def run():
        return calibrate.calibrate(priors=["default"], budgets={"default": budget}, jobs=1, out_dir=tmp_path,
                                   quick=True)

    first = run()
    before = pd.read_parquet(tmp_path / "posterior.parquet")
    assert before["generation"].max() == 0 and first["priors"]["default"]["runs_this_session"] > 0
    again = run()
    assert again["priors"]["default"]["runs_this_session"] == 0
    pd.testing.assert_frame_equal(before, pd.read_parquet(tmp_path / "posterior.parquet"))


def test_the_command_refuses_an_unknown_prior():
    with pytest.raises(SystemExit) as exc:
        calibrate.main(["--priors", "default,flat", "--quick"])
    assert exc.value.code == 2


@pytest.mark.slow
def test_abc_covers_the_true_values_of_every_fitted_parameter_at_about_the_nominal_rate(tmp_path):
    """Five worlds drawn from the prior made synthetic targets; the 90% intervals must cover the truth in
    at least 70% of the 55 (parameter, world) pairs (nominal 90%; ABC's intervals are if anything too wide).
    The same check, run by `recruitsim-calibrate --recovery`, is in the calibration report."""
    table = calibrate.recovery_check(tmp_path / "runs")
    assert len(table) == 5 * len(FITTED) and set(table["parameter"]) == {f.key for f in FITTED}
    assert table["covered"].mean() >= 0.7, table


@pytest.mark.slow
@pytest.mark.parametrize("corridor", CORRIDORS, ids=lambda c: c.scenario)
def test_posterior_predictive_of_each_corridor_is_within_its_tolerance(corridor):
    """Over 20 posterior worlds on fresh seeds, the corridor's mean fee lies inside its band (needs the
    committed posterior of the full calibration)."""
    root = Path(__file__).resolve().parents[1]
    path = root / "results" / "calibration" / "posterior.parquet"
    if not path.is_file():
        pytest.skip("no committed posterior yet: run the full calibration (docs/VALIDATION.md, 2.5)")
    worlds = posterior_worlds(20, path=path, seed=11)
    base = batch.base_overrides([f"scenario={corridor.scenario}"])
    points = [{**base, **calibrate._applies(w, corridor.scenario), "seed": 5_000_000 + i} for i, w in enumerate(worlds)]
    fees = batch.evaluate(points, outcomes=("mean_fee_months",), progress=False)["mean_fee_months"].to_numpy()
    assert corridor.band[0] <= fees.mean() <= corridor.band[1], fees


def _tiny_posterior(path: Path) -> None:
    """A posterior file of two particles (the schema of calibrate's output), for the experiment's worlds."""
    rows = [{"prior": "default", "generation": 0, "particle": i, "weight": 0.5, "distance": 0.5, "epsilon": 1.0,
             "market.jobs_per_employer": float(j), "market.search_prob": p} for i, (j, p) in enumerate(((15, 0.2),
                                                                                                      (35, 0.4)))]
    pd.DataFrame(rows).to_parquet(path, index=False)


def test_an_experiment_runs_its_grid_in_each_posterior_world(tmp_path):
    from experiments import run

    _tiny_posterior(tmp_path / "posterior.parquet")
    out = tmp_path / "exp"
    with pytest.raises(SystemExit) as exc:
        run.main(["public_channel", "--quick", "--jobs", "1", "--worlds", "posterior", "--posterior",
                  str(tmp_path / "posterior.parquet"), "--out", str(out)])
    assert exc.value.code == 0
    runs = pd.read_parquet(out / "runs" / "collected" / "runs.parquet")
    import experiments.public_channel as module
    from experiments.context import grid_specs

    plain = len(grid_specs(run.build_overrides("public_channel", out / "runs", module, None, None, True)))
    assert len(runs) == 2 * plain, "the grid once per world"
    assert set(runs["market.jobs_per_employer"]) <= {15, 35} and runs["market.jobs_per_employer"].nunique() >= 1
    worlds = runs["seed"] // run.WORLD_SEED_STRIDE
    for _, group in runs.groupby(worlds):
        assert group["market.search_prob"].nunique() == 1, "one world's runs share its parameters"


def test_an_experiment_over_a_missing_posterior_is_a_usage_error(tmp_path, capsys):
    from experiments import run

    with pytest.raises(SystemExit) as exc:
        run.main(["public_channel", "--quick", "--worlds", "posterior", "--posterior", str(tmp_path / "none.parquet"),
                  "--out", str(tmp_path / "exp")])
    assert exc.value.code == 2
    assert "no posterior" in capsys.readouterr().err
    assert not (tmp_path / "exp").exists()
