"""The claim's verdict machinery (experiments/verdict.py, experiments/claim.py) on synthetic data with known answers.

Each synthetic world is a dict of cells, ``(block, arm) -> per-seed frame``,
built so that the right verdict is known: equivalence inside and outside the
margin, a bimodal spread that holds on the mean but splits across seeds, a
placebo that does what the real label does, the k rule, the whole claim and
the reading over worlds. The predictions file is read, not copied: a changed
margin in a temporary copy changes a verdict.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import claim
from experiments.verdict import (
    CONTRADICTED,
    EXCEPTION,
    HOLDS,
    INCONCLUSIVE,
    PREDICTIONS_FILE,
    UNTESTABLE,
    Decision,
    PredictionsError,
    decide,
    decide_world,
    exception_reading,
    load_predictions,
    noise_floor_gate,
    over_worlds,
    pilot_power,
    practically_relevant,
    reading,
    whole_claim,
    wilson,
)

SEEDS = 80
SPEC = load_predictions()

#: Outcome levels of a world where the claim holds: no rule / ban on paper charge fees, the bans do not.
LEVELS = {
    "no_rule": dict(fee_free_share=0.30, mean_fee_months=9.0, debt_bondage_share=0.015, home_debt_trap_share=0.05),
    "ban_on_paper": dict(fee_free_share=0.32, mean_fee_months=8.0, debt_bondage_share=0.014,
                         home_debt_trap_share=0.05, above_cap_share=0.68, subagent_paid_share=0.3),
    "enforced_ban": dict(fee_free_share=0.95, mean_fee_months=0.3, debt_bondage_share=0.001,
                         home_debt_trap_share=0.005),
    "ban_joint_liability": dict(fee_free_share=0.97, mean_fee_months=0.2, debt_bondage_share=0.001,
                                home_debt_trap_share=0.004),
    "endogenous_state": dict(fee_free_share=0.90, mean_fee_months=0.8, debt_bondage_share=0.002,
                             home_debt_trap_share=0.008, inspection_budget=0.2, enforcement_strength=0.9),
    EXCEPTION: dict(fee_free_share=0.30, mean_fee_months=9.0),
    "exception_enforced_ban": dict(fee_free_share=0.95, mean_fee_months=0.3),
}


def cell(level: dict, rng, noise: float = 0.002, **extra) -> pd.DataFrame:
    """A cell's per-seed summary: each outcome at its level plus small noise, zero drift."""
    values = {**level, **extra}
    frame = pd.DataFrame({k: v + rng.normal(0, noise * (abs(v) + 0.01), SEEDS) for k, v in values.items()},
                         index=pd.RangeIndex(SEEDS, name="seed"))
    for name in ("certified_share", "fee_free_share", "mean_fee_months"):
        frame[f"drift_{name}"] = rng.normal(0, 1e-4, SEEDS)
    return frame


def claim_world(seed: int = 0, label_gain: float = 0.0, signal_gain: float = 0.0, inert_share: float = 0.0,
                real_share: float = 0.01) -> dict:
    """A world where every prediction of the file holds unless the arguments say otherwise.

    ``label_gain``: what the real label adds to the fee-free share in every regime; ``signal_gain``: what
    the signal placebo adds; ``inert_share``: the inert placebo's market share.
    """
    rng = np.random.default_rng(seed)
    world = {}
    for block, level in LEVELS.items():
        common = dict(certified_violations_committed=5.0, certified_violations_found_inspections=2.0,
                      certified_violation_records_found_audits=0.5, certified_hidden_fee_share=0.4,
                      mean_fee_months_unlabelled=level.get("mean_fee_months", 1.0),
                      debt_bondage_share_unlabelled=level.get("debt_bondage_share", 0.01))
        arms = {"none": {}, "real": {"fee_free_share": level["fee_free_share"] + label_gain,
                                    "certified_share": real_share},
                "inert": {"certified_share": inert_share},
                "signal": {"fee_free_share": level["fee_free_share"] + signal_gain, "certified_share": real_share}}
        for arm, change in arms.items():
            if block == "exception_enforced_ban" and arm != "none":
                continue
            world[(block, arm)] = cell({**level, **common, "certified_share": 0.0, **change}, rng)
    if EXCEPTION:  # the exception: the real label helps a little; the leave-one-out arms do not
        world[(EXCEPTION, "real")]["fee_free_share"] += 0.04
        for loo in ("certification.gatekeeping", "certification.audits_announced",
                    "certification.confidential_reports", "market.entry_barrier"):
            world[(f"{EXCEPTION}-{loo}", "real")] = world[(EXCEPTION, "none")].copy()
    return world


# --------------------------------------------------------------------------- the file is read, not copied


def test_the_file_gives_the_numbers_the_analysis_uses():
    assert SPEC.alpha == 0.05 and SPEC.seeds_per_world == 80 and SPEC.min_seeds == 10
    assert SPEC.by_id("NR-2").margin == 0.03 and SPEC.by_id("NR-3").margin == 1.0
    assert SPEC.equivalence_margin("debt_bondage_share") == 0.005
    assert set(SPEC.whole_claim_ids()) <= {p.id for p in SPEC.predictions}
    assert len(claim.cells(SPEC)) == 27  # 5 regimes x 4 arms + 7 for the exception (test.power.compute)


def edited_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = PREDICTIONS_FILE.read_text(encoding="utf-8")
    assert text.count(old) >= 1
    path = tmp_path / "claim_predictions.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_changed_margin_in_a_copy_of_the_file_changes_the_verdict(tmp_path):
    world = claim_world(label_gain=0.02)  # the label adds 2 points: inside NR-2's 3-point margin
    assert decide(SPEC.by_id("NR-2"), world, SPEC).verdict == HOLDS
    nr2 = re.search(r"id: NR-2\n(?:.*\n)*?\s+margin: 0\.03\n", PREDICTIONS_FILE.read_text()).group(0)
    tighter = load_predictions(edited_copy(tmp_path, nr2, nr2.replace("margin: 0.03", "margin: 0.01")))
    assert tighter.by_id("NR-2").margin == 0.01
    assert decide(tighter.by_id("NR-2"), world, tighter).verdict == CONTRADICTED


def test_a_file_that_no_longer_states_a_number_is_an_error_not_a_default(tmp_path):
    path = edited_copy(tmp_path, "fewer than 10 seeds with a value", "too few seeds with a value")
    with pytest.raises(PredictionsError, match="test.verdicts.untestable"):
        load_predictions(path)


def test_the_design_follows_the_file(tmp_path):
    by_place = {(c.block, c.arm): c for c in claim.cells(SPEC)}
    none, real = dict(by_place[("no_rule", "none")].flat), dict(by_place[("no_rule", "real")].flat)
    assert "certification=disabled" in by_place[("no_rule", "none")].groups
    assert real["certification.announced"] is True and real["certification.gatekeeping"] is False
    assert none["certification.initial_share"] == 0
    assert "policy=fee_ban_weak" in by_place[("ban_on_paper", "none")].groups
    assert dict(by_place[("endogenous_state", "real")].flat)["policy.enforcement"] == "endogenous"
    ex = dict(by_place[(EXCEPTION, "real")].flat)
    assert ex["certification.gatekeeping"] is True and ex["market.entry_cost"] == 2000.0
    loo = dict(by_place[(f"{EXCEPTION}-certification.gatekeeping", "real")].flat)
    assert loo["certification.gatekeeping"] is False and loo["certification.complaint_exhaustion"] is True
    assert loo["certification.announced"] is False  # the other conditions stay
    assert "market.entry_cost" not in dict(by_place[(f"{EXCEPTION}-market.entry_barrier", "real")].flat)


# --------------------------------------------------------------------------- one prediction in one world


@pytest.mark.parametrize(("gain", "expected"), [(0.0, HOLDS), (0.02, HOLDS), (0.06, CONTRADICTED),
                                                (0.028, INCONCLUSIVE)])
def test_equivalence_inside_and_outside_the_margin(gain, expected):
    world = claim_world(label_gain=gain)
    if expected == INCONCLUSIVE:  # near the margin with noise: the interval straddles the margin
        world[("no_rule", "real")]["fee_free_share"] = (world[("no_rule", "none")]["fee_free_share"] + gain
                                                        + np.where(np.arange(SEEDS) % 2 == 0, 0.03, -0.03))
    assert decide(SPEC.by_id("NR-2"), world, SPEC).verdict == expected


def test_a_ci_that_merely_contains_zero_is_not_about_zero():
    world = claim_world()
    rng = np.random.default_rng(3)  # a noisy label effect centred on 0 whose 90% CI is wider than the margin
    world[("no_rule", "real")]["fee_free_share"] += rng.normal(0, 0.2, SEEDS)
    d = decide(SPEC.by_id("NR-2"), world, SPEC)
    assert d.lo < 0 < d.hi and d.verdict == INCONCLUSIVE


def test_a_bimodal_spread_holds_on_the_mean_but_is_flagged_split_across_seeds():
    world = claim_world()
    split = np.zeros(SEEDS)
    split[:12], split[12:24] = 0.05, -0.05  # 30% of seeds 5 points away, half each way
    world[("no_rule", "real")]["fee_free_share"] = world[("no_rule", "none")]["fee_free_share"] + split
    d = decide(SPEC.by_id("NR-2"), world, SPEC)
    assert d.verdict == HOLDS and d.split
    assert not decide(SPEC.by_id("NR-2"), claim_world(), SPEC).split


def test_a_one_sided_prediction_is_flagged_split_when_many_seeds_go_the_wrong_way():
    """ES-2 (the label does not raise enforcement by more than 2 points) holding on the mean while a quarter
    of the seeds have the label lowering it far and a quarter raising it beyond the margin."""
    world = claim_world()
    swing = np.zeros(SEEDS)
    swing[:20], swing[20:40] = 0.05, -0.09
    world[("endogenous_state", "real")]["enforcement_strength"] = (
        world[("endogenous_state", "none")]["enforcement_strength"] + swing)
    d = decide(SPEC.by_id("ES-2"), world, SPEC)
    assert d.verdict == HOLDS and d.split
    assert not decide(SPEC.by_id("ES-2"), claim_world(), SPEC).split


@pytest.mark.parametrize(("ex_gain", "ex_state", "expected"), [
    (0.04, None, "claim_with_exception"),        # the label helps a little; the ban does far more
    (-0.01, None, "label_no_help"),              # the label does not help even here
    (0.40, 0.45, "label_competes"),              # the label does nearly what the ban does
])
def test_the_exception_reading(ex_gain, ex_state, expected):
    world = claim_world()
    world[(EXCEPTION, "real")]["fee_free_share"] = world[(EXCEPTION, "none")]["fee_free_share"] + ex_gain
    if ex_state is not None:
        world[("exception_enforced_ban", "none")]["fee_free_share"] = (
            world[(EXCEPTION, "none")]["fee_free_share"] + ex_state)
    decisions = decide_world(world, SPEC)
    assert exception_reading(decisions) == expected


def test_ex1_also_reports_whether_its_effect_passes_the_practical_margin():
    small, large = claim_world(), claim_world()
    small[(EXCEPTION, "real")]["fee_free_share"] = small[(EXCEPTION, "none")]["fee_free_share"] + 0.01
    large[(EXCEPTION, "real")]["fee_free_share"] = large[(EXCEPTION, "none")]["fee_free_share"] + 0.05
    ex1 = SPEC.by_id("EX-1")
    d_small, d_large = decide(ex1, small, SPEC), decide(ex1, large, SPEC)
    assert d_small.verdict == HOLDS and practically_relevant(d_small, ex1) is False
    assert d_large.verdict == HOLDS and practically_relevant(d_large, ex1) is True
    assert practically_relevant(d_small, SPEC.by_id("NR-2")) is None


def test_the_pilot_raises_the_seeds_when_the_spread_is_larger_than_planned():
    quiet = [claim_world(seed=i) for i in range(3)]
    assert pilot_power(quiet, SPEC, n=80)["joint_power"] > 0.99
    assert pilot_power(quiet, SPEC, n=80)["seeds_needed"] == 48  # never below the single-test floor
    noisy = []
    for i in range(3):
        world = claim_world(seed=i)
        rng = np.random.default_rng(i)
        for block in ("no_rule", "ban_on_paper"):
            world[(block, "real")]["fee_free_share"] += rng.normal(0, 0.1, SEEDS)
        noisy.append(world)
    out = pilot_power(noisy, SPEC, n=80)
    assert {t["id"] for t in out["tests"]} >= {"NR-2", "NR-6", "BP-3"} and len(out["tests"]) == 6
    assert out["joint_power"] < 0.8 and out["seeds_needed"] > 80
    sd = next(t["sd"] for t in out["tests"] if t["id"] == "NR-2")
    assert 0.08 < sd < 0.12


def test_a_bimodal_label_share_is_not_small():
    world = claim_world()
    share = np.where(np.arange(SEEDS) % 2 == 0, 0.09, 1.0)  # the label takes the market in half the seeds
    world[("no_rule", "real")]["certified_share"] = share
    assert decide(SPEC.by_id("NR-1"), world, SPEC).verdict == CONTRADICTED


def test_a_placebo_that_wins_as_much_as_the_label():
    """The signal placebo does what the real label does: the label's effect is real but the audits add nothing."""
    world = claim_world(label_gain=0.10, signal_gain=0.10)
    decisions = decide_world(world, SPEC)
    assert decisions["NR-2"].verdict == CONTRADICTED  # the label moves fee-free placements
    assert decisions["NR-6"].verdict == HOLDS  # ... but no more than the bare signal does
    assert whole_claim(decisions, SPEC) == CONTRADICTED


def test_an_inert_placebo_with_a_share_makes_the_label_share_untestable():
    world = claim_world(inert_share=0.2)
    assert noise_floor_gate(world, SPEC) == CONTRADICTED
    assert decide_world(world, SPEC)["NR-1"].verdict == UNTESTABLE


def test_fewer_than_the_least_seeds_is_untestable():
    world = {k: v.iloc[:5] for k, v in claim_world().items()}
    d = decide(SPEC.by_id("NR-2"), world, SPEC)
    assert d.verdict == UNTESTABLE and d.n == 5


@pytest.mark.parametrize(("gain", "expected"), [(0.0, HOLDS), (0.10, HOLDS), (0.30, CONTRADICTED)])
def test_the_k_rule(gain, expected):
    """Δstate = 0.65 on fee-free placements: k = 0.25 allows the label about 0.16."""
    assert decide_world(claim_world(label_gain=gain), SPEC)["K-1"].verdict == expected


def test_the_k_rule_is_untestable_when_the_state_does_nothing():
    world = claim_world()
    world[("enforced_ban", "none")]["fee_free_share"] = world[("no_rule", "none")]["fee_free_share"] + 0.05
    decisions = decide_world(world, SPEC)
    assert decisions["EB-1"].verdict == CONTRADICTED and decisions["K-1"].verdict == UNTESTABLE
    # the claim fails through EB-1 (the k rule's own words); K-1's being untestable does not hide that
    assert whole_claim(decisions, SPEC) == CONTRADICTED


def test_a_world_where_the_claim_holds():
    decisions = decide_world(claim_world(), SPEC)
    failing = {i: decisions[i].verdict for i in SPEC.whole_claim_ids() if decisions[i].verdict != HOLDS}
    assert not failing
    assert whole_claim(decisions, SPEC) == HOLDS
    assert decisions["EX-1"].verdict == HOLDS  # the exception's label helps (4 points)


def test_reductions_and_non_inferiority():
    world = claim_world()
    assert decide(SPEC.by_id("EB-2"), world, SPEC).verdict == HOLDS
    world[("enforced_ban", "none")]["mean_fee_months"] = 6.0 + world[("enforced_ban", "none")]["mean_fee_months"]
    assert decide(SPEC.by_id("EB-2"), world, SPEC).verdict == CONTRADICTED  # 6.3 is not half of 9
    world = claim_world()
    world[("ban_joint_liability", "none")]["fee_free_share"] -= 0.2  # joint liability worse than the ban
    assert decide(SPEC.by_id("JL-9"), world, SPEC).verdict == CONTRADICTED


def test_whole_claim_rule():
    ids = SPEC.whole_claim_ids()
    holds = {i: Decision(i, HOLDS) for i in ids}
    assert whole_claim(holds, SPEC) == HOLDS
    assert whole_claim({**holds, "NR-7": Decision("NR-7", CONTRADICTED)}, SPEC) == CONTRADICTED
    assert whole_claim({**holds, "NR-7": Decision("NR-7", INCONCLUSIVE)}, SPEC) == INCONCLUSIVE
    assert whole_claim({**holds, "NR-7": Decision("NR-7", UNTESTABLE)}, SPEC) == HOLDS  # left out, counted
    assert whole_claim({**holds, "NR-2": Decision("NR-2", UNTESTABLE)}, SPEC) == UNTESTABLE  # core


# --------------------------------------------------------------------------- over worlds


def test_wilson_interval():
    lo, hi = wilson(50, 100)
    assert lo == pytest.approx(0.404, abs=1e-3) and hi == pytest.approx(0.596, abs=1e-3)
    assert wilson(0, 10)[0] == 0 and all(math.isnan(v) for v in wilson(0, 0))


@pytest.mark.parametrize(("counts", "expected"), [
    ({HOLDS: 400, CONTRADICTED: 10, INCONCLUSIVE: 90}, "SUPPORTED"),
    ({HOLDS: 400, CONTRADICTED: 60, INCONCLUSIVE: 40}, "MIXED"),  # contradicted's upper bound above 10%
    ({HOLDS: 100, CONTRADICTED: 350, INCONCLUSIVE: 50}, "REFUTED"),
    ({HOLDS: 200, CONTRADICTED: 10, INCONCLUSIVE: 290}, "MIXED"),  # holds in fewer than half
])
def test_the_reading_over_worlds(counts, expected):
    verdicts = pd.Series([v for v, n in counts.items() for _ in range(n)])
    assert reading(verdicts, SPEC) == expected


def test_over_worlds_table_from_synthetic_worlds():
    rows = pd.DataFrame({"NR-2": [HOLDS] * 80 + [CONTRADICTED] * 20,
                         "whole_claim": [HOLDS] * 80 + [UNTESTABLE] * 20,
                         "core_only": [HOLDS] * 100, "core_and_claim": [HOLDS] * 100})
    table = over_worlds(rows, SPEC).set_index("prediction")
    assert table.loc["NR-2", HOLDS] == 0.8 and table.loc["NR-2", "tier"] == "core"
    assert table.loc["whole_claim", "reading"] == "SUPPORTED"
    few = over_worlds(rows.iloc[:10], SPEC).set_index("prediction")  # 10 worlds cannot bound the contradicted share
    assert few.loc["whole_claim", "reading"] == "MIXED"
    assert table.loc["NR-2", f"{HOLDS}_lo"] < 0.8 < table.loc["NR-2", f"{HOLDS}_hi"]


def test_the_main_report_reads_each_priors_posterior_run(tmp_path):
    held = pd.DataFrame({"whole_claim": [HOLDS] * 40, "core_only": [HOLDS] * 40, "core_and_claim": [HOLDS] * 40})
    split = held.assign(whole_claim=[HOLDS] * 10 + [CONTRADICTED] * 30)
    for prior, rows in (("default", held), ("log", split)):
        (tmp_path / f"posterior_{prior}").mkdir()
        over_worlds(rows, SPEC).to_csv(tmp_path / f"posterior_{prior}" / "summary.csv", index=False)
    table = claim.posterior_readings(tmp_path).set_index("prior")
    assert table.loc["default", "reading"] == "SUPPORTED" and table.loc["log", "reading"] == "REFUTED"
    assert table.loc["default", "worlds"] == 40
    sentence = claim._posterior_sentence(table.reset_index())
    assert "default prior it holds in 100%" in sentence and "(REFUTED)" in sentence
    assert claim._posterior_sentence(claim.posterior_readings(tmp_path / "none")) == ""


def test_a_robustness_row_that_flips_is_flagged():
    base = {p: HOLDS for p in SPEC.whole_claim_ids()}
    rows = pd.DataFrame([{"variant": v, "world": w, **base, **change}
                         for w in range(40)
                         for v, change in (("baseline", {"whole_claim": HOLDS}),
                                           ("switch_confidence=0", {"NR-2": CONTRADICTED,
                                                                    "whole_claim": CONTRADICTED}),
                                           ("entry off", {"whole_claim": HOLDS}))])
    variants = [{"name": "baseline"}, {"name": "switch_confidence=0", "axis": "switching"},
                {"name": "entry off", "axis": "entry"}]
    table = claim.robustness_table(rows, SPEC, variants).set_index("variant")
    assert table.loc["switch_confidence=0", "flips"] and "NR-2: holds->contradicted" in \
        table.loc["switch_confidence=0", "predictions_that_change"]
    assert not table.loc["entry off", "flips"] and not table.loc["baseline", "flips"]


def test_the_variants_file_builds_valid_configs():
    """Every robustness row and boundary point is a valid config in every cell (one seed, quick world)."""
    from experiments.run import QUICK_WORLD

    for part in ("robustness", "boundary"):
        variants = claim.read_variants(part)
        assert variants[0]["name"] == claim.BASELINE and len(variants) > 5
        specs, index = claim.design(["experiment=claim", *QUICK_WORLD], part=part, seeds=1)
        assert len(index) == len(specs)
        places = sum(len(v) for v in index.values())
        assert places == len(variants) * len(claim.cells(SPEC))  # every place, shared runs counted in each


# --------------------------------------------------------------------------- end to end (slow)


def synthetic_posterior(path: Path) -> Path:
    """A posterior file of two fitted keys, the columns every posterior has (tests/test_calibration.py)."""
    rng = np.random.default_rng(0)
    n = 6
    frame = pd.DataFrame({"prior": "default", "generation": 0, "particle": range(n), "weight": 1 / n,
                          "distance": rng.uniform(0, 1, n), "epsilon": 1.0,
                          "market.employer_choice_scale": rng.uniform(0.004, 0.02, n),
                          "society.brand_share": rng.uniform(0.0, 0.4, n)})
    frame.to_parquet(path)
    return path


def run_claim(tmp_path: Path, *args: str):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    return subprocess.run([sys.executable, "-m", "experiments.run", "claim", "--quick", "--jobs", "2", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.slow
def test_the_claim_runs_over_posterior_worlds_end_to_end(tmp_path):
    posterior = synthetic_posterior(tmp_path / "posterior.parquet")
    done = run_claim(tmp_path, "--worlds", "posterior", "--posterior", str(posterior))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = tmp_path / "results" / "quick" / "claim"
    worlds = pd.read_csv(out / "worlds.csv")
    assert sorted(worlds["world"]) == [0, 1] and "market.employer_choice_scale" in worlds
    assert set(worlds["whole_claim"]) <= {HOLDS, CONTRADICTED, INCONCLUSIVE, UNTESTABLE}
    report = (out / "report.md").read_text()
    assert report.splitlines()[0].endswith("(quick run: numbers mean nothing)")
    assert "Across 2 worlds" in report and "offset by i x 1,000,000" in report


@pytest.mark.slow
def test_the_robustness_part_writes_its_table_and_the_main_report_includes_it(tmp_path):
    done = run_claim(tmp_path, "--part", "robustness")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    folder = tmp_path / "results" / "quick" / "claim" / "robustness"
    table = pd.read_csv(folder / "robustness.csv")
    assert list(table["variant"][:1]) == [claim.BASELINE] and len(table) == 1 + claim.QUICK_VARIANTS
    assert "## Robustness table" in (folder / "report.md").read_text()
    done = run_claim(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    main = (tmp_path / "results" / "quick" / "claim" / "report.md").read_text()
    assert "## Robustness (from `robustness/`)" in main


# --------------------------------------------------------------------------- scenario discovery on workers' outcomes


def test_discovery_cases_on_fee_free_placements_and_the_labels_effect():
    from experiments import discovery

    data = pd.DataFrame({"certified_share": [0.9, 0.1, 0.2], "fee_free_share": [0.2, 0.7, 0.4],
                         "delta_label": [0.01, 0.05, -0.2]})
    margin = discovery.case_threshold("delta_label", None)
    assert margin == SPEC.equivalence_margin("fee_free_share")  # read from the predictions file
    assert list(discovery.cases(data, "delta_label", margin)) == [False, True, False]
    assert list(discovery.cases(data, "fee_free", discovery.case_threshold("fee_free", None))) == [False, True, False]
    assert list(discovery.cases(data, "certified", 0.5)) == [True, False, False]
    with pytest.raises(ValueError, match="--case"):
        discovery.case_threshold("share", None)


@pytest.mark.slow
def test_discovery_with_the_labels_effect_as_the_case_runs_each_world_without_the_label(tmp_path):
    import json

    from experiments import discovery

    out = tmp_path / "discovery"
    assert discovery.main(["--quick", "--out", str(out), "--case", "delta_label", "--jobs", "2"]) == 0
    worlds = pd.read_csv(out / "worlds.csv")
    assert np.allclose(worlds["delta_label"], worlds["fee_free_share"] - worlds["fee_free_share_no_label"],
                       equal_nan=True)
    info = json.loads((out / "discovery.json").read_text())
    assert info["case"] == "delta_label" and info["cases"] == int((worlds["delta_label"] > info["threshold"]).sum())
    assert "(cases: delta_label)" in (out / "report.md").read_text().splitlines()[0]


def test_a_column_the_predictions_need_that_the_runs_lack_stops_the_analysis():
    """A renamed model column must not quietly make a prediction untestable (and the claim hold without it)."""
    world = {key: frame.drop(columns=["certified_violation_records_found_audits"], errors="ignore")
             for key, frame in claim_world().items()}
    with pytest.raises(PredictionsError, match="certified_violation_records_found_audits"):
        decide_world(world, SPEC)


def test_in_a_single_world_a_robustness_row_flips_on_the_whole_claim_itself():
    from experiments.claim import BASELINE, robustness_table

    rows = pd.DataFrame([{"variant": BASELINE, "world": 0, "whole_claim": HOLDS},
                         {"variant": "entry_off", "world": 0, "whole_claim": CONTRADICTED},
                         {"variant": "horizon", "world": 0, "whole_claim": HOLDS}])
    variants = [{"name": BASELINE}, {"name": "entry_off"}, {"name": "horizon"}]
    table = robustness_table(rows, SPEC, variants).set_index("variant")
    assert table.loc["entry_off", "flips"] and not table.loc["horizon", "flips"]
