"""The ``recruitsim-collect`` command: a sweep's results store as two tables (:mod:`sim.runs.collect`).

Exit status: 0 collected; 2 SWEEP is not a folder; 1 nothing to collect or
collecting failed (damaged files are named); 130 Ctrl-C; 143 SIGTERM.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from sim.commands import signals
from sim.commands.version import add_version_option
from sim.runs.collect import CollectError, collect

#: Exit status of a command line the command cannot act on (here: SWEEP is not a folder).
EXIT_USAGE = 2
#: Exit status when there is nothing to collect or collecting failed.
EXIT_FAILED = 1


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``recruitsim-collect``."""
    parser = argparse.ArgumentParser(
        prog="recruitsim-collect",
        description="Gather the results store of a sweep (recruitsim -m ...) into tidy tables: "
                    "runs.parquet (one row per run: seed, status, group choices, every config key, "
                    "summary outcomes) and timeseries.parquet (one row per run and month), each "
                    "with a CSV copy for spreadsheets.",
        epilog="Example: recruitsim-collect multirun/2026-01-31_12-00-00  "
               "(reads its store/ folder, writes its collected/ folder)")
    parser.add_argument("sweep_dir", metavar="SWEEP", help="the sweep directory (hydra.sweep.dir)")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="where to write the tables (default: SWEEP/collected)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    add_version_option(parser)
    args = parser.parse_args(argv)
    if not Path(args.sweep_dir).is_dir():
        print(f"recruitsim-collect: no folder {args.sweep_dir}; give a sweep directory "
              "(the hydra.sweep.dir of a recruitsim -m command)", file=sys.stderr)
        return EXIT_USAGE
    signals.install()  # SIGTERM as Ctrl-C: one line, exit 143
    try:
        done = collect(args.sweep_dir, args.out, progress=not args.quiet)
    except CollectError as exc:
        print(f"recruitsim-collect: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:  # each table is written whole or not at all; the store is only read
        return signals.stopped("recruitsim-collect", exc, "the store is unchanged and no table is half-written; "
                                                          "run the same command again to collect")
    folder = Path(done["files"][0]).parent
    line = (f"recruitsim-collect: {done['runs']} runs ({done['completed']} completed, "
            f"{done['failed']} failed), {done['timeseries_rows']} timeseries rows -> {folder}/")
    print(line)
    print("  " + ", ".join(Path(f).name for f in done["files"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
