"""``report.md`` of an analysis (calibration, sensitivity, discovery), section by section.

The named experiments' :class:`experiments.common.Report` is tied to a Hydra
sweep; the analyses here run their points in-process
(:mod:`experiments.batch`), so their reports say instead which command made
them, how long it took and from which commit.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Sequence

#: Where analyses write: results/<name>/ (results/quick/<name>/ for --quick).
RESULTS = Path(__file__).resolve().parents[1] / "results"


class Document:
    """A markdown report written atomically to ``out_dir/report.md``."""

    def __init__(self, out_dir: Path, title: str):
        self.out_dir = Path(out_dir)
        self.lines = [f"# {title}", ""]

    def heading(self, text: str, level: int = 2) -> None:
        self.lines += ["#" * level + " " + text, ""]

    def para(self, *paragraphs: str) -> None:
        for p in paragraphs:
            self.lines += [p.rstrip(), ""]

    def figure(self, path: Path, caption: str) -> None:
        """An image link to a PNG under ``out_dir`` (its SVG beside it) with a caption."""
        rel = Path(path).relative_to(self.out_dir).with_suffix("")
        self.lines += [f"![{caption}]({rel}.png)", "", f"*{caption}* ([SVG]({rel}.svg))", ""]

    def write(self, *, command: str, seconds: float, quick: bool = False) -> Path:
        """Add the provenance block (command, time, commit) and write the file."""
        from sim.runs.files import atomic_open, git_state

        lines = list(self.lines) + ["## How these numbers were made", ""]
        if quick:
            lines += ["**Quick version** (`--quick`): a tiny world and few runs, for tests only; "
                      "the numbers mean nothing.", ""]
        lines.append(f"- Command: `{command}` ({seconds / 60:.1f} min on this machine)")
        git = git_state()
        if git.get("commit"):
            dirty = " with uncommitted changes" if git.get("dirty") else ""
            lines.append(f"- Code: commit `{git['commit'][:12]}`{dirty}")
        path = self.out_dir / "report.md"
        with atomic_open(path, "w") as f:
            f.write("\n".join(lines).rstrip() + "\n")
        return path


def analysis_options(parser, name: str) -> None:
    """The options every analysis command shares: ``--jobs``, ``--quick`` and ``--out``."""
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a tiny version for tests, into results/quick/{name}")
    parser.add_argument("--out", type=Path, default=None, help=f"output directory (default results/{name})")


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (analyses run without a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_and_close(fig, stem: Path) -> None:
    """Lay out ``fig``, write it as PNG and SVG at ``stem`` and free it."""
    from sim.plots import save_figure

    fig.tight_layout()
    save_figure(fig, stem)
    pyplot().close(fig)


def output_dir(args, name: str) -> Path:
    """``--out`` if given, else results/<name>/ (results/quick/<name>/ with ``--quick``)."""
    return args.out or (RESULTS / ("quick/" + name if args.quick else name))


def command_line(prog: str, argv: Sequence[str] | None) -> str:
    """The command as the user typed it, for the report's provenance."""
    return " ".join([prog, *(argv if argv is not None else sys.argv[1:])])


def run_resumably(say: Callable[[str], None], work: Callable[[], object]) -> int:
    """Run ``work``; on Ctrl-C say how to resume (finished runs are cached) and return 130, else 0."""
    try:
        work()
    except KeyboardInterrupt:
        say("interrupted; rerun the same command to resume (finished runs are kept)")
        return 130
    return 0
