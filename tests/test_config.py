"""The YAML configs compose with Hydra, validate, and agree with the schema in sim/config/schema.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from sim.config import (
    CONFIG_DIR,
    GROUP_FILES,
    CertificationConfig,
    ConfigError,
    InvalidConfig,
    MarketConfig,
    PolicyConfig,
    RecruitsimConfig,
    RunConfig,
    SocietyConfig,
    Targeting,
    check_config,
    compose_config,
    precheck,
)

SCHEMAS = {"market": MarketConfig, "policy": PolicyConfig, "certification": CertificationConfig,
           "society": SocietyConfig, "run": RunConfig}
GROUPS = (*SCHEMAS, "scenario")


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


ALL_OPTIONS = [(g, o) for g in GROUPS for o in options(g)]


def compose(*overrides: str) -> RecruitsimConfig:
    return check_config(compose_config(overrides))


@pytest.mark.parametrize(("group", "option"), ALL_OPTIONS, ids=[f"{g}={o}" for g, o in ALL_OPTIONS])
def test_every_option_composes_and_validates(group, option):
    config = compose(f"{group}={option}")
    assert isinstance(config, RecruitsimConfig)


def test_every_group_has_options():
    for group in GROUPS:
        assert options(group), f"configs/{group}/ has no YAML file"
    assert {"baseline", "voluntary_certification", "fee_ban_enforced"} <= set(options("scenario"))
    assert {"no_rule", "fee_cap", "fee_ban_weak", "fee_ban_enforced",
            "ban_joint_liability"} <= set(options("policy"))
    assert {"voluntary", "disabled"} <= set(options("certification"))


def test_default_composition_equals_schema_defaults():
    """The YAML files repeat the defaults of sim/config/schema.py; they must not drift apart."""
    config = compose()
    assert config.seed == 0
    assert config.scenario_name == "baseline"
    for group, schema in SCHEMAS.items():
        got, want = getattr(config, group), schema()
        diff = {f.name: (getattr(got, f.name), getattr(want, f.name)) for f in dataclasses.fields(schema)
                if getattr(got, f.name) != getattr(want, f.name)}
        assert not diff, (f"configs/{GROUP_FILES[group]} differs from sim/config/schema.py "
                          f"(key: (yaml, schema)): {diff}")


@pytest.mark.parametrize("group", sorted(GROUP_FILES))
def test_default_option_lists_every_key_with_a_comment(group):
    """Each group's default file is the documentation: every key, each with a comment."""
    path = CONFIG_DIR / GROUP_FILES[group]
    text = path.read_text()
    data = yaml.safe_load(text)
    keys = set(data) - {"defaults"}
    fields = {f.name for f in dataclasses.fields(SCHEMAS[group])}
    assert keys == fields, (f"{path.name}: missing {sorted(fields - keys)}, "
                            f"not in schema {sorted(keys - fields)}")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        key = line.split(":", 1)[0]
        if key in fields and not line.startswith((" ", "#")):
            assert "#" in line or lines[i - 1].lstrip().startswith("#"), f"{path.name}: {key} has no comment"


@pytest.mark.parametrize("scenario", options("scenario"))
def test_scenario_files_are_global_and_named(scenario):
    text = (CONFIG_DIR / "scenario" / f"{scenario}.yaml").read_text()
    assert text.startswith("# @package _global_"), "scenario files override keys of every group"
    assert "recruitsim scenario=" in text, "header comment should give the command that runs it"
    config = compose(f"scenario={scenario}")
    assert config.scenario_name == scenario
    assert config.description


def test_scenarios_override_other_groups():
    enforced = compose("scenario=fee_ban_enforced")
    assert enforced.policy.fee_cap_months == 0
    assert enforced.policy.inspection_rate == pytest.approx(0.2)
    assert enforced.policy.targeting == Targeting.risk
    # the command line beats the scenario's own choice of a group option
    overridden = compose("scenario=fee_ban_enforced", "policy=no_rule")
    assert overridden.policy.fee_cap_months is None
    assert overridden.scenario_name == "fee_ban_enforced"
    voluntary = compose("scenario=voluntary_certification")
    assert voluntary.certification.enabled is True
    assert voluntary.policy.fee_cap_months is None
    assert voluntary.policy.inspection_rate == 0


def test_policy_options_have_the_documented_values():
    cap = compose("policy=fee_cap").policy
    assert cap.fee_cap_months == 3 and 0 < cap.inspection_rate <= 0.1
    weak = compose("policy=fee_ban_weak").policy
    assert (weak.fee_cap_months, weak.inspection_rate, weak.fine) == (0, 0.02, 500)
    strong = compose("policy=fee_ban_enforced").policy
    assert (strong.fee_cap_months, strong.inspection_rate, strong.detection_prob, strong.fine) == (0, 0.2, 0.7, 20000)
    assert strong.targeting == Targeting.risk and strong.joint_liability is False
    joint = compose("policy=ban_joint_liability").policy
    assert joint.joint_liability is True
    assert dataclasses.replace(joint, joint_liability=False) == strong
    assert compose("certification=disabled").certification.enabled is False


def test_command_line_values_reach_the_typed_config():
    config = compose("seed=7", "run.steps=12", "market.n_workers=200", "policy.fee_cap_months=null",
                     "policy.targeting=complaints", "certification.enabled=false")
    assert (config.seed, config.run.steps, config.market.n_workers) == (7, 12, 200)
    assert config.policy.fee_cap_months is None and config.policy.targeting == Targeting.complaints
    assert config.certification.enabled is False


def test_seed_zero_is_a_real_seed():
    assert compose("seed=0").seed == 0


@pytest.mark.parametrize(("override", "key"), [
    ("market.n_workers=-5", "market.n_workers"),
    ("policy.inspection_rate=1.5", "policy.inspection_rate"),
    ("seed=-1", "seed"),
    ("+market.not_in_schema=1", "market.not_in_schema"),
])
def test_check_config_names_the_bad_key(override, key):
    with pytest.raises(ConfigError) as info:
        compose(override)
    assert info.value.key == key


@pytest.mark.parametrize(("overrides", "named"), [
    (["seed=0,1", "policy.inspection_rate=0,0.1,1.5"], "policy.inspection_rate=1.5"),
    (["seed=range(-1,3)"], "seed=-1"),
    (["seed=1,abc"], "seed=abc"),
    (["policy=no_rule,nope"], "policy=nope"),
    (["scenario=glob(*)", "market.n_workers=-1"], "market.n_workers=-1"),
])
def test_sweeps_are_checked_value_by_value_before_launch(overrides, named):
    with pytest.raises(InvalidConfig) as info:
        precheck(overrides, multirun=True)
    assert named in str(info.value)


def test_a_good_sweep_passes_the_precheck():
    config = precheck(["seed=range(0,5)", "policy.inspection_rate=0,0.05,0.2", "scenario=glob(*)",
                       "certification=voluntary,disabled"], multirun=True)
    assert isinstance(config, RecruitsimConfig)


def test_primary_config_keeps_outputs_out_of_the_source_tree():
    primary = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text())
    assert primary["hydra"]["job"]["chdir"] is False
    assert primary["hydra"]["run"]["dir"].startswith("outputs/")
    assert primary["hydra"]["sweep"]["dir"].startswith("multirun/")
    assert Path(CONFIG_DIR, "hydra", "help", "recruitsim.yaml").is_file()


def test_errors_in_a_yaml_file_name_the_file(tmp_path, monkeypatch):
    import shutil

    import sim.config.paths

    configs = tmp_path / "configs"
    shutil.copytree(CONFIG_DIR, configs)
    (configs / "scenario" / "broken.yaml").write_text("# @package _global_\npolicy:\n  finez: 3\n")
    monkeypatch.setattr(sim.config.paths, "CONFIG_DIR", configs)
    with pytest.raises(InvalidConfig) as info:
        precheck(["scenario=broken"])
    message = str(info.value)
    assert "policy.finez" in message and "configs/scenario/broken.yaml" in message
    assert "policy.fine" in message.replace("policy.finez", "")  # the suggestion
