"""Scenario discovery: under exactly which conditions can certification compete without the state?

``recruitsim-discover`` samples worlds with no rule on fees and no
inspections (the state absent), varying every uncertainty of
:data:`~experiments.parameter_space.UNCERTAINTIES` together with the levers
held by others (:data:`~experiments.parameter_space.NON_STATE_LEVERS`: the
scheme's audit design, buyers' Employer Pays commitments, a worker rating
platform). What makes a world a *case of interest* is chosen with
``--case`` (:data:`CASES`):

* ``certified`` (the default): certified recruiters make more than half of
  placements (means over the run's summary window);
* ``fee_free``: more than ``--threshold`` (default half) of placements are
  fee-free, counting fees paid to sub-agents;
* ``delta_label``: the label raises the fee-free share by more than the
  equivalence margin the claim's predictions declare for it
  (``configs/experiment/claim_predictions.yaml``, read, not copied): each
  world also runs without the label at the same seed, and Δlabel is the
  paired difference (what issue 15 item 5 asks: where can the label win
  without the state, judged by workers' outcomes, not by its share).

Every world's certified share, fee-free share and (with ``delta_label``) its
no-label fee-free share and Δlabel are in ``worlds.csv`` whatever the case.

Two readings of the same sample, as in Bryant & Lempert's scenario discovery:

* **Feature scores** (extra trees, scikit-learn): which parameters tell
  cases from the rest at all; PRIM then searches the top ones.
* **PRIM** (ema_workbench): boxes, i.e. ranges of a few parameters, that
  hold many cases (coverage: share of all cases inside the box) and few
  others (density: share of the box's worlds that are cases). The box
  reported is the one with the most coverage among those on the peeling
  trajectory that restrict at most ``--max-dims`` parameters and reach
  ``--min-density``; a second box is sought among the cases the first
  leaves out.
* **A decision tree** (scikit-learn) as a cross-check: its leaves are
  if-then rules, each with the same coverage and density measures.

Outputs go to ``results/discovery/`` (report, rules, the sample, figures).
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
import warnings
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
    NON_STATE_LEVERS,
    REGIMES,
    UNCERTAINTIES,
    Factor,
    as_values,
    to_overrides,
)

FACTORS: tuple[Factor, ...] = (*UNCERTAINTIES, *NON_STATE_LEVERS)
THRESHOLD = 0.5
#: What a case of interest is (``--case``): a short description for the report.
CASES = {"certified": "certified recruiters make more than {threshold:.0%} of placements",
         "fee_free": "more than {threshold:.0%} of placements are fee-free (sub-agent fees counted)",
         "delta_label": "the label raises the fee-free share by more than {threshold:.3g} (the claim's "
                        "equivalence margin), against the same world and seed without the label"}
#: Parameters PRIM searches: the highest feature scores.
SCORED = 8
OUTCOMES = ("certified_share", "mean_fee_months", "placements", "cheating_share", "fee_free_share")
SEED_BASE = 40_000


def say(message: str) -> None:
    print(f"recruitsim-discover: {message}", file=sys.stderr, flush=True)


def sample(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A Latin hypercube of ``n`` worlds over :data:`FACTORS`: config values (one column per key) and
    the same points on the sampled scale (what :func:`~experiments.parameter_space.to_overrides` takes)."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(FACTORS), seed=seed).random(n)
    lo = np.array([f.unit_bounds()[0] for f in FACTORS])
    hi = np.array([f.unit_bounds()[1] for f in FACTORS])
    scaled = lo + unit * (hi - lo)
    frame = pd.DataFrame(as_values(FACTORS, scaled), columns=[f.key for f in FACTORS])
    for f in FACTORS:
        if f.kind == "bool":
            frame[f.key] = frame[f.key].astype(bool)
        elif f.kind == "int":
            frame[f.key] = frame[f.key].astype(int)
    return frame, scaled


def run_sample(worlds: pd.DataFrame, scaled: np.ndarray, *, jobs, cache: Path, world: dict,
               paired: bool = False) -> pd.DataFrame:
    """Each world without a fee rule; its outcomes joined to its parameters.

    ``paired``: each world also runs with the label disabled at the same seed, adding
    ``fee_free_share_no_label`` and ``delta_label`` (the label's paired effect on the fee-free share).
    """
    regime = REGIMES["voluntary_no_rule"]
    points = [{**regime, **world, **to_overrides(FACTORS, x), "seed": SEED_BASE + i}
              for i, x in enumerate(scaled)]
    frame = batch.evaluate(points, outcomes=OUTCOMES, jobs=jobs, store=cache, desc="worlds without a fee rule")
    out = worlds.copy()
    for name in OUTCOMES:
        out[name] = frame[name].to_numpy(dtype=float)
    out["error"] = frame["error"]
    if paired:
        none = batch.evaluate([{**p, "certification.enabled": False} for p in points], outcomes=("fee_free_share",),
                              jobs=jobs, store=cache, desc="the same worlds without the label")
        out["fee_free_share_no_label"] = none["fee_free_share"].to_numpy(dtype=float)
        out["delta_label"] = out["fee_free_share"] - out["fee_free_share_no_label"]
        out["error"] = out["error"].where(out["error"].notna(), none["error"])
    return out


def case_threshold(case: str, threshold: float | None) -> float:
    """The threshold of a case: given, or the default (half; for ``delta_label`` the claim's margin)."""
    if case not in CASES:
        raise ValueError(f"--case must be one of {', '.join(CASES)} (got {case})")
    if threshold is not None:
        return threshold
    if case == "delta_label":
        from experiments.verdict import load_predictions

        return load_predictions().equivalence_margin("fee_free_share")
    return THRESHOLD


def cases(data: pd.DataFrame, case: str, threshold: float) -> np.ndarray:
    """Which worlds are cases of interest."""
    column = {"certified": "certified_share", "fee_free": "fee_free_share", "delta_label": "delta_label"}[case]
    return (data[column] > threshold).to_numpy()


# --------------------------------------------------------------------------- PRIM


def prim_boxes(x: pd.DataFrame, y: np.ndarray, *, min_density: float, max_dims: int = 5,
               max_boxes: int = 2) -> list[dict]:
    """PRIM boxes for the cases ``y``; each with its limits, coverage, density, mass and trajectory.

    From each peeling trajectory the box kept is the one with the most
    coverage among those restricting at most ``max_dims`` parameters and
    reaching ``min_density`` (or, if none does, the densest with at most
    ``max_dims``): a rule of a few conditions that a reader can use, rather
    than the densest box, which restricts many parameters by a little and
    describes the sample more than the model.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        options = {"mass_min": 0.02, "peel_alpha": 0.05}
        if "threshold" in inspect.signature(prim.Prim).parameters:  # ema_workbench < 3 (Python 3.11)
            options["threshold"] = min_density
        finder = prim.Prim(x, y, **options)
        boxes = []
        for _ in range(max_boxes):
            if y.sum() == 0:
                break
            box = finder.find_box()
            if box is None:
                break
            traj = box.peeling_trajectory.copy()
            short = traj[traj["res_dim"] <= max_dims]
            short = short if len(short) else traj
            eligible = short[short["density"] >= min_density]
            chosen = int(eligible["coverage"].idxmax() if len(eligible) else short["density"].idxmax())
            box.select(chosen)
            limits = box.box_lims[chosen]
            rules = _box_rules(limits, x)
            stats = traj.loc[chosen]
            boxes.append({"id": chosen, "coverage": float(stats["coverage"]), "density": float(stats["density"]),
                          "mass": float(stats["mass"]), "n": int(stats["n"]), "k": int(stats["k"]),
                          "rules": rules, "trajectory": traj})
            if len(boxes) == max_boxes or stats["coverage"] >= 0.999:
                break
    return boxes


def _box_rules(limits: pd.DataFrame, x: pd.DataFrame) -> list[dict]:
    """The restricted dimensions of a box as readable rules (only those that cut the sample's range)."""
    rules = []
    for key in limits.columns:
        lo, hi = limits.at[0, key], limits.at[1, key]
        if x[key].dtype == bool or isinstance(lo, (set, frozenset)):
            allowed = lo if isinstance(lo, (set, frozenset)) else {lo, hi}
            if len(allowed) < x[key].nunique():
                rules.append({"factor": key, "rule": f"{key} is {', '.join(str(v).lower() for v in sorted(allowed))}"})
            continue
        cut_lo, cut_hi = lo > x[key].min(), hi < x[key].max()
        if cut_lo and cut_hi:
            text = f"{_fmt(lo)} <= {key} <= {_fmt(hi)}"
        elif cut_lo:
            text = f"{key} >= {_fmt(lo)}"
        elif cut_hi:
            text = f"{key} <= {_fmt(hi)}"
        else:
            continue
        rules.append({"factor": key, "rule": text, "lo": float(lo), "hi": float(hi)})
    return rules


def _fmt(v: float) -> str:
    return f"{v:.3g}"


# --------------------------------------------------------------------------- feature scores


def feature_scores(x: pd.DataFrame, y: np.ndarray, seed: int) -> pd.Series:
    """How much each parameter helps tell cases from the rest (extra-trees impurity importance, sums to 1).

    PRIM peels one parameter at a time and, given 50 of them, spends its
    first peels on parameters that only happen to separate this sample;
    running it on the few parameters that matter gives boxes of a few
    conditions (Kwakkel's feature scoring before PRIM, as in ema_workbench).
    """
    from sklearn.ensemble import ExtraTreesClassifier

    forest = ExtraTreesClassifier(n_estimators=300, min_samples_leaf=5, random_state=seed, n_jobs=1)
    forest.fit(x.astype(float), y)
    return pd.Series(forest.feature_importances_, index=x.columns).sort_values(ascending=False)


# --------------------------------------------------------------------------- decision tree


def tree_rules(x: pd.DataFrame, y: np.ndarray, *, depth: int, min_leaf: int, seed: int) -> tuple[list[dict], str]:
    """Leaves of a shallow classification tree predicting cases, as rules with coverage and density."""
    from sklearn.tree import DecisionTreeClassifier, export_text

    features = x.astype(float)
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=min_leaf, random_state=seed)
    tree.fit(features, y)
    leaves = tree.apply(features)
    t = tree.tree_
    paths: dict[int, list[str]] = {}

    def walk(node: int, conditions: list[str]) -> None:
        if t.children_left[node] == -1:
            paths[node] = conditions
            return
        key, cut = features.columns[t.feature[node]], t.threshold[node]
        walk(t.children_left[node], conditions + [f"{key} <= {_fmt(cut)}"])
        walk(t.children_right[node], conditions + [f"{key} > {_fmt(cut)}"])

    walk(0, [])
    total = max(int(y.sum()), 1)
    rows = []
    for leaf, conditions in paths.items():
        inside = leaves == leaf
        cases = int(y[inside].sum())
        rows.append({"rule": " and ".join(conditions) or "(all worlds)", "worlds": int(inside.sum()),
                     "cases": cases, "coverage": cases / total, "density": cases / max(int(inside.sum()), 1)})
    rows.sort(key=lambda r: (-r["density"], -r["coverage"]))
    return rows, export_text(tree, feature_names=list(features.columns), decimals=3)


# --------------------------------------------------------------------------- the whole analysis


def check_options(n: int, min_density: float, max_dims: int = 5) -> None:
    """Refuse a sample too small to say anything or a density outside (0, 1] (ValueError naming the option)."""
    if n < 10:
        raise ValueError(f"--worlds must be at least 10 (got {n})")
    if not 0 < min_density <= 1:
        raise ValueError(f"--min-density must be in (0, 1] (got {min_density})")
    if max_dims < 1:
        raise ValueError(f"--max-dims must be at least 1 (got {max_dims})")


def run(*, n: int = 1200, min_density: float = 0.5, max_dims: int = 5, depth: int = 3, jobs: int | None = None,
        out_dir: Path = RESULTS / "discovery", quick: bool = False, seed: int = 20261127,
        command: str = "recruitsim-discover", case: str = "certified", threshold: float | None = None) -> dict:
    check_options(n, min_density, max_dims)
    threshold = case_threshold(case, threshold)
    started = time.perf_counter()
    world = batch.QUICK_WORLD if quick else {}
    worlds, scaled = sample(n, seed)
    say(f"{n} worlds without a fee rule")
    data = run_sample(worlds, scaled, jobs=jobs, cache=out_dir / "runs", world=world, paired=case == "delta_label")
    failed = data["error"].notna().sum()
    outcome = {"certified": "certified_share", "fee_free": "fee_free_share", "delta_label": "delta_label"}[case]
    ok = data[data["error"].isna() & data[outcome].notna()].reset_index(drop=True)
    # integers as floats: PRIM moves box limits to values between the sampled ones
    x = ok[[f.key for f in FACTORS]].astype({f.key: float for f in FACTORS if f.kind == "int"})
    y = cases(ok, case, threshold)
    scores = feature_scores(x, y, seed) if y.any() else pd.Series(dtype=float)
    top = list(scores.index[:SCORED])
    boxes = prim_boxes(x[top], y, min_density=min_density, max_dims=max_dims) if y.any() else []
    leaves, tree_text = tree_rules(x, y, depth=depth, min_leaf=max(5, n // 100), seed=seed) if y.any() else ([], "")
    info = {"worlds": int(n), "analysed": int(len(ok)), "failed": int(failed), "cases": int(y.sum()),
            "case": case, "threshold": threshold, "min_density": min_density, "max_dims": max_dims, "quick": quick,
            "seconds": time.perf_counter() - started, "command": command}
    info["prim_factors"] = top
    write(out_dir, data, boxes, leaves, tree_text, info, scores)
    return info


def write(out_dir: Path, data: pd.DataFrame, boxes: list[dict], leaves: list[dict], tree_text: str,
          info: dict, scores: pd.Series) -> Path:
    from experiments.report import Document, markdown_table
    from sim.runs.files import write_json

    figures = out_dir / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    data.to_csv(out_dir / "worlds.csv", index=False, float_format="%.6g")
    box_rows = [{"box": i + 1, "coverage": b["coverage"], "density": b["density"], "mass": b["mass"],
                 "rule": r["rule"]} for i, b in enumerate(boxes) for r in b["rules"]]
    pd.DataFrame(box_rows).to_csv(out_dir / "prim_boxes.csv", index=False, float_format="%.4g")
    pd.DataFrame(leaves).to_csv(out_dir / "tree_rules.csv", index=False, float_format="%.4g")
    write_json(out_dir / "discovery.json", {**info, "boxes": [{k: v for k, v in b.items() if k != "trajectory"}
                                                             for b in boxes]})
    if boxes:
        _trajectory_figure(boxes[0]["trajectory"], boxes[0]["id"], figures / "prim_tradeoff")
        _box_figure(data, boxes[0], figures / "prim_box",
                    {"certified": "certified_share", "fee_free": "fee_free_share",
                     "delta_label": "delta_label"}[info.get("case", "certified")])

    case = info.get("case", "certified")
    doc = Document(out_dir, "Scenario discovery: when can certification compete without the state?"
                   + ("" if case == "certified" else f" (cases: {case})"))
    doc.para(f"{info['worlds']} worlds sampled by Latin hypercube over {len(UNCERTAINTIES)} uncertainties and "
             f"{len(NON_STATE_LEVERS)} levers outside the state (ranges in `experiments/parameter_space.py`), "
             "all with voluntary certification, **no rule on fees and no inspections**. A case is a world "
             "where " + CASES[case].format(threshold=info["threshold"]) + " (means over each run's summary "
             "window).")
    doc.para(f"Cases: **{info['cases']} of {info['analysed']}** worlds ({info['cases'] / max(info['analysed'], 1):.1%})"
             + (f"; {info['failed']} runs failed and are left out." if info["failed"] else "."))
    doc.heading("Which parameters matter")
    if len(scores):
        table = pd.DataFrame({"parameter": scores.index[:10], "score": [f"{v:.3f}" for v in scores.values[:10]]})
        doc.para("Feature scores (extra-trees importance, summing to 1 over all "
                 f"{len(FACTORS)} parameters), the ten highest; PRIM searches the top {SCORED}:",
                 markdown_table(table))
        scores.rename("score").to_csv(out_dir / "feature_scores.csv", float_format="%.5f")
    doc.heading("PRIM boxes")
    if not boxes:
        doc.para("No world reached the threshold, so there is no box to find.")
    for i, b in enumerate(boxes):
        rules = "\n".join(f"- {r['rule']}" for r in b["rules"]) or "- (no restriction)"
        doc.para(f"**Box {i + 1}**: coverage {b['coverage']:.0%} (share of all cases inside), density "
                 f"{b['density']:.0%} (share of the box's worlds that are cases), mass {b['mass']:.1%} of "
                 f"worlds ({b['n']} worlds, {b['k']} cases). Conditions:", rules)
    if boxes:
        doc.figure(figures / "prim_tradeoff.png", "PRIM peeling trajectory: coverage against density, the "
                   "chosen box circled")
        doc.figure(figures / "prim_box.png", "Worlds on the first box's two leading dimensions; cases in colour")
    doc.heading("Decision tree (cross-check)")
    if leaves:
        table = pd.DataFrame(leaves)
        table["coverage"] = table["coverage"].map(lambda v: f"{v:.0%}")
        table["density"] = table["density"].map(lambda v: f"{v:.0%}")
        doc.para("Leaves of a depth-3 classification tree, densest first:", markdown_table(table))
        doc.para("```\n" + tree_text.rstrip() + "\n```")
    doc.heading("Files")
    doc.para("`worlds.csv` (every world: parameters and outcomes), `prim_boxes.csv`, `tree_rules.csv`, "
             "`discovery.json`. Raw runs are kept in the results store `runs/store/` (not committed); "
             "rerunning resumes.")
    return doc.write(command=info["command"], seconds=info["seconds"], quick=info["quick"])


def _trajectory_figure(traj: pd.DataFrame, chosen: int, stem: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    points = ax.scatter(traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis", s=14)
    ax.scatter([traj.at[chosen, "coverage"]], [traj.at[chosen, "density"]], s=120, facecolors="none",
               edgecolors="red", label="chosen box")
    fig.colorbar(points, ax=ax, label="restricted dimensions")
    ax.set_xlabel("coverage (share of all cases in the box)")
    ax.set_ylabel("density (share of the box that are cases)")
    ax.legend(fontsize=8)
    save_and_close(fig, stem)


def _box_figure(data: pd.DataFrame, box: dict, stem: Path, outcome: str = "certified_share") -> None:
    plt = pyplot()
    numeric = [r for r in box["rules"] if "lo" in r][:2]
    if len(numeric) < 2:
        extra = [k for k in ("society.brand_share", "society.brand_remediation") if k not in {r["factor"] for r in numeric}]
        numeric += [{"factor": k} for k in extra][: 2 - len(numeric)]
    a, b = numeric[0]["factor"], numeric[1]["factor"]
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    limits = {"vmin": 0, "vmax": 1} if outcome != "delta_label" else {}
    points = ax.scatter(data[a], data[b], c=data[outcome], cmap="viridis", s=10, **limits)
    fig.colorbar(points, ax=ax, label={"certified_share": "certified share of placements",
                                       "fee_free_share": "fee-free share of placements",
                                       "delta_label": "Δlabel on the fee-free share"}[outcome])
    for r in numeric:
        if "lo" in r:
            line = ax.axvline if r["factor"] == a else ax.axhline
            for v in (r["lo"], r["hi"]):
                line(v, color="red", lw=0.8, ls="--")
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    save_and_close(fig, stem)


# --------------------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recruitsim-discover",
                                description="Scenario discovery: in which worlds do certified recruiters make "
                                            "most placements without the state (PRIM boxes and a decision "
                                            "tree)?",
                                epilog="Writes ./results/discovery/ under the current directory, or --out DIR "
                                       "(report.md, worlds.csv, rules, figures); rerunning resumes from its "
                                       "runs/ folder.")
    p.add_argument("--worlds", type=int, default=1200, help="worlds sampled (default 1200)")
    p.add_argument("--min-density", type=float, default=0.5, help="least density of the PRIM box reported (0.5)")
    p.add_argument("--max-dims", type=int, default=5, help="most parameters a reported box may restrict (5)")
    p.add_argument("--case", choices=tuple(CASES), default="certified",
                   help="what makes a world a case: certified (the label's share above --threshold), fee_free "
                        "(fee-free share above --threshold), delta_label (the label's paired effect on the "
                        "fee-free share above --threshold, default the claim's equivalence margin)")
    p.add_argument("--threshold", type=float, default=None,
                   help="the case's threshold (default 0.5; for delta_label the margin of "
                        "configs/experiment/claim_predictions.yaml)")
    analysis_options(p, "discovery")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.quick:
        args.worlds = 60
    try:
        check_options(args.worlds, args.min_density, args.max_dims)
    except ValueError as exc:
        parser.error(str(exc))
    out = output_dir(args, "discovery")
    status = run_resumably(say, lambda: run(
        n=args.worlds, min_density=args.min_density, max_dims=args.max_dims, jobs=args.jobs, out_dir=out,
        quick=args.quick, command=command_line("recruitsim-discover", argv), case=args.case,
        threshold=args.threshold), scheduler=args.scheduler)
    if status == 0:
        say(f"report: {out / 'report.md'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
