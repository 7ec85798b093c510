"""The label-free baseline settles: its main outcomes stop drifting after the burn-in.

Why: a verdict read off a drifting run depends on when the run stops (the
first version's calibrated fee was one point on a slow decline). The bound
for "does not drift" is the equivalence margin the pre-registered claim
uses for the same outcome (configs/experiment/claim_predictions.yaml): a
change smaller than what the claim calls "about 0" cannot move a verdict.
The outcomes are those of the claim's own validity gate
(``validity_gates.settled``): the fee-free share and the mean fee of the
no-rule, label-free arm. The others' settling is measured in
docs/VALIDATION.md ("Steady state"). Slow: a 40-year run per seed.
"""

from __future__ import annotations

import math

import pytest
import yaml

from sim import RecruitmentModel
from sim.config import CONFIG_DIR, build_config

SEEDS = (0, 1, 2)
MONTHS = 480


def claim_margins() -> dict[str, float]:
    """The equivalence margin of each outcome in the pre-registered predictions (the largest used)."""
    text = (CONFIG_DIR / "experiment" / "claim_predictions.yaml").read_text()
    margins: dict[str, float] = {}

    def walk(node):
        if isinstance(node, dict):
            if "margin" in node and "outcome" in node and isinstance(node["margin"], (int, float)):
                margins[node["outcome"]] = max(margins.get(node["outcome"], 0.0), float(node["margin"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(text))
    return margins


@pytest.mark.slow
@pytest.mark.parametrize("outcome", ["mean_fee_months", "fee_free_share"])
def test_the_label_free_baseline_does_not_drift_over_the_last_ten_years(outcome):
    """Mean over seeds of the last-ten-years drift (last 60 months minus the 60 before) within the margin."""
    margin = claim_margins()[outcome]
    drifts = []
    for seed in SEEDS:
        model = RecruitmentModel(build_config({"seed": seed, "run.steps": MONTHS, "certification.enabled": False}))
        model.run_model()
        drift = model.summary()[f"drift10y_{outcome}"]
        assert drift is not None and math.isfinite(drift)
        drifts.append(drift)
    assert abs(sum(drifts) / len(drifts)) < margin, drifts
