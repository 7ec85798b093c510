"""The corridors: their fixed inputs as the sources give them, and their fees near the targets.

docs/VALIDATION.md, section 2.2 says which input of each corridor is fixed
from a source, shared or fitted; these tests catch a scenario file that
drifts from it. The fitted parameters live in the posterior
(results/calibration/posterior.parquet, tests/test_calibration.py), not in
the files. docs/VALIDATION.md documents every factor the analyses vary.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from experiments import batch
from experiments.calibrate import CORRIDORS, FITTED
from experiments.parameter_space import NON_STATE_LEVERS, POLICY_PROCESS, UNCERTAINTIES
from experiments.statistics import bootstrap_mean_ci
from sim.config import flat_config, scenarios

ROOT = Path(__file__).resolve().parents[1]

#: Inputs fixed from sources (docs/VALIDATION.md, 2.2).
FIXED = {
    "corridor_pakistan_saudi": {"market.dest_wage": 480.0, "policy.fee_cap_months": None,
                                "policy.inspection_rate": 0.0, "policy.public_mandate": 0.0},
    "corridor_korea_eps": {"market.dest_wage": 1500.0, "policy.public_mandate": 1.0, "policy.fee_cap_months": None},
    "corridor_philippines": {"market.dest_wage": 855.0, "policy.fee_cap_months": 1.0,
                             "policy.enforcement": "endogenous", "policy.inspection_rate": 0.2},
}
#: Corridors whose fee the schema's defaults reproduce; the Philippine cap holds only in some worlds of the
#: policy process (at the defaults, budgets fall and fees return), so it is checked over posterior worlds.
AT_DEFAULTS = [c for c in CORRIDORS if c.scenario != "corridor_philippines"]


@pytest.mark.parametrize("scenario", sorted(FIXED))
def test_corridor_file_holds_the_inputs_fixed_from_sources(scenario):
    config = flat_config(scenarios.compose(scenario))
    for key, value in FIXED[scenario].items():
        got = getattr(config[key], "value", config[key])
        assert got == (pytest.approx(value) if isinstance(value, float) else value), f"{scenario}: {key}"


def test_no_fitted_parameter_is_set_per_corridor_except_the_pakistani_home_wage():
    """Fitted values come from the posterior, shared by every corridor: no file pins them apart."""
    fitted = {f.key for f in FITTED} - {"market.home_wage"}
    values = {c.scenario: flat_config(scenarios.compose(c.scenario)) for c in CORRIDORS}
    for key in fitted:
        assert len({values[c][key] for c in values}) == 1, key


def _corridor_fees(scenario: str, seeds) -> np.ndarray:
    base = batch.base_overrides([f"scenario={scenario}"])
    frame = batch.evaluate([{**base, "seed": s} for s in seeds], outcomes=("mean_fee_months",), progress=False)
    return frame["mean_fee_months"].to_numpy(dtype=float)


@pytest.mark.parametrize("corridor", AT_DEFAULTS, ids=lambda c: c.scenario)
def test_corridor_reproduces_its_target_over_a_few_seeds(corridor):
    """Six seeds at the schema's defaults: the mean fee lies within the corridor's tolerance of its band.

    The Pakistani fee varies by about a month from seed to seed, so a mean of
    six can leave the band by chance; the slow test below checks the band itself.
    """
    fees = _corridor_fees(corridor.scenario, range(2000, 2006))
    assert corridor.band[0] - corridor.tolerance <= fees.mean() <= corridor.band[1] + corridor.tolerance, fees


@pytest.mark.slow
@pytest.mark.parametrize("corridor", AT_DEFAULTS, ids=lambda c: c.scenario)
def test_corridor_reproduces_its_target_over_many_seeds(corridor):
    """Twenty fresh seeds: the mean lies inside the band and its 95% CI within the tolerance of it;
    at least half the seeds are inside the band (measured: Pakistan 9.39, CI 8.89-9.87)."""
    fees = _corridor_fees(corridor.scenario, range(3000, 3020))
    mean, lo, hi, _ = bootstrap_mean_ci(fees)
    assert corridor.band[0] <= mean <= corridor.band[1], (mean, lo, hi)
    assert corridor.band[0] - corridor.tolerance <= lo and hi <= corridor.band[1] + corridor.tolerance, (lo, hi)
    assert np.mean((fees >= corridor.band[0]) & (fees <= corridor.band[1])) >= 0.5, fees


def test_validation_doc_documents_every_factor_the_analyses_vary():
    text = (ROOT / "docs" / "VALIDATION.md").read_text()
    missing = [f.key for f in (*UNCERTAINTIES, *NON_STATE_LEVERS, *POLICY_PROCESS, *FITTED) if f"`{f.key}`" not in text]
    assert not missing, f"docs/VALIDATION.md lacks {missing}"
