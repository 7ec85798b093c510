"""``recruitsim-plot`` and sim/plots/: figures from a small collected sweep.

The sweeps are written by ``tests/collected_tables.py`` in the layout of
``recruitsim-collect`` (runs.parquet, timeseries.parquet), from tiny runs of
the model. Assertions are about files (they exist, PNG and SVG, non-empty),
about what the module finds varied, and about its statistics.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from collected_tables import make_collected

import sim.plots as plotting
from sim.commands import plot as plot_command


@pytest.fixture(scope="module")
def regimes_sweep(tmp_path_factory) -> Path:
    """Two group options crossed (policy x certification), three seeds."""
    cells = [{"choice.policy": p, "choice.certification": c}
             for p in ("no_rule", "fee_ban_enforced") for c in ("disabled", "voluntary")]
    return make_collected(tmp_path_factory.mktemp("regimes"), cells, seeds=[0, 1, 2])


@pytest.fixture(scope="module")
def lever_grid(tmp_path_factory) -> Path:
    """Two numeric levers crossed under a fee ban, two seeds."""
    cells = [{"policy.fee_cap_months": 0.0, "policy.inspection_rate": r, "policy.fine": f}
             for r in (0.0, 0.1, 0.4) for f in (500.0, 20000.0)]
    return make_collected(tmp_path_factory.mktemp("grid"), cells, seeds=[0, 1])


def assert_figures(paths: list[Path], expected_stems: set[str]) -> None:
    stems = {p.stem for p in paths}
    assert expected_stems <= stems, f"missing {expected_stems - stems}"
    for stem in expected_stems:
        png = next(p for p in paths if p.stem == stem and p.suffix == ".png")
        svg = next(p for p in paths if p.stem == stem and p.suffix == ".svg")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
        text = svg.read_text()
        assert "<svg" in text and len(text) > 5000


def test_regimes_give_one_time_series_per_outcome(regimes_sweep, tmp_path):
    paths = plotting.plot_sweep(regimes_sweep, out=tmp_path, quiet=True)
    assert_figures(paths, {f"timeseries_{o}" for o in plotting.DEFAULT_OUTCOMES})
    assert not any(p.name.startswith(("curve_", "heatmap_")) for p in paths)
    svg = (tmp_path / "timeseries_mean_fee_months.svg").read_text()
    assert "months of wage" in svg  # unit in the axis label
    # regimes in words: policy by colour, certification by line style
    assert "fee ban, enforced" in svg and "certification" in svg and "voluntary" in svg


def test_two_numeric_levers_give_curves_and_heatmaps(lever_grid, tmp_path):
    paths = plotting.plot_sweep(lever_grid, outcomes=["mean_fee_months", "evading_share"], out=tmp_path,
                                formats=["png", "svg"], quiet=True)
    assert_figures(paths, {"timeseries_mean_fee_months", "curve_mean_fee_months_vs_inspection_rate",
                           "heatmap_evading_share_fine_inspection_rate"})
    svg = (tmp_path / "heatmap_evading_share_fine_inspection_rate.svg").read_text()
    assert "USD per detected violation" in svg and "per recruiter per month" in svg


def test_the_command_writes_next_to_collected_by_default_and_shows_progress(lever_grid):
    script = Path(sys.executable).with_name("recruitsim-plot")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sim.plots"]
    done = subprocess.run([*command, str(lever_grid), "--outcomes", "certified_share", "--format", "png"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    figures = lever_grid.parent / "figures"
    assert (figures / "heatmap_certified_share_fine_inspection_rate.png").stat().st_size > 0
    assert not list(figures.glob("*.svg"))
    assert "[1/" in done.stderr and "wrote" in done.stderr


def test_the_command_accepts_the_sweep_folder_too(regimes_sweep, tmp_path):
    plot_command.main([str(regimes_sweep.parent), "--outcomes", "placements", "--out", str(tmp_path), "-q"])
    assert (tmp_path / "timeseries_placements.png").stat().st_size > 0


@pytest.mark.parametrize(("args", "message"), [
    (["--outcomes", "mean_fees_months"], "did you mean mean_fee_months"),
    (["--format", "gif89"], "unknown format"),
])
def test_bad_input_exits_2_with_a_message(regimes_sweep, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        plot_command.main([str(regimes_sweep), "--out", str(tmp_path), *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_folder_without_collected_tables_is_explained(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        plot_command.main([str(tmp_path)])
    assert exit_info.value.code == 2
    assert "recruitsim-collect" in capsys.readouterr().err


def test_help_documents_the_options():
    with pytest.raises(SystemExit) as exit_info:
        plot_command.main(["--help"])
    assert exit_info.value.code == 0


def test_design_finds_the_varied_options_and_levers(regimes_sweep, lever_grid):
    runs = pd.read_parquet(regimes_sweep / "runs.parquet")
    design = plotting.sweep_design(runs)
    assert design.choices == ["choice.policy", "choice.certification"]
    assert design.levers == []  # policy.fine etc. follow from the policy option
    grid = plotting.sweep_design(pd.read_parquet(lever_grid / "runs.parquet"))
    assert grid.choices == [] and grid.numeric == ["policy.inspection_rate", "policy.fine"]


def test_failed_runs_are_left_out(regimes_sweep, tmp_path):
    runs = pd.read_parquet(regimes_sweep / "runs.parquet")
    runs.loc[0, "status"] = "failed"
    folder = tmp_path / "collected"
    folder.mkdir()
    runs.to_parquet(folder / "runs.parquet")
    (folder / "timeseries.parquet").write_bytes((regimes_sweep / "timeseries.parquet").read_bytes())
    collected = plotting.load_collected(folder)
    assert len(collected.runs) == len(runs) - 1 and collected.n_failed == 1


def test_confidence_interval_of_the_mean_has_the_t_width():
    frame = pd.DataFrame({"g": ["a"] * 3 + ["b"], "x": [1.0, 2.0, 3.0, 5.0]})
    out = plotting.group_ci(frame, ["g"], "x").set_index("g")
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2) * sd 1 / sqrt(3)
    assert out.loc["a", "mean"] == pytest.approx(2.0)
    assert out.loc["a", "hi"] - 2.0 == pytest.approx(half)
    assert math.isnan(out.loc["b", "lo"])  # one seed: no band
    assert plotting.mean_ci([1.0, 2.0, 3.0, float("nan")])[:2] == pytest.approx((2.0, 2.0 - half))


def test_labels_carry_units_and_words():
    assert plotting.outcome_label("mean_fee_months") == "mean fee paid by workers (months of wage)"
    assert plotting.lever_label("policy.fine") == "fine (USD per detected violation)"
    assert plotting.value_words("choice.policy", "fee_ban_weak") == "policy: fee ban, weakly enforced"
    assert plotting.value_words("certification.announced", True) == "certification announced: yes"


def test_importing_sim_does_not_import_matplotlib():
    code = "import sys, sim, sim.plots; sys.exit('matplotlib' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0
