"""What an experiment's sweep command stands for: its runs, and what the analysis knows about them.

An experiment is a config ``configs/experiment/<name>.yaml`` (its sweep grid
in ``hydra.sweeper.params``) plus a module ``experiments/<name>.py`` with an
``analyse`` function. :mod:`experiments.run` runs the sweep, collects it and
calls ``analyse(collected, ctx)`` with a :class:`Context`. This module knows
which experiments exist (:func:`experiment_names`) and which runs a sweep
command stands for (:func:`expected_run_ids`), so that an analysis reads
exactly them even if the store holds runs of another grid.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from sim.config import CONFIG_DIR, CONFIG_NAME, EXPERIMENT_DIR


def experiment_names() -> list[str]:
    """Names of the experiments: the files of ``configs/experiment/`` that are experiment configs.

    An experiment config opens with ``# @package _global_``; other files there
    (``claim_predictions.yaml``, read by the claim's analysis) are not experiments.
    """
    return sorted(p.stem for p in EXPERIMENT_DIR.glob("*.yaml")
                  if p.read_text(encoding="utf-8").startswith("# @package _global_"))


@dataclass
class Context:
    """What an analysis needs to know about the command that produced its data.

    Attributes:
        name: the experiment.
        out_dir: ``results/<name>/`` (figures, table, report).
        sweep_dir: the sweep directory (``out_dir/runs``).
        command: the command line, as a user would type it.
        overrides: the Hydra overrides the sweep ran with (``experiment=<name>`` first).
        quick: a tiny version for tests.
        timings: seconds spent in "sweep" and "collect".
        expected: run_ids of the runs the sweep stands for (empty: unknown, keep all).
        missing: expected runs without a completed record (failed, or not run).
        left_out: completed runs in the store that are not part of this sweep.
        failed: records of failed runs (run_id, seed, error) among the expected ones.
        jobs: parallel jobs asked for (None: the launcher's default).
        analysis_started: ``time.perf_counter()`` when the analysis began (for the report).
        run_seconds: the analysed runs' simulation time, summed (from the store's records).
        run_span: seconds from the first analysed run's start to the last one's end.
        world_run_ids: with ``--worlds posterior``, the run_ids of the grid in every posterior world (they
            replace :attr:`expected`); None otherwise.
        part: the part run, for an experiment with parts (claim: main, robustness, boundary).
        worlds: the posterior worlds' parameters, in order (world i's seeds are offset by i * 1,000,000).
        design: for an experiment with its own design, ``{run_id: where the run sits in it}``.
    """

    name: str
    out_dir: Path
    sweep_dir: Path
    command: str
    overrides: list[str]
    quick: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    expected: set[str] = field(default_factory=set)
    missing: int = 0
    left_out: int = 0
    failed: list[dict] = field(default_factory=list)
    jobs: int | None = None
    analysis_started: float | None = None
    run_seconds: float = 0.0
    run_span: float | None = None
    world_run_ids: set[str] | None = None
    part: str | None = None
    worlds: list[dict] | None = None
    design: dict | None = None


def compose(overrides: Sequence[str], hydra_config: bool = False) -> Any:
    """Compose ``configs/config.yaml`` with Hydra overrides (and, if asked, the ``hydra`` node)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from sim.config import register_configs

    register_configs()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONFIG_DIR), job_name="recruitsim"):
        return hydra_compose(config_name=CONFIG_NAME, overrides=list(overrides),
                             return_hydra_config=hydra_config)


def sweep_jobs(overrides: Sequence[str]) -> list[list[str]]:
    """The override list of every job of ``recruitsim -m OVERRIDES``, as Hydra's basic sweeper makes them.

    ``hydra.sweeper.params`` of the composed config come first; command-line
    overrides of the same key replace them (Hydra's rule).
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    fixed = [o.input_line for o in parser.parse_overrides(list(overrides)) if not o.is_sweep_override()]
    params = compose(fixed, hydra_config=True).hydra.sweeper.get("params") or {}
    lines = [f"{k}={v}" for k, v in params.items()] + list(overrides)
    parsed = parser.parse_overrides(lines)
    batches = BasicSweeper.split_arguments(parsed, None)
    return [list(job) for batch in batches for job in batch]


def _is_group(key: str) -> bool:
    return "." not in key and (CONFIG_DIR / key).is_dir()


def _job_configs(overrides: Sequence[str], with_choices: bool = False):
    """Each job of ``recruitsim -m OVERRIDES``: its overrides, composed config and group choices.

    Configs are composed once per combination of group options (with
    Hydra's node when the choices are wanted); value overrides are applied
    to a copy. Yields ``(job overrides without hydra.*, DictConfig, choices)``.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf, open_dict

    parser = OverridesParser.create()
    cache: dict[tuple, Any] = {}
    for job in sweep_jobs(overrides):
        job = [o for o in job if not o.startswith(("hydra.", "hydra/"))]
        parsed = [parser.parse_override(o) for o in job]
        is_plain = [not (_is_group(o.key_or_group) or o.is_add() or o.is_delete() or o.is_force_add()
                         or o.package) for o in parsed]
        plain = [o for o, p in zip(parsed, is_plain) if p]
        structural = tuple(o.input_line for o, p in zip(parsed, is_plain) if not p)
        if structural not in cache:
            cfg = compose(structural, hydra_config=with_choices)
            choices = {}
            if with_choices:
                choices = {k: v for k, v in cfg.hydra.runtime.choices.items() if not k.startswith("hydra")}
                with open_dict(cfg):
                    cfg.pop("hydra")
            cache[structural] = (cfg, choices)
        base, choices = cache[structural]
        cfg = copy.deepcopy(base)
        for o in plain:
            OmegaConf.update(cfg, o.key_or_group, o.value(), merge=True)
        yield job, cfg, choices


def _replicated(flat: dict) -> list[dict]:
    """The runs of one job's flat config, as :func:`sim.runs.sweep.run_job` makes them.

    A job runs seeds ``seed, ..., seed + run.replications - 1``, each a run of
    its own with ``run.replications = 1`` (the same run_id however batched).
    """
    reps = int(flat.get("run.replications", 1) or 1)
    out = []
    for i in range(reps):
        one = {**flat, "seed": int(flat["seed"]) + i}
        if "run.replications" in one:
            one["run.replications"] = 1
        out.append(one)
    return out


def expected_run_ids(overrides: Sequence[str]) -> set[str]:
    """run_ids of every run of the sweep ``recruitsim -m OVERRIDES`` (replications included)."""
    from sim.config import flat_config
    from sim.runs.store import run_id

    return {run_id(one) for _, cfg, _ in _job_configs(overrides) for one in _replicated(flat_config(cfg))}


def grid_specs(overrides: Sequence[str]) -> list:
    """Every run of the sweep ``recruitsim -m OVERRIDES`` as a :class:`sim.runs.engine.RunSpec`.

    The same runs, run_ids, group choices and recorded overrides as the
    Hydra sweep's, so the run-many engine can run an experiment's grid into
    the store that the sweep would fill, and either finds the other's runs.

    Raises:
        ConfigError: a combination of the grid is invalid (naming the key).
    """
    import dataclasses

    from sim.config import check_config, flat_config
    from sim.runs.engine import RunSpec

    specs = []
    for job, cfg, choices in _job_configs(overrides, with_choices=True):
        config = check_config(cfg)
        for one in _replicated(flat_config(config)):
            run = dataclasses.replace(config.run, replications=1)
            specs.append(RunSpec(dataclasses.replace(config, seed=one["seed"], run=run), choices, tuple(job)))
    return specs
