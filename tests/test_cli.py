"""The ``recruitsim`` command, its output files, and the atomic writers behind them.

The command runs as a subprocess (the installed console script) with its
output directory under ``tmp_path``. Assertions are about structure (exit
status, files, columns, keys), not about the model's numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.config import LEVER_GROUPS, RecruitsimConfig, compose_config, to_jsonable
from sim.runs import files as outputs
from sim.runs.simulate import run_from_config

OUTCOMES = ["step", "placements", "certified_share", "mean_fee_months", "indebted_share",
            "debt_bondage_share", "mean_payback_months", "n_certified", "n_fee_charging",
            "violations_detected", "fines_collected"]
INTERFACE_LEVERS = ["policy.fee_cap_months", "policy.inspection_rate", "policy.fine",
                    "policy.joint_liability", "certification.enabled"]
RUN_FILES = ["timeseries.parquet", "summary.json", "config.yaml", "metadata.json"]
TINY = ["run.steps=3", "market.n_workers=50"]


def recruitsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the installed command (or ``python -m sim.commands.run``) and capture its output."""
    script = Path(sys.executable).with_name("recruitsim")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sim.commands.run"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    return subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def leftover_temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("override", "key", "value"), [
    ("market.n_workers=-5", "market.n_workers", "-5"),
    ("market.n_workers=abc", "market.n_workers", "abc"),
    ("policy.inspection_rate=1.5", "policy.inspection_rate", "1.5"),
    ("policy.fee_cap_months=-1", "policy.fee_cap_months", "-1"),
    ("seed=-1", "seed", "-1"),
    ("seed=1.5", "seed", "1.5"),
    ("market.no_such_key=1", "market.no_such_key", "1"),
    ("policy=no_such_option", "policy", "no_such_option"),
    ("certification.enabled=maybe", "certification.enabled", "maybe"),
    ("policy.targeting=psychic", "policy.targeting", "psychic"),
])
def test_bad_input_exits_2_with_a_short_message_and_writes_nothing(tmp_path, override, key, value):
    run_dir = tmp_path / "run"
    done = recruitsim(override, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 5, done.stderr
    assert key in done.stderr and value in done.stderr
    assert "Traceback" not in done.stderr
    assert not run_dir.exists()
    assert not (tmp_path / "outputs").exists()


def test_bad_sweep_exits_2_before_any_job(tmp_path):
    sweep_dir = tmp_path / "sweep"
    done = recruitsim("-m", *TINY, "seed=0,1", "policy.inspection_rate=0,1.5",
                      f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "policy.inspection_rate=1.5" in done.stderr
    assert not sweep_dir.exists()


# --------------------------------------------------------------------------- a good run


def test_tiny_run_writes_the_documented_files(tmp_path):
    run_dir = tmp_path / "run"
    done = recruitsim(*TINY, "seed=4", f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "seed 4" in done.stdout and done.stdout.strip().splitlines()[-1].endswith("run")
    for name in RUN_FILES:
        assert (run_dir / name).is_file(), name
    assert not leftover_temp_files(tmp_path)

    ts = pd.read_parquet(run_dir / "timeseries.parquet")
    assert len(ts) == 3
    assert set(OUTCOMES) <= set(ts.columns)
    assert list(ts["step"]) == [1, 2, 3]

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["seed"] == 4
    assert set(OUTCOMES) - {"step"} <= set(summary)
    assert set(INTERFACE_LEVERS) <= set(summary["levers"])
    assert all(k.startswith(LEVER_GROUPS) for k in summary["levers"])
    assert summary["levers"]["policy.fee_cap_months"] is None  # baseline: no rule

    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["seed"] == 4 and config["run"]["steps"] == 3 and config["market"]["n_workers"] == 50

    meta = json.loads((run_dir / "metadata.json").read_text())
    assert meta["seed"] == 4 and meta["config"] == config
    assert {"recruitsim", "mesa", "numpy", "pandas", "hydra-core", "omegaconf", "pyarrow"} <= set(meta["packages"])
    assert {"commit", "dirty"} <= set(meta["git"])
    assert meta["wall_seconds"] >= 0 and meta["started"] <= meta["ended"]
    assert os.uname().nodename not in json.dumps(meta)


def test_tiny_sweep_writes_one_folder_per_job(tmp_path):
    sweep_dir = tmp_path / "sweep"
    done = recruitsim("-m", *TINY, "seed=0,1", f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    jobs = sorted(p for p in sweep_dir.iterdir() if p.is_dir() and p.name != "store")
    assert len(jobs) == 2
    seeds = sorted(json.loads((job / "summary.json").read_text())["seed"] for job in jobs)
    assert seeds == [0, 1]


def test_run_from_config_is_a_plain_function(tmp_path):
    cfg = compose_config([*TINY, "scenario=fee_ban_enforced"])
    result = run_from_config(cfg, tmp_path / "out")
    assert len(result.timeseries) == 3
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scenario"] == "fee_ban_enforced"
    assert summary["levers"]["policy.fee_cap_months"] == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(RUN_FILES)


def test_same_seed_same_timeseries():
    from sim.runs.simulate import simulate

    config = RecruitsimConfig()
    config.run.steps, config.market.n_workers = 3, 50
    a, b = simulate(config), simulate(config)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)


# --------------------------------------------------------------------------- help


def test_help_lists_groups_and_options(tmp_path):
    done = recruitsim("--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for word in ("scenario", "policy", "certification", "market", "society", "run",
                 "fee_ban_enforced", "voluntary_certification", "baseline", "recruitsim -m"):
        assert word in done.stdout, word
    assert not (tmp_path / "outputs").exists()


# --------------------------------------------------------------------------- atomic writes


class Unserialisable:
    pass


def test_atomic_json_keeps_the_old_file_when_serialisation_fails(tmp_path):
    path = tmp_path / "summary.json"
    outputs.write_json(path, {"a": 1})
    with pytest.raises(TypeError):
        outputs.write_json(path, {"a": Unserialisable()})
    assert json.loads(path.read_text()) == {"a": 1}
    assert not leftover_temp_files(tmp_path)


def test_atomic_parquet_keeps_the_old_file_when_serialisation_fails(tmp_path):
    path = tmp_path / "timeseries.parquet"
    good = pd.DataFrame({"step": [1, 2], "placements": [3.0, 4.0]})
    outputs.write_parquet(path, good)
    bad = pd.DataFrame({"step": [1, 2], "placements": [Unserialisable(), Unserialisable()]})
    with pytest.raises((ValueError, TypeError)):  # pyarrow's ArrowInvalid / ArrowTypeError
        outputs.write_parquet(path, bad)
    pd.testing.assert_frame_equal(pd.read_parquet(path), good)
    assert not leftover_temp_files(tmp_path)


def test_atomic_open_keeps_the_old_file_when_the_writer_fails_midway(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("old: true\n")
    with pytest.raises(RuntimeError):
        with outputs.atomic_open(path) as f:
            f.write("new: ")
            raise RuntimeError("crash while writing")
    assert path.read_text() == "old: true\n"
    assert not leftover_temp_files(tmp_path)


def test_json_has_no_nan():
    assert json.loads(json.dumps(to_jsonable({"x": float("nan"), "y": [float("inf"), 1.5]}))) == {
        "x": None, "y": [None, 1.5]}


# --------------------------------------------------------------------------- every scenario, full length


@pytest.mark.slow
def test_every_scenario_runs_at_full_length(tmp_path):
    """Every scenario runs its full horizon in one sweep; each job folder is a complete run."""
    from sim.config import scenarios

    done = recruitsim("-m", "scenario=glob(*)", f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # the sweep folder also holds the results store (store/) and Hydra's multirun.yaml
    jobs = [job for job in (tmp_path / "sweep").iterdir() if job.is_dir() and job.name != "store"]
    assert len(jobs) == len(scenarios.names())
    for job in jobs:
        assert (job / "metadata.json").is_file(), job
