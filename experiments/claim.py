"""Experiment ``claim``: the article's pre-registered predictions, placebo-controlled, world by world.

The claim (seed 001, III.C-D, as written down in
``configs/experiment/claim_predictions.yaml`` before the second model
existed): a voluntary Employer Pays label does not on its own move workers'
outcomes where recruiters may charge workers; a fee ban the state enforces
does, and the label then adds little; a ban on paper does not; and leaning on
private audits draws the state away from inspecting.

**Design** (:func:`cells`, from the predictions file, never a second copy of
it): every regime of the file (no rule, ban on paper, enforced ban, ban with
joint liability, endogenous state) runs with the four label arms of
``notation.arms`` (none; the real label; the ``inert`` and ``signal``
placebos), plus the arms of the article's exception and its leave-one-out
checks, all with the file's ``common_overrides``. Every cell runs the same
seeds (``test.seeds_per_world``), so every contrast is paired by seed. In
posterior worlds (``--worlds posterior``) seed s of world i is
``s + i * 1,000,000`` and each world gets its own verdicts.

**Parts** (``--part``): ``main`` (the design above, in the worlds asked
for), ``robustness`` (the design again under each row of
``configs/experiment/claim_variants.yaml``: every alternative behavioural rule
or axis, one at a time, beside a baseline row in the same worlds and seeds)
and ``boundary`` (the design along a grid of each parameter the data cannot
decide). Each part writes its own folder; the main report includes the other
two's tables when they exist.

**Analysis** (:mod:`experiments.verdict`): per world and prediction the
verdict from that world's seeds (Student-t bounds, TOST for "about 0", the k
rule, the validity gates); the whole claim per world; the share of worlds per
verdict with Wilson intervals and the over-worlds reading; where the claim
fails (PRIM and a tree over the worlds' parameters); the distribution over
seeds (bimodality) next to the means; the deviations log of the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from experiments.report import Report, markdown_table, num, pct, write_csv
from experiments.verdict import (
    CONTRADICTED,
    EXCEPTION,
    EXCEPTION_READINGS,
    EXCEPTION_STATE,
    HOLDS,
    PREDICTIONS_FILE,
    VERDICTS,
    Predictions,
    decide_world,
    delta_state,
    exception_reading,
    k_ratio_interval,
    load_predictions,
    noise_floor_gate,
    over_worlds,
    pilot_power,
    practically_relevant,
    reading,
    settled,
    world_row,
)
from sim.config import EXPERIMENT_DIR

if TYPE_CHECKING:
    from experiments.context import Context
    from sim.plots import Collected

TITLE = "the article's predictions, placebo-controlled, over worlds"
#: The parts of the experiment (``recruitsim-experiment claim --part NAME``).
PARTS = ("main", "robustness", "boundary")
VARIANTS_FILE = EXPERIMENT_DIR / "claim_variants.yaml"
BASELINE = "baseline"
#: Seeds a cell gets in ``--quick`` (the least number with which a prediction is testable: test.verdicts).
QUICK_SEEDS = 10
#: Variants besides the baseline that a ``--quick`` run of the robustness or boundary part runs (a pipeline test).
QUICK_VARIANTS = 2
#: Bootstrap resamples of the inference check (``test.inference_check``); fewer in ``--quick``.
N_BOOT, QUICK_BOOT = 10_000, 200
QUICK: list[str] = []

# ---------------------------------------------------------------- from the file's descriptive names to config keys

#: Descriptive keys of the predictions file whose config key has another name.
KEY_NAMES = {"certification.audits_announced": "certification.announced",
             "certification.confidential_reports": "certification.confidential",
             "certification.subcontracted_share": "certification.subcontract_share"}
#: Descriptive values: (file key, value) -> {config key: value}. ``market.entry_barrier: low`` is the entry cost
#: the file plans (a tenth of the 20,000 USD default).
VALUE_NAMES = {("market.entry_barrier", "low"): {"market.entry_cost": 2000.0}}
#: Keys that go back together in a leave-one-out check (complaints to social partners are part of gatekeeping).
LEAVE_TOGETHER = {"certification.gatekeeping": ("certification.complaint_exhaustion",)}
#: Group options the file names by their role.
GROUPS = ("policy", "certification")


def _as_flat(entries: dict) -> tuple[list[str], dict]:
    """Hydra group choices (``policy=no_rule``) and flat config values of a mapping of descriptive overrides."""
    groups, flat = [], {}
    for key, value in (entries or {}).items():
        if key in GROUPS:
            groups.append(f"{key}={'disabled' if value == 'disabled' else value}")
            continue
        if value == "default" or key == "market_and_society":
            continue
        if (key, value) in VALUE_NAMES:
            flat.update(VALUE_NAMES[(key, value)])
            continue
        flat[KEY_NAMES.get(key, key)] = value
    return groups, flat


@dataclass(frozen=True)
class Cell:
    """One cell of the design: a block (a regime, or the exception's), a label arm and its overrides."""

    block: str
    arm: str
    groups: tuple[str, ...]
    flat: tuple[tuple[str, Any], ...]


def cells(spec: Predictions) -> list[Cell]:
    """Every cell the predictions need: each regime x each label arm, then the exception's arms."""
    data = spec.data
    arms = data["notation"]["arms"]
    common_groups, common = _as_flat(data.get("common_overrides") or {})
    out = []

    def cell(block: str, arm: str, regime: dict, extra: dict | None = None) -> Cell:
        g_reg, f_reg = _as_flat(regime)
        g_arm, f_arm = _as_flat(arms[arm])
        flat = {**common, **f_reg, **(extra or {}), **f_arm}
        if arm == "none":
            flat.pop("certification.placebo", None)
            flat["certification.placebo"] = "off"  # fixed, so that a sweep's placebo values do not multiply it
        return Cell(block, arm, tuple([*common_groups, *g_reg, *g_arm]), tuple(sorted(flat.items())))

    regimes = data["regimes"]
    for name, regime in regimes.items():
        for arm in arms:
            out.append(cell(name, arm, regime.get("overrides") or {}))
    conditional = (regimes.get("no_rule") or {}).get("conditional")
    if conditional:
        _, conditions = _as_flat(conditional["conditions"])
        base = regimes["no_rule"].get("overrides") or {}
        ban = regimes["enforced_ban"].get("overrides") or {}
        out.append(cell(EXCEPTION, "real", base, conditions))
        out.append(cell(EXCEPTION, "none", base, conditions))
        out.append(cell(EXCEPTION_STATE, "none", ban, conditions))
        _, defaults = _as_flat(data.get("common_overrides") or {})
        for pred in conditional.get("predictions") or []:
            loo = pred.get("leave_one_out")
            if not loo:
                continue
            kept = dict(conditions)
            for key in (loo, *LEAVE_TOGETHER.get(loo, ())):
                for name_ in _as_flat({key: conditional["conditions"].get(key)})[1]:
                    kept.pop(name_, None)
                back = KEY_NAMES.get(key, key)
                if back in defaults:
                    kept[back] = defaults[back]
            out.append(cell(f"{EXCEPTION}-{loo}", "real", base, kept))
    return out


def read_variants(part: str, path: Path = VARIANTS_FILE) -> list[dict]:
    """The variants of a part: ``[{name, axis, overrides}]``, the baseline (no override) first."""
    import yaml

    if part == "main":
        return [{"name": BASELINE, "axis": "", "overrides": {}}]
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if part not in data:
        raise ValueError(f"{path} has no `{part}` list")
    out = [{"name": BASELINE, "axis": "", "overrides": {}}]
    if part == "robustness":
        for row in data[part]:
            out.append({"name": str(row["name"]), "axis": str(row.get("axis", "")), "overrides": dict(row["overrides"])})
        return out
    for axis in data[part]:
        key, values = axis["key"], axis["values"]
        items = values.items() if isinstance(values, dict) else [(v, {key: v}) for v in values]
        for label, overrides in items:
            out.append({"name": f"{key}={label}", "axis": key, "value": label, "overrides": dict(overrides)})
    return out


def design(overrides: Sequence[str], *, part: str = "main", seeds: int | None = None, quick: bool = False,
           worlds: Sequence[dict] | None = None, predictions: Path | None = None) -> tuple[list, dict]:
    """The runs of a part: every cell x variant x world x seed, and their index by run_id.

    Args:
        overrides: the experiment's Hydra overrides (``experiment=claim``, the quick world, ...);
            seed overrides among them are replaced by the design's own seeds.
        seeds: seeds per cell (default: the file's ``test.seeds_per_world``; ``--quick``: 10).

    Returns:
        ``(specs, index)``: :class:`sim.runs.engine.RunSpec` s, each run once, and ``{run_id: [meta]}``
        with each place the run stands in (part, variant, block, arm, world, seed within its world): a
        run can stand in several (a boundary point at the default value is the baseline's run).
    """
    import dataclasses

    from experiments.context import grid_specs
    from experiments.run import WORLD_SEED_STRIDE
    from sim.config import build_config, flat_config
    from sim.runs.engine import RunSpec
    from sim.runs.store import run_id

    if part not in PARTS:
        raise ValueError(f"unknown part {part!r} of the claim experiment; choose one of {', '.join(PARTS)}")
    spec = load_predictions(predictions or PREDICTIONS_FILE)
    n = seeds or (QUICK_SEEDS if quick else spec.seeds_per_world)
    base = [o for o in overrides if not o.startswith(("seed=", "run.replications=", "hydra.sweep"))]
    worlds = list(worlds) if worlds else [{}]
    variants = read_variants(part)
    if quick:
        variants = variants[:1 + QUICK_VARIANTS]
    specs, index, templates = [], {}, {}
    for c in cells(spec):
        if c.groups not in templates:  # composing is slow (Hydra); cells share a few group choices
            templates[c.groups] = grid_specs([*base, *c.groups, "seed=0", "run.replications=1"])[0]
        template = templates[c.groups]
        flat0 = {**flat_config(template.config), **dict(c.flat)}
        for variant in variants:
            for w, world in enumerate(worlds):
                # one config per cell, variant and world; the seeds only change its seed (and run_id)
                config0 = build_config({**flat0, **world, **variant["overrides"], "seed": 0})
                flat = flat_config(config0)
                for s in range(n):
                    seed = s + w * WORLD_SEED_STRIDE
                    rid = run_id({**flat, "seed": seed})
                    meta = {"part": part, "variant": variant["name"], "axis": variant.get("axis", ""),
                            "value": variant.get("value"), "block": c.block, "arm": c.arm, "world": w,
                            "cell_seed": s}
                    if rid in index:  # the same run stands in two places (e.g. a grid point at the default)
                        index[rid].append(meta)
                        continue
                    index[rid] = [meta]
                    specs.append(RunSpec(dataclasses.replace(config0, seed=seed), template.choices,
                                         (*template.overrides, f"claim.cell={c.block}/{c.arm}",
                                          f"claim.variant={variant['name']}", f"world={w}")))
    return specs, index


# --------------------------------------------------------------------------- analysis


def tag_runs(runs: pd.DataFrame, index: dict) -> pd.DataFrame:
    """The runs joined to their place in the design (runs the design does not name are left out)."""
    meta = pd.DataFrame([{"run_id": rid, **m} for rid, places in index.items() for m in places])
    return runs.merge(meta, on="run_id", how="inner")


def worlds_of(tagged: pd.DataFrame) -> dict[tuple[str, int], dict]:
    """``{(variant, world): {(block, arm): per-seed frame}}`` for :func:`experiments.verdict.decide_world`."""
    out: dict[tuple[str, int], dict] = {}
    for (variant, w, block, arm), part in tagged.groupby(["variant", "world", "block", "arm"], sort=False):
        out.setdefault((variant, int(w)), {})[(block, arm)] = part.set_index("cell_seed").sort_index()
    return out


def decide_all(tagged: pd.DataFrame, spec: Predictions, boot: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Per (variant, world): a row of verdicts and gates, the long table of decisions, and the decisions."""
    rows, long, kept = [], [], {}
    k_pred = spec.by_id(spec.data["summary"]["k_rule"]["id"])
    for (variant, w), world in sorted(worlds_of(tagged).items()):
        decisions = decide_world(world, spec, boot=boot)
        kept[(variant, w)] = (world, decisions)
        row = {"variant": variant, "world": w, **world_row(decisions, spec)}
        row["noise_floor"] = noise_floor_gate(world, spec)
        row["settled"] = settled(world, spec)
        row["exception_reading"] = exception_reading(decisions)
        row["EX-1_practically_relevant"] = practically_relevant(decisions["EX-1"], spec.by_id("EX-1"))
        row["k_ratio"], row["k_ratio_lo"], row["k_ratio_hi"] = k_ratio_interval(k_pred, world, max(boot, 200), 12345)
        row.update(informative_margins(world, spec))
        rows.append(row)
        for pid, d in decisions.items():
            long.append({"variant": variant, "world": w, "prediction": pid, "verdict": d.verdict,
                         "estimate": d.estimate, "lo": d.lo, "hi": d.hi, "seeds": d.n, "note": d.note,
                         "method_sensitive": d.method_sensitive, "split_across_seeds": d.split})
    return pd.DataFrame(rows), pd.DataFrame(long), kept


def informative_margins(world: dict, spec: Predictions) -> dict[str, bool]:
    """Per outcome with an equivalence margin: is the margin below a third of |Δstate| (``validity_gates.
    informative_margin``, reported, not a gate)? Where not, "Δlabel about 0" says little."""
    out = {}
    for outcome in dict.fromkeys(p.outcome for p in spec.predictions if p.relation == "equivalent_to_zero"):
        state = delta_state(world, "enforced_ban", outcome)
        effect = abs(float(state.mean())) if state is not None and len(state) else math.nan
        out[f"informative_margin_{outcome}"] = bool(spec.equivalence_margin(outcome) < effect / 3)
    return out


def world_parameters(tagged: pd.DataFrame, worlds: Sequence[dict] | None) -> pd.DataFrame:
    """One row per world with the parameters its posterior draw set (empty without posterior worlds)."""
    if not worlds:
        return pd.DataFrame({"world": sorted(tagged["world"].unique())})
    frame = pd.DataFrame(list(worlds))
    frame.insert(0, "world", range(len(frame)))
    return frame


def where_it_fails(rows: pd.DataFrame, params: pd.DataFrame, min_worlds: int = 10) -> tuple[list, list, str]:
    """PRIM boxes and tree leaves over the world parameters for worlds where the claim does not hold."""
    from experiments.discovery import prim_boxes, tree_rules

    keys = [c for c in params.columns if c != "world" and params[c].nunique() > 1]
    data = rows.merge(params, on="world")
    y = (data["whole_claim"] != HOLDS).to_numpy()
    if len(data) < min_worlds or not keys or y.all() or not y.any():
        return [], [], ""
    x = data[keys].astype(float)
    boxes = prim_boxes(x, y, min_density=0.5, max_dims=3, max_boxes=1)
    leaves, text = tree_rules(x, y, depth=3, min_leaf=max(2, len(data) // 20), seed=0)
    return boxes, leaves, text


def robustness_table(rows: pd.DataFrame, spec: Predictions, variants: list[dict]) -> pd.DataFrame:
    """Per variant: the whole claim's reading and shares, and whether the reading flips against the baseline."""
    table = []
    base = rows[rows["variant"] == BASELINE]
    base_reading = reading(base["whole_claim"], spec) if len(base) else "n/a"
    for v in variants:
        part = rows[rows["variant"] == v["name"]]
        if part.empty:
            continue
        r = reading(part["whole_claim"], spec)
        differing = []
        if len(base):
            for p in [p.id for p in spec.predictions if p.id in part and p.id in base]:
                mode_v, mode_b = part[p].mode().iloc[0], base[p].mode().iloc[0]
                if mode_v != mode_b:
                    differing.append(f"{p}: {mode_b}->{mode_v}")
        table.append({"variant": v["name"], "axis": v.get("axis", ""), "value": v.get("value"), "worlds": len(part),
                      "holds": float((part["whole_claim"] == HOLDS).mean()),
                      "contradicted": float((part["whole_claim"] == CONTRADICTED).mean()),
                      "reading": r,
                      # over posterior worlds the reading flips; in one world (MIXED by construction) the
                      # world's whole-claim verdict itself
                      "flips": v["name"] != BASELINE and len(base) > 0 and (
                          r != base_reading if len(part) > 1 or len(base) > 1 else
                          part["whole_claim"].iloc[0] != base["whole_claim"].iloc[0]),
                      "predictions_that_change": "; ".join(differing)})
    return pd.DataFrame(table)


def analyse(collected: Collected, ctx: Context) -> Path:
    """Verdicts, tables, figures and ``report.md`` of one part of the claim experiment; returns the report."""
    spec = load_predictions(getattr(ctx, "predictions", None) or PREDICTIONS_FILE)
    part = getattr(ctx, "part", None) or "main"
    index = getattr(ctx, "design", None)
    if not index:
        raise RuntimeError("the claim analysis needs the design's run index (ctx.design); run it through "
                           "recruitsim-experiment claim")
    tagged = tag_runs(collected.runs, index)
    boot = QUICK_BOOT if ctx.quick else N_BOOT
    rows, long, kept = decide_all(tagged, spec, boot)
    out, figures = ctx.out_dir, ctx.out_dir / "figures"
    params = world_parameters(tagged, getattr(ctx, "worlds", None))
    write_csv(rows.merge(params, on="world", how="left"), out / "worlds.csv")
    write_csv(long, out / "decisions.csv")
    main_rows = rows[rows["variant"] == BASELINE]
    table = over_worlds(main_rows, spec)
    write_csv(table, out / "summary.csv")
    settled_table = over_worlds(main_rows[main_rows["settled"].astype(bool)], spec) if len(main_rows) else table
    write_csv(settled_table, out / "summary_settled_worlds.csv")
    main_worlds = [world for (variant, _), (world, _) in sorted(kept.items()) if variant == BASELINE]
    pilot = pilot_power(main_worlds, spec, n=int(tagged["cell_seed"].nunique()) if len(tagged) else 0)
    variants = read_variants(part)[:1 + QUICK_VARIANTS] if ctx.quick else read_variants(part)
    robust = robustness_table(rows, spec, variants) if part != "main" else pd.DataFrame()
    if part != "main":
        write_csv(robust, out / f"{part}.csv")

    from experiments.claim_figures import (
        boundary_figure,
        seed_distribution_figure,
        verdict_share_figure,
    )

    verdict_share_figure(table, spec, figures / "verdict_shares", quick=ctx.quick)
    seed_distribution_figure(kept, spec, figures / "seed_distributions")
    if part == "boundary" and not robust.empty:
        boundary_figure(robust, figures / "boundary")

    posterior = posterior_readings(ctx.out_dir) if part == "main" and not getattr(ctx, "worlds", None) else \
        pd.DataFrame()
    answer = answer_paragraph(main_rows, table, spec, part, robust) + _posterior_sentence(posterior)
    report = ClaimReport(ctx, TITLE + ("" if part == "main" else f" ({part})"), answer)
    if not posterior.empty:
        report.section("Over posterior worlds, by prior (from `posterior_*/`)", markdown_table(posterior),
                       "Each row is the `--worlds posterior --prior NAME` run into `posterior_NAME/`, whose own "
                       "report has every prediction; shares of worlds with Wilson 95% intervals.")
    _evidence(report, spec, main_rows, table, long, tagged, params, robust, part, ctx)
    _exception_and_power(report, spec, main_rows, settled_table, pilot)
    _deviations(report, spec)
    return report.write(tagged)


# --------------------------------------------------------------------------- the report's words


def _exception_and_power(report: Report, spec: Predictions, rows: pd.DataFrame, settled_table: pd.DataFrame,
                         pilot: dict) -> None:
    """The file's readings beside the whole claim: settled worlds apart, the exception's four readings, and
    the internal pilot's power (``summary.whole_claim.exception_reading``, ``validity_gates.settled``,
    ``test.power.pilot``)."""
    n = len(rows)
    if n:
        n_settled = int(rows["settled"].astype(bool).sum())
        whole = settled_table.set_index("prediction").loc["whole_claim"] if n_settled else None
        report.section(
            "Settled worlds counted apart",
            f"{n_settled} of {n} worlds are settled (the no-rule, no-label drift of fee-free share "
            "and mean fee inside their margins). "
            + (f"Over those alone the whole claim holds in {_fmt_share(whole, HOLDS)} and is contradicted in "
               f"{_fmt_share(whole, CONTRADICTED)} (reading {whole['reading']}); per prediction in "
               "`summary_settled_worlds.csv`." if whole is not None else "There are none to count apart."))
    if n:
        counts = rows["exception_reading"].value_counts()
        relevant = rows["EX-1_practically_relevant"].dropna().astype(bool)
        report.section(
            "The article's exception, read beside the claim",
            markdown_table(pd.DataFrame([{"reading": text, "worlds": int(counts.get(key, 0)),
                                          "share": pct(counts.get(key, 0) / n, 0)}
                                         for key, text in EXCEPTION_READINGS.items()])),
            f"Where EX-1 holds, its lower bound also exceeds the practical margin in {int(relevant.sum())} of "
            f"{int((rows['EX-1'] == HOLDS).sum())} worlds (`EX-1.also_report`).")
    if pilot["tests"]:
        shown = pd.DataFrame([{"prediction": t["id"], "SD of per-seed differences": num(t["sd"]),
                               "margin": num(t["margin"]), "power": pct(t["power"], 0)} for t in pilot["tests"]])
        report.section(
            "Power: the internal pilot",
            f"The first {pilot['worlds']} world(s) estimate the spread of each equivalence test the whole claim's "
            "power was planned for (`test.power.pilot`; spreads only, never means).",
            markdown_table(shown),
            f"Joint power at the seeds run (if the tests were independent): {pct(pilot['joint_power'], 0)}; the "
            f"file's rule asks for {pilot['seeds_needed']} seeds a world for a joint power of 80%"
            + ("; a run with fewer seeds is a deviation to log." if pilot["seeds_needed"] > pilot["seeds"]
               else "."))


class ClaimReport(Report):
    """The experiment's report, whose provenance names its own design and inference (not a Hydra grid's)."""

    def provenance(self, runs: pd.DataFrame) -> list[str]:
        lines = []
        for line in super().provenance(runs):
            if line.startswith("- Sweep:"):
                line = (f"- Design: `experiments/claim.py: design` (part `{self.ctx.part}`) from the predictions "
                        "file, on top of `recruitsim experiment=claim` with "
                        f"`{' '.join(o for o in self.ctx.overrides[1:] if not o.startswith('hydra.'))}`; raw "
                        "per-run data in `runs/` (not committed)")
            elif line.startswith("- Confidence intervals:"):
                line = ("- Inference: Student-t one-sided bounds of per-seed (paired) statistics as the predictions "
                        "file says; bootstrap check with "
                        f"{QUICK_BOOT if self.ctx.quick else N_BOOT:,} resamples (seed 12345); shares of worlds "
                        "with Wilson 95% intervals")
            elif line.startswith("- Seeds:"):
                line += " (seeds of world i are offset by i x 1,000,000)"
            lines.append(line)
        return lines


def answer_paragraph(rows: pd.DataFrame, table: pd.DataFrame, spec: Predictions, part: str,
                     robust: pd.DataFrame) -> str:
    """The plain-words answer that opens the report, generated from the verdicts."""
    if rows.empty:
        return "No world of this part has completed runs yet, so there is no answer."
    whole = table.set_index("prediction").loc["whole_claim"]
    n = int(whole["worlds"])
    r = whole["reading"]
    worlds = "the one world run (the default world unless posterior worlds were asked for)" if n == 1 \
        else f"{n} worlds"
    core = table.set_index("prediction")

    def share(pid: str) -> str:
        return pct(float(core.loc[pid, HOLDS]), 0) if pid in core.index else "n/a"

    meaning = {"SUPPORTED": "the runs back the article's claim",
               "REFUTED": "the runs go against the article's claim",
               "MIXED": "the runs neither back nor refute the article's claim as a whole"}.get(r, r)
    text = (f"**In short: {meaning} ({r.lower()}).** The claim is that a voluntary Employer Pays label does not, "
            "on its own, make recruitment fee-free or reduce fees and debt bondage, that a fee ban the state "
            "enforces does, and that the label then adds little. Across "
            f"{worlds}, the whole claim holds in {pct(float(whole[HOLDS]), 0)} (95% CI "
            f"{pct(float(whole[HOLDS + '_lo']), 0)} to {pct(float(whole[HOLDS + '_hi']), 0)}) and is contradicted in "
            f"{pct(float(whole[CONTRADICTED]), 0)} (95% CI {pct(float(whole[CONTRADICTED + '_lo']), 0)} to "
            f"{pct(float(whole[CONTRADICTED + '_hi']), 0)}); the rest are inconclusive (too few seeds for the noise) or "
            f"untestable. Without any rule, the label leaves fee-free placements unchanged in {share('NR-2')} of "
            f"worlds; an enforced ban raises them by more than the pre-registered amount in {share('EB-1')}; "
            f"the label does at most a quarter of what the ban does (the k rule) in {share('K-1')}.")
    weak = []
    for pid in spec.whole_claim_ids():
        if pid in core.index and float(core.loc[pid, HOLDS]) < 0.5:
            verdict = max(VERDICTS, key=lambda v: float(core.loc[pid, v]))
            weak.append(f"{pid} ({verdict})")
    if weak:
        text += (" The predictions of the whole claim that do not hold in most worlds, with their most common "
                 "verdict: " + ", ".join(weak) + ".")
    ex = core.loc["EX-1", HOLDS] if "EX-1" in core.index else math.nan
    text += (f" Where social partners vet recruiters, audits are unannounced and shared and entry is easy "
             f"(the article's own exception), the label raises fee-free placements in {pct(float(ex), 0)} of worlds.")
    text += (" This rests on the model's behavioural rules and on parameters the data cannot pin down; the "
             "robustness table and the boundary below say which of them could change the answer.")
    if part != "main" and not robust.empty:
        flips = robust[robust["flips"]]
        text += (f" Here {len(flips)} of {len(robust) - 1} variants change the reading"
                 + (": " + "; ".join(flips["variant"]) if len(flips) else "") + ".")
    return text


def posterior_readings(out_dir: Path) -> pd.DataFrame:
    """The whole claim's shares and reading per prior, from the posterior-world runs in ``out_dir/posterior_*/``."""
    rows = []
    for path in sorted(Path(out_dir).glob("posterior_*/summary.csv")):
        table = pd.read_csv(path).set_index("prediction")
        if "whole_claim" not in table.index:
            continue
        whole = table.loc["whole_claim"]
        rows.append({"prior": path.parent.name.removeprefix("posterior_"), "worlds": int(whole["worlds"]),
                     **{f"{v} (95% CI)": _fmt_share(whole, v) for v in VERDICTS}, "reading": whole["reading"]})
    return pd.DataFrame(rows)


def _posterior_sentence(posterior: pd.DataFrame) -> str:
    """The answer's sentence on the posterior worlds (empty before they have run)."""
    if posterior.empty:
        return ""
    parts = [f"under the {r['prior']} prior it holds in {r['holds (95% CI)']} of {r['worlds']} worlds and is "
             f"contradicted in {r['contradicted (95% CI)']} ({r['reading']})" for _, r in posterior.iterrows()]
    return " Over worlds drawn from the calibration's posterior, " + "; ".join(parts) + "."


def _fmt_share(row: pd.Series, v: str) -> str:
    return f"{pct(row[v], 0)} ({pct(row[v + '_lo'], 0)}-{pct(row[v + '_hi'], 0)})"


def _evidence(report: Report, spec: Predictions, rows: pd.DataFrame, table: pd.DataFrame, long: pd.DataFrame,
              tagged: pd.DataFrame, params: pd.DataFrame, robust: pd.DataFrame, part: str, ctx) -> None:
    """Every section after the answer."""
    report.section(
        "How the verdict is reached",
        f"Predictions: `{spec.path.name}` ({len(spec.predictions)} predictions, read as committed; "
        f"{len(spec.deviations)} logged deviations, listed at the end). Each prediction gets a verdict per world "
        f"from that world's seeds: Student-t one-sided {pct(1 - spec.alpha, 0)} bounds of the mean per-seed "
        "difference (paired by seed), two one-sided tests against the declared margin for \"about 0\", the k rule "
        "for the summary; a world's whole claim holds if every core, claim and consistency prediction holds, is "
        "contradicted if any is contradicted, else inconclusive. Over worlds: the shares with Wilson 95% intervals "
        f"and the file's reading (SUPPORTED if it holds in at least {pct(spec.holds_bar, 0)} of worlds with the "
        f"contradicted share's upper bound below {pct(spec.contradicted_bar, 0)}; REFUTED if the contradicted "
        f"share's lower bound is above {pct(spec.refuted_bar, 0)}; else MIXED).")
    seeds = int(tagged["cell_seed"].nunique()) if len(tagged) else 0
    n_worlds = int(tagged["world"].nunique()) if len(tagged) else 0
    if n_worlds < spec.min_worlds:
        report.add(f"Worlds: {n_worlds}, fewer than the file's {spec.min_worlds} per prior "
                   "(`test.unit_of_analysis`): the shares of worlds are wider than designed, and a run at this size "
                   "is a cut to log in the file's `deviations` before its numbers are reported"
                   + (" (a single world: its reading over worlds cannot be SUPPORTED or REFUTED)."
                      if n_worlds == 1 else "."))
    if seeds != spec.seeds_per_world:
        report.add(f"Seeds per cell: {seeds}, not the file's {spec.seeds_per_world} (`test.seeds_per_world`): "
                   "tests have less power than designed, and a run at this size is a deviation to log in the "
                   "file's `deviations` before its numbers are reported.")
    if not table.empty:
        shown = pd.DataFrame({
            "prediction": table["prediction"], "tier": table["tier"], "worlds": table["worlds"],
            **{f"{v} (95% CI)": [_fmt_share(r, v) for _, r in table.iterrows()] for v in VERDICTS},
            "reading": table.get("reading", pd.Series([""] * len(table))).fillna("")})
        report.section("Share of worlds per verdict", markdown_table(shown),
                       "The last three rows: the whole claim; its core tier alone; core and claim without the "
                       "consistency checks (which hold almost by construction under the bans). Full precision in "
                       "`summary.csv`; per world in `worlds.csv`; every decision with its estimate and bounds in "
                       "`decisions.csv`.")
        report.figure("verdict_shares", "Share of worlds where each prediction holds, is contradicted, is "
                                        "inconclusive or untestable")
    flags = long[(long["variant"] == BASELINE) & (long["method_sensitive"] | long["split_across_seeds"])]
    gates = rows[["noise_floor", "settled"]] if len(rows) else pd.DataFrame(columns=["noise_floor", "settled"])
    report.section(
        "Controls and checks",
        f"- Noise floor (the inert placebo's share below {pct(spec.noise_floor, 0)} in every regime): met in "
        f"{int((gates['noise_floor'] == HOLDS).sum())} of {len(gates)} worlds; where it is not, NR-1 is untestable.",
        f"- Settled (the no-rule, no-label drift inside the margins): {int(gates['settled'].sum())} of "
        f"{len(gates)} worlds.",
        f"- Method-sensitive decisions (t and bootstrap disagree): {int(long['method_sensitive'].sum())}; "
        f"holding on average but split across seeds (more than {pct(spec.split_share, 0)} of seeds beyond the "
        f"margin): {int(long['split_across_seeds'].sum())}.",
        "- Informative margins (each equivalence margin below a third of the enforced ban's |Δstate| on that "
        "outcome; where not, \"Δlabel about 0\" says little): "
        + ", ".join(f"{c.removeprefix('informative_margin_')} in {int(rows[c].sum())} of {len(rows)} worlds"
                    for c in rows.columns if c.startswith("informative_margin_")) + ".")
    if len(flags):
        report.add(markdown_table(flags[["world", "prediction", "verdict", "method_sensitive",
                                         "split_across_seeds"]].head(40)))
    k = rows[["k_ratio", "k_ratio_lo", "k_ratio_hi"]].dropna() if len(rows) else pd.DataFrame()
    if len(k):
        report.add(f"The ratio mean(Δlabel) / mean(Δstate) on fee-free placements under no rule (so a reader "
                   f"can apply another k): median over worlds {num(float(k['k_ratio'].median()))}, from "
                   f"{num(float(k['k_ratio'].min()))} to {num(float(k['k_ratio'].max()))}; per world with its "
                   "bootstrap 95% interval in `worlds.csv`.")
    report.section("Within a world: the distribution over seeds",
                   "Means hide splits: the figure shows each seed's value, per regime and label arm, of the label's "
                   "share and of the label's effect on fee-free placements (first worlds only).")
    report.figure("seed_distributions", "Per-seed values within worlds (each dot a seed; violins: their spread)")
    boxes, leaves, text = where_it_fails(rows, params) if len(rows) else ([], [], "")
    report.section("Where the claim does not hold")
    if not boxes and not leaves:
        report.add("Not enough worlds with and without the claim holding (or no varying world parameters) to "
                   "search for where it fails; with posterior worlds this section lists PRIM boxes and the "
                   "leaves of a depth-3 tree over the worlds' parameters.")
    for b in boxes:
        report.add(f"PRIM box: coverage {pct(b['coverage'], 0)}, density {pct(b['density'], 0)} of worlds where "
                   "the claim does not hold; conditions: " + ("; ".join(r["rule"] for r in b["rules"]) or "none"))
    if leaves:
        report.add(markdown_table(pd.DataFrame(leaves)))
    if part != "main" and not robust.empty:
        shown = robust.assign(holds=robust["holds"].map(lambda v: pct(v, 0)),
                              contradicted=robust["contradicted"].map(lambda v: pct(v, 0)),
                              flips=robust["flips"].map(lambda f: "FLIPS" if f else ""))
        heading = "Robustness table" if part == "robustness" else "Boundary along the undecided parameters"
        report.section(heading, markdown_table(shown.drop(columns=["value"])),
                       "Each row decides the same predictions under one variant, in the same worlds and seeds as "
                       "the baseline row; a row marked FLIPS reads differently from the baseline: a finding.")
        if part == "boundary":
            report.figure("boundary", "Share of worlds where the whole claim holds along each undecided parameter")
    for other in ("robustness", "boundary"):
        path = ctx.out_dir / other / f"{other}.csv"
        if part == "main" and path.is_file():
            frame = pd.read_csv(path)
            report.section(f"{other.capitalize()} (from `{other}/`)", markdown_table(frame.fillna("")),
                           f"From the `--part {other}` run; its own report is `{other}/report.md`.")


def _deviations(report: Report, spec: Predictions) -> None:
    """The report's last section: every logged change to the predictions file."""
    report.section("Deviations from the pre-registered predictions",
                   *([f"- {d.get('date')}: {d.get('what')} (why: {d.get('why')})" for d in spec.deviations]
                     or ["None: the predictions file is as committed."]))
