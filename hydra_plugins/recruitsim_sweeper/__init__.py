"""recruitsim's Hydra sweeper (Hydra accepts sweepers only from the ``hydra_plugins`` namespace).

Chosen in ``configs/config.yaml`` (``configs/hydra/sweeper/recruitsim.yaml``).
"""

from __future__ import annotations

from typing import Sequence

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper


class PrevalidatedSweeper(BasicSweeper):
    """Hydra's basic sweeper, composing only the first job of a batch before launching it.

    The basic sweeper composes every job's config in the command's process
    before the first job starts, and then each job composes its own again:
    about 75 ms a job on the development machine, one after the other, i.e.
    12 minutes before a 10,000-job sweep starts. ``recruitsim -m`` has
    already checked every swept value (``sim.config.precheck``), so this
    sweeper composes one job of each batch, as a sanity check, and leaves the
    rest to the jobs. Everything else (the grid, ``hydra.sweeper.params``,
    ``max_batch_size``) is the basic sweeper's.
    """

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        super().validate_batch_is_legal(batch[:1])
