"""The run's summary: the window's means, the burn-in's ``steady`` flag, and the drift diagnostics.

The drift keys are checked on planted timeseries whose answers are known by
hand (:func:`sim.model.outcomes.summarise` is a pure function of the
frame); the model and the command are checked to use it and to say when a
run is too short for its window to lie after the burn-in.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from test_cli import TINY, recruitsim

from sim.commands.run import steady_note
from sim.config import RunConfig, build_config
from sim.model import RecruitmentModel
from sim.model import outcomes as outcome_module
from sim.model.outcomes import DRIFT_OUTCOMES, OUTCOMES, summarise
from sim.runs.collect import runs_frame

SMALL = {"market.n_workers": 300, "market.n_employers": 10, "market.n_recruiters": 5}


def planted(months: int, **columns: np.ndarray) -> pd.DataFrame:
    """A timeseries of ``months`` rows: every outcome 0 except the columns given."""
    frame = pd.DataFrame({name: np.zeros(months) for name in OUTCOMES})
    frame["step"] = np.arange(1, months + 1)
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=float)
    return frame


def fee_path() -> np.ndarray:
    """130 months of mean fees whose window (last 48) and ten-year spans have known means.

    Months 0-9: 100 (outside every span, so a bug reading them shows);
    10-69: 1 (the 60 months before the last 60); 70-105: 2 (the window's
    first half is 82-105); 106-129: 5, with months 120-123 undefined (NaN).
    """
    fee = np.empty(130)
    fee[:10], fee[10:70], fee[70:106], fee[106:] = 100.0, 1.0, 2.0, 5.0
    fee[120:124] = np.nan
    return fee


def test_the_window_means_skip_undefined_months():
    summary = summarise(planted(130, mean_fee_months=fee_path()), window_months=48, burn_in_months=0)
    assert summary["window_months"] == 48 and summary["months_simulated"] == 130
    assert summary["mean_fee_months"] == pytest.approx((24 * 2 + 20 * 5) / 44)


def test_drift_is_the_second_half_of_the_window_minus_the_first():
    placements = np.arange(130.0)  # window 82..129: halves 82..105 (mean 93.5) and 106..129 (mean 117.5)
    summary = summarise(planted(130, mean_fee_months=fee_path(), placements=placements),
                        window_months=48, burn_in_months=0)
    assert summary["drift_mean_fee_months"] == pytest.approx(5.0 - 2.0)  # NaN months left out
    assert summary["drift_placements"] == pytest.approx(117.5 - 93.5)
    assert summary["drift_debt_bondage_share"] == 0.0


def test_ten_year_drift_is_the_last_60_months_minus_the_60_before():
    summary = summarise(planted(130, mean_fee_months=fee_path()), window_months=48, burn_in_months=0)
    last_60 = (36 * 2 + 20 * 5) / 56  # months 70..129, four of them undefined
    assert summary["drift10y_mean_fee_months"] == pytest.approx(last_60 - 1.0)


def test_ten_year_drift_needs_120_months():
    assert summarise(planted(120), 48, 0)["drift10y_placements"] == 0.0
    assert summarise(planted(119), 48, 0)["drift10y_placements"] is None


def test_an_odd_window_leaves_its_middle_month_out_of_both_halves():
    summary = summarise(planted(5, placements=[1, 2, 100, 3, 4]), window_months=5, burn_in_months=0)
    assert summary["drift_placements"] == pytest.approx(3.5 - 1.5)


def test_drift_is_none_when_a_half_has_no_defined_value():
    share = np.full(48, 0.5)
    share[:24] = np.nan  # no placements in the first half: the share is undefined there
    summary = summarise(planted(48, certified_share=share), window_months=48, burn_in_months=0)
    assert summary["certified_share"] == 0.5
    assert summary["drift_certified_share"] is None
    one_month = summarise(planted(1), window_months=48, burn_in_months=0)
    assert one_month["window_months"] == 1 and one_month["drift_placements"] is None


def test_drift_keys_cover_the_drift_outcomes_the_model_records(monkeypatch):
    present = [name for name in DRIFT_OUTCOMES if name in OUTCOMES]
    assert present, "no drift outcome is recorded"
    summary = summarise(planted(130), 48, 0)
    assert {k for k in summary if k.startswith("drift_")} == {f"drift_{name}" for name in present}
    assert {k for k in summary if k.startswith("drift10y_")} == {f"drift10y_{name}" for name in present}
    # an outcome of DRIFT_OUTCOMES recorded later gets its keys with no other change
    missing = next((name for name in DRIFT_OUTCOMES if name not in OUTCOMES), None)
    if missing is None:
        pytest.skip("every drift outcome is recorded already")
    monkeypatch.setattr(outcome_module, "OUTCOMES", {**OUTCOMES, missing: ("share", "planted")})
    later = summarise(planted(130).assign(**{missing: np.linspace(0, 1, 130)}), 48, 0)
    assert later[f"drift_{missing}"] == pytest.approx(24 / 129)  # value i / 129 in month i
    assert later[f"drift10y_{missing}"] == pytest.approx(60 / 129)


@pytest.mark.parametrize(("months", "burn_in", "window", "steady"), [
    (168, 120, 48, True),   # the window is months 121-168: just after the burn-in
    (167, 120, 48, False),  # its first month is the burn-in's last
    (48, 0, 48, True),
    (0, 0, 1, False),
    (240, 192, 48, True),   # the defaults
])
def test_steady_when_the_window_lies_wholly_after_the_burn_in(months, burn_in, window, steady):
    summary = summarise(planted(months), window_months=window, burn_in_months=burn_in)
    assert summary["steady"] is steady
    assert summary["burn_in_months"] == burn_in


def test_the_summary_is_flat_json_scalars():
    summary = summarise(planted(130, mean_fee_months=fee_path()), 48, 120)
    assert all(v is None or isinstance(v, (bool, int, float)) for v in summary.values())
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary


def test_defaults_give_a_steady_window_of_two_contracts():
    run = RunConfig()
    assert (run.burn_in_months, run.summary_window_months) == (192, 48)
    assert run.steps >= run.burn_in_months + run.summary_window_months


@pytest.mark.parametrize(("burn_in", "steady"), [(0, True), (10, False)])
def test_the_model_summary_is_summarise_of_its_timeseries(burn_in, steady):
    config = build_config({**SMALL, "seed": 3, "run.steps": 30, "run.summary_window_months": 24,
                           "run.burn_in_months": burn_in})
    model = RecruitmentModel(config=config)
    model.run_model()
    summary = model.summary()
    assert summary == summarise(model.timeseries(), 24, burn_in)
    assert summary["steady"] is steady
    assert summary["placements"] == pytest.approx(model.timeseries()["placements"].tail(24).mean())


def test_the_note_names_the_steps_a_steady_window_needs():
    config = build_config({"run.steps": 60})
    note = steady_note(config, {"steady": False})
    assert note is not None and "\n" not in note
    assert "overlaps" in note and "burn-in" in note and "run.steps=240" in note
    assert steady_note(config, {"steady": True}) is None


def test_the_command_notes_an_unsteady_window_on_stderr_and_succeeds(tmp_path):
    done = recruitsim(*TINY, f"hydra.run.dir={tmp_path / 'short'}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if "overlaps" in line]
    assert len(notes) == 1 and "run.steps=240" in notes[0], done.stderr
    summary = json.loads((tmp_path / "short" / "summary.json").read_text())
    assert summary["steady"] is False and summary["burn_in_months"] == 192

    steady = recruitsim(*TINY, "run.burn_in_months=0", "run.summary_window_months=3",
                        f"hydra.run.dir={tmp_path / 'steady'}", cwd=tmp_path)
    assert steady.returncode == 0, steady.stderr
    assert "overlaps" not in steady.stderr
    assert json.loads((tmp_path / "steady" / "summary.json").read_text())["steady"] is True


def test_collected_tables_hold_the_new_keys_as_numbers():
    summary = summarise(planted(130, mean_fee_months=fee_path()), 48, 60)  # 130 >= 60 + 48: steady
    base = {"status": "completed", "error": None, "wall_seconds": 0.1, "choices": {},
            "config": {"seed": 0, "run.burn_in_months": 60}}
    records = [{**base, "run_id": "a", "seed": 0, "summary": summary},
               {**base, "run_id": "b", "seed": 1, "summary": {**summary, "steady": False}},
               {**base, "run_id": "c", "seed": 2, "status": "failed", "error": "boom", "summary": None}]
    frame, _ = runs_frame(records)
    assert list(frame["steady"][:2]) == [1.0, 0.0] and math.isnan(frame["steady"][2])
    assert frame["burn_in_months"][0] == 60 and frame["run.burn_in_months"][0] == 60
    assert frame["drift_mean_fee_months"][0] == pytest.approx(3.0)
    assert frame["drift10y_mean_fee_months"].dtype == "float64"
