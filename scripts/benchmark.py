"""Measure the model's speed and memory: the numbers sweeps depend on.

Usage:
    python scripts/benchmark.py                 # 10k, 100k and 1M workers, the default run, ...
    python scripts/benchmark.py --sizes 10000 100000 --growth

For each size the market is scaled with the workers (one employer per 50
workers, one recruiter per ~167, as in the default world) and run in a
fresh process so its peak memory is its own. Time per step is measured over
a window after a warm-up, apart from building the model and starting Python.
It also times the worker choice step against a reference written the
idiomatic per-agent Mesa way (one agent object per worker, a Python loop over
recruiters, ``shuffle_do``), and how a step's cost grows with recruiters,
employers and months (``--growth``).
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


def measure_size(n_workers: int) -> dict:
    """Build and step one scaled model; return timings and peak memory (run in a child process)."""
    sys.path.insert(0, str(ROOT))
    from sim.config import build_config
    from sim.model import RecruitmentModel

    config = build_config({"market.n_workers": n_workers, "market.n_employers": max(n_workers // 50, 1),
                           "market.n_recruiters": max(round(n_workers * 30 / 5000), 1)})
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
            "bytes_per_worker": peak_kb * 1024 / n_workers}


def measure_default_run() -> dict:
    """The default configuration, built and run for its full horizon."""
    sys.path.insert(0, str(ROOT))
    from sim.config import build_config
    from sim.model import RecruitmentModel

    config = build_config({})
    start = time.perf_counter()
    cpu = time.process_time()
    model = RecruitmentModel(config)
    model.run_model()
    return {"n_workers": config.market.n_workers, "steps": config.run.steps,
            "wall_seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
            "worker_steps_per_second": config.market.n_workers * config.run.steps / (time.perf_counter() - start)}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmark")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--default-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
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

    rows = []
    for size in args.sizes:
        print(f"measuring {size:,} workers ...", file=sys.stderr, flush=True)
        rows.append(in_child("--one", str(size)))
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
              "window_steps": WINDOW, "warmup_steps": WARMUP}
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

    print(f"{'workers':>10} {'build s':>8} {'ms/step':>8} {'worker-steps/s':>15} {'us/worker-step':>15} "
          f"{'peak MB':>8} {'B/worker':>9} {'marginal B':>10}")
    for row in rows:
        marginal = row["marginal_bytes_per_worker"]
        print(f"{row['n_workers']:>10,} {row['build_seconds']:>8.2f} {1000 * row['seconds_per_step']:>8.2f} "
              f"{row['worker_steps_per_second']:>15,.0f} {row['us_per_worker_step']:>15.3f} "
              f"{row['peak_memory_mb']:>8.0f} {row['bytes_per_worker']:>9.0f} "
              f"{'' if marginal is None else f'{marginal:.0f}':>10}")
    print(f"default run ({default['n_workers']:,} workers x {default['steps']} months): "
          f"{default['wall_seconds']:.2f} s wall, {default['cpu_seconds']:.2f} s CPU")
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
