"""The ``recruitsim-scenarios`` command: list the scenarios, or show one's classroom notes.

Usage::

    recruitsim-scenarios                 one line per scenario
    recruitsim-scenarios NAME            the scenario's notes in full
    recruitsim-scenarios --paths         with each file's path
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from sim.commands.version import add_version_option
from sim.config.scenarios import SECTIONS, all_scenarios, read

# --------------------------------------------------------------------------- the command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recruitsim-scenarios",
        description="List the scenarios of configs/scenario/ with one line each, or show one "
                    "scenario's classroom notes (what it is, a question, how it works, what to "
                    "notice, commands to try).",
        epilog="Run a scenario: recruitsim scenario=NAME   |   in the browser: recruitsim-app",
    )
    parser.add_argument("name", nargs="?", help="a scenario to show in full")
    parser.add_argument("--paths", action="store_true", help="show each scenario's file")
    add_version_option(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``recruitsim-scenarios``."""
    args = _parser().parse_args(argv)
    if args.name:
        try:
            scenario = read(args.name)
        except KeyError as exc:
            print(f"recruitsim-scenarios: {exc.args[0]}", file=sys.stderr)
            return 2
        print(f'{scenario.name}: {scenario.summary}')
        if args.paths:
            print(f"file: {scenario.path}")
        for title in SECTIONS:
            if title in scenario.sections:
                print(f"\n{title}")
                for line in scenario.sections[title].splitlines():
                    print(f"  {line}" if line else "")
        return 0
    scenarios = all_scenarios()
    width = max((len(s.name) for s in scenarios), default=0)
    for scenario in scenarios:
        where = f"  ({scenario.path})" if args.paths else ""
        print(f"{scenario.name:<{width}}  {scenario.summary}{where}")
    print(f"\n{len(scenarios)} scenarios. Notes: recruitsim-scenarios NAME   "
          "Run: recruitsim scenario=NAME   Browser: recruitsim-app")
    return 0


if __name__ == "__main__":
    sys.exit(main())
