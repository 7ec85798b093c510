"""The one exception of :mod:`sim.plots`: a problem with its input that the user can fix.

It has a module of its own because every part of the package raises it
(reading the tables, checking outcome names and file formats) and the
``recruitsim-plot`` command turns it into a one-line message and exit status 2.
"""

from __future__ import annotations


class PlotError(Exception):
    """A problem with the input the user can fix; ``str()`` is the message."""
