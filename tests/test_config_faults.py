"""Bad input an adversarial user tried, refused before anything runs or is written.

Each test names a way in which a config used to get through the pre-check
(a path as a scenario name, a seed too large for the results' integer
columns, a boolean given as 2, an ``interval()`` sweep, a ``glob()``
matching nothing, a grid too large to check or launch, values that are
each allowed but not together, a population that cannot fit in memory)
and checks the short message and exit status 2. A property-based test
(Hypothesis) checks the validator against the schema's ranges.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import InvalidConfig, build_config, precheck
from sim.config.resources import estimated_bytes, too_big_message
from sim.config.schema import MAX_SEED, ConfigError, RecruitsimConfig
from sim.config.sweeps import MAX_JOBS, group_options

SCRIPT = Path(sys.executable).with_name("recruitsim")


def refused(overrides, multirun=False, match=None) -> str:
    with pytest.raises(InvalidConfig) as info:
        precheck(list(overrides), multirun=multirun)
    message = str(info.value)
    if match:
        assert match in message, message
    assert message.startswith("recruitsim:"), message
    return message


# --------------------------------------------------------------------------- names, not paths


@pytest.mark.parametrize("name", ["../../../../tmp/x", "/etc/passwd", "baseline/../baseline", "no_such"])
def test_a_scenario_is_a_name_from_the_list_never_a_path(name):
    message = refused([f"scenario={name}"], match="no option")
    assert "baseline" in message  # the allowed names are listed


def test_an_experiment_is_a_name_from_the_list():
    refused(["experiment=../scenario/baseline"], multirun=True, match="no option")
    # the predictions file sits in configs/experiment/ but is not an experiment
    assert "claim_predictions" not in group_options("experiment")
    assert "claim" in group_options("experiment")


def test_a_long_bad_value_is_echoed_short():
    message = refused(["scenario=" + "x" * 5000])
    assert len(message) < 2000 and "..." in message


def test_refused_commands_write_nothing(tmp_path):
    done = subprocess.run([str(SCRIPT), "scenario=../../../tmp/x", f"hydra.run.dir={tmp_path / 'out'}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "outputs").exists()


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("seed", [MAX_SEED + 1, 2**63, 2**64])
def test_seeds_beyond_the_stated_bound_are_refused(seed):
    refused([f"seed={seed}"], match="4294967295")
    refused([f"seed=0,{seed}"], multirun=True, match="4294967295")


def test_the_largest_seed_is_accepted():
    assert precheck([f"seed={MAX_SEED}", "run.steps=1"]).seed == MAX_SEED


@pytest.mark.parametrize("value", ["2", "0", "yes", "on", "'true'"])
def test_booleans_are_strictly_true_or_false(value):
    refused([f"policy.joint_liability={value}"], match="true or false")
    refused([f"policy.joint_liability=true,{value}"], multirun=True, match="true or false")


def test_true_and_false_are_booleans():
    assert precheck(["policy.joint_liability=true"]).policy.joint_liability is True
    assert precheck(["policy.joint_liability=false"]).policy.joint_liability is False


# --------------------------------------------------------------------------- sweeps


def test_interval_sweeps_are_refused():
    refused(["policy.fine=interval(0,1)"], multirun=True, match="interval()")


def test_a_glob_matching_nothing_is_refused():
    refused(["scenario=glob(zzz*)"], multirun=True, match="matches no option")


def test_values_allowed_alone_but_not_together_are_caught_before_any_job():
    """Interval 12 with period 6: each value is allowed, the pair is not."""
    refused(["certification.surveillance_interval_months=6,12",
             "certification.surveillance_period_months=6,24"], multirun=True,
            match="certification.surveillance_period_months")
    precheck(["certification.surveillance_interval_months=6,12",
              "certification.surveillance_period_months=12,24"], multirun=True)


def test_checking_a_large_grid_is_quick_and_lists_no_range():
    """range(0,10000) with one bad value answered in seconds (it took 32 s when every seed was checked)."""
    start = time.perf_counter()
    refused(["seed=range(0,10000)", "policy.fine=10,-5"], multirun=True, match="policy.fine")
    assert time.perf_counter() - start < 20  # generous: the point is bounded, not a benchmark
    precheck(["seed=range(0,10000)", "run.steps=1"], multirun=True)


def test_grids_beyond_the_limit_are_refused_unless_allowed(monkeypatch):
    message = refused([f"seed=range(0,{MAX_JOBS + 1})"], multirun=True, match="RECRUITSIM_MAX_JOBS")
    assert f"{MAX_JOBS + 1:,}" in message
    # a hundred million: refused from arithmetic, never listed
    refused(["seed=range(0,100000000)"], multirun=True, match="100,000,000")
    monkeypatch.setenv("RECRUITSIM_MAX_JOBS", str(MAX_JOBS + 1))
    precheck([f"seed=range(0,{MAX_JOBS + 1})", "run.steps=1"], multirun=True)


def test_a_range_with_a_fractional_step_on_an_integer_key_is_refused():
    refused(["seed=range(0,10,0.5)"], multirun=True)


# --------------------------------------------------------------------------- memory


def test_a_config_that_cannot_fit_in_memory_is_refused_with_the_estimate():
    message = refused(["market.n_employers=1000000", "market.jobs_per_employer=100000"], match="GiB")
    assert "job positions" in message
    refused(["market.n_employers=100,1000000", "market.jobs_per_employer=100000"], multirun=True, match="GiB")


def test_the_default_world_fits_and_the_estimate_grows_with_size():
    config = build_config()
    assert too_big_message(config) is None
    assert too_big_message(config, available=2**20) is not None  # a 1 MiB machine
    bigger = build_config({"market.n_workers": 1_000_000})
    assert estimated_bytes(bigger) > estimated_bytes(config)


# --------------------------------------------------------------------------- property-based: the validator and the schema


def _numeric_leaves() -> list[tuple[str, object, float, float]]:
    import dataclasses
    import typing

    out = []

    def walk(cls, prefix):
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            hint = hints[f.name]
            if dataclasses.is_dataclass(hint):
                walk(hint, f"{prefix}{f.name}.")
            elif hint in (int, float) and "lo" in f.metadata:
                out.append((f"{prefix}{f.name}", hint, f.metadata["lo"], f.metadata["hi"]))

    walk(RecruitsimConfig, "")
    return out


LEAVES = _numeric_leaves()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leaf=st.sampled_from(LEAVES), data=st.data())
def test_every_value_inside_its_range_is_accepted_and_every_value_outside_refused(leaf, data):
    key, kind, lo, hi = leaf
    if kind is int:
        inside = data.draw(st.integers(int(max(lo, -10**12)), int(min(hi, 10**12))))
        outside = data.draw(st.one_of(
            st.integers(max_value=int(lo) - 1) if math.isfinite(lo) else st.nothing(),
            st.integers(min_value=int(hi) + 1) if math.isfinite(hi) else st.nothing()))
    else:
        inside = data.draw(st.floats(max(lo, -1e12), min(hi, 1e12), allow_nan=False))
        outside = data.draw(st.one_of(
            st.floats(max_value=lo, exclude_max=True, allow_nan=False, allow_infinity=False)
            if math.isfinite(lo) else st.nothing(),
            st.floats(min_value=hi, exclude_min=True, allow_nan=False, allow_infinity=False)
            if math.isfinite(hi) else st.nothing(),
            st.just(math.nan)))
    try:
        build_config({key: inside})
    except ConfigError as exc:
        # only a rule between keys may refuse a value inside its own range
        assert "certification.surveillance" in exc.key, exc
    with pytest.raises(ConfigError) as info:
        build_config({key: outside})
    assert info.value.key == key


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=1, max_size=200))
def test_no_scenario_text_but_a_listed_name_is_accepted(text):
    from sim.config.scenarios import names

    if text in names():
        return
    with pytest.raises(InvalidConfig):
        precheck([f"scenario={_quoted(text)}"])


def _quoted(text: str) -> str:
    """Override text that Hydra parses back to ``text`` (a quoted string)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
