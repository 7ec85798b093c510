"""The numbers quoted in docs/teaching.md: each scenario over several seeds, full length.

Each run is composed exactly as ``recruitsim scenario=NAME [OVERRIDES] seed=S``
would compose it (:func:`sim.config.scenarios.compose`), run for the scenario's
``run.steps`` months (240 by default), and summarised as ``summary.json`` is:
the mean over the last ``run.summary_window_months`` months (48, two contract
cycles, after the 192-month burn-in ``run.burn_in_months``), so the table
reads the market once it has settled. A few outcomes are also averaged over
months 25-60 (years 3-5), the early years a class sees first in the app, when
the first contracts end and their debts show. The table printed is the one in
docs/teaching.md; the JSON written beside it has every value per seed.

    python scripts/teaching_numbers.py                 # seeds 0-4, about a minute
    python scripts/teaching_numbers.py --seeds 10      # seeds 0-9
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from sim.config import scenarios
from sim.runs.simulate import simulate

#: (label, scenario, extra overrides): what the class plan runs
RUNS = (
    ("baseline", "baseline", ()),
    ("laissez_faire", "laissez_faire", ()),
    ("iris_as_launched", "iris_as_launched", ()),
    ("certification_with_brands", "certification_with_brands", ()),
    ("audits_unannounced", "audits_unannounced", ()),
    ("worker_voice", "worker_voice", ()),
    ("fee_cap", "fee_cap", ()),
    ("ban_on_paper", "ban_on_paper", ()),
    ("ban_on_paper policy.fine=20000", "ban_on_paper", ("policy.fine=20000",)),
    ("ban_on_paper policy.inspection_rate=0.2", "ban_on_paper", ("policy.inspection_rate=0.2",)),
    ("fee_ban_enforced", "fee_ban_enforced", ()),
    ("fee_ban_enforced certification.enabled=false", "fee_ban_enforced", ("certification.enabled=false",)),
    ("joint_liability", "joint_liability", ()),
    ("captured_regulator", "captured_regulator", ()),
    ("strong_regulation_france", "strong_regulation_france", ()),
    ("strong_regulation_france certification.enabled=false", "strong_regulation_france",
     ("certification.enabled=false",)),
    ("public_channel", "public_channel", ()),
    ("public_channel_mandate", "public_channel_mandate", ()),
    ("lobbying", "lobbying", ()),
    ("lobbying certification=disabled", "lobbying", ("certification=disabled",)),
    ("audits_replace_inspections", "audits_replace_inspections", ()),
    ("audits_replace_inspections certification=disabled", "audits_replace_inspections",
     ("certification=disabled",)),
)

#: outcomes of the table, each the summary's mean over its window: name -> (column title, decimals)
WINDOW = {
    "mean_fee_months": ("fee (months of wage)", 1),
    "placements": ("placements a month", 0),
    "fee_free_share": ("fee-free share", 2),
    "subagent_fee_share": ("sub-agents' share of fees", 2),
    "certified_share": ("certified share", 2),
    "public_share": ("public share", 2),
    "debt_bondage_share": ("debt bondage", 3),
    "home_debt_trap_share": ("home debt trap", 2),
    "indebted_share": ("borrowed to pay", 2),
    "n_fee_charging": ("fee-charging recruiters", 0),
    "n_certified": ("certified recruiters", 1),
    "evading_share": ("evading", 2),
    "employer_cost_per_hire": ("employer cost per hire (USD)", 0),
    "complaints": ("complaints a month", 1),
}
#: summary outcomes kept in the JSON only, for the prose: where the fee goes, practices, the label's honesty
JSON_ONLY = ("fee_pass_through", "kickback_per_hire", "mean_subagent_fee_months", "mean_net_gain_months",
             "deceiving_share", "churning_share", "cheating_share", "certified_fee_free_share",
             "mean_fee_months_unlabelled", "enforcement_strength")
#: outcomes whose range over seeds is printed (the spread the app's single seed shows)
RANGES = ("mean_fee_months", "fee_free_share", "certified_share")
EARLY = (25, 60)  # months over which the early-years means are taken
EARLY_OUTCOMES = ("debt_bondage_share", "indebted_share", "public_share")
WHOLE_RUN = ("cheating_share",)


def run_one(scenario: str, overrides: tuple[str, ...], seed: int) -> dict:
    config = scenarios.compose(scenario, [*overrides, f"seed={seed}"])
    result = simulate(config)
    ts = result.timeseries
    out = {name: result.summary.get(name) for name in (*WINDOW, *JSON_ONLY)}
    out["window_months"] = result.summary["window_months"]
    out["months_simulated"] = result.summary["months_simulated"]
    out["steady"] = result.summary["steady"]
    early = ts[(ts["step"] >= EARLY[0]) & (ts["step"] <= EARLY[1])]
    for name in EARLY_OUTCOMES:
        out[f"{name}_years_3_5"] = float(np.nanmean(early[name].to_numpy(dtype=float)))
    for name in WHOLE_RUN:
        values = ts[name].to_numpy(dtype=float)
        out[f"{name}_whole_run"] = float(np.nanmean(values)) if np.isfinite(values).any() else None
    return out


def mean(values: list) -> float:
    clean = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return float(np.mean(clean)) if clean else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument("--out", default="results/teaching/teaching_numbers.json")
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    started = time.perf_counter()
    results = {}
    for label, scenario, overrides in RUNS:
        per_seed = [run_one(scenario, overrides, s) for s in seeds]
        results[label] = {"scenario": scenario, "overrides": list(overrides), "seeds": seeds, "per_seed": per_seed,
                          "mean": {k: mean([r[k] for r in per_seed]) for k in per_seed[0]}}
        results[label]["ranges"] = {name: [min(vals), max(vals)] if vals else None for name in RANGES
                                    for vals in [[r[name] for r in per_seed if r[name] is not None]]}
        results[label]["fee_range"] = results[label]["ranges"]["mean_fee_months"]
        print(f"{label}: done ({time.perf_counter() - started:.0f} s)", flush=True)

    header = ["run", *[t for t, _ in WINDOW.values()], "debt bondage, years 3-5", "cheating (whole run)"]
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, res in results.items():
        m = res["mean"]
        cells = [f"`{label}`"]
        for name, (_, decimals) in WINDOW.items():
            cells.append("–" if math.isnan(m[name]) else f"{m[name]:.{decimals}f}")
        cells.append(f"{m['debt_bondage_share_years_3_5']:.3f}")
        cheat = m["cheating_share_whole_run"]
        cells.append("–" if math.isnan(cheat) else f"{cheat:.2f}")
        print("| " + " | ".join(cells) + " |")
    print("\nrange over seeds: fee (months of wage); fee-free share; certified share:")
    for label, res in results.items():
        spans = ["–" if span is None else f"{span[0]:.2f} to {span[1]:.2f}" for span in res["ranges"].values()]
        print(f"  {label}: " + "; ".join(spans))
    print("\npublic share, years 3-5:", {k: round(v["mean"]["public_share_years_3_5"], 3)
                                        for k, v in results.items() if k.startswith("public")})
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    first = next(iter(results.values()))["per_seed"][0]
    window = f"last {first['window_months']} months of {first['months_simulated']}"
    unsteady = [label for label, res in results.items() if not all(r["steady"] for r in res["per_seed"])]
    if unsteady:
        print("\nwarning: the summary window overlaps the burn-in in:", ", ".join(unsteady))
    out.write_text(json.dumps({"seeds": seeds, "window": window, "early_months": EARLY,
                               "results": results}, indent=1, default=float))
    print(f"\n{len(RUNS) * len(seeds)} runs in {time.perf_counter() - started:.0f} s; every value: {out}")


if __name__ == "__main__":
    main()
