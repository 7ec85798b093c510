"""SIGTERM ends a long command the way Ctrl-C does: one line saying what is kept, no worker left behind.

A cluster scheduler (SLURM's ``scancel``, a job's time limit), ``timeout``
and ``kill`` stop a process with SIGTERM, whose default action ends Python
at once: no ``finally`` block runs, so worker processes go on computing for
minutes and the user is told nothing. :func:`install` makes SIGTERM raise
:class:`Terminated` in the main thread instead. It is a
:class:`KeyboardInterrupt`, so every place that already handles Ctrl-C
(ending worker pools, keeping finished runs, the command's message) handles
SIGTERM the same way, and :func:`exit_status` tells the two apart for the
exit status, as shells do: 128 + the signal's number (130 for Ctrl-C, 143 for
SIGTERM).

Every long command installs it first thing: ``recruitsim`` (one run and
sweeps), ``recruitsim-experiment``, ``-calibrate``, ``-sensitivity``,
``-discover`` and ``-collect``.
"""

from __future__ import annotations

import signal
import sys
import threading

#: Exit status after Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 128 + signal.SIGINT
#: Exit status after SIGTERM (128 + SIGTERM).
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM (raised in the main thread by :func:`install`'s handler)."""


def _raise_terminated(signum: int, frame: object) -> None:
    # a second SIGTERM while the command cleans up ends it at once (the default action)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Terminated(signum)


def install() -> None:
    """From now on SIGTERM raises :class:`Terminated` in the main thread (once; a second one kills).

    Does nothing outside the main thread, where Python cannot set signal handlers.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


def exit_status(exc: BaseException) -> int:
    """143 for SIGTERM (:class:`Terminated`), 130 for Ctrl-C."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def how(exc: BaseException) -> str:
    """``"stopped by SIGTERM"`` or ``"interrupted"`` (Ctrl-C), for a command's message."""
    return "stopped by SIGTERM" if isinstance(exc, Terminated) else "interrupted"


def stopped(prog: str, exc: BaseException, what_next: str) -> int:
    """Print the one line of a command stopped by ``exc`` to stderr; return the exit status.

    Args:
        prog: the command's name, e.g. ``"recruitsim"``.
        exc: the :class:`KeyboardInterrupt` (or :class:`Terminated`) that stopped it.
        what_next: what is kept and how to resume, e.g. ``"completed runs are kept; run the
            same command again to resume"``.
    """
    # after Ctrl-C the terminal shows ^C on the current line: start a new one
    lead = "" if isinstance(exc, Terminated) else "\n"
    print(f"{lead}{prog}: {how(exc)}; {what_next}", file=sys.stderr, flush=True)
    return exit_status(exc)
