"""The named experiments: one module per config in ``configs/experiment/``.

Each module ``experiments/<name>.py`` has ``analyse(collected, ctx)``, which
turns the collected sweep into ``results/<name>/`` (figures, summary table,
``report.md``). :mod:`experiments.run` is the ``recruitsim-experiment``
command that runs a sweep, collects it and calls the analysis;
:mod:`experiments.common` holds what the analyses share.
"""
