"""Measure the model's speed and memory: the numbers sweeps depend on.

Usage:
    python scripts/benchmark.py                 # 10k, 100k and 1M workers, the default run, ...
    python scripts/benchmark.py --sizes 10000 100000 --growth --repeat 5
    python scripts/benchmark.py --stages        # where a default month's time goes, stage by stage

For each size the market is scaled with the workers (one employer per 50
workers, one recruiter per ~167, as in the default world) and run in a
fresh process so its peak memory is its own, ``--repeat`` times; the best
and the median are reported (the machine is shared: the best is the
model's speed, the median what a busy machine gives). Time per step is
measured over a window after a warm-up, apart from building the model and
starting Python. The compiled kernels (sim/model/kernels.py) are compiled
once before anything is timed and loaded from numba's cache after that; a
process's first kernel call pays a one-time load (``numba_load_seconds``),
reported apart.
It also times the default run through ``simulate()`` as sweeps run it (the
first run of a fresh process, then runs in the same process), the worker
choice step against a reference written the idiomatic per-agent Mesa way
(one agent object per worker, a Python loop over recruiters,
``shuffle_do``), and how a step's cost grows with recruiters, employers and
months (``--growth``).
Results are printed and written to results/benchmark/benchmark.{json,csv}.
This is a measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARMUP, WINDOW = 12, 24


def load_kernels() -> float:
    """Build and step a tiny model so that every kernel is loaded (or compiled); return the seconds."""
    sys.path.insert(0, str(ROOT))
    from sim.config import build_config
    from sim.model import RecruitmentModel

    start = time.perf_counter()
    RecruitmentModel(build_config({"market.n_workers": 200, "market.n_employers": 5, "market.n_recruiters": 40,
                                   "market.consideration_set": 10, "run.steps": 3,
                                   "run.worker_agents": False})).run_model()
    return time.perf_counter() - start


def measure_size(n_workers: int) -> dict:
    """Build and step one scaled model; return timings and peak memory (run in a child process)."""
    numba_load = load_kernels()
    from sim.config import build_config
    from sim.model import RecruitmentModel

    config = build_config({"market.n_workers": n_workers, "market.n_employers": max(n_workers // 50, 1),
                           "market.n_recruiters": max(round(n_workers * 30 / 5000), 1),
                           "run.worker_agents": False})
    start = time.perf_counter()
    model = RecruitmentModel(config)
    built = time.perf_counter()
    model.run_model(WARMUP)
    timed = time.perf_counter()
    model.run_model(WINDOW)
    done = time.perf_counter()
    per_step = (done - timed) / WINDOW
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n_workers": n_workers, "build_seconds": built - start, "seconds_per_step": per_step,
            "worker_steps_per_second": n_workers / per_step, "peak_memory_mb": peak_kb / 1024,
            "bytes_per_worker": peak_kb * 1024 / n_workers, "numba_load_seconds": numba_load}


def measure_default_run(repeats: int = 7) -> dict:
    """The default configuration through ``simulate()``, build included: a fresh process's first run, then more.

    The first run pays the process's one-time load of the compiled kernels
    (imports are done before the clock starts); the others are what a sweep
    worker or a notebook pays per run.
    """
    sys.path.insert(0, str(ROOT))
    import sim.model  # noqa: F401  (imports before the clock: numpy, Mesa, numba)
    from sim.config import build_config
    from sim.runs.simulate import simulate

    config = build_config({})
    walls, cpus = [], []
    for seed in range(repeats + 1):
        start, cpu = time.perf_counter(), time.process_time()
        simulate(build_config({"seed": seed}))
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    later = sorted(walls[1:])
    return {"n_workers": config.market.n_workers, "steps": config.run.steps, "first_run_seconds": walls[0],
            "wall_seconds": later[0], "median_wall_seconds": later[len(later) // 2],
            "cpu_seconds": min(cpus[1:]), "runs": repeats,
            "worker_steps_per_second": config.market.n_workers * config.run.steps / later[0]}


def measure_two_origins(repeats: int = 7) -> dict:
    """A default run with one origin against the same world split into two identical origins (S18).

    Same total workers, recruiters and employers; seeds 1..``repeats`` each
    way, interleaved so that both see the same machine load (seed 0 first,
    unclocked, loads the kernels). The target: two origins cost at most 1.6
    times one.
    """
    sys.path.insert(0, str(ROOT))
    import sim.model  # noqa: F401
    from sim.config import build_config
    from sim.runs.simulate import simulate

    two = {"origins.a.share": 0.5, "origins.b.share": 0.5}
    simulate(build_config({"seed": 0}))
    simulate(build_config(two | {"seed": 0}))
    walls = {"one": [], "two": []}
    for seed in range(1, repeats + 1):
        for name, extra in (("one", {}), ("two", two)):
            start = time.perf_counter()
            simulate(build_config(extra | {"seed": seed}))
            walls[name].append(time.perf_counter() - start)
    out = {}
    for name, values in walls.items():
        values = sorted(values)
        out[f"{name}_origin_best_seconds"] = values[0]
        out[f"{name}_origin_median_seconds"] = values[len(values) // 2]
    out["median_ratio"] = out["two_origin_median_seconds"] / out["one_origin_median_seconds"]
    out["runs_each"] = repeats
    return out


def measure_reference_choice(repeats: int = 5) -> dict:
    """Worker choice: our vectorised step against the idiomatic per-agent Mesa way, same inputs."""
    sys.path.insert(0, str(ROOT))
    import mesa
    import numpy as np

    from sim.config import build_config
    from sim.model import RecruitmentModel, recruiters, workers

    class ReferenceWorker(mesa.Agent):
        """One searching worker choosing a recruiter with a Python loop (for comparison only)."""

        def __init__(self, model, index):
            super().__init__(model)
            self.index = index
            self.choice = -1

        def choose(self):
            model = self.model
            m, w, offer = model.config.market, model.workers, model.reference_offer
            i = self.index
            suffix = "user" if w.platform_user[i] else "other"
            markup = m.deception_markup / (1.0 + m.deception_markup)
            headroom = m.credit_limit_months * m.dest_wage - w.debt[i]
            best, best_value = -1, -math.log(-math.log(self.random.random() or 1e-300))
            for k, row in enumerate(offer["rows"]):
                wage = offer["promised_wage"][k] * (1.0 - offer[f"deceive_prob_{suffix}"][k] * markup)
                fee = (offer["fee_months"][k] + offer[f"hidden_prob_{suffix}"][k] * offer["hidden_months"]) * wage
                net = wage * (1.0 - m.living_cost_share)
                borrowed = max(fee - w.savings[i], 0.0)
                if borrowed > headroom:
                    continue
                interest = borrowed * borrowed * 0.5 * m.interest_rate / net
                gain = m.contract_months * (net - w.home_wage[i]) - fee - interest
                utility = m.worker_choice_scale * offer["placement_prob"][k] * gain / m.dest_wage
                value = utility - math.log(-math.log(self.random.random() or 1e-300))
                if value > best_value:
                    best, best_value = row, value
            self.choice = best

    model = RecruitmentModel(build_config({"run.worker_agents": False}))
    model.run_model(24)
    searchers = workers.find_searchers(model)
    offer = recruiters.offers_to_workers(model)
    start = time.perf_counter()
    for _ in range(repeats):
        workers.choose_recruiters(model, searchers, offer)
    vectorised = (time.perf_counter() - start) / repeats / len(searchers)
    model.reference_offer = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in offer.items()}
    agents = ReferenceWorker.create_agents(model, len(searchers), index=searchers.tolist())
    start = time.perf_counter()
    for _ in range(repeats):
        agents.shuffle_do("choose")
    reference = (time.perf_counter() - start) / repeats / len(searchers)
    return {"searchers": int(len(searchers)), "options": int(len(offer["rows"])),
            "vectorised_us_per_choice": vectorised * 1e6, "reference_us_per_choice": reference * 1e6,
            "speedup": reference / vectorised}


def measure_growth(workers_n: int = 50_000, steps: int = 24) -> list[dict]:
    """Seconds per step as recruiters, employers (same total jobs) and months grow, workers fixed."""
    sys.path.insert(0, str(ROOT))
    from sim.config import build_config
    from sim.model import RecruitmentModel

    base = {"market.n_workers": workers_n, "market.n_employers": workers_n // 50,
            "market.n_recruiters": workers_n * 30 // 5000, "run.worker_agents": False}
    jobs = base["market.n_employers"] * 20
    cases = [("recruiters", r, {"market.n_recruiters": r}) for r in (30, 300, 3000)]
    cases += [("employers", e, {"market.n_employers": e, "market.jobs_per_employer": max(jobs // e, 1)})
              for e in (100, 1000, 10000)]
    rows = []
    for factor, value, change in cases:
        model = RecruitmentModel(build_config(base | change))
        model.run_model(WARMUP)
        start = time.perf_counter()
        model.run_model(steps)
        rows.append({"factor": factor, "value": value, "seconds_per_step": (time.perf_counter() - start) / steps})
    model = RecruitmentModel(build_config(base))
    for month_block in range(4):
        start = time.perf_counter()
        model.run_model(60)
        rows.append({"factor": "months", "value": 60 * (month_block + 1),
                     "seconds_per_step": (time.perf_counter() - start) / 60})
    return rows


def measure_stages(repeats: int = 5) -> dict:
    """Microseconds per month in each stage of a default month: per call, the least over identical runs.

    The same seed is run ``repeats`` times in this process and each stage
    call keeps its shortest time across the runs (a busy machine only adds
    time), then the calls are summed and divided by the months.
    """
    import functools

    sys.path.insert(0, str(ROOT))
    import mesa
    import numpy as np

    from sim.config import build_config
    from sim.model import (
        contracts,
        employers,
        industry,
        placement,
        recruiters,
        voice,
        workers,
    )
    from sim.model import model as model_module
    from sim.model.certification import CertificationScheme
    from sim.model.regulator import Regulator

    calls: dict[str, list[float]] = {}

    def timed(owner, name, label):
        function = getattr(owner, name)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                calls.setdefault(label, []).append(time.perf_counter() - start)
        setattr(owner, name, wrapper)

    for module, names in ((industry, ("begin_month", "close_books", "switch_business_models", "enter")),
                          (recruiters, ("choose_compliance", "imitate_practices", "update_prices",
                                        "offers_to_workers")),
                          (employers, ("count_filled", "place_job_orders")),
                          (workers, ("find_searchers", "choose_recruiters", "earn_and_repay", "leave_and_arrive",
                                    "relieve_debts")),
                          (placement, ("match", "update_recruiter_records")),
                          (voice, ("complain", "forget_reviews")), (contracts, ("end_contracts",))):
        for name in names:
            timed(module, name, f"{module.__name__.rsplit('.', 1)[-1]}.{name}")
    timed(model_module, "measure", "outcomes.measure")
    timed(CertificationScheme, "advance", "certification.advance")
    timed(Regulator, "enforce", "regulator.enforce")
    timed(Regulator, "measure_influence", "regulator.measure_influence")
    timed(mesa.DataCollector, "collect", "mesa.DataCollector.collect")
    timed(model_module.RecruitmentModel, "step", "month (all stages and Mesa's step)")
    load_kernels()
    config = build_config({"run.worker_agents": False})
    least: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        calls.clear()
        model_module.RecruitmentModel(config).run_model()
        least = {k: np.minimum(least[k], v) if k in least else np.array(v) for k, v in calls.items()}
    return {name: float(1e6 * times.sum() / config.run.steps)
            for name, times in sorted(least.items(), key=lambda item: -item[1].sum())}


def measure_engine(runs: int = 2000) -> dict:
    """Runs per second of a batch of default-size runs through the run engine, serially and in parallel.

    ``sim.runs.engine.run_many`` on ``runs`` default-size runs (seeds 0 to
    runs-1), each into a fresh results store as the commands use it (every
    run's part and record written, fsynced): in this process (``jobs=1``), on
    2 local worker processes, and on a local Dask cluster of 2 single-threaded
    worker processes. The parallel rates are also given as ratios to the
    serial one (2 is all two cores can give; the store is written by the
    calling process, which shares those cores). Worker start-up is included.
    """
    import tempfile

    from distributed import LocalCluster

    from sim.runs.engine import run_many, shutdown

    points = [{"seed": s} for s in range(runs)]
    run_many(points[:1], jobs=1, progress=False)  # this process's kernels loaded, as in a command's later batches
    out: dict = {"runs": runs}
    with tempfile.TemporaryDirectory() as tmp:
        for name, options in (("serial", {"jobs": 1}), ("local_2", {"jobs": 2}), ("dask_2", None)):
            print(f"engine: {runs} runs, {name} ...", file=sys.stderr, flush=True)
            start = time.perf_counter()
            if options is None:
                with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                    batch = run_many(points, store=Path(tmp) / name, scheduler=cluster.scheduler_address,
                                     progress=False)
            else:
                batch = run_many(points, store=Path(tmp) / name, progress=False, **options)
                shutdown()
            seconds = time.perf_counter() - start
            assert batch.computed == runs and not batch.failed, [r.error for r in batch.failed][:3]
            out[f"{name}_seconds"] = seconds
            out[f"{name}_runs_per_second"] = runs / seconds
    for name in ("local_2", "dask_2"):
        out[f"{name}_ratio_to_serial"] = out[f"{name}_runs_per_second"] / out["serial_runs_per_second"]
    return out


def measure_command_latency() -> dict:
    """Wall time of `recruitsim --help` and of a rejected config, as a user would see it."""
    exe = str(Path(sys.executable).with_name("recruitsim"))
    out = {}
    for name, args in (("help", ["--help"]), ("config_error", ["policy.inspection_rate=2"])):
        start = time.perf_counter()
        subprocess.run([exe, *args], capture_output=True)
        out[f"{name}_seconds"] = time.perf_counter() - start
    return out


def measure_sweeps(jobs: int = 8, replications: int = 10) -> dict:
    """A 2-core parallel sweep against a serial one, and Hydra's cost per job.

    The sweep is ``jobs`` jobs of ``replications`` default-size runs each.
    Per-job overhead is measured apart: a serial sweep of 21 near-empty jobs
    less one of a single such job, over the 20 extra jobs.
    """
    import glob
    import shutil
    import tempfile

    exe = str(Path(sys.executable).with_name("recruitsim"))
    out: dict = {"jobs": jobs, "replications": replications}
    with tempfile.TemporaryDirectory() as tmp:
        seeds = ",".join(str(replications * j) for j in range(jobs))
        for launcher in ("basic", "joblib"):
            folder = Path(tmp) / launcher
            start = time.perf_counter()
            subprocess.run([exe, "-m", f"seed={seeds}", f"run.replications={replications}",
                            f"hydra/launcher={launcher}", f"hydra.sweep.dir={folder}"],
                           capture_output=True, check=True)
            out[f"{launcher}_seconds"] = time.perf_counter() - start
            records = [json.loads(Path(p).read_text()) for p in glob.glob(str(folder / "store" / "runs" / "*.json"))]
            out[f"{launcher}_run_seconds"] = sum(r["wall_seconds"] for r in records)
        empty = ["run.steps=1", "market.n_workers=10", "market.n_employers=1", "market.n_recruiters=1",
                 "hydra/launcher=basic"]
        walls = {}
        for count in (1, 21):
            folder = Path(tmp) / f"empty{count}"
            start = time.perf_counter()
            subprocess.run([exe, "-m", f"seed=range(0,{count})", *empty, f"hydra.sweep.dir={folder}"],
                           capture_output=True, check=True)
            walls[count] = time.perf_counter() - start
            shutil.rmtree(folder, ignore_errors=True)
    out["overhead_seconds_per_job"] = (walls[21] - walls[1]) / 20
    job_seconds = out["basic_run_seconds"] / jobs
    out["overhead_share_of_job"] = out["overhead_seconds_per_job"] / job_seconds
    out["speedup"] = out["basic_seconds"] / out["joblib_seconds"]
    return out


def in_child(flag: str, value: str = "") -> dict:
    out = subprocess.run([sys.executable, __file__, flag, value], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def best_and_median(rows: list[dict]) -> dict:
    """The run with the shortest step, with the median step time of all beside it."""
    ordered = sorted(rows, key=lambda row: row["seconds_per_step"])
    best = dict(ordered[0])
    best["median_seconds_per_step"] = ordered[len(ordered) // 2]["seconds_per_step"]
    best["median_worker_steps_per_second"] = best["n_workers"] / best["median_seconds_per_step"]
    best["repeats"] = len(rows)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per size (best and median kept)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmark")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--default-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prime", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stages", action="store_true",
                        help="only: where a default month's time goes, stage by stage (microseconds)")
    parser.add_argument("--engine", action="store_true",
                        help="only: runs per second of a 2,000-run batch through the run engine: serial, 2 local "
                             "processes, a local Dask cluster of 2 workers")
    parser.add_argument("--engine-runs", type=int, default=2000, metavar="N",
                        help="runs in the --engine batch (default 2000)")
    parser.add_argument("--origins", action="store_true",
                        help="only: a default run with one origin against two identical origins of the same size")
    parser.add_argument("--no-sweep", action="store_true", help="skip the serial vs parallel sweep measurement")
    parser.add_argument("--growth", action="store_true",
                        help="also measure how a step's cost grows with recruiters, employers and months")
    args, rest = parser.parse_known_args()
    if args.one:
        print(json.dumps(measure_size(int(args.one))))
        return
    if args.default_run:
        print(json.dumps(measure_default_run()))
        return
    if args.reference:
        print(json.dumps(measure_reference_choice()))
        return
    if args.prime:
        print(json.dumps({"seconds": load_kernels()}))
        return
    if args.engine:
        try:
            print(json.dumps(measure_engine(args.engine_runs)))
        except NotImplementedError as exc:
            print(f"benchmark.py: {exc}", file=sys.stderr)
            sys.exit(2)
        return
    if args.origins:
        print(json.dumps(measure_two_origins(), indent=2))
        return
    if args.stages:
        for name, micro in measure_stages().items():
            print(f"{micro:9.1f} us  {name}")
        return

    print("compiling or loading the kernels ...", file=sys.stderr, flush=True)
    prime = in_child("--prime")
    rows = []
    for size in args.sizes:
        print(f"measuring {size:,} workers x {args.repeat} ...", file=sys.stderr, flush=True)
        rows.append(best_and_median([in_child("--one", str(size)) for _ in range(args.repeat)]))
    smallest = rows[0]
    for row in rows:  # memory a worker adds, without the interpreter's own baseline
        extra = row["n_workers"] - smallest["n_workers"]
        row["marginal_bytes_per_worker"] = ((row["peak_memory_mb"] - smallest["peak_memory_mb"]) * 2**20 / extra
                                            if extra else None)
        row["us_per_worker_step"] = 1e6 / row["worker_steps_per_second"]
    default = in_child("--default-run")
    reference = in_child("--reference")
    latency = measure_command_latency()
    report = {"machine": platform.platform(), "python": platform.python_version(), "sizes": rows,
              "default_run": default, "reference_choice": reference, "command_latency": latency,
              "kernels_first_load_seconds": prime["seconds"], "window_steps": WINDOW, "warmup_steps": WARMUP}
    if len(rows) > 1:
        report["largest_to_smallest_us_per_worker_step"] = rows[-1]["us_per_worker_step"] / rows[0]["us_per_worker_step"]
    if not args.no_sweep:
        print("measuring a serial and a parallel sweep ...", file=sys.stderr, flush=True)
        report["sweep"] = measure_sweeps()
    if args.growth:
        print("measuring growth with recruiters, employers, months ...", file=sys.stderr, flush=True)
        report["growth"] = measure_growth()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmark.json").write_text(json.dumps(report, indent=2) + "\n")
    with open(args.out / "benchmark.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    print(f"{'workers':>10} {'build s':>8} {'ms/step':>8} {'median':>8} {'worker-steps/s':>15} {'us/worker-step':>15} "
          f"{'peak MB':>8} {'B/worker':>9} {'marginal B':>10}")
    for row in rows:
        marginal = row["marginal_bytes_per_worker"]
        print(f"{row['n_workers']:>10,} {row['build_seconds']:>8.2f} {1000 * row['seconds_per_step']:>8.2f} "
              f"{1000 * row['median_seconds_per_step']:>8.2f} "
              f"{row['worker_steps_per_second']:>15,.0f} {row['us_per_worker_step']:>15.3f} "
              f"{row['peak_memory_mb']:>8.0f} {row['bytes_per_worker']:>9.0f} "
              f"{'' if marginal is None else f'{marginal:.0f}':>10}")
    if "largest_to_smallest_us_per_worker_step" in report:
        print(f"time per worker-step, {rows[-1]['n_workers']:,} against {rows[0]['n_workers']:,} workers: "
              f"{report['largest_to_smallest_us_per_worker_step']:.2f}")
    print(f"default run ({default['n_workers']:,} workers x {default['steps']} months, simulate(), build included): "
          f"{default['wall_seconds']:.3f} s best, {default['median_wall_seconds']:.3f} s median of "
          f"{default['runs']}, {default['cpu_seconds']:.3f} s CPU; a fresh process's first run "
          f"{default['first_run_seconds']:.3f} s (loads the compiled kernels)")
    print(f"worker choice: {reference['vectorised_us_per_choice']:.2f} us vectorised vs "
          f"{reference['reference_us_per_choice']:.1f} us per-agent Mesa reference "
          f"({reference['speedup']:.0f}x, {reference['searchers']:,} searchers, {reference['options']} options)")
    print(f"recruitsim --help {latency['help_seconds']:.2f} s; config error {latency['config_error_seconds']:.2f} s")
    if "sweep" in report:
        sw = report["sweep"]
        print(f"sweep of {sw['jobs']} jobs x {sw['replications']} runs: serial {sw['basic_seconds']:.1f} s, "
              f"2-core joblib {sw['joblib_seconds']:.1f} s ({sw['speedup']:.2f}x); Hydra per job "
              f"{sw['overhead_seconds_per_job']:.3f} s = {100 * sw['overhead_share_of_job']:.1f}% of a job")
    for row in report.get("growth", []):
        print(f"growth: {row['factor']:>10} = {row['value']:>6}: {1000 * row['seconds_per_step']:.2f} ms/step")


if __name__ == "__main__":
    main()
