"""What the analysis commands (calibration, sensitivity, discovery) share besides their report.

Their options (``--jobs``, ``--quick``, ``--out``), where they write, the
command line as typed for the report's provenance, Ctrl-C handling, and
figure saving. Their ``report.md`` is :class:`experiments.report.Document`,
beside the named experiments' :class:`experiments.report.Report`: both are
the same idea (a Markdown report with a provenance block), while these
analyses run their points in-process (:mod:`experiments.batch`) rather than
as a Hydra sweep, which is what this module is about.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Sequence

#: Where analyses write: results/<name>/ (results/quick/<name>/ for --quick).
RESULTS = Path(__file__).resolve().parents[1] / "results"


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
