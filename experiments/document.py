"""What the analysis commands (calibration, sensitivity, discovery) share besides their report.

Their options (``--jobs``, ``--scheduler``, ``--quick``, ``--out``), where
they write, the command line as typed for the report's provenance, how a
batch's faults end the command (Ctrl-C or SIGTERM, a store that cannot be written),
and figure saving. Their ``report.md`` is :class:`experiments.report.Document`,
beside the named experiments' :class:`experiments.report.Report`: both are
the same idea (a Markdown report with a provenance block), while these
analyses run their points through the run-many engine (:mod:`experiments.batch`)
rather than as a Hydra sweep, which is what this module is about.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Callable, Iterator, Sequence

#: Where analyses write unless ``--out`` says otherwise: ``results/<name>/`` (``results/quick/<name>/``
#: for ``--quick``) under the current directory, never beside the installed code (which may be
#: read-only, or a checkout whose committed results a test run must not overwrite). Relative, so
#: it is resolved against the working directory when the files are written.
RESULTS = Path("results")


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1 (else a usage error, exit status 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def analysis_options(parser: argparse.ArgumentParser, name: str) -> None:
    """The options every analysis command shares: ``--jobs``, ``--scheduler``, ``--quick``, ``--out``, ``--version``.

    The same names, meanings and checks as ``recruitsim-experiment``'s, so
    that a user learns them once.
    """
    from sim.commands.version import add_version_option

    parser.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                        help="worker processes (default: all cores)")
    scheduler_option(parser)
    parser.add_argument("--quick", action="store_true",
                        help=f"a tiny version for tests, into ./results/quick/{name}/; its numbers mean nothing")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help=f"output folder (default: ./results/{name}/ under the current directory)")
    add_version_option(parser)


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
    """``--out`` if given, else ./results/<name>/ (./results/quick/<name>/ with ``--quick``)."""
    return args.out or default_output_dir(name, quick=args.quick)


def default_output_dir(name: str, quick: bool = False) -> Path:
    """``results/<name>/`` (``results/quick/<name>/`` when quick), relative to the current directory."""
    return RESULTS / "quick" / name if quick else RESULTS / name


def command_line(prog: str, argv: Sequence[str] | None) -> str:
    """The command as the user typed it, for the report's provenance."""
    return " ".join([prog, *(argv if argv is not None else sys.argv[1:])])


def scheduler_option(parser: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS``: run on a Dask cluster (see :func:`use_scheduler`)."""
    from sim.runs.engine import SCHEDULER_ENV

    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="send the runs to a running Dask cluster, e.g. tcp://10.0.0.5:8786 (default: "
                             f"${SCHEDULER_ENV} if set, else local worker processes); its workers must "
                             "import the same recruitsim (README, Clusters)")


@contextlib.contextmanager
def use_scheduler(address: str | None) -> Iterator[None]:
    """Make ``--scheduler ADDRESS`` the scheduler of every batch of runs inside the block.

    It sets :data:`sim.runs.engine.SCHEDULER_ENV` for the block, which the
    engine reads when a batch names no scheduler, so the analyses need not
    pass the address down through every stage.
    """
    from sim.runs.engine import SCHEDULER_ENV

    before = os.environ.get(SCHEDULER_ENV)
    if address:
        os.environ[SCHEDULER_ENV] = address
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SCHEDULER_ENV, None)
        else:
            os.environ[SCHEDULER_ENV] = before


def run_resumably(say: Callable[[str], None], work: Callable[[], object], scheduler: str | None = None) -> int:
    """Run ``work`` (on the Dask cluster at ``scheduler`` if given); turn what can stop it into an exit status.

    0 done; 130 Ctrl-C, 143 SIGTERM (a scheduler, ``timeout``; handled like
    Ctrl-C, :mod:`sim.commands.signals`: the worker processes end, rerun to
    resume: finished runs are in the store); 2 a store folder that cannot be
    written or a Dask scheduler that cannot be reached (nothing ran); 1 a
    full disk while writing runs, or runs the analysis cannot do without that
    failed (rerun to retry them).
    """
    from experiments.batch import RunsFailed
    from sim.commands import signals
    from sim.runs.engine import SchedulerError, StoreWriteError, failure_lines
    from sim.runs.store import StoreNotWritable

    signals.install()
    try:
        with use_scheduler(scheduler):
            work()
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM
        say(f"{signals.how(exc)}; rerun the same command to resume (finished runs are kept)")
        return signals.exit_status(exc)
    except (StoreNotWritable, SchedulerError) as exc:
        say(str(exc))
        return 2
    except StoreWriteError as exc:
        say("\n".join([str(exc), f"{len(exc.failed)} failed runs:", *failure_lines(exc.failed)]))
        return 1
    except RunsFailed as exc:
        say(f"{exc}; rerun the same command to retry them (finished runs are kept)")
        return 1
    return 0
