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
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sim.commands.plot"]
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
    (["--format", "gif89"], "cannot write format 'gif89'; formats: eps, pdf, png, ps, svg, svgz"),
    (["--format", "png,jpg"], "cannot write format 'jpg'; formats: eps, pdf, png, ps, svg, svgz"),
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


# --------------------------------------------------------------------------- honest bands (synthetic tables)


def synthetic_timeseries(values_by_seed: list[list[float]], outcome: str) -> pd.DataFrame:
    """A long table: one run per seed, one row per month, ``outcome`` given per seed and month."""
    rows = [{"run_id": f"r{seed}", "step": step + 1, outcome: value}
            for seed, values in enumerate(values_by_seed) for step, value in enumerate(values)]
    return pd.DataFrame(rows)


def band_edges(fig) -> tuple[float, float]:
    """Lowest and highest y of every band (fill_between) drawn on the figure's first axes."""
    from matplotlib.collections import PolyCollection

    ys = [path.vertices[:, 1] for c in fig.axes[0].collections if isinstance(c, PolyCollection)
          for path in c.get_paths()]
    assert ys, "no band drawn"
    import numpy as np

    finite = np.concatenate(ys)
    finite = finite[np.isfinite(finite)]
    return float(finite.min()), float(finite.max())


def test_bands_of_a_share_near_1_stay_at_or_below_1():
    ts = synthetic_timeseries([[0.99, 1.0, 0.98], [0.85, 0.9, 0.88], [1.0, 0.97, 1.0]], "certified_share")
    assert plotting.group_ci(ts, ["step"], "certified_share")["hi"].max() > 1.0  # the t interval overshoots
    fig = plotting.timeseries_figure(ts, "certified_share", [])
    low, high = band_edges(fig)
    assert high <= 1.0 and low >= 0.0
    runs = pd.DataFrame({"run_id": [f"r{i}" for i in range(6)], "policy.fine": [0.0] * 3 + [1.0] * 3,
                         "certified_share": [0.99, 0.85, 1.0, 0.98, 0.9, 1.0]})
    low, high = band_edges(plotting.curves_figure(runs, "certified_share", "policy.fine", []))
    assert high <= 1.0


def test_bands_of_fees_and_counts_stay_at_or_above_0_and_signed_outcomes_keep_theirs():
    fees = synthetic_timeseries([[0.0, 0.02], [0.4, 0.5], [0.0, 0.0]], "mean_fee_months")
    assert plotting.group_ci(fees, ["step"], "mean_fee_months")["lo"].min() < 0.0
    assert band_edges(plotting.timeseries_figure(fees, "mean_fee_months", []))[0] >= 0.0
    counts = synthetic_timeseries([[0.0, 1.0], [6.0, 9.0], [0.0, 0.0]], "n_certified")
    assert band_edges(plotting.timeseries_figure(counts, "n_certified", []))[0] >= 0.0
    prices = synthetic_timeseries([[0.0, 10.0], [600.0, 900.0], [0.0, 0.0]], "employer_cost_per_hire")
    assert band_edges(plotting.timeseries_figure(prices, "employer_cost_per_hire", []))[0] < 0.0  # kickbacks


def test_every_outcome_unit_has_a_range():
    from sim.model.outcomes import OUTCOMES

    assert {unit for unit, _ in OUTCOMES.values()} <= set(plotting.UNIT_RANGES)
    assert set(plotting.SIGNED_OUTCOMES) <= set(OUTCOMES)
    assert plotting.outcome_range("debt_bondage_share") == (0.0, 1.0)
    assert plotting.outcome_range("hhi") == (0.0, 1.0)
    assert plotting.outcome_range("fines_collected") == (0.0, None)
    assert plotting.outcome_range("profit_certified") == (None, None)


def title_of(fig) -> str:
    return fig.axes[0].get_title(loc="left")


@pytest.mark.parametrize(("n_seeds", "warning"), [
    (1, "(only 1 seed: no confidence bands)"), (3, "(only 3 seeds: bands are rough)"), (5, None)])
def test_a_figure_from_fewer_than_5_seeds_says_so(n_seeds, warning):
    ts = synthetic_timeseries([[0.2 + 0.01 * s, 0.3] for s in range(n_seeds)], "certified_share")
    title = title_of(plotting.timeseries_figure(ts, "certified_share", [], title="Certified share"))
    if warning:
        assert title == f"Certified share {warning}"
    else:
        assert title == "Certified share" and "only" not in title
    runs = pd.DataFrame({"run_id": [f"r{i}" for i in range(2 * n_seeds)],
                         "policy.fine": [0.0] * n_seeds + [1.0] * n_seeds,
                         "policy.inspection_rate": [0.1] * (2 * n_seeds),
                         "mean_fee_months": [1.0 + 0.1 * i for i in range(2 * n_seeds)]})
    curve = title_of(plotting.curves_figure(runs, "mean_fee_months", "policy.fine", []))
    heat = title_of(plotting.heatmap_figure(runs, "mean_fee_months", "policy.fine", "policy.inspection_rate"))
    assert (f"only {n_seeds} seed" in curve) == (warning is not None)
    assert (f"only {n_seeds} seed" in heat) == (warning is not None)
    if n_seeds == 3:
        assert heat.endswith("(only 3 seeds: means are rough)")


def test_the_warning_counts_seeds_in_the_smallest_regime(tmp_path):
    cells = [("a", 6), ("b", 3)]
    ts = pd.concat([synthetic_timeseries([[0.5, 0.5]] * n, "certified_share")
                    .assign(run_id=lambda f, c=c: c + f["run_id"], **{"choice.policy": c}) for c, n in cells])
    assert "only 3 seeds" in title_of(plotting.timeseries_figure(ts, "certified_share", ["choice.policy"]))


# --------------------------------------------------------------------------- file formats and help


def test_the_formats_are_those_matplotlib_writes_with_our_metadata(tmp_path):
    plt = plotting.pyplot()
    fig = plt.figure()
    fig.add_subplot().plot([0, 1])
    writable = set()
    for fmt in fig.canvas.get_supported_filetypes():
        try:
            fig.savefig(tmp_path / f"probe.{fmt}", format=fmt, metadata=plotting.savefig_metadata(fmt))
        except Exception:  # noqa: BLE001 - any failure means the format cannot be offered
            continue
        writable.add(fmt)
    plt.close(fig)
    assert writable - {"pgf"} == set(plotting.FORMATS)  # pgf needs a LaTeX installation: never offered
    assert {"png", "svg", "pdf"} <= set(plotting.FORMATS) and "jpg" not in plotting.FORMATS


def test_svg_and_pdf_files_carry_no_date(tmp_path):
    """No date in the file: drawing the same data again gives the same file."""
    import gzip

    date_fields = {"svg": b"<dc:date>", "svgz": b"<dc:date>", "pdf": b"/CreationDate"}
    for fmt, field in date_fields.items():
        fig = plotting.pyplot().figure()
        fig.add_subplot().plot([0, 1])
        (path,) = plotting.save_figure(fig, tmp_path / "figure", [fmt])
        data = gzip.decompress(path.read_bytes()) if fmt == "svgz" else path.read_bytes()
        assert data and field not in data, fmt


def test_save_figure_refuses_a_format_it_cannot_write(tmp_path):
    fig = plotting.pyplot().figure()
    with pytest.raises(plotting.PlotError, match="cannot write format 'tif'"):
        plotting.save_figure(fig, tmp_path / "figure", ["png", "tif"])
    assert not list(tmp_path.iterdir())


def test_the_command_writes_another_accepted_format(regimes_sweep, tmp_path):
    plot_command.main([str(regimes_sweep), "--outcomes", "placements", "--out", str(tmp_path), "-q",
                       "--format", "pdf"])
    assert (tmp_path / "timeseries_placements.pdf").read_bytes()[:5] == b"%PDF-"


def test_help_renders_without_markup(capsys):
    with pytest.raises(SystemExit):
        plot_command.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "95% confidence" in text and "%%" not in text and "``" not in text
    assert "eps, pdf, png, ps, svg, svgz" in text
