"""The named experiments: their configs compose, their sweeps validate, they run end to end
(``--quick``), and the claim's verdict logic gives known answers on synthetic data.

Every file in ``configs/experiment/`` is picked up by a glob, so no experiment
config can rot: each composes, has a header with its command and an analysis
module, and runs end to end in its quick version. The quick run of ``claim``
is part of the default test run; the others are marked slow
(``bash dev.sh test -m slow``).
"""

from __future__ import annotations

import importlib
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.context import expected_run_ids, experiment_names, sweep_jobs
from experiments.run import seed_overrides
from experiments.statistics import (
    bootstrap_diff_ci,
    bootstrap_mean_ci,
    verdict,
)
from sim.config import EXPERIMENT_DIR, check_config, compose_config, precheck

NAMES = experiment_names()
#: The quick end-to-end run in the default test run; the others are slow.
DEFAULT_E2E = "claim"


def test_the_five_named_experiments_exist():
    assert {"claim", "deterrence", "audit_design", "voice_and_brands", "public_channel"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_experiment_config_composes_and_documents_its_command(name):
    config = check_config(compose_config([f"experiment={name}"]))
    assert config.run.replications >= 1
    text = (EXPERIMENT_DIR / f"{name}.yaml").read_text()
    assert text.startswith("# @package _global_")
    assert f"recruitsim-experiment {name}" in text and f"recruitsim -m experiment={name}" in text
    module = importlib.import_module(f"experiments.{name}")
    assert callable(module.analyse) and module.__doc__


@pytest.mark.parametrize("name", NAMES)
def test_every_value_of_the_grid_is_valid(name):
    """The grid in hydra.sweeper.params passes the same check as a command-line sweep."""
    from experiments.context import compose

    params = compose([f"experiment={name}"], hydra_config=True).hydra.sweeper.params
    assert params, f"configs/experiment/{name}.yaml has no hydra.sweeper.params"
    precheck([f"experiment={name}", *(f"{k}={v}" for k, v in params.items())], multirun=True)


def test_the_claims_hydra_grid_is_the_fixed_regimes_by_label_and_placebos_by_80_seeds():
    """The Hydra way of the claim runs a subset of its design (experiments/claim.py builds the rest)."""
    jobs = sweep_jobs(["experiment=claim"])
    assert len(jobs) == 4 * 3 * 8  # 8 jobs of 10 seeds per regime and label
    assert len(expected_run_ids(["experiment=claim"])) == 4 * 3 * 80


def run_quick(name: str, results: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("recruitsim-experiment")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "experiments.run"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    return subprocess.run([*command, name, "--quick", "--results-dir", str(results)], cwd=results, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def check_results(folder: Path) -> str:
    report = (folder / "report.md").read_text()
    assert (folder / "summary.csv").stat().st_size > 0
    pngs = sorted((folder / "figures").glob("*.png"))
    assert pngs, "no figures"
    for png in pngs:
        assert png.stat().st_size > 0 and png.with_suffix(".svg").stat().st_size > 0
    for link in [line for line in report.splitlines() if line.startswith("![")]:
        target = link[link.index("](") + 2:-1]
        assert (folder / target).is_file(), f"report links to missing {target}"
    return report


@pytest.mark.parametrize("name", [n if n == DEFAULT_E2E else pytest.param(n, marks=pytest.mark.slow)
                                  for n in NAMES])
def test_experiment_runs_end_to_end_in_its_quick_version(name, tmp_path):
    done = run_quick(name, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = check_results(tmp_path / name)
    first = report.splitlines()
    assert first[0].endswith("(quick run: numbers mean nothing)") and "its numbers mean nothing" in first[2]
    assert "**" not in report and "- Runs analysed:" in report
    assert "missing" not in report.split("- Runs analysed:")[1].splitlines()[0]
    assert not (tmp_path / name / "runs" / "collected").joinpath("runs.parquet").stat().st_size == 0
    if name == "claim":  # the answer in words first, then the evidence (tests/test_claim_verdict.py: the rest)
        assert first[4].startswith("In short: the runs ")
        for section in ("## Share of worlds per verdict", "## Controls and checks",
                        "## Within a world: the distribution over seeds", "## Where the claim does not hold",
                        "## Settled worlds counted apart", "## The article's exception, read beside the claim",
                        "## Power: the internal pilot", "## Deviations from the pre-registered predictions"):
            assert section in report
        assert report.rindex("## Deviations") > report.rindex("## Power: the internal pilot")


def test_an_unknown_experiment_exits_2(tmp_path):
    from experiments.run import main

    with pytest.raises(SystemExit) as exit_info:
        main(["no_such_experiment"])
    assert exit_info.value.code == 2


# --------------------------------------------------------------------------- the verdict on synthetic data


@pytest.mark.parametrize(("lo", "hi", "expected"), [
    (0.30, 0.40, "yes"), (0.10, 0.20, "no"), (0.20, 0.30, "uncertain"),
    (0.25, 0.30, "uncertain"), (0.20, 0.25, "uncertain"), (math.nan, 0.1, "uncertain"),
])
def test_verdict_rule(lo, hi, expected):
    assert verdict(lo, hi, 0.25) == expected


# --------------------------------------------------------------------------- statistics


def test_bootstrap_ci_is_reproducible_and_close_to_the_normal_interval():
    x = np.random.default_rng(1).normal(10.0, 2.0, 200)
    first, second = bootstrap_mean_ci(x), bootstrap_mean_ci(x)
    assert first == second
    mean, lo, hi, n = first
    half = 1.96 * x.std(ddof=1) / math.sqrt(len(x))
    assert n == 200 and mean == pytest.approx(x.mean())
    assert lo == pytest.approx(mean - half, abs=0.05) and hi == pytest.approx(mean + half, abs=0.05)


def test_bootstrap_ci_of_constant_and_missing_values():
    assert bootstrap_mean_ci([0.0] * 10)[:3] == (0.0, 0.0, 0.0)
    mean, lo, hi, n = bootstrap_mean_ci([1.0, float("nan")])
    assert (mean, n) == (1.0, 1) and math.isnan(lo) and math.isnan(hi)


def test_difference_is_paired_by_seed_when_the_seeds_match():
    seeds = pd.Index(range(20), name="seed")
    noise = pd.Series(np.random.default_rng(2).normal(0, 5, 20), index=seeds)
    a, b = noise + 1.0, noise  # a large common noise, a constant difference of 1
    est, lo, hi, n, paired = bootstrap_diff_ci(a, b)
    assert paired and est == pytest.approx(1.0) and lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    est, lo, hi, n, paired = bootstrap_diff_ci(a.reset_index(drop=True).iloc[:15], b)
    assert not paired and lo < 1.0 < hi


@pytest.mark.parametrize(("n", "k", "expected"), [
    (30, 5, ["seed=range(0,30,5)", "run.replications=5"]),
    (10, 5, ["seed=range(0,10,5)", "run.replications=5"]),
    (4, 5, ["seed=range(0,4,4)", "run.replications=4"]),
    (7, 5, ["seed=range(0,7,1)", "run.replications=1"]),
])
def test_seed_batches_cover_exactly_the_seeds_asked_for(n, k, expected):
    assert seed_overrides(n, k) == expected


# --------------------------------------------------------------------------- reports, full and quick (synthetic data)


@pytest.fixture
def fixed_commit(monkeypatch):
    """Reports name the commit they were made from; a fixed one makes their text predictable."""
    import sim.runs.files

    monkeypatch.setattr(sim.runs.files, "git_state", lambda *a, **k: {"commit": "0123456789abcdef", "dirty": False})


def verdict_line(regime: str, row: pd.Series, side: str) -> str:
    return (f"- **{regime}**: **{row['verdict']}**. Certified recruiters make 31.0% (95% CI 27.0% to 35.0%) of "
            f"placements at the horizon; the whole interval is {side} the 25% threshold (3 seeds).")


def claim_report(tmp_path: Path, quick: bool) -> str:
    """A claim-like report with one verdict per state regime, from a synthetic summary row."""
    from experiments.context import Context
    from experiments.report import Report

    ctx = Context(name="claim", out_dir=tmp_path, sweep_dir=tmp_path / "runs", quick=quick,
                  command="recruitsim-experiment claim" + (" --quick" if quick else ""),
                  overrides=["experiment=claim"])
    row = pd.Series({"certified_share": 0.31, "certified_share_lo": 0.27, "certified_share_hi": 0.35,
                     "certified_share_n": 3, "verdict": "yes"})
    report = Report(ctx, "can voluntary certification compete, and only with the state?", "The question.")
    report.section("Verdict", verdict_line("fee ban, enforced", row, "above"),
                   verdict_line("no rule", row.replace("yes", "no"), "below"))
    report.add("**The claim is supported by these runs**: it predicts ...")
    report.figure("regimes", "Outcomes by regime")
    runs = pd.DataFrame({"seed": [0, 1, 2], "run.steps": [36] * 3, "run.summary_window_months": [12] * 3})
    return report.write(runs).read_text()


def test_a_full_report_reads_as_before(tmp_path, fixed_commit):
    assert claim_report(tmp_path, quick=False) == (
        "# Experiment `claim`: can voluntary certification compete, and only with the state?\n"
        "\n"
        "The question.\n"
        "\n"
        "## Verdict\n"
        "\n"
        "- **fee ban, enforced**: **yes**. Certified recruiters make 31.0% (95% CI 27.0% to 35.0%) of placements "
        "at the horizon; the whole interval is above the 25% threshold (3 seeds).\n"
        "- **no rule**: **no**. Certified recruiters make 31.0% (95% CI 27.0% to 35.0%) of placements "
        "at the horizon; the whole interval is below the 25% threshold (3 seeds).\n"
        "\n"
        "**The claim is supported by these runs**: it predicts ...\n"
        "\n"
        "![Outcomes by regime](figures/regimes.png)\n"
        "\n"
        "*Outcomes by regime* ([SVG](figures/regimes.svg))\n"
        "\n"
        "## How these numbers were made\n"
        "\n"
        "- Command: `recruitsim-experiment claim`\n"
        "- Sweep: `recruitsim -m experiment=claim`; raw per-run data in `runs/` (not committed)\n"
        "- Runs analysed: 3 completed\n"
        "- Seeds: 0-2; months per run: 36; headline outcomes are means over each run's last 12 months\n"
        "- Confidence intervals: percentile bootstrap over seeds (10,000 resamples, resampling seed 12345); "
        "figure bands: Student-t 95% CI of the mean across seeds\n"
        "- Code: commit `0123456789ab`\n")


def test_a_quick_report_says_its_numbers_mean_nothing_and_bolds_no_verdict(tmp_path, fixed_commit):
    text = claim_report(tmp_path, quick=True)
    lines = text.splitlines()
    assert lines[0] == ("# Experiment `claim`: can voluntary certification compete, and only with the state? "
                        "(quick run: numbers mean nothing)")
    assert lines[1:3] == ["", "This is a `--quick` run on a tiny world to test the pipeline; its numbers mean "
                              "nothing."]
    assert "**" not in text
    assert "- fee ban, enforced: yes. Certified recruiters make 31.0%" in text
    assert "The claim is supported by these runs: it predicts" in text
    assert text.count("numbers mean nothing") == 2  # once in the title, once in the first line


def analysis_document(tmp_path: Path, quick: bool) -> str:
    from experiments.report import Document

    doc = Document(tmp_path, "Global sensitivity analysis")
    doc.para("Which parameters matter?")
    doc.heading("Stage 1: Morris screening")
    doc.para("**certified share**: the ten most influential factors.", "| a |\n|---|\n| 1 |")
    doc.figure(tmp_path / "figures" / "morris.png", "Morris mu* against sigma")
    return doc.write(command="recruitsim-sensitivity" + (" --quick" if quick else ""), seconds=90,
                     quick=quick).read_text()


def test_an_analysis_report_reads_as_before(tmp_path, fixed_commit):
    assert analysis_document(tmp_path, quick=False) == (
        "# Global sensitivity analysis\n\nWhich parameters matter?\n\n## Stage 1: Morris screening\n\n"
        "**certified share**: the ten most influential factors.\n\n| a |\n|---|\n| 1 |\n\n"
        "![Morris mu* against sigma](figures/morris.png)\n\n*Morris mu* against sigma* ([SVG](figures/morris.svg))\n\n"
        "## How these numbers were made\n\n"
        "- Command: `recruitsim-sensitivity` (1.5 min on this machine)\n"
        "- Code: commit `0123456789ab`\n")


def test_a_quick_analysis_report_says_its_numbers_mean_nothing(tmp_path, fixed_commit):
    text = analysis_document(tmp_path, quick=True)
    assert text.splitlines()[:3] == [
        "# Global sensitivity analysis (quick run: numbers mean nothing)", "",
        "This is a `--quick` run on a tiny world to test the pipeline; its numbers mean nothing."]
    assert "**" not in text and "certified share: the ten most influential factors." in text


# --------------------------------------------------------------------------- the experiments' figure


def point_range_table(n_seeds: int) -> pd.DataFrame:
    """A summarise() table whose CI of a share reaches above 1 and of a fee below 0."""
    return pd.DataFrame({"choice.policy": ["no_rule", "fee_ban_enforced"],
                         "certified_share": [0.95, 0.5], "certified_share_lo": [0.85, 0.4],
                         "certified_share_hi": [1.08, 0.6], "certified_share_n": [n_seeds, n_seeds],
                         "mean_fee_months": [0.05, 3.0], "mean_fee_months_lo": [-0.1, 2.5],
                         "mean_fee_months_hi": [0.2, 3.5], "mean_fee_months_n": [n_seeds, n_seeds]})


def test_whiskers_stay_within_what_an_outcome_can_be():
    from experiments.figures import draw_point_ranges

    fig = draw_point_ranges(point_range_table(30), "choice.policy", ["no_rule", "fee_ban_enforced"],
                            ["no rule", "ban"], None, [], [], ["certified_share", "mean_fee_months"], "Outcomes")
    share_ax, fee_ax = fig.axes[:2]

    def whisker_ends(ax) -> np.ndarray:
        return np.concatenate([seg[:, 1] for c in ax.collections for seg in c.get_segments()])

    assert whisker_ends(share_ax).max() == pytest.approx(1.0)
    assert whisker_ends(fee_ax).min() == pytest.approx(0.0)
    assert "only" not in fig.get_suptitle()


@pytest.mark.parametrize(("n_seeds", "title"), [(2, "Outcomes (only 2 seeds: bands are rough)"), (5, "Outcomes")])
def test_the_experiments_figure_says_when_it_has_few_seeds(n_seeds, title):
    from experiments.figures import draw_point_ranges

    fig = draw_point_ranges(point_range_table(n_seeds), "choice.policy", ["no_rule"], ["no rule"], None, [], [],
                            ["certified_share"], "Outcomes")
    assert fig.get_suptitle() == title
