"""The named experiments: one module per config in ``configs/experiment/``.

Each module ``experiments/<name>.py`` has ``analyse(collected, ctx)``, which
turns the collected sweep into ``results/<name>/`` (figures, summary table,
``report.md``). :mod:`experiments.run` is the ``recruitsim-experiment``
command that runs a sweep, collects it and calls the analysis;
the analyses share :mod:`experiments.context` (what a sweep command stands
for), :mod:`experiments.statistics` (bootstrap CIs, summaries, verdicts),
:mod:`experiments.report` (``report.md``, tables, numbers in words) and
:mod:`experiments.figures` (estimates with their CIs).
"""
