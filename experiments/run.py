"""``recruitsim-experiment NAME``: run a named experiment end to end into ``./results/NAME/``.

Three steps, each shown as it goes:

1. **Runs**: the runs of the sweep ``recruitsim -m experiment=NAME
   hydra.sweep.dir=results/NAME/runs ...`` (the grid is
   ``hydra.sweeper.params`` in ``configs/experiment/NAME.yaml``), expanded
   here (:func:`experiments.context.grid_specs`) and run by the run-many
   engine (:func:`sim.runs.engine.run_many`) into the same store the sweep
   would fill, ``results/NAME/runs/store/``: on all local cores, or on a Dask
   cluster with ``--scheduler ADDRESS``. Runs already completed there (by
   this command or by the sweep) are skipped, so rerunning an interrupted
   experiment resumes it. ``recruitsim -m experiment=NAME`` remains the Hydra
   way to run the same grid (with Hydra's launchers).
2. **Collect**: ``recruitsim-collect results/NAME/runs`` gathers the store
   into ``results/NAME/runs/collected/``.
3. **Analyse**: ``experiments/NAME.py: analyse`` writes ``results/NAME/``:
   figures (PNG and SVG) in ``figures/``, a summary table ``summary.csv``
   and ``report.md`` with the numbers.

``results/`` is the current directory's (``--out DIR`` writes DIR instead
of ``results/NAME/``). ``results/*/runs/`` (raw per-run data) is git-ignored;
figures, table and report are meant to be committed. ``--quick`` runs a tiny
version (a small world, few seeds, a smaller grid) into
``results/quick/NAME/`` for tests.

Exit status: 0 success; 2 unknown experiment, bad option or invalid grid;
1 runs that raised (the analysis still runs on the completed runs and the
report lists the failed ones) or nothing to analyse; 130 interrupted (Ctrl-C:
rerun the same command to resume); 143 stopped by SIGTERM (the same).
"""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

from experiments.context import Context, experiment_names

EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

#: Overrides every ``--quick`` version adds: a tiny world (about 0.05 s a run), two seeds per job.
QUICK_WORLD = ["run.steps=36", "market.n_workers=600", "market.n_employers=10", "market.n_recruiters=8",
               "seed=0", "run.replications=2"]


def say(message: str) -> None:
    print(f"recruitsim-experiment: {message}", flush=True)


def _script(name: str) -> list[str]:
    """The console script ``name`` of this environment (or its module run with this Python)."""
    script = Path(sys.executable).with_name(name)
    if script.exists():
        return [str(script)]
    modules = {"recruitsim": "sim.commands.run", "recruitsim-collect": "sim.commands.collect"}
    return [sys.executable, "-m", modules[name]]


def seed_overrides(n_seeds: int, replications: int) -> list[str]:
    """Overrides for seeds 0..n-1 in jobs of ``k`` consecutive seeds, ``k`` <= ``replications`` dividing n."""
    k = max(d for d in range(1, max(1, min(replications, n_seeds)) + 1) if n_seeds % d == 0)
    return [f"seed=range(0,{n_seeds},{k})", f"run.replications={k}"]


def hydra_string(text: str) -> str:
    """``text`` as a value of a Hydra override: quoted when Hydra's grammar would split or parse it.

    A folder given with ``--out`` may hold ``=``, ``,``, spaces or quotes,
    which an unquoted override value cannot.
    """
    if re.fullmatch(r"[\w./:+-]+", text) and "/" in text:  # a path: never read as a number or a bool
        return text
    # in a quoted value only backslashes before a quote (or the closing quote) are escapes
    escaped = re.sub(r"(\\*)('|$)", lambda m: m.group(1) * 2 + ("\\'" if m.group(2) else ""), text)
    return f"'{escaped}'"


def build_overrides(name: str, sweep_dir: Path, module, seeds: int | None, jobs: int | None,
                    quick: bool) -> list[str]:
    """The Hydra overrides of the experiment's sweep."""
    from experiments.context import compose

    overrides = [f"experiment={name}", f"hydra.sweep.dir={hydra_string(str(sweep_dir))}"]
    if quick:
        overrides += QUICK_WORLD + list(getattr(module, "QUICK", []))
    if seeds is not None:
        cfg = compose([f"experiment={name}"])
        overrides = [o for o in overrides if not o.startswith(("seed=", "run.replications="))]
        overrides += seed_overrides(seeds, int(cfg.run.replications))
    if jobs is not None:
        hydra_cfg = compose(overrides[:1], hydra_config=True).hydra
        if "n_jobs" in hydra_cfg.launcher:
            overrides.append(f"hydra.launcher.n_jobs={jobs}")
        else:
            say(f"note: the launcher {hydra_cfg.launcher.get('_target_', '?')} has no n_jobs; --jobs ignored")
    return overrides


#: Seeds of posterior world i are the grid's seeds plus i times this, so that analyses pairing arms by seed
#: pair runs of the same world.
WORLD_SEED_STRIDE = 1_000_000


def world_specs(specs: list, worlds: Sequence[dict]) -> list:
    """Every run of the grid in every world: the world's overrides on top, seeds offset per world."""
    from sim.config import build_config, flat_config
    from sim.runs.engine import RunSpec

    out = []
    for i, world in enumerate(worlds):
        for spec in specs:
            flat = {**flat_config(spec.config), **world, "seed": spec.config.seed + i * WORLD_SEED_STRIDE}
            out.append(RunSpec(build_config(flat), spec.choices,
                               (*spec.overrides, f"world={i}", *(f"{k}={v}" for k, v in world.items()))))
    return out


def run_grid(overrides: list[str], sweep_dir: Path, jobs: int | None, scheduler: str | None,
             worlds: Sequence[dict] | None = None, expected: set | None = None, specs: list | None = None) -> int:
    """Run the grid of ``recruitsim -m OVERRIDES`` through the engine into ``sweep_dir/store``.

    ``specs``: the runs of an experiment with its own design (``design`` in its module), run as they are
    instead of the grid.

    Returns 0 (every run completed), 1 (runs failed, listed; or the store
    could not be written to the end) or 2 (an invalid grid, a store folder
    that cannot be written or a scheduler that cannot be reached: nothing ran).
    """
    from experiments.context import grid_specs
    from sim.config import ConfigError, InvalidConfig, explain, precheck
    from sim.runs.engine import SchedulerError, StoreWriteError, failure_lines, run_many
    from sim.runs.store import Store, StoreNotWritable

    try:
        precheck(overrides, multirun=True)
        if specs is None:
            specs = grid_specs(overrides)
            if worlds:
                specs = world_specs(specs, worlds)
    except InvalidConfig as exc:
        print(exc, file=sys.stderr)
        say("the experiment's grid is invalid (message above); nothing ran")
        return EXIT_USAGE
    except ConfigError as exc:
        print(explain(exc, overrides), file=sys.stderr)
        say("the experiment's grid is invalid (message above); nothing ran")
        return EXIT_USAGE
    if expected is not None:
        from sim.config import flat_config
        from sim.runs.store import run_id

        expected.update(run_id(flat_config(spec.config)) for spec in specs)
    try:
        batch = run_many(specs, store=Store(sweep_dir), jobs=jobs, scheduler=scheduler, desc="runs")
    except (StoreNotWritable, SchedulerError) as exc:
        say(str(exc))
        return EXIT_USAGE
    except StoreWriteError as exc:
        print("\n".join([str(exc), *failure_lines(exc.failed)]), file=sys.stderr)
        say("analysing what completed")
        return EXIT_FAILED
    say(f"{len(specs)} runs: {batch.computed} computed, {batch.reused} found completed in {sweep_dir / 'store'}"
        + (f", {len(batch.failed)} FAILED" if batch.failed else ""))
    if batch.failed:
        print("\n".join([f"recruitsim-experiment: {len(batch.failed)} failed runs (records in "
                         f"{sweep_dir / 'store' / 'runs'}):", *failure_lines(batch.failed)]), file=sys.stderr)
        say("analysing what completed; run the same command again to retry the failed runs")
        return EXIT_FAILED
    return 0


def run_experiment(name: str, *, out_dir: Path | None = None, results_dir: Path | None = None,
                   seeds: int | None = None, jobs: int | None = None, quick: bool = False,
                   sweep: bool = True, command: str | None = None, scheduler: str | None = None,
                   worlds: Sequence[dict] | None = None, part: str | None = None) -> int:
    """Sweep, collect and analyse experiment ``name``; returns the exit status (0: all runs completed).

    Args:
        out_dir: the experiment's folder (report, figures, ``runs/``); default
            ``./results/NAME/`` (``./results/quick/NAME/`` when ``quick``).
        results_dir: the older way to choose it: ``results_dir/NAME/``.
        scheduler: a Dask scheduler's address (default: ``RECRUITSIM_SCHEDULER``, else local processes).
        worlds: config overrides of posterior worlds (:func:`sim.posterior_worlds`): the grid runs in each,
            seed s of world i as seed ``s + i * WORLD_SEED_STRIDE``, and the analysis reads the worlds' runs
            as replications (the outcome integrated over the posterior). None: the experiment's own world.
        part: for an experiment with parts (its module's ``PARTS``, e.g. claim's main / robustness / boundary),
            which one to run; its folder is ``out_dir/PART`` for any part but the first.

    An experiment whose module defines ``design(overrides, part=, seeds=, quick=, worlds=)`` runs the runs it
    returns (with their index by run_id, handed to the analysis as ``ctx.design``) instead of its Hydra grid.
    """
    from experiments.document import default_output_dir

    module = importlib.import_module(f"experiments.{name}")
    parts = tuple(getattr(module, "PARTS", ()))
    if part is not None and part not in parts:
        say(f"the experiment {name} has " + (f"the parts {', '.join(parts)}, not {part}" if parts else "no parts"))
        return EXIT_USAGE
    part = part or (parts[0] if parts else None)
    if out_dir is None:
        out_dir = Path(results_dir) / name if results_dir is not None else default_output_dir(name, quick)
        if part is not None and part != parts[0]:
            out_dir = Path(out_dir) / part
    out_dir = Path(out_dir)
    sweep_dir = out_dir / "runs"
    overrides = build_overrides(name, sweep_dir, module, seeds, jobs, quick)
    ctx = Context(name=name, out_dir=out_dir, sweep_dir=sweep_dir, overrides=overrides, quick=quick,
                  command=command or f"recruitsim-experiment {name}", jobs=jobs)
    ctx.part, ctx.worlds = part, list(worlds) if worlds else None
    specs = None
    if hasattr(module, "design"):
        from sim.config import ConfigError

        try:
            specs, ctx.design = module.design(overrides, part=part, seeds=seeds, quick=quick, worlds=worlds)
        except (ConfigError, ValueError) as exc:
            say(f"the experiment's design is invalid: {exc}")
            return EXIT_USAGE
        ctx.world_run_ids = set(ctx.design)
    status = 0

    if sweep:
        say(f"[1/3] runs of the sweep: recruitsim -m {' '.join(shlex.quote(o) for o in overrides)}")
        tic = time.perf_counter()
        expected = set() if worlds and specs is None else None
        status = run_grid(overrides, sweep_dir, jobs, scheduler, worlds, expected, specs)
        if specs is None:
            ctx.world_run_ids = expected
        if status == EXIT_USAGE:
            return EXIT_USAGE
        ctx.timings["sweep"] = time.perf_counter() - tic
        say(f"runs took {ctx.timings['sweep']:.1f} s")
    if not (sweep_dir / "store").is_dir():
        say(f"no results store in {sweep_dir}: no run completed, nothing to analyse")
        return EXIT_FAILED

    say(f"[2/3] collect: recruitsim-collect {sweep_dir}")
    tic = time.perf_counter()
    done = subprocess.run([*_script("recruitsim-collect"), str(sweep_dir)], check=False)
    ctx.timings["collect"] = time.perf_counter() - tic
    if done.returncode != 0:
        say("collecting the results failed (message above)")
        return EXIT_FAILED

    say(f"[3/3] analyse: experiments/{name}.py -> {out_dir}/")
    tic = time.perf_counter()
    collected = load_sweep(ctx)
    if collected is None:
        say("no completed run of this experiment's grid to analyse")
        return EXIT_FAILED
    ctx.analysis_started = tic
    report = module.analyse(collected, ctx)
    say(f"analysis took {time.perf_counter() - tic:.1f} s; report: {report}")
    return status


def load_sweep(ctx: Context):
    """The collected sweep, restricted to the runs the sweep command stands for (``None`` if none)."""
    from experiments.context import expected_run_ids
    from sim.plots import PlotError, load_collected

    try:
        collected = load_collected(ctx.sweep_dir / "collected")
    except PlotError:
        return None
    ctx.expected = getattr(ctx, "world_run_ids", None) or expected_run_ids(ctx.overrides)
    runs = collected.runs
    mine = runs["run_id"].isin(ctx.expected)
    ctx.left_out = int((~mine).sum())
    collected.runs = runs[mine].reset_index(drop=True)
    ctx.missing = len(ctx.expected) - len(collected.runs)
    _read_records(ctx)
    if ctx.left_out:
        say(f"note: {ctx.left_out} completed runs in {ctx.sweep_dir} belong to another grid and are left out")
    if ctx.missing:
        say(f"note: {ctx.missing} runs of the grid are missing or failed")
    return collected if len(collected.runs) else None


def _read_records(ctx: Context) -> None:
    """Failed runs of the grid, and when and how long its completed runs ran, from the store's records."""
    import datetime as dt
    import json

    folder = ctx.sweep_dir / "store" / "runs"
    starts, ends, seconds = [], [], 0.0
    for rid in sorted(ctx.expected):
        path = folder / f"{rid}.json"
        if not path.is_file():
            continue
        record = json.loads(path.read_text())
        if record.get("status") != "completed":
            ctx.failed.append({k: record.get(k) for k in ("run_id", "seed", "error")})
            continue
        seconds += float(record.get("wall_seconds") or 0.0)
        if record.get("started") and record.get("ended"):
            starts.append(dt.datetime.fromisoformat(record["started"]))
            ends.append(dt.datetime.fromisoformat(record["ended"]))
    ctx.run_seconds = seconds
    if starts:
        ctx.run_span = (max(ends) - min(starts)).total_seconds()


def _parser() -> argparse.ArgumentParser:
    from experiments.document import positive_int, scheduler_option
    from sim.commands.version import add_version_option

    names = experiment_names()
    parser = argparse.ArgumentParser(
        prog="recruitsim-experiment",
        description="Run a named experiment end to end: its sweep (recruitsim -m experiment=NAME, in "
                    "parallel; rerunning resumes an interrupted sweep), recruitsim-collect, and its analysis, "
                    "which writes ./results/NAME/ under the current directory (or --out DIR): figures "
                    "(PNG, SVG), summary.csv and report.md.",
        epilog="Experiments (configs/experiment/NAME.yaml, analysis in experiments/NAME.py): "
               + ", ".join(names) + ". Example: recruitsim-experiment claim --jobs 2",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", metavar="NAME", help="the experiment: " + ", ".join(names))
    parser.add_argument("--seeds", type=positive_int, default=None, metavar="N",
                        help="seeds 0..N-1 per grid cell instead of the experiment's own number")
    parser.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                        help="parallel jobs (default: all local cores; 1: one after the other)")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny version (small world, short runs, few seeds, smaller grid) into "
                             "./results/quick/NAME/, for tests; its numbers mean nothing")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default: ./results/NAME/ under the current directory); "
                             "its runs/ folder holds the sweep")
    # the option's older name: DIR/NAME/ instead of results/NAME/
    parser.add_argument("--results-dir", type=Path, default=None, help=argparse.SUPPRESS)
    scheduler_option(parser)
    parser.add_argument("--worlds", choices=("default", "posterior"), default="default",
                        help="posterior: run the grid in worlds drawn from the calibration's posterior "
                             "(results/calibration/posterior.parquet) instead of the default world")
    parser.add_argument("--n-worlds", type=positive_int, default=20, metavar="N",
                        help="posterior worlds to draw (default 20; with --quick 2)")
    parser.add_argument("--posterior", type=Path, default=None, metavar="FILE",
                        help="the posterior file (default: ./results/calibration/posterior.parquet)")
    parser.add_argument("--prior", default="default",
                        help="which prior's posterior to draw from (default, widened, log)")
    parser.add_argument("--part", default=None, metavar="PART",
                        help="for an experiment with parts (claim: main, robustness, boundary), the part to run; "
                             "parts other than the first write to their own subfolder (default: the first)")
    parser.add_argument("--skip-sweep", action="store_true",
                        help="only collect and analyse what the sweep directory already holds")
    add_version_option(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point of ``recruitsim-experiment``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.name not in experiment_names():
        print(f"recruitsim-experiment: no experiment '{args.name}'; choose one of "
              f"{', '.join(experiment_names())} (configs/experiment/)", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    if args.out is not None and args.results_dir is not None:
        print("recruitsim-experiment: give --out or its older name --results-dir, not both", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    worlds = None
    if args.worlds == "posterior":
        from sim.runs.posterior import (
            DEFAULT_POSTERIOR,
            PosteriorError,
            posterior_worlds,
        )

        try:
            worlds = posterior_worlds(2 if args.quick else args.n_worlds, path=args.posterior or DEFAULT_POSTERIOR,
                                      prior=args.prior)
        except PosteriorError as exc:
            print(f"recruitsim-experiment: {exc}", file=sys.stderr)
            sys.exit(EXIT_USAGE)
    command = "recruitsim-experiment " + " ".join(shlex.quote(a) for a in argv)
    from sim.commands import signals

    signals.install()  # SIGTERM as Ctrl-C: the engine's workers end, the message below, exit 143
    try:
        status = run_experiment(args.name, out_dir=args.out, results_dir=args.results_dir, seeds=args.seeds,
                                jobs=args.jobs, quick=args.quick, sweep=not args.skip_sweep, command=command,
                                scheduler=args.scheduler, worlds=worlds, part=args.part)
    except KeyboardInterrupt as exc:
        sys.exit(signals.stopped("recruitsim-experiment", exc, "run the same command again to resume "
                                                                f"(completed runs are kept): {command}"))
    sys.exit(status)


if __name__ == "__main__":
    main()
