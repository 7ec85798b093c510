"""The ``recruitsim`` command: Hydra composes the config, one run writes its files.

``main()`` is the console entry point. Before handing over to Hydra it
composes the config itself (Hydra's compose API) and validates it, so that a
mistyped key, a wrong type, an unknown option or an out-of-range value stops
the command with a short message and exit status 2, before Hydra creates any
output directory. For a sweep (``-m``) it checks every value of every swept
key the same way, before the first job starts. Every form of the command
line that runs the model is checked (no flag, ``--run``, ``--``, ``-m``);
only flags that show something and run nothing (``--cfg``, ``--help``,
``--info``, ...) go to Hydra unchecked (:func:`command_mode`). The output
folder must be writable (:func:`output_folder_problem`), also checked
before Hydra creates it.

Ctrl-C and SIGTERM (a cluster scheduler, ``timeout``) end the command with
one line saying what is kept and how to resume, exit status 130 or 143
(:mod:`sim.commands.signals`); a sweep's worker processes end with it.

The Hydra task is a thin wrapper around :func:`run_from_config`, a plain
function that tests and notebooks call directly. Heavy modules (the model,
Mesa, pandas) are imported only when a run starts, so ``recruitsim --help``
and configuration errors answer quickly.

In a sweep, each job runs through :func:`sim.runs.sweep.run_job`: results go into
the sweep's store (:mod:`sim.runs.store`), a run that raises is recorded as failed
and the others go on, runs already completed in the same sweep directory are
skipped, and the command lists every failed run at the end. With the default
launcher (``hydra_plugins/recruitsim_launcher``) a killed worker process fails
only its job's runs, which the list names.

``recruitsim --version`` prints the versions of recruitsim, Hydra, Mesa and
Python, and a launcher whose optional extra is not installed
(``hydra/launcher=slurm`` without the extra ``cluster``) is refused with the
``pip install`` to run; both before Hydra reads anything.

Exit status: 0 success; 2 invalid configuration, a launcher whose extra is
missing, flags Hydra cannot take together or an output folder that cannot be
written; 1 a sweep with failed runs or one that stopped (a full disk: the
failure list says what completed), or anything else (including Hydra's own
errors when Hydra flags such as ``--cfg`` are used); 130 Ctrl-C; 143 SIGTERM.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Sequence

import hydra
from omegaconf import DictConfig

from sim.commands import signals
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


def steady_note(config: RecruitsimConfig, summary: dict) -> str | None:
    """The one-line note printed when the summary window overlaps the burn-in, else None.

    Such a run's means mix the months before the market settles into its
    headline outcomes; the run is still valid (quick runs are), so this is a
    note, not an error, and it says how to get a steady window.
    """
    if summary.get("steady", True):
        return None
    run = config.run
    needed = run.burn_in_months + run.summary_window_months
    return (f"recruitsim: note: the {run.summary_window_months}-month summary window overlaps the "
            f"{run.burn_in_months}-month burn-in (run.steps={run.steps}), so its means are not steady-state "
            f"outcomes; give run.steps={needed} or more (or lower run.burn_in_months)")


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
    note = steady_note(config, result.summary)
    if note:
        print(note, file=sys.stderr)
    return None


#: Hydra's flags after which it shows something and runs nothing (passed to Hydra unchecked).
_SHOW_FLAGS = ("help", "hydra_help", "cfg", "info", "shell_completion")
#: Hydra's flags that pick other config files than recruitsim's (refused for a run: the pre-check
#: reads configs/ only), with what to do instead.
_OTHER_CONFIG_FLAGS = {
    "config_path": ("--config-path", "give changes as overrides (KEY=VALUE, scenario=NAME)"),
    "config_name": ("--config-name", "give changes as overrides (KEY=VALUE, scenario=NAME)"),
    "config_dir": ("--config-dir", "give changes as overrides (KEY=VALUE, scenario=NAME)"),
    "experimental_rerun": ("--experimental-rerun", "run the overrides of that run again (its "
                                                   ".hydra/overrides.yaml lists them)"),
}


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


class UsageError(Exception):
    """A command line the command refuses before Hydra sees it; ``str()`` is the message."""


def command_mode(args: Sequence[str]) -> tuple[str, list[str]]:
    """What the command line asks Hydra to do, read with Hydra's own parser, and its overrides.

    Returns ``("show", overrides)`` for ``--help``, ``--hydra-help``,
    ``--cfg``, ``--info`` and ``--shell-completion`` (nothing runs: Hydra
    answers unchecked), ``("multirun", overrides)`` for ``-m``/``--multirun``
    (or ``hydra.mode=MULTIRUN``), ``("run", overrides)`` for everything else
    that runs the model: no flag, ``--run``/``-r``, ``--``, ``--resolve`` or
    ``--package`` without ``--cfg``. Every form that runs is pre-checked the
    same way.

    Raises:
        UsageError: flags Hydra would refuse together, or flags that pick
            other config files than recruitsim's for a run.
    """
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()
    parser.prog = "recruitsim"
    parsed = parser.parse_args(list(args))  # a malformed flag: argparse's usage error, exit 2
    overrides = list(parsed.overrides or [])
    modes = [f for f, on in (("--run", parsed.run), ("--multirun", parsed.multirun), ("--cfg", parsed.cfg),
                             ("--info", parsed.info), ("--shell-completion", parsed.shell_completion)) if on]
    if len(modes) > 1:
        raise UsageError(f"recruitsim: give only one of {', '.join(modes)} (they are different ways to "
                         "run or show; see recruitsim --help)")
    if any(getattr(parsed, name) for name in _SHOW_FLAGS):
        return "show", overrides
    for name, (flag, instead) in _OTHER_CONFIG_FLAGS.items():
        if getattr(parsed, name):
            raise UsageError(f"recruitsim: {flag} is not supported for a run: recruitsim runs its own "
                             f"configs/{CONFIG_NAME}.yaml, checked before anything starts; {instead}")
    multirun = parsed.multirun or any(o.replace(" ", "") == "hydra.mode=MULTIRUN" for o in overrides)
    return ("multirun" if multirun else "run"), overrides


def output_folder_problem(overrides: Sequence[str], multirun: bool) -> str | None:
    """Why the run's or sweep's output folder cannot be written, or None; checked before Hydra creates it.

    The folder is ``hydra.run.dir`` / ``hydra.sweep.dir`` if given (up to
    its first interpolation, e.g. a date), else ``outputs/`` / ``multirun/``.
    It is not created: a file is written and removed in its nearest
    existing folder, the only reliable test (root passes ``os.access`` even
    on a read-only mount).
    """
    import tempfile

    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    folder = "multirun" if multirun else "outputs"
    for line in overrides:
        name, _, value = line.partition("=")
        if name.strip() == key:
            folder = value.strip().strip("'\"").split("${", 1)[0] or "."
    path = Path(folder).expanduser().absolute()
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    where = key if any(line.partition("=")[0].strip() == key for line in overrides) else "the default"
    hint = f"; choose a folder you can write to ({key}=DIR)"
    if not probe.is_dir():
        return f"recruitsim: cannot write the output folder {path}: {probe} is not a folder ({where}){hint}"
    try:
        fd, name = tempfile.mkstemp(dir=probe, prefix=".recruitsim-probe-", suffix=".tmp")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        return (f"recruitsim: cannot write the output folder {path}: {exc.strerror or exc} ({probe}, "
                f"{where}){hint}")
    return None


def _interrupted(exc: BaseException, stage: str, mode: str) -> int:
    """The one line after Ctrl-C or SIGTERM, and the exit status (130 or 143)."""
    if stage == "check" or mode == "show":
        return signals.stopped("recruitsim", exc, "nothing ran")
    if mode == "multirun":
        from sim.runs import sweep

        where = f" with hydra.sweep.dir={sweep.started_dir()}" if sweep.started_dir() is not None else ""
        return signals.stopped("recruitsim", exc, f"completed runs are kept; run the same command again{where} "
                                                  "to resume")
    return signals.stopped("recruitsim", exc, "the run did not finish and wrote no results; run the command again")


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
    signals.install()
    stage = mode = "check"
    try:
        mode, overrides = command_mode(args)
        register_configs()  # the schema Hydra's composition needs, also for --cfg
        if mode != "show":
            precheck(overrides, multirun=mode == "multirun")
            problem = output_folder_problem(overrides, multirun=mode == "multirun")
            if problem:
                raise UsageError(problem)
        stage = "run"
        _hydra_task()
    except (UsageError, InvalidConfig) as exc:
        print(exc, file=sys.stderr)
        sys.exit(EXIT_BAD_CONFIG)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (sim.commands.signals)
        sys.exit(_interrupted(exc, stage, mode))
    except SystemExit:
        raise
    except BaseException as exc:  # SweepStopped is a BaseException, which Hydra lets through
        from sim.runs import sweep

        if not isinstance(exc, sweep.SweepStopped):
            raise
        report = sweep.report_so_far()
        if report is None or exc.status == EXIT_BAD_CONFIG:  # before any job: nothing ran
            print(f"recruitsim: {exc}", file=sys.stderr)
        else:
            sweep.print_report(report, stopped=str(exc))
        sys.exit(exc.status)
    if mode == "multirun":
        from sim.runs import sweep

        if sweep.LAST_REPORT is not None and sweep.LAST_REPORT.failed:
            sys.exit(EXIT_RUN_FAILED)


if __name__ == "__main__":
    main()
