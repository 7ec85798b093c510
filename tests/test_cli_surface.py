"""One command-line surface: every recruitsim command behaves the same way where it can.

Every console script has ``--help`` that renders (no ``%%``, no RST
markup) and ``--version``; analyses write under the current directory's
``results/`` or ``--out``; usage errors exit with status 2; sweep job folders
and progress lines name the swept values; a run that cannot place anyone
says so; a launcher without its optional extra names the ``pip install``; and
the README's counts match the files they count.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from sim.config import REPO_ROOT, build_config

SCRIPTS = sorted(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"])
TINY = ["run.steps=6", "market.n_workers=200", "market.n_employers=10", "market.n_recruiters=5"]


def script(name: str, *args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the installed console script ``name`` and capture its output."""
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        pytest.skip(f"console script {name} not installed (pip install -e .)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HYDRA_", "RECRUITSIM_"))}
    clean.update(env or {})
    return subprocess.run([str(path), *args], cwd=cwd, env=clean, capture_output=True, text=True,
                          timeout=300, check=False)


# --------------------------------------------------------------------------- help and version


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_command_has_help_that_renders(name, tmp_path):
    done = script(name, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert name in done.stdout
    assert "%%" not in done.stdout, "a literal %% in --help"
    assert "``" not in done.stdout, "RST markup (double backticks) in --help"


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_command_prints_its_versions(name, tmp_path):
    done = script(name, "--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout.strip()
    assert len(text.splitlines()) <= 2, text
    for distribution in ("recruitsim", "hydra-core", "mesa"):
        assert metadata.version(distribution) in text, f"{distribution}'s version missing: {text}"
    assert f"Python {sys.version_info.major}.{sys.version_info.minor}" in text


def test_recruitsim_version_answers_before_hydra_reads_the_overrides(tmp_path):
    """Hydra would refuse the unknown key; --version must not even look at it."""
    done = script("recruitsim", "--version", "no_such_key=1", "hydra/launcher=no_such_launcher", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"recruitsim {metadata.version('recruitsim')}")
    assert not any(tmp_path.iterdir()), "nothing written"


# --------------------------------------------------------------------------- where analyses write


@pytest.mark.parametrize("module, name", [("calibrate", "calibration"), ("sensitivity", "sensitivity"),
                                          ("discovery", "discovery")])
def test_analyses_write_under_the_working_directory(module, name, tmp_path, monkeypatch):
    import importlib

    from experiments.document import output_dir

    command = importlib.import_module(f"experiments.{module}")
    monkeypatch.chdir(tmp_path)
    parser = command._parser()
    assert output_dir(parser.parse_args([]), name).resolve() == tmp_path / "results" / name
    assert output_dir(parser.parse_args(["--quick"]), name).resolve() == tmp_path / "results" / "quick" / name
    assert output_dir(parser.parse_args(["--out", "elsewhere"]), name).resolve() == tmp_path / "elsewhere"


def test_experiment_writes_under_the_working_directory_by_default(tmp_path, monkeypatch, capsys):
    from experiments import run

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        run.main(["deterrence", "--quick", "--skip-sweep"])  # nothing swept yet: nothing to analyse
    assert exit_info.value.code == 1
    assert f"no results store in {Path('results', 'quick', 'deterrence', 'runs')}" in capsys.readouterr().out


def test_experiment_out_names_its_folder_even_with_characters_hydra_would_parse(tmp_path):
    out = tmp_path / "my out=1,2"
    done = script("recruitsim-experiment", "deterrence", "--quick", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (out / "report.md").is_file() and (out / "runs" / "store").is_dir()
    assert not (tmp_path / "results").exists()


def test_experiment_keeps_its_older_option_name_hidden(tmp_path):
    from experiments import run

    parser = run._parser()
    help_text = parser.format_help()
    assert "--out" in help_text and "--results-dir" not in help_text
    assert parser.parse_args(["claim", "--results-dir", "old"]).results_dir == Path("old")


@pytest.mark.parametrize("text", ["results/claim/runs", "/tmp/a=b/runs", "/tmp/x y,z/runs", "/tmp/it's/runs",
                                  "/tmp/back\\slash/runs", "/tmp/end\\", "10", "true", "1e3"])
def test_folders_reach_hydra_unchanged(text):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from experiments.run import hydra_string

    override = OverridesParser.create().parse_override(f"hydra.sweep.dir={hydra_string(text)}")
    assert override.value() == text


# --------------------------------------------------------------------------- exit status of usage errors


@pytest.mark.parametrize("module, args", [
    ("calibrate", ["--quick", "--jobs", "0"]), ("sensitivity", ["--quick", "--jobs", "-1"]),
    ("discovery", ["--quick", "--jobs", "two"]), ("calibrate", ["--seeds", "0"]), ("run", ["claim", "--seeds", "0"]), ("run", ["claim", "--jobs", "0"]),
    ("run", ["no_such_experiment"]), ("run", ["claim", "--out", "a", "--results-dir", "b"]),
])
def test_usage_errors_exit_2_and_write_nothing(module, args, tmp_path, monkeypatch, capsys):
    import importlib

    command = importlib.import_module(f"experiments.{module}")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        command.main(args)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip()
    assert not any(tmp_path.iterdir())


def test_collect_of_a_missing_folder_is_a_usage_error(tmp_path, capsys):
    from sim.commands import collect

    assert collect.main([str(tmp_path / "no_such_sweep"), "-q"]) == 2
    assert "no folder" in capsys.readouterr().err


# --------------------------------------------------------------------------- launchers without their extra


@pytest.mark.parametrize("option, extra", [("slurm", "cluster"), ("slurm_local", "cluster"),
                                           ("submitit_local", "cluster"), ("ray", "ray")])
def test_a_launcher_without_its_extra_names_the_pip_install(option, extra, tmp_path, monkeypatch, capsys):
    import importlib.util

    from sim.commands import run

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("hydra_plugins.hydra_") else real(name, *a))
    monkeypatch.setattr(sys, "argv", ["recruitsim", "-m", "seed=0,1", f"hydra/launcher={option}"])
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        run.main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"recruitsim: hydra/launcher={option} needs the optional extra '{extra}': "
                   f"pip install -e '.[{extra}]'")
    assert not any(tmp_path.iterdir())


def test_a_launcher_with_its_extra_is_not_refused():
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="extra 'cluster' not installed")
    from sim.commands.run import missing_launcher

    assert missing_launcher(["-m", "hydra/launcher=slurm_local", "seed=0,1"]) is None
    assert missing_launcher(["-m", "hydra/launcher=basic"]) is None


# --------------------------------------------------------------------------- sweeps name what they vary


def test_sweep_job_folders_and_progress_lines_name_the_swept_values(tmp_path):
    sweep_dir = tmp_path / "sweep"
    done = script("recruitsim", "-m", *TINY, "policy=fee_ban_weak,fee_ban_enforced", "seed=3",
                  "hydra/launcher=basic", f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folders = sorted(p.name for p in sweep_dir.iterdir() if p.is_dir() and p.name != "store")
    assert folders == [f"{i}_market.n_employers=10,market.n_recruiters=5,market.n_workers=200,"
                       f"policy={policy},run.steps=6,seed=3"
                       for i, policy in enumerate(["fee_ban_weak", "fee_ban_enforced"])]
    lines = [line for line in done.stdout.splitlines() if line.startswith("[job ")]
    assert [line.split(":")[0] for line in lines] == ["[job 1/2 policy=fee_ban_weak] seed 3",
                                                      "[job 2/2 policy=fee_ban_enforced] seed 3"]


def test_batched_jobs_are_named_without_their_batch_size(tmp_path):
    sweep_dir = tmp_path / "sweep"
    done = script("recruitsim", "-m", *TINY[:1], "seed=0,2", "run.replications=2", "hydra/launcher=basic",
                  f"hydra.sweep.dir={sweep_dir}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folders = sorted(p.name for p in sweep_dir.iterdir() if p.is_dir() and p.name != "store")
    assert folders == ["0_run.steps=6,seed=0", "1_run.steps=6,seed=2"]
    assert sorted(p.name for p in (sweep_dir / folders[1]).glob("seed_*")) == ["seed_2", "seed_3"]
    assert "[job 1/2] seed 1:" in done.stdout  # the seed only is swept: the line names it once


def test_job_label_names_only_swept_keys_when_they_are_known(monkeypatch):
    from sim.runs import sweep

    overrides = ["run.steps=6", "policy.fine=5000", "seed=12", "run.replications=10", "experiment=claim"]
    monkeypatch.setenv(sweep.JOBS_ENV, "8")
    monkeypatch.setenv(sweep.SWEPT_ENV, "policy.fine,seed")
    assert sweep.job_label(2, overrides) == "job 3/8 policy.fine=5000"
    monkeypatch.delenv(sweep.SWEPT_ENV)  # unknown (another sweeper): every override but the unnamed ones
    assert sweep.job_label(2, overrides) == "job 3/8 run.steps=6 policy.fine=5000"


# --------------------------------------------------------------------------- runs that cannot place anyone


def _summary(**values) -> str:
    from sim.commands.run import format_summary
    from sim.runs.simulate import simulate

    config = build_config({"market.n_workers": 100, **values})
    return format_summary(config, simulate(config), Path("out"))


def test_a_run_of_no_months_prints_na_not_none():
    text = _summary(**{"run.steps": 0})
    assert "None" not in text
    assert "n/a (no months simulated)" in text
    assert re.search(r"mean_fee_months\s+n/a", text)


@pytest.mark.parametrize("key", ["market.n_workers", "market.n_employers", "market.jobs_per_employer"])
def test_a_world_that_places_nobody_says_so(key):
    text = _summary(**{"run.steps": 6, key: 0})
    assert "None" not in text
    assert f"no worker was placed in the run: {key}=0" in text


def test_a_normal_run_prints_numbers_and_no_warning():
    text = _summary(**{"run.steps": 12})
    assert "no worker was placed" not in text and "n/a (no months" not in text
    assert re.search(r"placements\s+\d+\.\d{3}", text)


# --------------------------------------------------------------------------- the README's counts


NUMBERS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                      "thirteen fourteen fifteen sixteen seventeen eighteen nineteen "
                                      "twenty".split())}


def _stated_counts(text: str, noun: str) -> list[tuple[str, int]]:
    pattern = rf"\b(\d+|{'|'.join(NUMBERS)})\s+(?:named |teaching )?{noun}\b"
    return [(m.group(0), int(m.group(1)) if m.group(1).isdigit() else NUMBERS[m.group(1).lower()])
            for m in re.finditer(pattern, text, flags=re.IGNORECASE)]


def test_the_readme_states_true_counts():
    """A count in the README must match what it counts (or the README must not state one)."""
    from experiments.context import experiment_names
    from sim.config import scenarios

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    teaching = len(scenarios.names()) - 1  # all but the baseline
    for phrase, n in _stated_counts(readme, "scenarios"):
        assert n == (teaching if "teaching" in phrase else len(scenarios.names())), phrase
    for phrase, n in _stated_counts(readme, "experiments"):
        assert n == len(experiment_names()), phrase
