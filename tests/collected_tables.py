"""Small collected sweeps for tests, written in the layout of ``recruitsim-collect``.

``make_collected`` runs the model directly (no Hydra) for a few settings and
seeds and writes ``<sweep>/collected/runs.parquet`` (one row per run: run_id,
seed, status, error, wall_seconds, ``choice.<group>``, every config key as a
dotted column, every summary outcome) and ``<sweep>/collected/timeseries.parquet``
(run_id, seed, ``choice.<group>``, the config columns that vary, the outcomes).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from sim.config import build_config, config_to_dict, flatten
from sim.runs.simulate import simulate

#: The options a run starts from when a test does not choose one.
DEFAULT_CHOICES = {"market": "default", "policy": "no_rule", "certification": "voluntary",
                   "society": "default", "run": "default", "scenario": "baseline", "experiment": None}

#: A tiny world: runs in a few hundredths of a second.
TINY = {"run.steps": 18, "market.n_workers": 300, "market.n_employers": 10, "market.n_recruiters": 8}

#: Config keys set by the policy and certification options used in tests.
OPTIONS = {
    ("policy", "no_rule"): {},
    ("policy", "fee_ban_weak"): {"policy.fee_cap_months": 0.0, "policy.inspection_rate": 0.02, "policy.fine": 500.0},
    ("policy", "fee_ban_enforced"): {"policy.fee_cap_months": 0.0, "policy.inspection_rate": 0.2,
                                     "policy.targeting": "risk", "policy.detection_prob": 0.7,
                                     "policy.fine": 20000.0},
    ("certification", "voluntary"): {},
    ("certification", "disabled"): {"certification.enabled": False},
}


def make_collected(folder: Path, cells: Sequence[dict[str, Any]], seeds: Sequence[int],
                   base: dict[str, Any] | None = None) -> Path:
    """Run every cell for every seed and write the collected tables; returns ``folder/collected``.

    Args:
        cells: each a dict of dotted config keys, and ``choice.<group>`` entries naming an
            option of :data:`OPTIONS` (whose keys are then set too).
        seeds: replications of every cell.
        base: config keys set in every run (default :data:`TINY`).
    """
    rows, parts = [], []
    for cell in cells:
        for seed in seeds:
            choices = dict(DEFAULT_CHOICES)
            overrides = dict(TINY if base is None else base)
            for key, value in cell.items():
                if key.startswith("choice."):
                    group = key.removeprefix("choice.")
                    choices[group] = value
                    overrides.update(OPTIONS[(group, value)])
            overrides.update({k: v for k, v in cell.items() if not k.startswith("choice.")})
            overrides["seed"] = seed
            config = build_config(overrides)
            flat = flatten(config_to_dict(config))
            run_id = hashlib.sha256(json.dumps(flat, sort_keys=True, default=str).encode()).hexdigest()[:16]
            result = simulate(config)
            row = {"run_id": run_id, "seed": seed, "status": "completed", "error": None,
                   "wall_seconds": result.wall_seconds,
                   **{f"choice.{g}": o for g, o in choices.items()}, **flat}
            row.update({k: v for k, v in result.summary.items()})
            rows.append(row)
            ts = result.timeseries.copy()
            ts.insert(0, "run_id", run_id)
            ts.insert(1, "seed", seed)
            for i, (g, o) in enumerate(choices.items()):
                ts.insert(2 + i, f"choice.{g}", o)
            parts.append((flat, ts))
    runs = pd.DataFrame(rows)
    config_cols = list(parts[0][0])
    varied = [c for c in config_cols if c != "seed" and runs[c].astype(str).nunique() > 1]
    frames = []
    for flat, ts in parts:
        for i, col in enumerate(varied):
            ts.insert(2 + len(DEFAULT_CHOICES) + i, col, flat[col])
        frames.append(ts)
    out = Path(folder) / "collected"
    out.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(out / "runs.parquet", index=False)
    pd.concat(frames, ignore_index=True).to_parquet(out / "timeseries.parquet", index=False)
    return out
