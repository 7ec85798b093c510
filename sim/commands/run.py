"""The ``recruitsim`` command: Hydra composes the config, one run writes its files.

``main()`` is the console entry point. Before handing over to Hydra it
composes the config itself (Hydra's compose API) and validates it, so that a
mistyped key, a wrong type, an unknown option or an out-of-range value stops
the command with a short message and exit status 2, before Hydra creates any
output directory. For a sweep (``-m``) it checks every value of every swept
key the same way, before the first job starts.

The Hydra task is a thin wrapper around :func:`run_from_config`, a plain
function that tests and notebooks call directly. Heavy modules (the model,
Mesa, pandas) are imported only when a run starts, so ``recruitsim --help``
and configuration errors answer quickly.

In a sweep, each job runs through :func:`sim.runs.sweep.run_job`: results go into
the sweep's store (:mod:`sim.runs.store`), a run that raises is recorded as failed
and the others go on, runs already completed in the same sweep directory are
skipped, and the command lists every failed run at the end.

``recruitsim --version`` prints the versions of recruitsim, Hydra, Mesa and
Python, and a launcher whose optional extra is not installed
(``hydra/launcher=slurm`` without the extra ``cluster``) is refused with the
``pip install`` to run; both before Hydra reads anything.

Exit status: 0 success; 2 invalid configuration, or a launcher whose extra is
missing; 1 a sweep with failed runs, or anything else (including Hydra's own
errors when Hydra flags such as ``--cfg`` are used).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, Sequence

import hydra
from omegaconf import DictConfig

from sim.commands.version import version_text
from sim.config import (
    CONFIG_DIR,
    CONFIG_NAME,
    ConfigError,
    InvalidConfig,
    RecruitsimConfig,
    check_config,
    explain,
    precheck,
    register_configs,
)
from sim.config.checks import replications_message
from sim.runs.simulate import run_from_config

#: Exit status of a configuration the command refuses.
EXIT_BAD_CONFIG = 2
#: Exit status of a sweep in which some run failed (the others completed).
EXIT_RUN_FAILED = 1


#: Outcomes shown after a run, in this order (all of them are in summary.json).
HEADLINE = ("placements", "mean_fee_months", "indebted_share", "debt_bondage_share",
            "mean_payback_months", "certified_share")

#: Launchers that come with an optional extra: option of hydra/launcher -> (extra, plugin module).
EXTRA_LAUNCHERS = {
    "slurm": ("cluster", "hydra_plugins.hydra_submitit_launcher"),
    "slurm_local": ("cluster", "hydra_plugins.hydra_submitit_launcher"),
    "submitit_local": ("cluster", "hydra_plugins.hydra_submitit_launcher"),
    "submitit_slurm": ("cluster", "hydra_plugins.hydra_submitit_launcher"),
    "ray": ("ray", "hydra_plugins.hydra_ray_launcher"),
}


# --------------------------------------------------------------------------- running


def format_summary(config: RecruitsimConfig, result: Any, out_dir: Path) -> str:
    """The few lines printed after a run: what ran, the headline outcomes, where the files are.

    An outcome a run leaves undefined (a mean fee when nobody was placed, any
    outcome of a run of no months) is shown as ``n/a`` with the reason, so
    that a world too small to place anyone is not read as a model result.
    """
    from sim.model.outcomes import OUTCOME_UNITS

    lines = [f"recruitsim: scenario {config.scenario_name}, seed {config.seed}, "
             f"{config.run.steps} months in {result.wall_seconds:.1f} s"]
    why = _why_undefined(config, result)
    if why:
        lines.append(f"  {why}")
    for name in HEADLINE:
        if name in result.summary:
            value = result.summary[name]
            shown = f"{value:10.3f}" if _is_number(value) else f"{'n/a':>10}"
            lines.append(f"  {name:<20}{shown}  {OUTCOME_UNITS.get(name, '')}")
    if config.run.steps > 0:
        window = result.summary.get("window_months", config.run.summary_window_months)
        lines.append(f"  (means over the last {window:g} months; n/a: undefined in them; "
                     "every outcome is in summary.json)")
    lines.append(f"Output: {_display_path(out_dir)}")
    return "\n".join(lines)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # NaN != NaN


def _why_undefined(config: RecruitsimConfig, result: Any) -> str | None:
    """Why the run's outcomes are n/a: no month simulated, or nobody placed (with the settings to blame)."""
    if config.run.steps < 1:
        return "n/a (no months simulated): run.steps=0; give run.steps=1 or more"
    timeseries = result.timeseries
    if "placements" not in timeseries or float(timeseries["placements"].sum()) > 0:
        return None
    market, policy = config.market, config.policy
    causes = [f"market.{key}=0" for key in ("n_workers", "n_employers", "jobs_per_employer")
              if getattr(market, key) == 0]
    if market.n_recruiters == 0 and policy.public_capacity == 0:
        causes.append("market.n_recruiters=0 and policy.public_capacity=0")
    because = ": " + ", ".join(causes) if causes else ""
    return (f"no worker was placed in the run{because}; outcomes of placed workers are n/a")


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name=CONFIG_NAME)
def _hydra_task(cfg: DictConfig) -> Any:
    """One Hydra job: validate (again: sweeps compose each job), run, write, report.

    In a sweep the job is :func:`sim.runs.sweep.run_job`: its runs go into the
    sweep's store, a run that raises is recorded as failed and the job goes on.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    choices = {k: v for k, v in hc.runtime.choices.items() if not k.startswith("hydra")}
    if hc.mode == RunMode.MULTIRUN:
        from sim.runs.sweep import job_label, run_job

        overrides = list(hc.overrides.task)
        return run_job(cfg, sweep_dir=hc.sweep.dir, job_dir=out_dir, overrides=overrides,
                       choices=choices, job_label=job_label(hc.job.num, overrides))
    try:
        config = check_config(cfg)
        if config.run.replications != 1:
            raise InvalidConfig(replications_message(config.run.replications, list(hc.overrides.task)))
    except ConfigError as exc:
        print(explain(exc, list(hc.overrides.task)), file=sys.stderr)
        sys.exit(EXIT_BAD_CONFIG)
    except InvalidConfig as exc:
        print(exc, file=sys.stderr)
        sys.exit(EXIT_BAD_CONFIG)
    extra = {"command": {"overrides": list(hc.overrides.task), "choices": choices}}
    result = run_from_config(config, out_dir, extra_metadata=extra)
    print(format_summary(config, result, out_dir))
    return None


#: Flags after which Hydra does not run the task, or runs it in a way we leave to Hydra.
_MULTIRUN_FLAGS = ("-m", "--multirun")


def missing_launcher(args: Sequence[str]) -> str | None:
    """The message for a ``hydra/launcher=NAME`` among ``args`` whose optional extra is not installed.

    Hydra would otherwise fail deep in its plugin loader ("Unknown plugin
    class") after composing everything; the user needs the ``pip install``.
    """
    for arg in args:
        key, _, option = arg.lstrip("+~").partition("=")
        if key != "hydra/launcher" or option not in EXTRA_LAUNCHERS:
            continue
        extra, module = EXTRA_LAUNCHERS[option]
        if importlib.util.find_spec(module) is None:
            return (f"recruitsim: hydra/launcher={option} needs the optional extra '{extra}': "
                    f"pip install -e '.[{extra}]'")
    return None


def main() -> None:
    """Console entry point of ``recruitsim`` (see ``recruitsim --help``)."""
    args = sys.argv[1:]
    if "--version" in args:
        print(version_text())
        sys.exit(0)
    if not (CONFIG_DIR / f"{CONFIG_NAME}.yaml").is_file():
        print(f"recruitsim: cannot find {CONFIG_DIR}/{CONFIG_NAME}.yaml; install the package "
              "from a checkout with `pip install -e .` (or run `bash dev.sh run`)", file=sys.stderr)
        sys.exit(1)
    message = missing_launcher(args)
    if message:
        print(message, file=sys.stderr)
        sys.exit(EXIT_BAD_CONFIG)
    register_configs()
    flags = [a for a in args if a.startswith("-")]
    overrides = [a for a in args if not a.startswith("-")]
    multirun = bool(flags) and all(f in _MULTIRUN_FLAGS for f in flags)
    if not flags or multirun:
        try:
            precheck(overrides, multirun=multirun)
        except InvalidConfig as exc:
            print(exc, file=sys.stderr)
            sys.exit(EXIT_BAD_CONFIG)
    try:
        _hydra_task()
    except KeyboardInterrupt:
        hint = "; run the same command again (same hydra.sweep.dir) to resume" if multirun else ""
        print(f"\nrecruitsim: interrupted{hint}; completed runs are kept", file=sys.stderr)
        sys.exit(130)
    if multirun:
        from sim.runs import sweep

        if sweep.LAST_REPORT is not None and sweep.LAST_REPORT.failed:
            sys.exit(EXIT_RUN_FAILED)


if __name__ == "__main__":
    main()
