"""Measure the model's speed and memory: the numbers sweeps depend on.

Usage:
    python scripts/benchmark.py                 # 10k and 100k workers, and the default run
    python scripts/benchmark.py --sizes 10000 100000 1000000

For each size the market is scaled with the workers (one employer per 50
workers, one recruiter per ~167, as in the default world) and run in a
fresh process so its peak memory is its own. Time per step is measured over
a window after a warm-up, apart from building the model and starting Python.
Results are printed and written to results/benchmark/benchmark.{json,csv}.
This is a measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import csv
import json
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


def in_child(flag: str, value: str = "") -> dict:
    out = subprocess.run([sys.executable, __file__, flag, value], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmark")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--default-run", action="store_true", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.one:
        print(json.dumps(measure_size(int(args.one))))
        return
    if args.default_run:
        print(json.dumps(measure_default_run()))
        return

    rows = []
    for size in args.sizes:
        print(f"measuring {size:,} workers ...", file=sys.stderr, flush=True)
        rows.append(in_child("--one", str(size)))
    default = in_child("--default-run")
    report = {"machine": platform.platform(), "python": platform.python_version(), "sizes": rows,
              "default_run": default, "window_steps": WINDOW, "warmup_steps": WARMUP}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmark.json").write_text(json.dumps(report, indent=2) + "\n")
    with open(args.out / "benchmark.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    print(f"{'workers':>10} {'build s':>8} {'ms/step':>8} {'worker-steps/s':>15} {'peak MB':>8} {'B/worker':>9}")
    for row in rows:
        print(f"{row['n_workers']:>10,} {row['build_seconds']:>8.2f} {1000 * row['seconds_per_step']:>8.2f} "
              f"{row['worker_steps_per_second']:>15,.0f} {row['peak_memory_mb']:>8.0f} {row['bytes_per_worker']:>9.0f}")
    print(f"default run ({default['n_workers']:,} workers x {default['steps']} months): "
          f"{default['wall_seconds']:.2f} s wall, {default['cpu_seconds']:.2f} s CPU")


if __name__ == "__main__":
    main()
