"""The console commands, thin: each parses its command line and calls the layers below.

* ``recruitsim``: :mod:`sim.commands.run` (one run, or a Hydra sweep with ``-m``);
* ``recruitsim-collect``: :mod:`sim.commands.collect`;
* ``recruitsim-plot``: :mod:`sim.commands.plot`;
* ``recruitsim-scenarios``: :mod:`sim.commands.scenarios`;
* ``recruitsim-app``: :mod:`sim.app` (the classroom app has its own launcher).

The experiments and analyses (``recruitsim-experiment``, ``-calibrate``,
``-sensitivity``, ``-discover``) live in the ``experiments`` package.
"""
