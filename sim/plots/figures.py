"""Making and writing figures: the house style, colours, and the file formats a figure can be saved in.

Matplotlib is imported only inside functions (on the file-only Agg backend),
so ``import sim`` stays light. Figures are written atomically and without
the date of writing, so that drawing the same data twice gives the same SVG.

Formats: :data:`FORMATS` are the formats matplotlib writes *with the
metadata* :func:`save_figure` passes (:func:`savefig_metadata`). Matplotlib
lists more (``get_supported_filetypes()``), but its Pillow-based writers
(``jpg``, ``tif``, ``webp``, ``gif``, ``avif``) and the raw bitmaps (``raw``,
``rgba``) refuse any ``metadata`` argument, and ``pgf`` needs a LaTeX
installation; a test checks the list against the matplotlib installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from sim.plots.errors import PlotError

DEFAULT_FORMATS = ("png", "svg")
#: Formats :func:`save_figure` can write (see the module docstring).
FORMATS = ("eps", "pdf", "png", "ps", "svg", "svgz")


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, with the house style (light grid, no top/right spines)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "axes.spines.top": False,
                         "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
                         "legend.frameon": False, "font.size": 10, "svg.hashsalt": "recruitsim",
                         "svg.fonttype": "none"})
    return plt


def colors(n: int) -> list:
    """``n`` distinguishable colours: tab10 up to 10, else evenly spaced on viridis."""
    plt = pyplot()
    cmap = plt.get_cmap("tab10" if n <= 10 else "viridis")
    return [cmap(i) if n <= 10 else cmap(i / max(n - 1, 1)) for i in range(n)]


def savefig_metadata(fmt: str) -> dict[str, Any]:
    """The ``metadata`` passed to ``savefig`` for format ``fmt``: no date in SVG or PDF files."""
    if fmt in ("svg", "svgz"):
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return {}


def check_formats(formats: Sequence[str]) -> None:
    """Raise :class:`PlotError` naming the first format :func:`save_figure` cannot write, with the list."""
    for fmt in formats:
        if fmt not in FORMATS:
            raise PlotError(f"cannot write format '{fmt}'; formats: {', '.join(FORMATS)}")


def save_figure(fig: Any, stem: Path, formats: Sequence[str] = DEFAULT_FORMATS) -> list[Path]:
    """Write ``fig`` as ``stem.<format>`` for each format (atomically) and close it.

    Raises:
        PlotError: a format not in :data:`FORMATS` (checked before anything is written).
    """
    from sim.runs.files import atomic_write_with

    check_formats(formats)
    plt = pyplot()
    paths = []
    stem.parent.mkdir(parents=True, exist_ok=True)
    try:
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            atomic_write_with(path, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, bbox_inches="tight",
                                                                       metadata=savefig_metadata(fmt)))
            paths.append(path)
    finally:
        plt.close(fig)
    return paths
