"""The scenario library: every file in configs/scenario/ composes, validates, runs and is documented.

Every scenario file is found by glob, so a new file is tested without
touching this module. Runs are a few months at a small size: these tests
check that each scenario is a working config with its classroom notes, not
what it shows (docs/teaching.md reports that, from full runs).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.commands import scenarios as scenarios_command
from sim.config import InvalidConfig, precheck, scenarios
from sim.runs.simulate import simulate

FILES = sorted(scenarios.SCENARIO_DIR.glob("*.yaml"))
NAMES = [p.stem for p in FILES]
SMALL = ["run.steps=4", "market.n_workers=300", "market.n_employers=15", "market.n_recruiters=8"]
# keys a scenario sets that describe it rather than change the model
METADATA_KEYS = {"scenario_name", "description"}


def test_the_library_has_the_scenarios_the_class_plan_uses():
    assert len(FILES) >= 11
    for name in ("baseline", "voluntary_certification", "fee_ban_enforced", "laissez_faire",
                 "iris_as_launched", "ban_on_paper", "joint_liability", "worker_voice",
                 "audits_unannounced", "strong_regulation_france", "public_channel"):
        assert name in NAMES


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_scenario_header_has_every_section_and_runs_itself(path: Path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# @package _global_\n"), "scenario files set values at the top level"
    info = scenarios.parse_header(text, path.stem)
    assert info.summary, 'second line must be: # Scenario "NAME": one line'
    assert re.search(rf'^# Scenario "{path.stem}":', text, re.M), "the title names the file"
    for section in scenarios.SECTIONS:
        assert info.sections.get(section, "").strip(), f"missing section {section}"
    commands = [c for c, _ in info.commands()]
    assert f"recruitsim scenario={path.stem}" in commands, "THINGS TO TRY starts from the scenario"
    assert "seed 00" in text.lower(), "each scenario cites its story in the seeds by section"


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_every_key_a_scenario_changes_has_a_comment(path: Path):
    """Each defaults override and each value set has a comment just above it (or on its line)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    body = [(i, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    for i, line in body:
        stripped = line.strip()
        is_override = stripped.startswith("- override")
        key = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*):\s*(\S.*)?$", line)
        is_leaf = key is not None and key.group(2) not in (None, "") and line.startswith(" ")
        if not (is_override or is_leaf) or (key and key.group(1) in METADATA_KEYS):
            continue
        above = lines[i - 1].strip() if i else ""
        assert "#" in line or above.startswith("#"), f"{path.name}:{i + 1}: no comment for {stripped!r}"


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_scenario_composes_validates_and_names_itself(path: Path):
    config = scenarios.compose(path.stem)
    assert config.scenario_name == path.stem
    assert config.description.strip()
    declared = yaml.safe_load(path.read_text(encoding="utf-8"))
    for group in ("policy", "certification", "society", "market", "run"):
        for key, value in (declared.get(group) or {}).items():
            assert getattr(getattr(config, group), key) == value, f"{group}.{key} did not reach the config"


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_every_command_in_things_to_try_is_valid(path: Path):
    for command, _ in scenarios.parse_header(path.read_text(encoding="utf-8"), path.stem).commands():
        try:
            precheck(command.split()[1:])
        except InvalidConfig as exc:
            pytest.fail(f"{command}: {exc}")


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_scenario_runs_a_few_months_at_small_size(path: Path):
    config = scenarios.compose(path.stem, SMALL)
    result = simulate(config)
    assert len(result.timeseries) == 4
    assert result.summary["months_simulated"] == 4


def test_an_unknown_scenario_is_refused_with_the_closest_names():
    with pytest.raises(InvalidConfig):
        scenarios.compose("ban_on_papr")
    with pytest.raises(KeyError, match="ban_on_paper"):
        scenarios.read("ban_on_papr")


# --------------------------------------------------------------------------- recruitsim-scenarios


def test_listing_shows_every_scenario_on_one_line(capsys):
    assert scenarios_command.main([]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        lines = [ln for ln in out.splitlines() if ln.split()[:1] == [name]]
        assert len(lines) == 1, name
        assert scenarios.read(name).summary in lines[0]


def test_showing_one_scenario_prints_its_notes(capsys):
    assert scenarios_command.main(["ban_on_paper"]) == 0
    out = capsys.readouterr().out
    for section in scenarios.SECTIONS:
        assert section in out
    assert "recruitsim scenario=ban_on_paper" in out
    assert scenarios_command.main(["no_such_scenario"]) == 2
    assert "no scenario named" in capsys.readouterr().err


def test_the_console_script_has_help():
    script = Path(sys.executable).with_name("recruitsim-scenarios")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sim.config.scenarios"]
    done = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert "recruitsim-scenarios" in done.stdout


def test_notes_markdown_lists_commands_as_code():
    md = scenarios.read("public_channel").notes_markdown()
    assert "`recruitsim scenario=public_channel policy.public_mandate=0.5`" in md
    assert "#### Question for the class" in md


@pytest.mark.slow
def test_every_scenario_runs_from_the_command_line(tmp_path: Path):
    """The installed ``recruitsim`` runs each scenario for two years (what the README promises)."""
    script = Path(sys.executable).with_name("recruitsim")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sim.commands.run"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    for name in NAMES:
        done = subprocess.run([*command, f"scenario={name}", "run.steps=24", f"hydra.run.dir={tmp_path / name}"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, f"{name}: {done.stderr[-2000:]}"
        assert (tmp_path / name / "summary.json").is_file()
