"""What ``--version`` prints, the same for every recruitsim command.

A bug report or a result is only reproducible with the versions that made it:
recruitsim's own, and those of the libraries that shape a run (Hydra composes
the config, Mesa runs the model) and of Python. The versions are read from
the installed distributions' metadata, without importing Hydra or Mesa, so
``--version`` answers at once.
"""

from __future__ import annotations

import argparse
import platform
from importlib import metadata

#: Distributions named by ``--version`` after recruitsim itself, as (shown name, distribution).
LIBRARIES = (("Hydra", "hydra-core"), ("Mesa", "mesa"))


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def version_text(prog: str = "recruitsim") -> str:
    """One line, e.g. ``recruitsim-collect (recruitsim 0.1.0); Hydra 1.3.8, Mesa 3.5.1, Python 3.13.1``.

    Args:
        prog: the command asking; named first when it is not ``recruitsim`` itself.
    """
    who = f"recruitsim {_version('recruitsim')}"
    if prog != "recruitsim":
        who = f"{prog} ({who})"
    libraries = ", ".join(f"{name} {_version(dist)}" for name, dist in LIBRARIES)
    return f"{who}; {libraries}, Python {platform.python_version()}"


class VersionAction(argparse.Action):
    """``--version`` for argparse commands: :func:`version_text` on one line, then exit 0.

    argparse's own ``action="version"`` wraps the text at the terminal's
    width, which splits the line a bug report would quote.
    """

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS,
                 help: str = "show the versions of recruitsim, Hydra, Mesa and Python, then exit") -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        print(version_text(parser.prog), flush=True)
        parser.exit()


def add_version_option(parser: argparse.ArgumentParser) -> None:
    """Give ``parser`` the ``--version`` every recruitsim command has."""
    parser.add_argument("--version", action=VersionAction)
