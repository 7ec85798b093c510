"""The claim's pre-registered predictions, decided: per world from its seeds, then over worlds.

The predictions, their margins, thresholds, tiers, the decision rule of each
relation, the seeds per world and the reading over worlds all live in
``configs/experiment/claim_predictions.yaml``; this module only reads that
file and applies what it says, so that the numbers a verdict rests on cannot
drift from the ones committed before the model existed. Where the file states
a number in words (the least seeds for a testable outcome, the noise floor,
the share of seeds that marks a split, the over-worlds bars), the number is
read out of its sentence, and a changed wording is an error rather than a
silent default.

Everything here is a pure function of numbers (no runs, no files but the
predictions file), so the verdict logic is tested on synthetic data with a
known answer (tests/test_claim_verdict.py).

Vocabulary:

* a **world** is a dict ``{(block, arm): DataFrame}``: per cell (a regime or
  the exception's block, and a label arm) one row per seed, indexed by seed,
  a column per model outcome (the run's summary);
* a **verdict** is ``holds``, ``contradicted``, ``inconclusive`` or
  ``untestable`` (``test.verdicts``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from sim.config import EXPERIMENT_DIR

#: The pre-registered predictions (read, never copied).
PREDICTIONS_FILE = EXPERIMENT_DIR / "claim_predictions.yaml"

HOLDS, CONTRADICTED, INCONCLUSIVE, UNTESTABLE = "holds", "contradicted", "inconclusive", "untestable"
VERDICTS = (HOLDS, CONTRADICTED, INCONCLUSIVE, UNTESTABLE)

#: Block of the exception's arms (the no-rule regime with the file's `conditional.conditions`).
EXCEPTION = "exception"
#: Block of the enforced ban in the exception's low-entry market (Δstate for EX-2).
EXCEPTION_STATE = "exception_enforced_ban"

#: Outcome names of the file whose model column has another name. ``subagent_fee_share`` in the model is the
#: sub-agents' share of the fees; the file's outcome (placements where the worker paid a sub-agent) is
#: ``subagent_paid_share``.
OUTCOME_COLUMNS = {"subagent_fee_share": "subagent_paid_share"}
#: Outcomes of the file the model does not write as such: (numerator, denominator) summary columns. Both
#: found-rates count placements with a violation (inspections: the records they find; audits: the labelled
#: records behind the withdrawals), over the label holders' violating placements.
RATIO_OUTCOMES = {
    "certified_found_rate_inspections": ("certified_violations_found_inspections", "certified_violations_committed"),
    "certified_found_rate_audits": ("certified_violation_records_found_audits", "certified_violations_committed"),
}


class PredictionsError(ValueError):
    """The predictions file lacks something the analysis reads; ``str()`` names it."""


# --------------------------------------------------------------------------- the file


@dataclass
class Prediction:
    """One pre-registered prediction, as the file states it (``raw``), with its regime block."""

    id: str
    block: str
    tier: str
    contrast: str
    outcome: str
    relation: str
    raw: dict

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    @property
    def margin(self) -> float | None:
        value = self.raw.get("margin")
        return None if value is None else float(value)


@dataclass
class Predictions:
    """The whole predictions file, with the numbers the analysis needs pulled out of it."""

    path: Path
    data: dict
    predictions: list[Prediction]
    alpha: float
    seeds_per_world: int
    min_seeds: int
    noise_floor: float
    split_share: float
    holds_bar: float
    contradicted_bar: float
    refuted_bar: float
    #: worlds per prior the file asks for (``test.unit_of_analysis``): fewer is a cut to log
    min_worlds: int = 500
    tiers: dict[str, list[str]] = field(default_factory=dict)

    def by_id(self, pid: str) -> Prediction:
        for p in self.predictions:
            if p.id == pid:
                return p
        raise PredictionsError(f"{self.path} has no prediction {pid}")

    @property
    def deviations(self) -> list[dict]:
        return list(self.data.get("deviations") or [])

    def outcome_better(self, outcome: str) -> str:
        """``higher``, ``lower`` or ``none``: the direction good for workers (``notation.outcomes``)."""
        entry = (self.data["notation"]["outcomes"] or {}).get(outcome)
        if entry is None:
            raise PredictionsError(f"{self.path}: outcome {outcome} is not under notation.outcomes")
        return str(entry.get("better", "none")).split()[0]

    def equivalence_margin(self, outcome: str) -> float:
        """The margin of the file's equivalence predictions on ``outcome`` (what "nothing to reduce" means)."""
        for p in self.predictions:
            if p.outcome == outcome and p.relation == "equivalent_to_zero" and p.margin is not None:
                return p.margin
        raise PredictionsError(f"{self.path}: no equivalent_to_zero prediction gives a margin for {outcome}")

    def whole_claim_ids(self) -> list[str]:
        return [*self.tiers["core"], *self.tiers["claim"], *self.tiers["consistency"]]


def _number_in(text: str, pattern: str, where: str, path: Path) -> float:
    found = re.search(pattern, str(text))
    if not found:
        raise PredictionsError(f"{path}: {where} no longer states the number the analysis reads "
                               f"(looked for /{pattern}/ in: {str(text)[:120]}...)")
    return float(found.group(1))


def load_predictions(path: str | Path = PREDICTIONS_FILE) -> Predictions:
    """Read and check the predictions file; every prediction with the block it belongs to.

    Blocks: the regimes' names (``no_rule``, ``ban_on_paper``, ...), ``exception``
    for ``regimes.no_rule.conditional`` and, for ``summary.k_rule``, its own
    ``regime``.

    Raises:
        PredictionsError: a missing section, an unknown relation or a number the
            file no longer states.
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PredictionsError(f"cannot read the predictions file {path}: {exc}") from None
    for key in ("notation", "test", "regimes", "summary"):
        if key not in (data or {}):
            raise PredictionsError(f"{path} has no `{key}` section")
    test = data["test"]
    relations = set(test["relations"])
    out: list[Prediction] = []

    def add(entry: dict, block: str) -> None:
        for key in ("id", "tier", "contrast", "outcome", "relation"):
            if key not in entry:
                raise PredictionsError(f"{path}: a prediction of {block} lacks `{key}` ({entry.get('id', '?')})")
        if entry["relation"] not in relations:
            raise PredictionsError(f"{path}: {entry['id']} uses relation {entry['relation']!r}, which "
                                   "test.relations does not define")
        out.append(Prediction(str(entry["id"]), block, str(entry["tier"]), str(entry["contrast"]),
                              str(entry["outcome"]), str(entry["relation"]), dict(entry)))

    for name, regime in data["regimes"].items():
        for entry in regime.get("predictions") or []:
            add(entry, name)
        for entry in (regime.get("conditional") or {}).get("predictions") or []:
            add(entry, EXCEPTION)
    k_rule = dict(data["summary"]["k_rule"])
    add(k_rule, str(k_rule["regime"]))

    verdicts, gates = test["verdicts"], test["validity_gates"]
    over = data["summary"]["over_worlds"]["reading"]
    whole = data["summary"]["whole_claim"]
    return Predictions(
        path=path, data=data, predictions=out,
        alpha=float(test["alpha"]),
        seeds_per_world=int(test["seeds_per_world"]),
        min_seeds=int(_number_in(verdicts["untestable"], r"fewer than (\d+) seeds", "test.verdicts.untestable", path)),
        noise_floor=_number_in(gates["noise_floor"], r"hi < ([0-9.]+)", "test.validity_gates.noise_floor", path),
        split_share=_number_in(test["distribution_over_seeds"], r"more than (\d+)% of seeds",
                               "test.distribution_over_seeds", path) / 100,
        holds_bar=_number_in(over, r"holds in at least (\d+)% of worlds", "summary.over_worlds.reading", path) / 100,
        contradicted_bar=_number_in(over, r"fewer than (\d+)%", "summary.over_worlds.reading", path) / 100,
        refuted_bar=_number_in(over, r"lower 95% bound above ([0-9.]+)", "summary.over_worlds.reading", path),
        min_worlds=int(_number_in(test["unit_of_analysis"], r"at least (\d+) worlds", "test.unit_of_analysis", path)),
        tiers={t: [str(i) for i in whole[t]] for t in ("core", "claim", "consistency")},
    )


# --------------------------------------------------------------------------- statistics


def bounds(values: np.ndarray, alpha: float) -> tuple[float, float, float, int]:
    """Mean of ``values`` (NaN left out) and its one-sided ``1 - alpha`` Student-t bounds: (mean, lo, hi, n):
    the two-sided ``1 - 2 alpha`` interval of :func:`sim.plots.bands.mean_ci`."""
    from sim.plots.bands import mean_ci

    return mean_ci(values, 1 - 2 * alpha)


def bootstrap_bounds(values: np.ndarray, alpha: float, n_boot: int, seed: int) -> tuple[float, float]:
    """One-sided ``1 - alpha`` percentile-bootstrap bounds of the mean (the file's inference check): the
    two-sided ``1 - 2 alpha`` interval of :func:`experiments.statistics.bootstrap_mean_ci`."""
    from experiments.statistics import bootstrap_mean_ci

    _, lo, hi, _ = bootstrap_mean_ci(values, 1 - 2 * alpha, n_boot, seed)
    return lo, hi


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson interval of a share ``k / n`` (NaN with ``n = 0``)."""
    from scipy.stats import norm

    if n == 0:
        return math.nan, math.nan
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


# --------------------------------------------------------------------------- one prediction in one world


def column(frame: pd.DataFrame, outcome: str) -> pd.Series:
    """The per-seed values of the file's ``outcome`` in one cell (NaN where undefined)."""
    if outcome in RATIO_OUTCOMES:
        num, den = RATIO_OUTCOMES[outcome]
        _require(frame, num, outcome)
        _require(frame, den, outcome)
        d = frame[den].astype(float)
        return frame[num].astype(float) / d.where(d > 0)
    name = OUTCOME_COLUMNS.get(outcome, outcome)
    _require(frame, name, outcome)
    return frame[name].astype(float)


def _require(frame: pd.DataFrame, name: str, outcome: str) -> None:
    """A column the file's outcome needs must be in the runs' table: a renamed model column must stop the
    analysis, not quietly make a prediction untestable (NaN values in some seeds are fine)."""
    if name not in frame:
        raise PredictionsError(f"the runs have no column {name!r} for the predictions' outcome {outcome!r}")


def _cell(world: Mapping, block: str, arm: str) -> pd.DataFrame | None:
    return world.get((block, arm))


def _paired(a: pd.Series, b: pd.Series) -> pd.Series:
    """``a - b`` seed by seed, on the seeds both have."""
    common = a.index.intersection(b.index)
    return (a.loc[common] - b.loc[common]).sort_index()


def contrast_values(pred: Prediction, world: Mapping, outcome: str | None = None) -> pd.Series | None:
    """The per-seed statistic of ``pred``'s contrast on ``outcome`` (default: its own); None if a cell is missing.

    ``delta_label``: real minus none; ``delta_audit``: real minus signal;
    ``delta_state``: this block's none minus no rule's none (in the exception's
    market: its enforced ban minus its no rule); ``level``: the arm's value, or
    with ``other_regime`` the paired difference to that regime.
    """
    outcome = outcome or pred.outcome
    block = pred.block
    loo = pred.get("leave_one_out")
    if pred.contrast == "delta_label":
        real = _cell(world, f"{EXCEPTION}-{loo}" if loo else block, "real")
        # dropping the low entry barrier compares with no label at the default entry cost
        none_block = "no_rule" if loo and str(loo).startswith("market.") else block
        none = _cell(world, none_block, "none")
        if real is None or none is None:
            return None
        return _paired(column(real, outcome), column(none, outcome))
    if pred.contrast == "delta_audit":
        real, signal = _cell(world, block, "real"), _cell(world, block, "signal")
        if real is None or signal is None:
            return None
        return _paired(column(real, outcome), column(signal, outcome))
    if pred.contrast == "delta_state":
        return delta_state(world, block, outcome)
    if pred.contrast == "level":
        cell = _cell(world, block, pred.get("arm", "none"))
        if cell is None:
            return None
        values = column(cell, outcome)
        other = pred.get("other_regime")
        if other is None:
            return values
        cell_q = _cell(world, str(other), pred.get("arm", "none"))
        return None if cell_q is None else _paired(values, column(cell_q, outcome))
    raise PredictionsError(f"{pred.id}: contrast {pred.contrast!r} is not one the analysis knows")


def delta_state(world: Mapping, block: str, outcome: str) -> pd.Series | None:
    """Per-seed ``X(block, none) - X(no_rule, none)``; in the exception's market its own enforced ban minus no rule."""
    if block == EXCEPTION:
        ban, base = _cell(world, EXCEPTION_STATE, "none"), _cell(world, EXCEPTION, "none")
    else:
        ban, base = _cell(world, block, "none"), _cell(world, "no_rule", "none")
    if ban is None or base is None:
        return None
    return _paired(column(ban, outcome), column(base, outcome))


@dataclass
class Decision:
    """One prediction decided in one world."""

    id: str
    verdict: str
    estimate: float = math.nan
    lo: float = math.nan
    hi: float = math.nan
    n: int = 0
    note: str = ""
    method_sensitive: bool = False
    split: bool = False
    values: np.ndarray | None = None  # the per-seed statistic (for the distribution over seeds)


def decide_bounds(relation: str, lo: float, hi: float, pred: Prediction) -> str:
    """The verdict of ``relation`` from the bounds of its statistic (``test.relations``)."""
    if math.isnan(lo) or math.isnan(hi):
        return UNTESTABLE
    m = pred.margin if pred.margin is not None else 0.0
    t = float(pred.get("threshold", 0.0) or 0.0)
    rules = {
        "equivalent_to_zero": (lo > -m and hi < m, lo > m or hi < -m),
        "greater_than_zero": (lo > 0, hi < 0),
        "greater_than": (lo > t, hi < t),
        "less_than": (hi < t, lo > t),
        "less_or_equal_zero": (hi < m, lo > m),
        "greater_or_equal_zero": (lo > -m, hi < -m),
        "reduces_by_at_least": (hi < 0, lo > 0),
        "at_least_as_good_as": (lo > -m, hi < -m),
        "greater_or_equal_outcome": (lo > -m, hi < -m),
    }
    if relation not in rules:
        raise PredictionsError(f"{pred.id}: no decision rule for relation {relation!r}")
    holds, contradicted = rules[relation]
    return HOLDS if holds else CONTRADICTED if contradicted else INCONCLUSIVE


def _statistic(pred: Prediction, world: Mapping, spec: Predictions) -> tuple[pd.Series | None, str]:
    """The per-seed statistic the relation bounds, and a note when it cannot be formed."""
    rel = pred.relation
    if rel == "reduces_by_at_least":
        f = float(pred.get("fraction"))
        base = _cell(world, "no_rule", "none")
        here = _cell(world, pred.block, "none")
        if base is None or here is None:
            return None, "cells missing"
        x_base = column(base, pred.outcome)
        _, _, hi_base, n_base = bounds(x_base.to_numpy(), spec.alpha)
        if n_base >= 2 and hi_base < spec.equivalence_margin(pred.outcome):
            return None, "nothing to reduce: no rule's level is below the outcome's margin"
        return _paired(column(here, pred.outcome), (1 - f) * x_base), ""
    values = contrast_values(pred, world)
    if values is None:
        return None, "cells missing"
    if rel == "at_least_as_good_as":
        better = spec.outcome_better(pred.outcome)
        values = values if better == "higher" else -values
    elif rel == "greater_or_equal_outcome":
        other = contrast_values(pred, world, str(pred.get("than_outcome")))
        values = _paired(values, other)
    return values, ""


def decide(pred: Prediction, world: Mapping, spec: Predictions, *, boot: int = 0,
           gate: Mapping[str, str] | None = None) -> Decision:
    """Decide ``pred`` in one world from its seeds (``boot`` > 0 adds the bootstrap check).

    ``gate`` holds verdicts the prediction depends on: ``EB-1``'s (or, for
    EX-2, the same test in the exception's market) for the k rule, and the
    validity gates' (``noise_floor``) for NR-1.
    """
    from experiments.statistics import BOOT_SEED

    gate = gate or {}
    if pred.relation == "k_rule":
        return decide_k_rule(pred, world, spec, gate_verdict=gate.get("k_gate", HOLDS), boot=boot)
    if pred.relation == "small_and_not_growing":
        return decide_small_and_not_growing(pred, world, spec, gate.get("noise_floor", HOLDS))
    values, note = _statistic(pred, world, spec)
    if values is None:
        return Decision(pred.id, UNTESTABLE, note=note)
    x = values.to_numpy(dtype=float)
    est, lo, hi, n = bounds(x, spec.alpha)
    if n < spec.min_seeds:
        return Decision(pred.id, UNTESTABLE, est, lo, hi, n, note=f"{n} seeds with a value (fewer than "
                                                                  f"{spec.min_seeds})", values=x)
    verdict = decide_bounds(pred.relation, lo, hi, pred)
    out = Decision(pred.id, verdict, est, lo, hi, n, values=x)
    if boot:
        blo, bhi = bootstrap_bounds(x, spec.alpha, boot, BOOT_SEED)
        out.method_sensitive = decide_bounds(pred.relation, blo, bhi, pred) != verdict
    if verdict == HOLDS and pred.margin is not None:
        out.split = split_across_seeds(x, pred.relation, pred.margin, spec.split_share)
    return out


#: Per relation with a margin: which per-seed values lie on the prediction's wrong side of it.
BEYOND_MARGIN = {
    "equivalent_to_zero": lambda x, m: np.abs(x) > m,
    "less_or_equal_zero": lambda x, m: x > m,
    "greater_or_equal_zero": lambda x, m: x < -m,
    "at_least_as_good_as": lambda x, m: x < -m,
    "greater_or_equal_outcome": lambda x, m: x < -m,
}


def split_across_seeds(x: np.ndarray, relation: str, margin: float, share: float) -> bool:
    """``test.distribution_over_seeds``: more than ``share`` of the seeds lie beyond the margin on the side the
    prediction rules out (so a prediction holding on the mean hides seeds that go against it)."""
    beyond = BEYOND_MARGIN.get(relation)
    clean = x[~np.isnan(x)]
    return bool(beyond is not None and len(clean) and np.mean(beyond(clean, margin)) > share)


def decide_small_and_not_growing(pred: Prediction, world: Mapping, spec: Predictions, noise_gate: str) -> Decision:
    """``hi(level) < t and hi(drift) < g`` holds; ``lo(level) > t or lo(drift) > g`` contradicts."""
    cell = _cell(world, pred.block, pred.get("arm", "real"))
    if cell is None:
        return Decision(pred.id, UNTESTABLE, note="cells missing")
    if noise_gate != HOLDS:
        return Decision(pred.id, UNTESTABLE, note="noise floor: the inert placebo's share is not small")
    level = column(cell, pred.outcome).to_numpy(dtype=float)
    drift = column(cell, f"drift_{pred.outcome}").to_numpy(dtype=float)
    est, lo, hi, n = bounds(level, spec.alpha)
    _, dlo, dhi, dn = bounds(drift, spec.alpha)
    if min(n, dn) < spec.min_seeds:
        return Decision(pred.id, UNTESTABLE, est, lo, hi, n, note="too few seeds with a value", values=level)
    t, g = float(pred.get("threshold")), float(pred.get("growth_margin"))
    if hi < t and dhi < g:
        verdict = HOLDS
    elif lo > t or dlo > g:
        verdict = CONTRADICTED
    else:
        verdict = INCONCLUSIVE
    return Decision(pred.id, verdict, est, lo, hi, n, note=f"drift {dlo:.4f} to {dhi:.4f}", values=level)


def k_rule_parts(pred: Prediction, world: Mapping) -> tuple[pd.Series, pd.Series] | None:
    """Per-seed Δlabel and Δstate on the k rule's outcome (in the exception's market for EX-2)."""
    block = pred.block
    real, none = _cell(world, block, "real"), _cell(world, block, "none")
    # Δstate is the enforced ban's (summary.k_rule); in the exception's market, its own enforced ban's
    state = delta_state(world, EXCEPTION if block == EXCEPTION else "enforced_ban", pred.outcome)
    if real is None or none is None or state is None:
        return None
    label = _paired(column(real, pred.outcome), column(none, pred.outcome))
    common = label.index.intersection(state.index)
    return label.loc[common], state.loc[common]


def decide_k_rule(pred: Prediction, world: Mapping, spec: Predictions, *, gate_verdict: str = HOLDS,
                  boot: int = 0) -> Decision:
    """``|Δlabel| <= k |Δstate|``: A = kΔstate - Δlabel, B = kΔstate + Δlabel; both lower bounds above 0 hold,
    either upper bound below 0 contradicts; untestable unless the state's effect test (EB-1) holds."""
    from experiments.statistics import BOOT_SEED

    k = float(pred.get("k", spec.data["summary"]["k_rule"]["k"]))
    parts = k_rule_parts(pred, world)
    if parts is None:
        return Decision(pred.id, UNTESTABLE, note="cells missing")
    if gate_verdict != HOLDS:
        return Decision(pred.id, UNTESTABLE, note=f"the state's effect test does not hold ({gate_verdict})")
    label, state = parts
    a = (k * state - label).to_numpy(dtype=float)
    b = (k * state + label).to_numpy(dtype=float)
    _, alo, ahi, n = bounds(a, spec.alpha)
    _, blo, bhi, _ = bounds(b, spec.alpha)
    if n < spec.min_seeds:
        return Decision(pred.id, UNTESTABLE, n=n, note="too few seeds")
    verdict = HOLDS if alo > 0 and blo > 0 else CONTRADICTED if ahi < 0 or bhi < 0 else INCONCLUSIVE
    ratio = float(label.mean() / state.mean()) if state.mean() != 0 else math.nan
    out = Decision(pred.id, verdict, ratio, min(alo, blo), min(ahi, bhi), n,
                   note=f"mean(Δlabel)/mean(Δstate) = {ratio:.3f}", values=label.to_numpy(dtype=float))
    if boot:
        a_lo, a_hi = bootstrap_bounds(a, spec.alpha, boot, BOOT_SEED)
        b_lo, b_hi = bootstrap_bounds(b, spec.alpha, boot, BOOT_SEED)
        other = HOLDS if a_lo > 0 and b_lo > 0 else CONTRADICTED if a_hi < 0 or b_hi < 0 else INCONCLUSIVE
        out.method_sensitive = other != verdict
    return out


def k_ratio_interval(pred: Prediction, world: Mapping, n_boot: int, seed: int) -> tuple[float, float, float]:
    """mean(Δlabel) / mean(Δstate) with its percentile-bootstrap 95% interval (``summary.k_rule.also_report``)."""
    parts = k_rule_parts(pred, world)
    if parts is None or len(parts[0]) < 2:
        return math.nan, math.nan, math.nan
    label, state = (p.to_numpy(dtype=float) for p in parts)
    ratio = label.mean() / state.mean() if state.mean() != 0 else math.nan
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(label), size=(n_boot, len(label)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = label[idx].mean(axis=1) / state[idx].mean(axis=1)
    ratios = ratios[np.isfinite(ratios)]
    if not len(ratios):
        return float(ratio), math.nan, math.nan
    lo, hi = np.percentile(ratios, [2.5, 97.5])
    return float(ratio), float(lo), float(hi)


# --------------------------------------------------------------------------- one world


def noise_floor_gate(world: Mapping, spec: Predictions) -> str:
    """``holds`` when the inert placebo's share has hi below the noise floor in every regime that ran it."""
    his = []
    for (block, arm), cell in world.items():
        if arm == "inert":
            _, _, hi, n = bounds(column(cell, "certified_share").to_numpy(), spec.alpha)
            his.append(hi if n >= 2 else math.nan)
    if not his:
        return UNTESTABLE
    return HOLDS if all(h < spec.noise_floor for h in his) else CONTRADICTED


def settled(world: Mapping, spec: Predictions) -> bool:
    """The no-rule, no-label arm's drift of fee-free share and mean fee inside ± their margins (TOST)."""
    cell = _cell(world, "no_rule", "none")
    if cell is None:
        return False
    for outcome in ("fee_free_share", "mean_fee_months"):
        _, lo, hi, n = bounds(column(cell, f"drift_{outcome}").to_numpy(), spec.alpha)
        m = spec.equivalence_margin(outcome)
        if n < 2 or not (lo > -m and hi < m):
            return False
    return True


def decide_world(world: Mapping, spec: Predictions, *, boot: int = 0) -> dict[str, Decision]:
    """Every prediction of the file decided in one world (the gates applied first)."""
    gates = {"noise_floor": noise_floor_gate(world, spec)}
    out: dict[str, Decision] = {}
    eb1 = spec.by_id("EB-1")
    out["EB-1"] = decide(eb1, world, spec, boot=boot)
    for pred in spec.predictions:
        if pred.id in out:
            continue
        gate = dict(gates)
        if pred.relation == "k_rule":
            if pred.block == EXCEPTION:  # EB-1's test on the exception market's Δstate
                probe = Prediction(eb1.id, EXCEPTION, eb1.tier, eb1.contrast, eb1.outcome, eb1.relation, eb1.raw)
                gate["k_gate"] = decide(probe, world, spec).verdict
            else:
                gate["k_gate"] = out["EB-1"].verdict
        out[pred.id] = decide(pred, world, spec, boot=boot, gate=gate)
    return out


def whole_claim(decisions: Mapping[str, Decision], spec: Predictions, tiers=("core", "claim", "consistency")) -> str:
    """The world's verdict on the claim (``summary.whole_claim.rule``) over the given tiers."""
    ids = [i for t in tiers for i in spec.tiers[t]]
    counted = [decisions[i].verdict for i in ids if decisions[i].verdict != UNTESTABLE]
    # a contradiction decides first: K-1 is untestable exactly where EB-1 is contradicted, and the file's
    # k rule says the claim then fails through EB-1 (an untestable core prediction must not hide it)
    if any(v == CONTRADICTED for v in counted):
        return CONTRADICTED
    if any(decisions[i].verdict == UNTESTABLE for i in spec.tiers["core"] if i in ids):
        return UNTESTABLE
    if counted and all(v == HOLDS for v in counted):
        return HOLDS
    return INCONCLUSIVE


def world_row(decisions: Mapping[str, Decision], spec: Predictions) -> dict[str, Any]:
    """One world's verdicts as a flat row: each prediction and the claim in its three readings."""
    row: dict[str, Any] = {pid: d.verdict for pid, d in decisions.items()}
    row["whole_claim"] = whole_claim(decisions, spec)
    row["core_only"] = whole_claim(decisions, spec, ("core",))
    row["core_and_claim"] = whole_claim(decisions, spec, ("core", "claim"))
    row["untestable_left_out"] = sum(decisions[i].verdict == UNTESTABLE for i in spec.whole_claim_ids()
                                     if i not in spec.tiers["core"])
    return row


#: ``summary.whole_claim.exception_reading``: the exception read next to the whole claim, one reading per world.
EXCEPTION_READINGS = {
    "claim_with_exception": "EX-1 and EX-2 hold: the claim holds, including its own exception",
    "label_no_help": "EX-1 fails: the label does not help even where the article says it might",
    "label_competes": "EX-1 holds and EX-2 is contradicted: the label competes with the state where social "
                      "partners gatekeep (against the claim)",
    "undecided": "none of the three: EX-1 or EX-2 inconclusive or untestable",
}


def exception_reading(decisions: Mapping[str, Decision]) -> str:
    """Which of the file's readings of the exception one world gives (a key of :data:`EXCEPTION_READINGS`).

    "EX-1 fails" is read as contradicted (the label's effect is at most 0), not as a failure to show it.
    """
    ex1, ex2 = decisions["EX-1"].verdict, decisions["EX-2"].verdict
    if ex1 == CONTRADICTED:
        return "label_no_help"
    if ex1 == HOLDS and ex2 == HOLDS:
        return "claim_with_exception"
    if ex1 == HOLDS and ex2 == CONTRADICTED:
        return "label_competes"
    return "undecided"


def practically_relevant(decision: Decision, pred: Prediction) -> bool | None:
    """A prediction's ``also_report`` of a practical margin: does the lower bound also exceed it (EX-1: the
    label's effect is not only above 0 but above the equivalence margin)? None where the file asks nothing."""
    text = pred.get("also_report")
    if not text or pred.relation != "greater_than_zero":
        return None
    margin = _number_in(text, r"exceeds the ([0-9.]+) margin", f"{pred.id}.also_report", Path(pred.id))
    return bool(decision.verdict != UNTESTABLE and decision.lo > margin)


# --------------------------------------------------------------------------- power: the internal pilot


def conjunction_tests(spec: Predictions) -> list[Prediction]:
    """The equivalence tests with real noise that ``test.power.conjunction`` plans the seeds for: Δlabel and
    Δaudit on fee-free share and mean fee under no rule, Δlabel on both under the ban on paper."""
    wanted = {("no_rule", "delta_label"), ("no_rule", "delta_audit"), ("ban_on_paper", "delta_label")}
    return [p for p in spec.predictions
            if p.relation == "equivalent_to_zero" and (p.block, p.contrast) in wanted
            and p.outcome in ("fee_free_share", "mean_fee_months") and p.tier in ("core", "claim")]


def tost_power(n: int, sd: float, margin: float, alpha: float) -> float:
    """Power of a paired TOST with ``n`` seeds when the true difference is 0: 2 Phi(m sqrt(n) / sd - z) - 1."""
    from scipy.stats import norm

    if not sd > 0:
        return 1.0
    return max(0.0, 2 * float(norm.cdf(margin * math.sqrt(n) / sd - norm.ppf(1 - alpha))) - 1)


def pilot_power(worlds: Sequence[Mapping], spec: Predictions, n: int, first: int = 20) -> dict[str, Any]:
    """``test.power.pilot``: the first ``first`` worlds estimate each conjunction test's SD of per-seed
    differences (pooled over worlds: the root of the mean variance; never their means), and from it the
    joint power at ``n`` seeds and the seeds the file's rule asks for: the fewest with a joint power of at
    least 0.80, never below the file's single-test floor (48).

    Returns ``{"tests": [{id, sd, margin, power}], "joint_power", "seeds_needed", "worlds", "seeds"}``.
    """
    floor = int(_number_in(spec.data["test"]["power"]["pilot"], r"never below (\d+)", "test.power.pilot",
                           spec.path))
    tests = []
    for pred in conjunction_tests(spec):
        variances = []
        for world in list(worlds)[:first]:
            values = contrast_values(pred, world)
            if values is not None and values.notna().sum() >= 2:
                variances.append(float(values.var(ddof=1)))
        sd = math.sqrt(float(np.mean(variances))) if variances else math.nan
        tests.append({"id": pred.id, "sd": sd, "margin": float(pred.margin),
                      "power": tost_power(n, sd, float(pred.margin), spec.alpha) if variances else math.nan})
    joint = float(np.prod([t["power"] for t in tests])) if tests else math.nan
    needed = floor
    if tests and not math.isnan(joint):
        while needed < 100_000 and np.prod([tost_power(needed, t["sd"], t["margin"], spec.alpha)
                                            for t in tests]) < 0.80:
            needed += 1
    return {"tests": tests, "joint_power": joint, "seeds_needed": needed if tests else None,
            "worlds": min(first, len(worlds)), "seeds": n}


# --------------------------------------------------------------------------- over worlds


def shares(verdicts: pd.Series) -> dict[str, Any]:
    """Share of worlds per verdict with Wilson 95% intervals: ``{holds: (share, lo, hi), ...}``, ``n``."""
    n = int(len(verdicts))
    out: dict[str, Any] = {"n": n}
    for v in VERDICTS:
        k = int((verdicts == v).sum())
        lo, hi = wilson(k, n)
        out[v] = (k / n if n else math.nan, lo, hi)
    return out


def reading(verdicts: pd.Series, spec: Predictions) -> str:
    """SUPPORTED, REFUTED or MIXED over worlds (``summary.over_worlds.reading``)."""
    s = shares(verdicts)
    if not s["n"]:
        return "NO WORLDS"
    holds, contra = s[HOLDS], s[CONTRADICTED]
    if holds[0] >= spec.holds_bar and contra[2] < spec.contradicted_bar:
        return "SUPPORTED"
    if contra[1] > spec.refuted_bar:
        return "REFUTED"
    return "MIXED"


def over_worlds(rows: pd.DataFrame, spec: Predictions) -> pd.DataFrame:
    """Per prediction and for the claim's three readings: shares of worlds by verdict with Wilson intervals."""
    tier = {p.id: p.tier for p in spec.predictions}
    table = []
    for name in [*[p.id for p in spec.predictions], "whole_claim", "core_only", "core_and_claim"]:
        if name not in rows:
            continue
        s = shares(rows[name])
        entry = {"prediction": name, "tier": tier.get(name, "summary"), "worlds": s["n"]}
        for v in VERDICTS:
            entry[v], entry[f"{v}_lo"], entry[f"{v}_hi"] = s[v]
        if name in ("whole_claim", "core_only", "core_and_claim"):
            entry["reading"] = reading(rows[name], spec)
        table.append(entry)
    return pd.DataFrame(table)
