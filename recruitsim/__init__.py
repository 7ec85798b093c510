"""recruitsim: the project's name for its Python API; the code lives in the package ``sim``.

``import recruitsim`` gives the same public names as ``import sim`` (the same
objects, imported on first use, so this import stays as light as ``sim``'s)::

    from recruitsim import RecruitmentModel, build_config, simulate

``sim`` is the implementation package (``sim.model``, ``sim.config``,
``sim.runs``, ...); this one only re-exports its public API.
"""

from __future__ import annotations

from typing import Any

import sim

__version__ = sim.__version__
__all__ = list(sim.__all__)


def __getattr__(name: str) -> Any:
    """``sim``'s public name ``name``, imported on first use (PEP 562)."""
    if name not in sim.__all__:
        raise AttributeError(f"module 'recruitsim' has no attribute {name!r}")
    value = getattr(sim, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
