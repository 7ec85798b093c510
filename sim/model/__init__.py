"""The model's core: the world, its agents and their monthly submodels.

* :mod:`sim.model.model`: :class:`RecruitmentModel` builds the world and runs
  the month's stages in order;
* agents and their submodels, one idea a module: :mod:`~sim.model.workers`,
  :mod:`~sim.model.recruiters`, :mod:`~sim.model.employers`,
  :mod:`~sim.model.placement` (matching), :mod:`~sim.model.voice`
  (complaints, retaliation, ratings), :mod:`~sim.model.contracts`
  (churning, early ends), :mod:`~sim.model.certification` (the voluntary
  label and its audits), :mod:`~sim.model.regulator`,
  :mod:`~sim.model.industry` (books, exit, entry, business models);
* shared pieces: :mod:`~sim.model.choice` (random choice rules),
  :mod:`~sim.model.ledger` (every transfer of money),
  :mod:`~sim.model.outcomes` (what is measured each month).

This package imports only :mod:`sim.config` from the rest of ``sim``: never
the run machinery, the commands, the plots or the app
(``tests/test_layout.py`` checks it).
"""

from sim.model.model import RecruitmentModel

__all__ = ["RecruitmentModel"]
