"""The ``recruitsim-collect`` command: a sweep's results store as two tables (:mod:`sim.runs.collect`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from sim.runs.collect import CollectError, collect


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
    args = parser.parse_args(argv)
    try:
        done = collect(args.sweep_dir, args.out, progress=not args.quiet)
    except CollectError as exc:
        print(f"recruitsim-collect: {exc}", file=sys.stderr)
        return 1
    folder = Path(done["files"][0]).parent
    line = (f"recruitsim-collect: {done['runs']} runs ({done['completed']} completed, "
            f"{done['failed']} failed), {done['timeseries_rows']} timeseries rows -> {folder}/")
    print(line)
    print("  " + ", ".join(Path(f).name for f in done["files"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
