"""``report.md`` and the tables beside it: numbers in words, Markdown tables, CSV files.

Two kinds of report share one idea, a Markdown file written atomically with
a closing block "How these numbers were made":

* :class:`Report`: a named experiment's report (``recruitsim-experiment``),
  whose provenance is a Hydra sweep (:class:`experiments.context.Context`):
  the runs analysed, their seeds, how the confidence intervals were made;
* :class:`Document`: an analysis's report (calibration, sensitivity,
  discovery), whose runs are made in-process, so its provenance is the
  command, how long it took and the commit.

A report of a ``--quick`` run says in its title and first line that its
numbers mean nothing, and nothing in it is bold: bold marks verdicts and
answers, and a quick run has none worth stating.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from experiments.statistics import BOOT_SEED, N_BOOT

if TYPE_CHECKING:
    import pandas as pd

    from experiments.context import Context

#: Added to the title of a ``--quick`` run's report.
QUICK_TITLE = "quick run: numbers mean nothing"
#: The first line of a ``--quick`` run's report.
QUICK_LINE = "This is a `--quick` run on a tiny world to test the pipeline; its numbers mean nothing."
#: Heading of the closing provenance block of every report.
PROVENANCE = "How these numbers were made"

_BOLD = re.compile(r"\*\*(.+?)\*\*")


# --------------------------------------------------------------------------- numbers in words


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


# --------------------------------------------------------------------------- tables


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


# --------------------------------------------------------------------------- report.md


class MarkdownReport:
    """A ``report.md`` under ``out_dir``: a title, the body, then the provenance block.

    Subclasses add the body (``self.lines``) and say what the provenance is.
    """

    def __init__(self, out_dir: Path, title: str, quick: bool = False):
        self.out_dir = Path(out_dir)
        self.title = title
        self.quick = quick
        self.lines: list[str] = []

    def render(self, provenance: Sequence[str]) -> str:
        """The whole file: title (and, for a quick run, its warning), body, provenance block."""
        head = [f"# {self.title}" + (f" ({QUICK_TITLE})" if self.quick else ""), ""]
        body = list(self.lines)
        if self.quick:
            head += [QUICK_LINE, ""]
            body = [_BOLD.sub(r"\1", line) for line in body]
        lines = [*head, *body, f"## {PROVENANCE}", "", *provenance]
        return "\n".join(lines).rstrip() + "\n"

    def write_file(self, provenance: Sequence[str]) -> Path:
        """Write :meth:`render` to ``out_dir/report.md`` atomically; returns the path."""
        from sim.runs.files import atomic_open

        path = self.out_dir / "report.md"
        with atomic_open(path, "w") as f:
            f.write(self.render(provenance))
        return path


def code_line() -> list[str]:
    """``- Code: commit `abc...` `` (with uncommitted changes, if any); empty outside a git checkout."""
    from sim.runs.files import git_state

    git = git_state()
    if not git.get("commit"):
        return []
    dirty = " with uncommitted changes" if git.get("dirty") else ""
    return [f"- Code: commit `{git['commit'][:12]}`{dirty}"]


class Report(MarkdownReport):
    """A named experiment's ``report.md``, built section by section; :meth:`write` adds the provenance block."""

    def __init__(self, ctx: Context, title: str, question: str):
        super().__init__(ctx.out_dir, f"Experiment `{ctx.name}`: {title}", quick=ctx.quick)
        self.ctx = ctx
        self.lines = [question.strip(), ""]

    def section(self, heading: str, *paragraphs: str) -> None:
        """A ``##`` section; paragraphs starting with ``- `` in a row form one list."""
        self.lines += [f"## {heading}", ""]
        self.add(*paragraphs)

    def add(self, *paragraphs: str) -> None:
        """Paragraphs; those starting with ``- `` in a row form one list."""
        for i, p in enumerate(paragraphs):
            in_list = p.startswith("- ") and i + 1 < len(paragraphs) and paragraphs[i + 1].startswith("- ")
            self.lines += [p.rstrip()] if in_list else [p.rstrip(), ""]

    def figure(self, stem: str, caption: str) -> None:
        """An image link to ``figures/<stem>.png`` (SVG beside it) with a caption."""
        self.lines += [f"![{caption}](figures/{stem}.png)", "", f"*{caption}* ([SVG](figures/{stem}.svg))", ""]

    def write(self, runs: pd.DataFrame) -> Path:
        """Write ``report.md`` with the provenance of ``runs`` (the completed runs analysed)."""
        return self.write_file(self.provenance(runs))

    def provenance(self, runs: pd.DataFrame) -> list[str]:
        """Command, sweep, runs, seeds, how CIs were made, run times, commit and failed runs."""
        ctx = self.ctx
        n = len(runs)
        seeds = sorted(int(s) for s in runs["seed"].unique()) if n else []
        months = sorted(int(m) for m in runs["run.steps"].unique()) if n and "run.steps" in runs else []
        lines = [f"- Command: `{ctx.command}`",
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
        lines += code_line()
        if ctx.failed:
            lines += ["", "Failed runs:", ""]
            lines += [f"- run `{r.get('run_id')}` seed {r.get('seed')}: {r.get('error')}" for r in ctx.failed]
        return lines


class Document(MarkdownReport):
    """An analysis's ``report.md`` (calibration, sensitivity, discovery), written atomically to ``out_dir``."""

    def __init__(self, out_dir: Path, title: str):
        super().__init__(out_dir, title)

    def heading(self, text: str, level: int = 2) -> None:
        self.lines += ["#" * level + " " + text, ""]

    def para(self, *paragraphs: str) -> None:
        for p in paragraphs:
            self.lines += [p.rstrip(), ""]

    def figure(self, path: Path, caption: str) -> None:
        """An image link to a PNG under ``out_dir`` (its SVG beside it) with a caption."""
        rel = Path(path).relative_to(self.out_dir).with_suffix("")
        self.lines += [f"![{caption}]({rel}.png)", "", f"*{caption}* ([SVG]({rel}.svg))", ""]

    def write(self, *, command: str, seconds: float, quick: bool = False, also: str = "") -> Path:
        """Add the provenance block (command, time, commit) and write the file; ``also`` follows the time (e.g.
        what a resumed command's runs cost before it)."""
        self.quick = quick
        return self.write_file([f"- Command: `{command}` ({seconds / 60:.1f} min on this machine{also})",
                                *code_line()])


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
