"""Sweeps: parallel and serial launchers, failure isolation, resume, the results store, collect.

Sweeps run as the installed ``recruitsim -m`` command (a subprocess) at a
tiny size, with their sweep directory under ``tmp_path``; collections run in
this process. Collected tables are compared without ``wall_seconds``, the
only column that depends on the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.config import CONFIG_KEYS, RecruitsimConfig, build_config, flat_config
from sim.runs import store as store_mod
from sim.runs.collect import RUN_COLUMNS, collect
from sim.runs.store import Store, model_fingerprint, run_id
from sim.runs.sweep import FAIL_SEEDS_ENV

TINY = ["run.steps=6", "market.n_workers=200", "market.n_employers=10", "market.n_recruiters=5"]
OUTCOME_COLUMNS = None  # filled lazily: the columns of RecruitmentModel.timeseries()


def command(name: str) -> list[str]:
    script = Path(sys.executable).with_name(name)
    module = {"recruitsim": "sim.commands.run", "recruitsim-collect": "sim.commands.collect"}[name]
    return [str(script)] if script.exists() else [sys.executable, "-m", module]


def environment(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HYDRA_", "RECRUITSIM_"))}
    env.update(extra)
    return env


def sweep(sweep_dir: Path, *overrides: str, env: dict | None = None, launcher: str | None = None,
          cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``recruitsim -m TINY OVERRIDES hydra.sweep.dir=SWEEP`` and capture its output."""
    args = ["-m", *TINY, *overrides, f"hydra.sweep.dir={sweep_dir}"]
    if launcher in ("parallel", "joblib"):  # the default launcher (recruitsim's), or Hydra's joblib one
        args.append("hydra.launcher.n_jobs=2")
    if launcher and launcher != "parallel":
        args.append(f"hydra/launcher={launcher}")
    return subprocess.run([*command("recruitsim"), *args], cwd=cwd or sweep_dir.parent,
                          env=env or environment(), capture_output=True, text=True, timeout=300,
                          check=False)


def tables(sweep_dir: Path, out: str = "collected") -> tuple[pd.DataFrame, pd.DataFrame]:
    collect(sweep_dir, sweep_dir / out, progress=False)
    runs = pd.read_parquet(sweep_dir / out / "runs.parquet")
    ts = pd.read_parquet(sweep_dir / out / "timeseries.parquet")
    return runs, ts


def assert_same_results(a: Path, b: Path) -> None:
    runs_a, ts_a = tables(a)
    runs_b, ts_b = tables(b)
    pd.testing.assert_frame_equal(runs_a.drop(columns="wall_seconds"), runs_b.drop(columns="wall_seconds"))
    pd.testing.assert_frame_equal(ts_a, ts_b)


def assert_store_is_clean(sweep_dir: Path) -> None:
    """No temporary file; every record parses; every completed record has a readable part."""
    store = Store(sweep_dir)
    assert not [p for p in store.root.rglob("*") if p.name.endswith(".tmp")]
    for path in store.record_files():
        record = json.loads(path.read_text())
        assert record["run_id"] == path.stem
        if record["status"] == "completed":
            part = pd.read_parquet(store.part_path(record["run_id"]))
            assert len(part) == record["config"]["run.steps"]
        else:
            assert not store.part_path(record["run_id"]).exists()


def outcome_columns() -> list[str]:
    global OUTCOME_COLUMNS
    if OUTCOME_COLUMNS is None:
        from sim.runs.simulate import simulate

        config = build_config({"run.steps": 1, "market.n_workers": 20})
        OUTCOME_COLUMNS = list(simulate(config).timeseries.columns)
    return OUTCOME_COLUMNS


# --------------------------------------------------------------------------- run ids


def test_run_id_is_the_hash_of_the_canonical_flat_config():
    config = build_config({"seed": 3, "policy.fine": 1000, "policy.fee_cap_months": 0})
    flat = flat_config(config)
    assert list(flat) == list(CONFIG_KEYS)  # every key, schema order, dotted names
    assert flat["policy.fine"] == 1000.0 and isinstance(flat["policy.fine"], float)
    assert flat["policy.targeting"] == "random"
    config_digest = hashlib.sha256(json.dumps(flat, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    text = config_digest + model_fingerprint()
    assert run_id(config) == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert run_id(config) == run_id(flat)
    # 1000 and 1000.0 are the same run; another seed or lever is another run
    assert run_id(build_config({"seed": 3, "policy.fine": 1000.0, "policy.fee_cap_months": 0.0})) == run_id(config)
    assert run_id(build_config({"seed": 4, "policy.fine": 1000, "policy.fee_cap_months": 0})) != run_id(config)
    assert run_id(RecruitsimConfig()) != run_id(config)



def test_run_id_changes_with_the_model_code(monkeypatch):
    """A resumed sweep must not take an older model's results for the current one's."""
    import sim.runs.store

    config = build_config({"seed": 3})
    before = run_id(config)
    monkeypatch.setattr(sim.runs.store, "model_fingerprint", lambda: "another model")
    assert run_id(config) != before

def test_run_id_of_a_composed_config_ignores_hydra():
    from sim.config import check_config, compose_config

    cfg = compose_config(["seed=3", "policy.fine=1000"])
    same = build_config({"seed": 3, "policy.fine": 1000, "description": cfg.description})
    assert run_id(cfg) == run_id(check_config(cfg)) == run_id(same)


# --------------------------------------------------------------------------- serial, parallel, batched


def test_serial_parallel_and_batched_sweeps_collect_equal_tables(tmp_path):
    serial, parallel, batched = tmp_path / "serial", tmp_path / "parallel", tmp_path / "batched"
    joblib = tmp_path / "joblib"
    grid = ["policy.inspection_rate=0,0.2"]
    done = sweep(serial, *grid, "seed=0,1,2", launcher="basic")
    assert done.returncode == 0, done.stderr
    done = sweep(parallel, *grid, "seed=0,1,2", launcher="parallel")
    assert done.returncode == 0, done.stderr
    assert "Launching 6 jobs on 2 local worker processes" in done.stdout + done.stderr
    done = sweep(joblib, *grid, "seed=0,1,2", launcher="joblib")  # Hydra's joblib launcher still works
    assert done.returncode == 0, done.stderr
    assert "Joblib.Parallel" in done.stdout + done.stderr
    # one job per inspection rate, each running seeds 0, 1, 2
    done = sweep(batched, *grid, "seed=0", "run.replications=3")
    assert done.returncode == 0, done.stderr
    (first_job,) = batched.glob("0_*")  # job 0's folder, named by its overrides
    assert len(list(first_job.glob("seed_*/summary.json"))) == 3
    for folder in (serial, parallel, joblib, batched):
        assert len(Store(folder).record_files()) == 6
        assert_store_is_clean(folder)
    assert_same_results(serial, parallel)
    assert_same_results(serial, joblib)
    assert_same_results(serial, batched)

    runs, ts = tables(serial)
    assert sorted(zip(runs["policy.inspection_rate"], runs["seed"])) == [
        (r, s) for r in (0.0, 0.2) for s in (0, 1, 2)]
    assert (runs["run.replications"] == 1).all()  # a run is one replication, however batched
    assert len(ts) == 6 * 6 and ts["seed"].notna().all()


# --------------------------------------------------------------------------- failures and resume


def test_a_failing_run_is_reported_the_others_complete_and_a_rerun_retries_only_it(tmp_path):
    sweep_dir = tmp_path / "sweep"
    done = sweep(sweep_dir, "seed=0,1,2,3", env=environment(**{FAIL_SEEDS_ENV: "2"}))
    assert done.returncode == 1, done.stderr
    records = {r["seed"]: r for r in Store(sweep_dir).records()}
    assert sorted(records) == [0, 1, 2, 3]
    failed = records[2]
    assert failed["status"] == "failed" and failed["summary"] is None
    assert failed["error"].startswith("RuntimeError: injected failure for seed 2")
    assert all(records[s]["status"] == "completed" for s in (0, 1, 3))
    # the final report names the run, its seed, its overrides and the error
    assert "1 failed runs" in done.stderr and failed["run_id"] in done.stderr
    assert "seed 2" in done.stderr and "seed=2" in done.stderr and "RuntimeError" in done.stderr
    assert "Traceback" not in done.stderr
    assert_store_is_clean(sweep_dir)
    mtimes = {p.name: p.stat().st_mtime_ns for p in Store(sweep_dir).parts.iterdir()}

    # the same command again, now without the failure: only seed 2 runs
    done = sweep(sweep_dir, "seed=0,1,2,3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("), skipped") == 3
    assert "seed 2: mean_fee_months" in done.stdout
    assert {p.name: p.stat().st_mtime_ns for p in Store(sweep_dir).parts.iterdir() if p.name in mtimes} == mtimes
    runs, ts = tables(sweep_dir)
    assert list(runs["status"]) == ["completed"] * 4 and runs["run_id"].is_unique
    assert len(ts) == 4 * 6 and not ts.duplicated(["run_id", "step"]).any()
    assert_store_is_clean(sweep_dir)

    # and once more: nothing left to run
    done = sweep(sweep_dir, "seed=0,1,2,3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("), skipped") == 4
    assert "0 runs completed" in done.stdout


def test_a_sweep_killed_midway_resumes_to_the_same_results(tmp_path):
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    seeds = "seed=range(0,10)"
    args = [*command("recruitsim"), "-m", *TINY, seeds, "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={killed}"]
    proc = subprocess.Popen(args, cwd=tmp_path, env=environment(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    runs_dir = Store(killed).runs
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if runs_dir.is_dir() and any(p.suffix == ".json" for p in runs_dir.iterdir()):
                break
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)  # the command and its joblib workers, no clean-up
    finally:
        proc.wait(timeout=30)
    kept = {r["run_id"]: r for r in Store(killed).records()}
    assert 0 < len(kept) < 10, "the sweep should have been killed mid-way"
    for rid, record in kept.items():  # a record is only ever written after its complete part
        assert record["status"] == "completed"
        assert len(pd.read_parquet(Store(killed).part_path(rid))) == 6

    done = sweep(killed, seeds)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("), skipped") >= len(kept)
    assert_store_is_clean(killed)
    assert sweep(whole, seeds, launcher="basic").returncode == 0
    assert_same_results(killed, whole)


def test_interrupted_writes_leave_no_visible_file_and_are_cleaned_on_resume(tmp_path):
    """What a kill during a write leaves (a hidden temporary file) is ignored, then removed."""
    from sim.config import compose_config
    from sim.runs.sweep import run_job

    sweep_dir = tmp_path / "sweep"
    run_job(compose_config([*TINY, "seed=0"]), sweep_dir=sweep_dir, job_dir=sweep_dir / "0")
    store = Store(sweep_dir)
    (store.parts / ".abc.parquet.x1.tmp").write_bytes(b"PAR1 half a file")
    (store.runs / ".abc.json.x2.tmp").write_text('{"run_id": "abc", "sta')
    assert [r["seed"] for r in store.records()] == [0]
    runs, ts = tables(sweep_dir)
    assert len(runs) == 1 and len(ts) == 6
    done = sweep(sweep_dir, "seed=0,1")
    assert done.returncode == 0, done.stderr
    assert_store_is_clean(sweep_dir)


# --------------------------------------------------------------------------- the command around sweeps


def test_a_single_run_refuses_replications(tmp_path):
    done = subprocess.run([*command("recruitsim"), *TINY, "run.replications=3", f"hydra.run.dir={tmp_path / 'run'}"],
                          cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "run.replications=3" in done.stderr and "sweep" in done.stderr
    assert not (tmp_path / "run").exists()


def test_a_bad_value_in_a_sweep_stops_it_before_any_job_with_the_parallel_launcher(tmp_path):
    sweep_dir = tmp_path / "sweep"
    done = sweep(sweep_dir, "seed=0,1", "policy.fine=10,-5")
    assert done.returncode == 2, done.stderr
    assert "policy.fine=-5" in done.stderr
    assert not sweep_dir.exists()


# --------------------------------------------------------------------------- collect


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    """A store of three runs, two levers, written by the job function itself (no Hydra)."""
    from sim.config import compose_config
    from sim.runs.sweep import run_job

    root = tmp_path_factory.mktemp("store")
    for i, fine in enumerate((100, 5000)):
        cfg = compose_config([*TINY, "policy=fee_ban_weak", f"policy.fine={fine}", "seed=0",
                              "run.replications=2" if i == 0 else "run.replications=1"])
        run_job(cfg, sweep_dir=root, job_dir=root / str(i), overrides=[f"policy.fine={fine}"],
                choices={"market": "default", "policy": "fee_ban_weak", "scenario": "baseline",
                         "experiment": None})
    return root


def test_collect_writes_the_documented_columns(small_store, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([*command("recruitsim-collect"), str(small_store), "--out", str(out)],
                          env=environment(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3 runs (3 completed, 0 failed)" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == ["runs.csv", "runs.parquet", "timeseries.csv",
                                                     "timeseries.parquet"]
    runs = pd.read_parquet(out / "runs.parquet")
    record = next(Store(small_store).records())
    choices = ["choice.market", "choice.policy", "choice.scenario"]
    config = [k for k in CONFIG_KEYS if k != "seed"]
    assert list(runs.columns) == [*RUN_COLUMNS, *choices, *config, *record["summary"]]
    assert list(runs["policy.fine"]) == [100.0, 100.0, 5000.0] and list(runs["seed"]) == [0, 1, 0]
    assert runs["policy.fine"].dtype == "float64" and runs["seed"].dtype == "int64"
    assert runs["policy.fee_cap_months"].dtype == "float64" and (runs["policy.fee_cap_months"] == 0).all()
    assert runs["certification.enabled"].dtype == bool

    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["run_id", "seed", *choices, "policy.fine", *outcome_columns()]
    assert len(ts) == 3 * 6 and list(ts["step"][:6]) == [1, 2, 3, 4, 5, 6]
    part = pd.read_parquet(Store(small_store).part_path(runs["run_id"][0]))
    pd.testing.assert_frame_equal(ts[ts["run_id"] == runs["run_id"][0]][list(part.columns)].reset_index(drop=True),
                                  part, check_dtype=False)

    assert len(pd.read_csv(out / "runs.csv")) == 3
    csv = pd.read_csv(out / "timeseries.csv")
    assert list(csv.columns) == list(ts.columns) and len(csv) == len(ts)


def test_collect_keeps_one_row_per_run_and_failed_runs_out_of_the_timeseries(small_store, tmp_path):
    import shutil

    sweep_dir = tmp_path / "copy"
    shutil.copytree(small_store, sweep_dir)
    store = Store(sweep_dir)
    first = store.record_files()[0]
    record = json.loads(first.read_text())
    record.update(status="failed", error="RuntimeError: boom", summary=None)
    store.write_failed(record)
    runs, ts = tables(sweep_dir)
    assert len(runs) == 3 and runs["run_id"].is_unique
    assert runs.set_index("run_id").loc[record["run_id"], "error"] == "RuntimeError: boom"
    assert record["run_id"] not in set(ts["run_id"]) and len(ts) == 2 * 6


def test_collect_never_touches_pickle(small_store, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    for name in ("load", "loads", "Unpickler", "dump", "dumps"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(pd, "read_pickle", refuse)
    monkeypatch.setattr(pd.DataFrame, "to_pickle", refuse)
    tables(small_store, "no_pickle")
    assert not [p for p in small_store.rglob("*") if p.suffix in (".pkl", ".pickle")]


def test_collect_says_when_there_is_nothing_to_collect(tmp_path):
    done = subprocess.run([*command("recruitsim-collect"), str(tmp_path)], env=environment(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "no run records" in done.stderr
    help_text = subprocess.run([*command("recruitsim-collect"), "--help"], env=environment(),
                               capture_output=True, text=True, timeout=120).stdout
    assert "SWEEP" in help_text and "--out" in help_text


def test_store_layout_constants_match_the_documented_layout(tmp_path):
    store = Store(tmp_path)
    assert store.part_path("abc") == tmp_path / "store" / "parts" / "abc.parquet"
    assert store.record_path("abc") == tmp_path / "store" / "runs" / "abc.json"
    assert store_mod.RECORD_KEYS[:10] == ("run_id", "seed", "status", "error", "choices", "config",
                                          "summary", "wall_seconds", "started", "ended")


# --------------------------------------------------------------------------- other launchers (optional extras)


def test_submitit_local_launcher_runs_a_sweep_into_the_store(tmp_path):
    """The SLURM path (submitit) on this machine: configs/hydra/launcher/slurm_local.yaml."""
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="extra 'cluster' not installed")
    sweep_dir = tmp_path / "sweep"
    done = sweep(sweep_dir, "seed=0,1", launcher="slurm_local",
                 env=environment(**{FAIL_SEEDS_ENV: "1"}))
    assert done.returncode == 1, done.stderr
    assert "seed 1" in done.stderr
    assert "LocalLauncher" in (sweep_dir / "multirun.yaml").read_text()
    statuses = sorted((r["seed"], r["status"]) for r in Store(sweep_dir).records())
    assert statuses == [(0, "completed"), (1, "failed")]
    done = sweep(sweep_dir, "seed=0,1", launcher="slurm_local")
    assert done.returncode == 0, done.stderr
    assert_store_is_clean(sweep_dir)
    assert_same_results(sweep_dir, _reference(tmp_path, "seed=0,1"))


def test_slurm_launcher_config_composes(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="extra 'cluster' not installed")
    done = subprocess.run([*command("recruitsim"), "hydra/launcher=slurm", "hydra.launcher.partition=cpu",
                           "--cfg", "hydra", "-p", "hydra.launcher"], cwd=tmp_path, env=environment(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "SlurmLauncher" in done.stdout and "partition: cpu" in done.stdout


@pytest.mark.slow
def test_ray_launcher_runs_a_sweep_into_the_store(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_ray_launcher", reason="extra 'ray' not installed")
    sweep_dir = tmp_path / "sweep"
    done = sweep(sweep_dir, "seed=0,1", "hydra.launcher.ray.init.num_cpus=2", launcher="ray",
                 env=environment(**{FAIL_SEEDS_ENV: "1"}))
    assert done.returncode == 1, done.stderr
    assert "seed 1" in done.stderr
    done = sweep(sweep_dir, "seed=0,1", "hydra.launcher.ray.init.num_cpus=2", launcher="ray")
    assert done.returncode == 0, done.stderr
    assert_store_is_clean(sweep_dir)
    assert_same_results(sweep_dir, _reference(tmp_path, "seed=0,1"))


def _reference(tmp_path: Path, *overrides: str) -> Path:
    reference = tmp_path / "reference"
    done = sweep(reference, *overrides, launcher="basic")
    assert done.returncode == 0, done.stderr
    return reference


def test_sweeps_set_in_config_files_are_checked_before_any_job(monkeypatch):
    """An experiment's grid (hydra.sweeper.params) is checked like the command line's."""
    from sim.config import checks as cli

    monkeypatch.setattr(cli, "_sweeper_params", lambda overrides: {"policy.fine": "10,-5", "seed": "0,1"})
    with pytest.raises(cli.InvalidConfig, match=r"policy.fine"):
        cli.precheck(["run.steps=1"], multirun=True)
    # the command line replaces a key the file sweeps
    cli.precheck(["run.steps=1", "policy.fine=10,20"], multirun=True)
