"""The ``recruitsim-plot`` command: figures of a collected sweep (:mod:`sim.plots`)."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from sim.commands.version import add_version_option
from sim.plots import (
    DEFAULT_FORMATS,
    DEFAULT_MAX_LINES,
    DEFAULT_OUTCOMES,
    FORMATS,
    PlotError,
    check_formats,
    plot_sweep,
)

#: Exit status of a usage error (bad option, unknown outcome or format, no collected tables).
EXIT_USAGE = 2

DESCRIPTION = """\
Draw figures from a collected sweep (recruitsim-collect SWEEP writes SWEEP/collected/):
  - time series with 95% confidence bands across seeds, one line per regime;
  - outcome-vs-lever curves when a numeric lever varies;
  - heatmaps when two numeric levers vary.
Bands stay within what an outcome can be (shares within 0 and 1, fees and counts
at or above 0); a figure drawn from fewer than 5 seeds says so in its title."""

EPILOG = """\
A regime is a combination of the varied group options (e.g. policy=...) and varied
levers (e.g. policy.fine), seeds aside.

Example:
  recruitsim-plot results/claim/runs/collected --outcomes certified_share,mean_fee_months --out figures"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recruitsim-plot", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("collected", metavar="COLLECTED_DIR",
                        help="SWEEP/collected (holding runs.parquet and timeseries.parquet), or SWEEP itself")
    parser.add_argument("--outcomes", default=",".join(DEFAULT_OUTCOMES),
                        help="comma-separated outcome names (sim/model/outcomes.py); default: %(default)s")
    parser.add_argument("--out", default=None,
                        help="output folder (default: SWEEP/figures, next to collected/)")
    parser.add_argument("--format", default=",".join(DEFAULT_FORMATS),
                        help=f"comma-separated file formats among {', '.join(FORMATS)}; default: %(default)s")
    parser.add_argument("--max-lines", type=int, default=DEFAULT_MAX_LINES,
                        help="skip time series and curves with more lines than this; default: %(default)s")
    parser.add_argument("--smooth", type=int, default=1, metavar="MONTHS",
                        help="rolling mean over MONTHS applied to each run's time series; default: 1 (none)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    add_version_option(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point of ``recruitsim-plot``. Exit status 2 for bad input, 0 on success."""
    args = _parser().parse_args(argv)
    outcomes = [o.strip() for o in args.outcomes.split(",") if o.strip()]
    formats = [f.strip().lower().lstrip(".") for f in args.format.split(",") if f.strip()]
    try:
        check_formats(formats)
        if args.smooth < 1 or args.max_lines < 1:
            raise PlotError("--smooth and --max-lines must be at least 1")
        plot_sweep(args.collected, outcomes, args.out, formats, max_lines=args.max_lines,
                   smooth=args.smooth, quiet=args.quiet)
    except PlotError as exc:
        print(f"recruitsim-plot: {exc}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
