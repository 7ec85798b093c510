"""Global sensitivity analysis with SALib: ``recruitsim-sensitivity``.

Which uncertain parameters decide certification's fate and what workers pay?
Two stages, in each policy regime of
:data:`experiments.parameter_space.REGIMES` ("voluntary certification, no
rule" and "well-enforced fee ban"), on two outcomes at the horizon
(``certified_share`` and ``mean_fee_months``, means over the last 12 of 240
months):

1. **Morris screening** (elementary effects) over every factor of
   :data:`~experiments.parameter_space.UNCERTAINTIES`: ``r`` trajectories of
   ``D + 1`` runs each. ``mu_star`` ranks a factor's overall influence,
   ``sigma`` flags interactions and non-linearity.
2. **Sobol indices** (Saltelli/Jansen estimators) for the most influential
   factors of the screening: first-order ``S1`` (the share of output variance
   a factor explains alone) and total-order ``ST`` (with its interactions),
   from ``N (k + 2)`` runs, the other factors held at their defaults.

The same sample points are run in both regimes (paired), so the report can
also say in how many sampled worlds the ban raises the certified share, and
where the claim's verdict (certified share above 25% with a ban, below
without) holds.

Stochasticity: each point runs with its own seed, so seed noise is part of
the output variance; the report measures it by rerunning the default world
with many seeds and gives its share of the variance (the part no factor can
explain).

SALib's sample-size rules are checked before anything runs
(:func:`check_sample_sizes`): Sobol's ``N`` must be a power of two (Sobol'
sequences lose their balance otherwise) and at least 64 outside quick runs;
Morris needs an even number of levels and at least two trajectories.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from experiments import batch
from experiments.document import (
    RESULTS,
    analysis_options,
    command_line,
    output_dir,
    pyplot,
    run_resumably,
    save_and_close,
)
from experiments.parameter_space import (
    REGIME_LABELS,
    REGIMES,
    UNCERTAINTIES,
    Factor,
    as_values,
    problem,
    to_overrides,
)

OUTCOMES = ("certified_share", "mean_fee_months")
OUTCOME_LABELS = {"certified_share": "certified share of placements",
                  "mean_fee_months": "mean fee (months of wage)"}
CLAIM_THRESHOLD = 0.25
SEED_BASE = {"morris": 10_000, "sobol": 20_000, "noise": 30_000}


def say(message: str) -> None:
    print(f"recruitsim-sensitivity: {message}", file=sys.stderr, flush=True)


def check_sample_sizes(trajectories: int, levels: int, sobol_n: int, top: int, quick: bool = False) -> None:
    """Refuse sample sizes SALib's methods are not valid for (ValueError naming the option)."""
    if trajectories < 2:
        raise ValueError(f"--trajectories must be at least 2 (got {trajectories}): Morris needs several "
                         "elementary effects per factor")
    if levels < 2 or levels % 2:
        raise ValueError(f"--levels must be even and at least 2 (got {levels}): Morris' grid jump is levels/2")
    if sobol_n < 2 or sobol_n & (sobol_n - 1):
        raise ValueError(f"--sobol-n must be a power of two (got {sobol_n}): SALib's Sobol' sequence is "
                         "balanced only for N = 2^m")
    if not quick and sobol_n < 64:
        raise ValueError(f"--sobol-n must be at least 64 (got {sobol_n}) for indices worth reporting")
    if top < 1:
        raise ValueError(f"--top must be at least 1 (got {top})")


def _points(factors: Sequence[Factor], samples: np.ndarray, regime: dict, world: dict, seed0: int) -> list[dict]:
    return [{**regime, **world, **to_overrides(factors, x), "seed": seed0 + i} for i, x in enumerate(samples)]


def _clean(y: np.ndarray) -> tuple[np.ndarray, int]:
    """Outputs with undefined values (NaN: no placements at all) set to the mean; how many there were."""
    bad = ~np.isfinite(y)
    if bad.any():
        y = y.copy()
        y[bad] = np.nanmean(y) if (~bad).any() else 0.0
    return y, int(bad.sum())


# --------------------------------------------------------------------------- stage 1: Morris


def morris(*, trajectories: int, levels: int, jobs, cache: Path, world: dict, seed: int) -> tuple[pd.DataFrame, dict]:
    """Screen every uncertainty in every regime. Returns the indices and the paired outputs."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    prob = problem(UNCERTAINTIES)
    x = morris_sample.sample(prob, trajectories, num_levels=levels, seed=seed)
    rows, outputs = [], {}
    for name, regime in REGIMES.items():
        frame = batch.evaluate(_points(UNCERTAINTIES, x, regime, world, SEED_BASE["morris"]), outcomes=OUTCOMES,
                               jobs=jobs, store=cache, desc=f"Morris, {name}")
        outputs[name] = frame
        for outcome in OUTCOMES:
            y, n_bad = _clean(frame[outcome].to_numpy(dtype=float))
            with np.errstate(invalid="ignore", divide="ignore"):  # a constant output has no effects to scale
                res = morris_analyze.analyze(prob, x, y, num_levels=levels, num_resamples=1000, seed=seed)
            top = np.nanmax(res["mu_star"]) or 1.0
            for i, f in enumerate(UNCERTAINTIES):
                rows.append({"regime": name, "outcome": outcome, "factor": f.key, "mu_star": res["mu_star"][i],
                             "mu_star_conf": res["mu_star_conf"][i], "sigma": res["sigma"][i], "mu": res["mu"][i],
                             "mu_star_relative": res["mu_star"][i] / top, "undefined_outputs": n_bad})
    outputs["x"] = x
    return pd.DataFrame(rows), outputs


def select_top(indices: pd.DataFrame, top: int) -> list[Factor]:
    """The ``top`` factors with the largest relative ``mu_star`` in any regime and outcome, in factor order."""
    best = indices.groupby("factor")["mu_star_relative"].max().sort_values(ascending=False)
    chosen = set(best.index[:top])
    return [f for f in UNCERTAINTIES if f.key in chosen]


# --------------------------------------------------------------------------- stage 2: Sobol


def sobol(factors: Sequence[Factor], *, n: int, jobs, cache: Path, world: dict, seed: int) -> pd.DataFrame:
    """First- and total-order Sobol indices of ``factors`` in every regime (others at their defaults)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    prob = problem(factors)
    x = sobol_sample.sample(prob, n, calc_second_order=False, scramble=True, seed=seed)
    rows = []
    for name, regime in REGIMES.items():
        frame = batch.evaluate(_points(factors, x, regime, world, SEED_BASE["sobol"]), outcomes=OUTCOMES,
                               jobs=jobs, store=cache, desc=f"Sobol, {name}")
        for outcome in OUTCOMES:
            y, n_bad = _clean(frame[outcome].to_numpy(dtype=float))
            with np.errstate(invalid="ignore", divide="ignore"):  # a constant output has no variance to share
                res = sobol_analyze.analyze(prob, y, calc_second_order=False, num_resamples=1000, seed=seed)
            for i, f in enumerate(factors):
                rows.append({"regime": name, "outcome": outcome, "factor": f.key, "S1": res["S1"][i],
                             "S1_conf": res["S1_conf"][i], "ST": res["ST"][i], "ST_conf": res["ST_conf"][i],
                             "output_variance": float(np.var(y)), "undefined_outputs": n_bad})
    return pd.DataFrame(rows)


def seed_noise(*, seeds: int, jobs, cache: Path, world: dict) -> pd.DataFrame:
    """Each outcome's variance across seeds in the default world of each regime."""
    rows = []
    for name, regime in REGIMES.items():
        points = [{**regime, **world, "seed": SEED_BASE["noise"] + s} for s in range(seeds)]
        frame = batch.evaluate(points, outcomes=OUTCOMES, jobs=jobs, store=cache, desc=f"seed noise, {name}")
        for outcome in OUTCOMES:
            y = frame[outcome].to_numpy(dtype=float)
            y = y[np.isfinite(y)]
            rows.append({"regime": name, "outcome": outcome, "mean": float(y.mean()) if len(y) else math.nan,
                         "noise_variance": float(np.var(y, ddof=1)) if len(y) > 1 else math.nan})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the claim across sampled worlds


def claim_across_worlds(outputs: dict) -> dict:
    """Over the Morris sample's worlds (paired across regimes): how often the claim's pattern holds."""
    free = outputs["voluntary_no_rule"]["certified_share"].to_numpy(dtype=float)
    ban = outputs["enforced_ban"]["certified_share"].to_numpy(dtype=float)
    ok = np.isfinite(free) & np.isfinite(ban)
    free, ban = free[ok], ban[ok]
    return {"worlds": int(ok.sum()),
            "free_above": float(np.mean(free > CLAIM_THRESHOLD)),
            "ban_above": float(np.mean(ban > CLAIM_THRESHOLD)),
            "ban_raises": float(np.mean(ban > free)),
            "pattern_holds": float(np.mean((ban > CLAIM_THRESHOLD) & (free <= CLAIM_THRESHOLD))),
            "free_median": float(np.median(free)), "ban_median": float(np.median(ban))}


# --------------------------------------------------------------------------- the whole analysis


def run(*, trajectories: int = 12, levels: int = 4, sobol_n: int = 128, top: int = 8, noise_seeds: int = 20,
        jobs: int | None = None, out_dir: Path = RESULTS / "sensitivity", quick: bool = False,
        seed: int = 20261126, command: str = "recruitsim-sensitivity") -> dict:
    check_sample_sizes(trajectories, levels, sobol_n, top, quick)
    started = time.perf_counter()
    world = batch.QUICK_WORLD if quick else {}
    cache = out_dir / "runs"
    n_morris = trajectories * (len(UNCERTAINTIES) + 1) * len(REGIMES)
    n_sobol = sobol_n * (top + 2) * len(REGIMES)
    say(f"{n_morris} Morris runs, then {n_sobol} Sobol runs and {noise_seeds * len(REGIMES)} seed-noise runs")
    morris_indices, outputs = morris(trajectories=trajectories, levels=levels, jobs=jobs, cache=cache, world=world,
                                     seed=seed)
    chosen = select_top(morris_indices, top)
    say("Sobol indices for " + ", ".join(f.name for f in chosen))
    sobol_indices = sobol(chosen, n=sobol_n, jobs=jobs, cache=cache, world=world, seed=seed)
    noise = seed_noise(seeds=noise_seeds, jobs=jobs, cache=cache, world=world)
    claim = claim_across_worlds(outputs)
    samples = pd.DataFrame(as_values(UNCERTAINTIES, outputs["x"]), columns=[f.key for f in UNCERTAINTIES])
    for name in REGIMES:
        for outcome in OUTCOMES:
            samples[f"{name}.{outcome}"] = outputs[name][outcome].to_numpy(dtype=float)
    info = {"trajectories": trajectories, "levels": levels, "sobol_n": sobol_n, "top": [f.key for f in chosen],
            "runs": n_morris + n_sobol + noise_seeds * len(REGIMES), "claim": claim, "quick": quick,
            "seconds": time.perf_counter() - started, "command": command}
    write(out_dir, morris_indices, sobol_indices, noise, samples, info)
    return info


def write(out_dir: Path, morris_indices: pd.DataFrame, sobol_indices: pd.DataFrame, noise: pd.DataFrame,
          samples: pd.DataFrame, info: dict) -> Path:
    from experiments.report import Document, markdown_table
    from sim.runs.files import write_json

    figures = out_dir / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    morris_indices.to_csv(out_dir / "morris.csv", index=False, float_format="%.6g")
    sobol_indices.to_csv(out_dir / "sobol.csv", index=False, float_format="%.6g")
    noise.to_csv(out_dir / "seed_noise.csv", index=False, float_format="%.6g")
    samples.to_csv(out_dir / "morris_sample.csv", index=False, float_format="%.6g")
    write_json(out_dir / "sensitivity.json", info)
    _morris_figure(morris_indices, figures / "morris")
    _sobol_figure(sobol_indices, figures / "sobol")
    _claim_figure(samples, figures / "claim_across_worlds")

    doc = Document(out_dir, "Global sensitivity analysis")
    doc.para("Which uncertain parameters decide whether certified recruiters win placements, and what workers "
             "pay? Morris screening over all "
             f"{len(UNCERTAINTIES)} uncertain behavioural and market parameters (ranges and reasons in "
             "`experiments/parameter_space.py` and docs/VALIDATION.md, section 4), then Sobol indices for the "
             f"{len(info['top'])} most influential, in two regimes: "
             + " and ".join(f"*{REGIME_LABELS[r]}*" for r in REGIMES) + ". Outcomes are means over the last "
             "12 of 240 months of each run.")
    doc.heading("The claim across sampled worlds")
    c = info["claim"]
    doc.para(f"Over the {c['worlds']} worlds of the Morris sample (the same parameter values and seeds in both "
             f"regimes), certified recruiters made more than {CLAIM_THRESHOLD:.0%} of placements in "
             f"**{c['free_above']:.1%}** of worlds with voluntary certification and no rule, and in "
             f"**{c['ban_above']:.1%}** with a well-enforced ban; the ban raised the certified share in "
             f"{c['ban_raises']:.1%} of worlds (median certified share {c['free_median']:.1%} without a rule, "
             f"{c['ban_median']:.1%} with the ban). The claim's pattern (above {CLAIM_THRESHOLD:.0%} with the "
             f"ban, not without) holds in {c['pattern_holds']:.1%} of worlds.")
    doc.figure(figures / "claim_across_worlds.png", "Certified share in each sampled world, without a rule "
               "and with a well-enforced ban (same world, same seed)")
    doc.heading("Stage 1: Morris screening")
    for outcome in OUTCOMES:
        sub = morris_indices[morris_indices["outcome"] == outcome]
        table = sub.pivot(index="factor", columns="regime", values="mu_star_relative")
        table = table.loc[table.max(axis=1).sort_values(ascending=False).index[:10]]
        table = table.rename(columns=REGIME_LABELS).map(lambda v: f"{v:.2f}").reset_index()
        doc.para(f"**{OUTCOME_LABELS[outcome]}**: the ten most influential factors, mu* relative to the largest "
                 "in its regime (1 = the strongest):", markdown_table(table))
    doc.figure(figures / "morris.png", "Morris mu* (overall influence) against sigma (interactions, "
               "non-linearity); the ten largest labelled")
    doc.heading("Stage 2: Sobol indices")
    doc.para(f"N = {info['sobol_n']} base samples, {info['sobol_n'] * (len(info['top']) + 2)} runs per regime; "
             "other factors at their defaults; 95% confidence intervals by bootstrap (SALib).")
    for name in REGIMES:
        sub = sobol_indices[sobol_indices["regime"] == name]
        table = pd.DataFrame({"factor": [f for f in info["top"]]})
        for outcome in OUTCOMES:
            o = sub[sub["outcome"] == outcome].set_index("factor")
            table[f"{outcome} S1"] = [f"{o.at[f, 'S1']:.2f} ± {o.at[f, 'S1_conf']:.2f}" for f in info["top"]]
            table[f"{outcome} ST"] = [f"{o.at[f, 'ST']:.2f} ± {o.at[f, 'ST_conf']:.2f}" for f in info["top"]]
        doc.para(f"**{REGIME_LABELS[name]}**", markdown_table(table))
    doc.figure(figures / "sobol.png", "First-order (S1) and total-order (ST) Sobol indices with 95% CIs")
    doc.heading("Seed noise")
    rows = []
    for _, r in noise.iterrows():
        sub = sobol_indices[(sobol_indices["regime"] == r["regime"]) & (sobol_indices["outcome"] == r["outcome"])]
        total = float(sub["output_variance"].iloc[0]) if len(sub) else math.nan
        rows.append({"regime": REGIME_LABELS[r["regime"]], "outcome": OUTCOME_LABELS[r["outcome"]],
                     "default world: mean": f"{r['mean']:.3g}", "seed variance": f"{r['noise_variance']:.3g}",
                     "Sobol sample variance": f"{total:.3g}",
                     "share from seeds": f"{r['noise_variance'] / total:.0%}" if total > 0 else "n/a"})
    doc.para("Each sampled run has its own seed, so part of the output variance is chance. Rerunning the "
             "default world with fresh seeds measures it; the share below is variance no factor can explain "
             "(roughly the gap between 1 and the sum of S1).", markdown_table(pd.DataFrame(rows)))
    doc.heading("Files")
    doc.para("`morris.csv`, `sobol.csv` (indices with confidence intervals), `seed_noise.csv`, "
             "`morris_sample.csv` (every Morris world: parameter values and outcomes in both regimes), "
             "`sensitivity.json` (sizes and the claim numbers). Raw runs are kept in the results store `runs/store/` (not committed): "
             "rerunning the command resumes.")
    return doc.write(command=info["command"], seconds=info["seconds"], quick=info["quick"])


def _morris_figure(indices: pd.DataFrame, stem: Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(len(OUTCOMES), len(REGIMES), figsize=(5.2 * len(REGIMES), 4.2 * len(OUTCOMES)),
                             squeeze=False)
    for i, outcome in enumerate(OUTCOMES):
        for j, name in enumerate(REGIMES):
            ax = axes[i][j]
            sub = indices[(indices["regime"] == name) & (indices["outcome"] == outcome)]
            ax.scatter(sub["mu_star"], sub["sigma"], s=14)
            for _, r in sub.nlargest(10, "mu_star").iterrows():
                ax.annotate(r["factor"].split(".", 1)[1], (r["mu_star"], r["sigma"]), fontsize=7,
                            xytext=(3, 2), textcoords="offset points")
            ax.set_title(f"{REGIME_LABELS[name]}\n{OUTCOME_LABELS[outcome]}", fontsize=9)
            ax.set_xlabel("mu* (mean |elementary effect|, outcome units)")
            ax.set_ylabel("sigma")
    save_and_close(fig, stem)


def _sobol_figure(indices: pd.DataFrame, stem: Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(len(OUTCOMES), len(REGIMES), figsize=(5.2 * len(REGIMES), 3.8 * len(OUTCOMES)),
                             squeeze=False, sharex=True)
    for i, outcome in enumerate(OUTCOMES):
        for j, name in enumerate(REGIMES):
            ax = axes[i][j]
            sub = indices[(indices["regime"] == name) & (indices["outcome"] == outcome)].reset_index()
            y = np.arange(len(sub))
            ax.barh(y - 0.2, sub["S1"], 0.4, xerr=sub["S1_conf"], label="S1 (alone)", color="tab:blue")
            ax.barh(y + 0.2, sub["ST"], 0.4, xerr=sub["ST_conf"], label="ST (with interactions)",
                    color="tab:orange")
            ax.set_yticks(y, [f.split(".", 1)[1] for f in sub["factor"]], fontsize=8)
            ax.invert_yaxis()
            ax.axvline(0, color="black", lw=0.5)
            ax.set_title(f"{REGIME_LABELS[name]}\n{OUTCOME_LABELS[outcome]}", fontsize=9)
            ax.set_xlabel("share of output variance")
    axes[0][0].legend(fontsize=8, loc="lower right")
    save_and_close(fig, stem)


def _claim_figure(samples: pd.DataFrame, stem: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    free = samples["voluntary_no_rule.certified_share"]
    ban = samples["enforced_ban.certified_share"]
    ax.scatter(free, ban, s=10, alpha=0.6)
    ax.plot([0, 1], [0, 1], color="gray", lw=0.8, label="no change")
    ax.axhline(CLAIM_THRESHOLD, color="tab:green", lw=0.8, ls="--")
    ax.axvline(CLAIM_THRESHOLD, color="tab:green", lw=0.8, ls="--", label=f"{CLAIM_THRESHOLD:.0%} threshold")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("certified share, voluntary certification, no rule")
    ax.set_ylabel("certified share, well-enforced fee ban")
    ax.legend(fontsize=8, loc="lower right")
    save_and_close(fig, stem)


# --------------------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recruitsim-sensitivity",
                                description="Global sensitivity analysis with SALib: Morris screening of every "
                                            "uncertain parameter, then Sobol indices of the most influential.",
                                epilog="Writes ./results/sensitivity/ under the current directory, or --out DIR "
                                       "(report.md, CSV tables, figures); rerunning resumes from its runs/ "
                                       "folder.")
    p.add_argument("--trajectories", type=int, default=12, help="Morris trajectories r (default 12)")
    p.add_argument("--levels", type=int, default=4, help="Morris grid levels, even (default 4)")
    p.add_argument("--sobol-n", type=int, default=128, help="Sobol base sample N, a power of two (default 128)")
    p.add_argument("--top", type=int, default=8, help="factors carried from Morris to Sobol (default 8)")
    p.add_argument("--noise-seeds", type=int, default=20, help="seeds of the default world for seed noise")
    analysis_options(p, "sensitivity")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.quick:
        args.trajectories, args.sobol_n, args.top, args.noise_seeds = 2, 4, 2, 3
    try:
        check_sample_sizes(args.trajectories, args.levels, args.sobol_n, args.top, args.quick)
    except ValueError as exc:
        parser.error(str(exc))
    out = output_dir(args, "sensitivity")
    status = run_resumably(say, lambda: run(
        trajectories=args.trajectories, levels=args.levels, sobol_n=args.sobol_n, top=args.top,
        noise_seeds=args.noise_seeds, jobs=args.jobs, out_dir=out, quick=args.quick,
        command=command_line("recruitsim-sensitivity", argv)), scheduler=args.scheduler)
    if status == 0:
        say(f"report: {out / 'report.md'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
