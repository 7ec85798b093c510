"""Shared helpers of the named experiments: the sweep's run list, statistics, tables, reports.

An experiment is a config ``configs/experiment/<name>.yaml`` (its sweep grid in
``hydra.sweeper.params``) plus a module ``experiments/<name>.py`` with an
``analyse`` function. :mod:`experiments.run` runs the sweep, collects it and
calls ``analyse``, which uses the helpers here:

* :func:`expected_run_ids`: the runs the sweep command stands for, so that an
  analysis reads exactly them even if the store holds runs of another grid;
* :func:`bootstrap_mean_ci`, :func:`bootstrap_diff_ci`: percentile-bootstrap
  95% confidence intervals across seeds (fixed resampling seed: reruns give
  the same numbers);
* :func:`verdict`: "yes" / "no" / "uncertain" from a confidence interval and
  a threshold;
* :class:`Report` and :func:`markdown_table`: ``report.md`` with the numbers.
"""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from sim.config import CONFIG_DIR, CONFIG_NAME, EXPERIMENT_DIR

if TYPE_CHECKING:
    import pandas as pd

    from sim.plots import Collected


CONFIDENCE = 0.95
#: Bootstrap resamples and the resampling seed (fixed, so that reports are reproducible).
N_BOOT = 10_000
BOOT_SEED = 12345


def experiment_names() -> list[str]:
    """Names of the experiments: the files of ``configs/experiment/`` that are experiment configs.

    An experiment config opens with ``# @package _global_``; other files there
    (``claim_predictions.yaml``, read by the claim's analysis) are not experiments.
    """
    return sorted(p.stem for p in EXPERIMENT_DIR.glob("*.yaml")
                  if p.read_text(encoding="utf-8").startswith("# @package _global_"))


# --------------------------------------------------------------------------- what a sweep command stands for


@dataclass
class Context:
    """What an analysis needs to know about the command that produced its data.

    Attributes:
        name: the experiment.
        out_dir: ``results/<name>/`` (figures, table, report).
        sweep_dir: the sweep directory (``out_dir/runs``).
        command: the command line, as a user would type it.
        overrides: the Hydra overrides the sweep ran with (``experiment=<name>`` first).
        quick: a tiny version for tests.
        timings: seconds spent in "sweep" and "collect".
        expected: run_ids of the runs the sweep stands for (empty: unknown, keep all).
        missing: expected runs without a completed record (failed, or not run).
        left_out: completed runs in the store that are not part of this sweep.
        failed: records of failed runs (run_id, seed, error) among the expected ones.
        jobs: parallel jobs asked for (None: the launcher's default).
        analysis_started: ``time.perf_counter()`` when the analysis began (for the report).
        run_seconds: the analysed runs' simulation time, summed (from the store's records).
        run_span: seconds from the first analysed run's start to the last one's end.
    """

    name: str
    out_dir: Path
    sweep_dir: Path
    command: str
    overrides: list[str]
    quick: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    expected: set[str] = field(default_factory=set)
    missing: int = 0
    left_out: int = 0
    failed: list[dict] = field(default_factory=list)
    jobs: int | None = None
    analysis_started: float | None = None
    run_seconds: float = 0.0
    run_span: float | None = None


def compose(overrides: Sequence[str], hydra_config: bool = False) -> Any:
    """Compose ``configs/config.yaml`` with Hydra overrides (and, if asked, the ``hydra`` node)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from sim.config import register_configs

    register_configs()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONFIG_DIR), job_name="recruitsim"):
        return hydra_compose(config_name=CONFIG_NAME, overrides=list(overrides),
                             return_hydra_config=hydra_config)


def sweep_jobs(overrides: Sequence[str]) -> list[list[str]]:
    """The override list of every job of ``recruitsim -m OVERRIDES``, as Hydra's basic sweeper makes them.

    ``hydra.sweeper.params`` of the composed config come first; command-line
    overrides of the same key replace them (Hydra's rule).
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    fixed = [o.input_line for o in parser.parse_overrides(list(overrides)) if not o.is_sweep_override()]
    params = compose(fixed, hydra_config=True).hydra.sweeper.get("params") or {}
    lines = [f"{k}={v}" for k, v in params.items()] + list(overrides)
    parsed = parser.parse_overrides(lines)
    batches = BasicSweeper.split_arguments(parsed, None)
    return [list(job) for batch in batches for job in batch]


def _is_group(key: str) -> bool:
    return "." not in key and (CONFIG_DIR / key).is_dir()


def expected_run_ids(overrides: Sequence[str]) -> set[str]:
    """run_ids of every run of the sweep ``recruitsim -m OVERRIDES`` (replications included).

    Same rule as :func:`sim.runs.sweep.run_job`: a job runs seeds ``seed, ...,
    seed + run.replications - 1``, each hashed with ``run.replications = 1``.
    Configs are composed once per combination of group options; value
    overrides are applied to a copy.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from sim.config import flat_config
    from sim.runs.store import run_id

    parser = OverridesParser.create()
    cache: dict[tuple, Any] = {}
    ids: set[str] = set()
    for job in sweep_jobs(overrides):
        job = [o for o in job if not o.startswith(("hydra.", "hydra/"))]
        parsed = [parser.parse_override(o) for o in job]
        is_plain = [not (_is_group(o.key_or_group) or o.is_add() or o.is_delete() or o.is_force_add()
                         or o.package) for o in parsed]
        plain = [o for o, p in zip(parsed, is_plain) if p]
        structural = tuple(o.input_line for o, p in zip(parsed, is_plain) if not p)
        if structural not in cache:
            cache[structural] = compose(structural)
        cfg = copy.deepcopy(cache[structural])
        for o in plain:
            OmegaConf.update(cfg, o.key_or_group, o.value(), merge=True)
        flat = flat_config(cfg)
        reps = int(flat.get("run.replications", 1) or 1)
        for i in range(reps):
            one = {**flat, "seed": int(flat["seed"]) + i}
            if "run.replications" in one:
                one["run.replications"] = 1
            ids.add(run_id(one))
    return ids


# --------------------------------------------------------------------------- statistics


def _clean(values: Iterable[float]):
    import numpy as np

    x = np.asarray(list(values) if not hasattr(values, "__array__") else values, dtype=float)
    return x[~np.isnan(x)]


def bootstrap_mean_ci(values: Iterable[float], confidence: float = CONFIDENCE, n_boot: int = N_BOOT,
                      seed: int = BOOT_SEED) -> tuple[float, float, float, int]:
    """Mean across seeds and its percentile-bootstrap confidence interval: (mean, lo, hi, n).

    NaN values (an outcome undefined in a run) are left out; ``n`` counts the
    rest. With fewer than two values the bounds are NaN.
    """
    import numpy as np

    x = _clean(values)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return mean, float(lo), float(hi), n


def bootstrap_diff_ci(a: pd.Series, b: pd.Series, confidence: float = CONFIDENCE, n_boot: int = N_BOOT,
                      seed: int = BOOT_SEED) -> tuple[float, float, float, int, bool]:
    """Mean of ``a`` minus mean of ``b`` with a bootstrap CI: (diff, lo, hi, n, paired).

    When both series are indexed by seed and share their seeds, the
    difference is paired by seed (the two regimes start from the same seed:
    common random numbers) and the CI resamples seeds; otherwise the two
    samples are resampled independently.
    """
    import numpy as np

    a = a.dropna()
    b = b.dropna()
    common = a.index.intersection(b.index)
    if len(common) >= 2 and len(common) == len(a) == len(b) and a.index.is_unique and b.index.is_unique:
        diff = (a.loc[common] - b.loc[common]).to_numpy(dtype=float)
        est, lo, hi, n = bootstrap_mean_ci(diff, confidence, n_boot, seed)
        return est, lo, hi, n, True
    xa, xb = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    if len(xa) < 2 or len(xb) < 2:
        est = float(xa.mean() - xb.mean()) if len(xa) and len(xb) else math.nan
        return est, math.nan, math.nan, min(len(xa), len(xb)), False
    rng = np.random.default_rng(seed)
    ma = xa[rng.integers(0, len(xa), size=(n_boot, len(xa)))].mean(axis=1)
    mb = xb[rng.integers(0, len(xb), size=(n_boot, len(xb)))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(ma - mb, [tail, 100 - tail])
    return float(xa.mean() - xb.mean()), float(lo), float(hi), min(len(xa), len(xb)), False


def summarise(runs: pd.DataFrame, by: Sequence[str], outcomes: Sequence[str]) -> pd.DataFrame:
    """One row per group of ``by``: for each outcome its mean, bootstrap CI bounds and n across seeds.

    Columns: the ``by`` columns, then ``<outcome>``, ``<outcome>_lo``,
    ``<outcome>_hi``, ``<outcome>_n`` for each outcome.
    """
    import pandas as pd

    rows = []
    for key, part in runs.groupby(list(by), sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        for name in outcomes:
            est, lo, hi, n = bootstrap_mean_ci(part[name])
            row.update({name: est, f"{name}_lo": lo, f"{name}_hi": hi, f"{name}_n": n})
        rows.append(row)
    return pd.DataFrame(rows)


def verdict(lo: float, hi: float, threshold: float) -> str:
    """``"yes"`` if the whole CI lies above ``threshold``, ``"no"`` if it lies below, else ``"uncertain"``.

    A bound exactly at the threshold, or a missing bound, leaves the answer uncertain.
    """
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return "uncertain"
    if lo > threshold:
        return "yes"
    if hi < threshold:
        return "no"
    return "uncertain"


# --------------------------------------------------------------------------- words and tables


def pct(x: float, digits: int = 1) -> str:
    """``0.2534`` -> ``"25.3%"``; NaN -> ``"n/a"``."""
    return "n/a" if x is None or math.isnan(x) else num(100 * x, digits) + "%"


def num(x: float, digits: int = 2) -> str:
    """``1.234`` -> ``"1.23"``; NaN -> ``"n/a"``; never ``"-0.00"``."""
    if x is None or math.isnan(x):
        return "n/a"
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def with_ci(est: float, lo: float, hi: float, as_pct: bool = False, digits: int | None = None) -> str:
    """``"25.3% (95% CI 21.0% to 29.9%)"``; bounds left out when undefined."""
    f = (lambda v: pct(v, 1 if digits is None else digits)) if as_pct else (
        lambda v: num(v, 2 if digits is None else digits))
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return f(est)
    return f"{f(est)} (95% CI {f(lo)} to {f(hi)})"


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (values as they are; format them first)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a summary table as CSV (atomically, no index)."""
    from sim.runs.files import atomic_write_with

    atomic_write_with(path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6g"))
    return path


class Report:
    """``report.md`` built section by section; :meth:`write` adds the provenance block."""

    def __init__(self, ctx: Context, title: str, question: str):
        self.ctx = ctx
        self.lines = [f"# Experiment `{ctx.name}`: {title}", "", question.strip(), ""]

    def section(self, heading: str, *paragraphs: str) -> None:
        """A ``##`` section; paragraphs starting with ``- `` in a row form one list."""
        self.lines += [f"## {heading}", ""]
        self.add(*paragraphs)

    def add(self, *paragraphs: str) -> None:
        for i, p in enumerate(paragraphs):
            in_list = p.startswith("- ") and i + 1 < len(paragraphs) and paragraphs[i + 1].startswith("- ")
            self.lines += [p.rstrip()] if in_list else [p.rstrip(), ""]

    def figure(self, stem: str, caption: str) -> None:
        """An image link to ``figures/<stem>.png`` (SVG beside it) with a caption."""
        self.lines += [f"![{caption}](figures/{stem}.png)", "", f"*{caption}* ([SVG](figures/{stem}.svg))", ""]

    def write(self, runs: pd.DataFrame) -> Path:
        ctx = self.ctx
        from sim.runs.files import atomic_open, git_state

        n = len(runs)
        seeds = sorted(int(s) for s in runs["seed"].unique()) if n else []
        months = sorted(int(m) for m in runs["run.steps"].unique()) if n and "run.steps" in runs else []
        lines = list(self.lines)
        lines += ["## How these numbers were made", ""]
        if ctx.quick:
            lines += ["**Quick version** (`--quick`): a tiny world and few seeds, for tests only; "
                      "the numbers mean nothing.", ""]
        lines += [f"- Command: `{ctx.command}`",
                  f"- Sweep: `recruitsim -m {' '.join(ctx.overrides)}`; raw per-run data in "
                  f"`{_rel(ctx.sweep_dir, ctx.out_dir)}/` (not committed)",
                  f"- Runs analysed: {n} completed"
                  + (f" of {len(ctx.expected)} in the grid" if ctx.expected else "")
                  + (f"; {ctx.missing} missing or failed" if ctx.missing else "")
                  + (f"; {ctx.left_out} runs of other sweeps in the store left out" if ctx.left_out else ""),
                  f"- Seeds: {_ranges(seeds)}; months per run: {', '.join(map(str, months)) or 'n/a'}; "
                  "headline outcomes are means over each run's last "
                  f"{_window(runs)} months",
                  "- Confidence intervals: percentile bootstrap over seeds "
                  f"({N_BOOT:,} resamples, resampling seed {BOOT_SEED}); figure bands: Student-t 95% CI of "
                  "the mean across seeds"]
        t = dict(ctx.timings)
        if ctx.analysis_started is not None:
            import time

            t["analysis"] = time.perf_counter() - ctx.analysis_started
        if ctx.run_span is not None and n:
            lines.append(f"- Run time: the {n} runs ran from first start to last end in {ctx.run_span:.0f} s "
                         f"of wall time (including any pause between an interrupted sweep and its resumption); "
                         f"their simulations took {ctx.run_seconds:.0f} s in all, {ctx.run_seconds / n:.2f} s a run")
        if t:
            notes = {"sweep": f" ({ctx.jobs or os.cpu_count()} parallel jobs; runs completed earlier are skipped, "
                              "not counted)"}
            lines.append("- This command: " + ", ".join(f"{k} {v:.1f} s{notes.get(k, '')}" for k, v in t.items()))
        git = git_state()
        if git.get("commit"):
            dirty = " with uncommitted changes" if git.get("dirty") else ""
            lines.append(f"- Code: commit `{git['commit'][:12]}`{dirty}")
        if ctx.failed:
            lines += ["", "Failed runs:", ""]
            lines += [f"- run `{r.get('run_id')}` seed {r.get('seed')}: {r.get('error')}" for r in ctx.failed]
        path = ctx.out_dir / "report.md"
        with atomic_open(path, "w") as f:
            f.write("\n".join(lines).rstrip() + "\n")
        return path


def _window(runs: pd.DataFrame) -> str:
    col = "run.summary_window_months"
    if col in runs and len(runs):
        return ", ".join(str(int(v)) for v in sorted(runs[col].unique()))
    return "12"


def _rel(path: Path, start: Path) -> str:
    return os.path.relpath(Path(path).resolve(), Path(start).resolve())


def _ranges(values: Sequence[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``"0-2, 5"``."""
    if not values:
        return "none"
    out, start, prev = [], values[0], values[0]
    for v in list(values[1:]) + [None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(out)


# --------------------------------------------------------------------------- per-run measures from time series


def timeseries_measures(collected: Collected, runs: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The completed runs' time series (``run_id``, ``step``, ``columns``) joined with ``runs``' seed."""
    ts = collected.timeseries(list(columns))
    return ts[ts["run_id"].isin(runs["run_id"])]


def effect_words(est: float, lo: float, hi: float, what: str, fmt=None, unit: str = "") -> str:
    """``"lowers the mean fee by 0.80 (95% CI 0.10 to 1.50) months of wage"``, or ``"has no clear effect
    on ..."`` when the CI includes 0: the direction comes from the interval, not from the estimate alone."""
    fmt = fmt or num
    unit = f" {unit}" if unit else ""
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return f"changes {what} by {fmt(est)}{unit} (no confidence interval: too few seeds)"
    if lo > 0:
        return f"raises {what} by {fmt(est)} (95% CI {fmt(lo)} to {fmt(hi)}){unit}"
    if hi < 0:
        return f"lowers {what} by {fmt(-est)} (95% CI {fmt(-hi)} to {fmt(-lo)}){unit}"
    return f"has no clear effect on {what}: {fmt(est)}{unit} (95% CI {fmt(lo)} to {fmt(hi)}, which includes 0)"


def plural(n: int, word: str) -> str:
    """``plural(1, "seed")`` -> ``"1 seed"``; ``plural(2, "seed")`` -> ``"2 seeds"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --------------------------------------------------------------------------- a figure of estimates with CIs


def point_range_figure(table: pd.DataFrame, x: str, x_order: Sequence, x_labels: Sequence[str],
                       hue: str | None, hue_order: Sequence, hue_labels: Sequence[str], outcomes: Sequence[str],
                       stem: Path, title: str, x_title: str = "", thresholds: dict[str, float] | None = None,
                       hue_title: str | None = None, labels: dict[str, tuple[str, str]] | None = None) -> list[Path]:
    """One panel per outcome: the mean of each group with its 95% CI as a whisker.

    ``table`` is the output of :func:`summarise` (columns ``<outcome>``,
    ``<outcome>_lo``, ``<outcome>_hi``). Groups sit at ``x`` positions, side by
    side for each ``hue`` value. ``thresholds`` draws a dashed line in a panel.
    """
    import numpy as np

    from sim.plots import _colors, _pyplot, outcome_label, outcome_title, save_figure

    plt = _pyplot()
    hues = list(hue_order) if hue else [None]
    fig, axes = plt.subplots(1, len(outcomes), figsize=(4.2 * len(outcomes) + 0.6, 4.2), squeeze=False)
    width = 0.7 / max(len(hues), 1)
    colors = _colors(len(hues))
    for ax, name in zip(axes[0], outcomes):
        for k, (h, color) in enumerate(zip(hues, colors)):
            part = table if hue is None else table[table[hue] == h]
            xs, ys, los, his = [], [], [], []
            for i, value in enumerate(x_order):
                row = part[part[x] == value]
                if row.empty:
                    continue
                xs.append(i + (k - (len(hues) - 1) / 2) * width)
                ys.append(float(row[name].iloc[0]))
                los.append(float(row[f"{name}_lo"].iloc[0]))
                his.append(float(row[f"{name}_hi"].iloc[0]))
            ys_a, lo_a, hi_a = np.array(ys), np.array(los), np.array(his)
            err = np.vstack([np.nan_to_num(ys_a - lo_a), np.nan_to_num(hi_a - ys_a)])
            ax.errorbar(xs, ys, yerr=err, fmt="o", color=color, capsize=3, ms=5,
                        label=hue_labels[k] if hue else None)
        if thresholds and name in thresholds:
            ax.axhline(thresholds[name], color="0.3", ls="--", lw=1, label=f"threshold {pct(thresholds[name], 0)}")
        long = max((len(str(t)) for t in x_labels), default=0) > 8
        ax.set_xticks(range(len(x_order)), list(x_labels), rotation=20 if long else 0, ha="right" if long else "center")
        ax.set_xlabel(x_title)
        ylabel, panel = (labels or {}).get(name, (outcome_label(name), outcome_title(name)))
        ax.set_ylabel(ylabel)
        ax.set_title(panel, loc="left", fontsize=10)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, title=hue_title, loc="upper center", ncol=len(handles) if len(handles) <= 3 else 2,
                   bbox_to_anchor=(0.5, 0.0), fontsize=9, title_fontsize=9)
    fig.suptitle(title, x=0.01, ha="left")
    fig.text(0.99, 0.995, "points: mean over seeds; whiskers: bootstrap 95% CI", fontsize=8, color="0.35",
             ha="right", va="top")
    fig.tight_layout()
    return save_figure(fig, stem)
