"""The run-many engine: one computation per run, kept in the store, the same on a pool and on Dask.

The Dask tests start a real scheduler and two workers as separate processes
on 127.0.0.1 (``dask scheduler`` / ``dask worker`` of this environment, the
same commands the README gives for plain machines) and stop them in a
``finally``. Runs are tiny unless a test needs them in flight.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.runs import engine
from sim.runs.engine import FAIL_SEEDS_ENV, RunSpec, run_many
from sim.runs.store import Store, run_id

TINY = {"run.steps": 12, "market.n_workers": 300, "market.n_employers": 6, "market.n_recruiters": 5}
#: About a second a run on the development machine: long enough to be in flight when a worker is killed.
SLOW = {"run.steps": 60, "market.n_workers": 30_000}


def points(n: int, world: dict = TINY, first_seed: int = 0) -> list[dict]:
    return [{**world, "seed": s} for s in range(first_seed, first_seed + n)]


def summaries(batch) -> list:
    return [r.summary for r in batch.runs]


# --------------------------------------------------------------------------- the engine, locally


def test_each_run_once_in_input_order_and_found_again(tmp_path):
    items = [*points(3), points(1)[0]]  # the first point twice: one run, two answers
    first = run_many(items, store=tmp_path, jobs=1, progress=False)
    assert [r.run_id for r in first.runs][:3] == [run_id(engine.specs_from_points([p])[0].config)
                                                  for p in items[:3]]
    assert first.runs[3].run_id == first.runs[0].run_id and first.runs[3].summary == first.runs[0].summary
    assert first.computed == 3 and first.reused == 0
    assert len(Store(tmp_path).record_files()) == 3
    again = run_many(items, store=tmp_path, jobs=1, progress=False, timeseries=True)
    assert again.computed == 0 and again.reused == 3
    assert summaries(again) == summaries(first)
    part = pd.read_parquet(Store(tmp_path).part_path(first.runs[1].run_id))
    pd.testing.assert_frame_equal(again.runs[1].timeseries, part)


def test_a_failing_run_is_recorded_and_the_rest_complete(tmp_path, monkeypatch):
    monkeypatch.setenv(FAIL_SEEDS_ENV, "1")
    items = [*points(3), {**TINY, "seed": 4, "market.search_prob": 7.0}]
    batch = run_many(items, store=tmp_path, jobs=2, progress=False)
    assert [r.status for r in batch.runs] == ["completed", "failed", "completed", "failed"]
    assert batch.runs[1].error.startswith("RuntimeError: injected failure for seed 1")
    assert batch.runs[3].run_id is None and "search_prob" in batch.runs[3].error  # invalid: never run
    record = Store(tmp_path).read_record(batch.runs[1].run_id)
    assert record["status"] == "failed" and record["error"] == batch.runs[1].error
    assert len(Store(tmp_path).record_files()) == 3, "an invalid config has no run to record"
    monkeypatch.delenv(FAIL_SEEDS_ENV)
    retry = run_many(items[:3], store=tmp_path, jobs=2, progress=False)
    assert retry.computed == 1 and [r.status for r in retry.runs] == ["completed"] * 3


def test_the_pool_gives_the_numbers_of_one_process():
    serial = run_many(points(4), jobs=1, progress=False)
    pooled = run_many(points(4), jobs=2, progress=False)
    assert summaries(serial) == summaries(pooled)


def test_a_sweep_finds_the_engines_runs_and_the_engine_a_sweeps(tmp_path):
    """One store: a job of ``recruitsim -m`` skips what the engine ran, and the other way round."""
    from sim.config import check_config, compose_config
    from sim.runs.sweep import run_job

    overrides = [f"{k}={v}" for k, v in TINY.items()]
    run_many([check_config(compose_config([*overrides, "seed=0"]))], store=tmp_path, jobs=1, progress=False)
    outcomes = run_job(compose_config([*overrides, "seed=0", "run.replications=2"]), sweep_dir=tmp_path,
                       job_dir=tmp_path / "job")
    assert [o.status for o in outcomes] == ["skipped", "completed"]
    batch = run_many([RunSpec(check_config(compose_config([*overrides, f"seed={s}"]))) for s in (0, 1)],
                     store=tmp_path, jobs=1, progress=False)
    assert batch.computed == 0 and batch.reused == 2


# --------------------------------------------------------------------------- a Dask cluster on 127.0.0.1


class Cluster:
    """A scheduler and two single-threaded workers, each a process of its own (process groups)."""

    def __init__(self, folder: Path, nanny: bool = True):
        self.folder = folder
        self.file = folder / "scheduler.json"
        self.processes: list[subprocess.Popen] = []
        self.nanny = nanny

    def _start(self, *args: str, log: str) -> subprocess.Popen:
        dask = Path(sys.executable).with_name("dask")
        command = [str(dask)] if dask.exists() else [sys.executable, "-m", "dask"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECRUITSIM_")}
        process = subprocess.Popen([*command, *args], stdout=subprocess.DEVNULL,
                                   stderr=open(self.folder / log, "w"), env=env, start_new_session=True)
        self.processes.append(process)
        return process

    def __enter__(self) -> Cluster:
        try:
            self._start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                        "--scheduler-file", str(self.file), log="scheduler.log")
            deadline = time.monotonic() + 60
            while not self.file.exists() or not self.file.read_text().strip().endswith("}"):
                assert time.monotonic() < deadline, (self.folder / "scheduler.log").read_text()
                time.sleep(0.1)
            self.address = json.loads(self.file.read_text())["address"]
            self.workers = [self._start("worker", "--scheduler-file", str(self.file), "--nworkers", "1",
                                        "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
                                        *(() if self.nanny else ("--no-nanny",)), log=f"worker{i}.log")
                            for i in range(2)]
            from distributed import Client

            with Client(self.address, timeout="30s") as client:
                client.wait_for_workers(2, timeout=90)
                self.worker_pids = list(client.run(os.getpid).values())
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(15)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster(tmp_path_factory.mktemp("dask")) as running:
        yield running


def test_runs_on_a_dask_cluster_equal_the_local_runs(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv(FAIL_SEEDS_ENV, "2")  # read here, by the calling process: workers need no setting
    items = [*points(5), {**TINY, "seed": 9, "market.search_prob": 7.0}]
    remote = run_many(items, store=tmp_path / "remote", scheduler=cluster.address, progress=False)
    local = run_many(items, store=tmp_path / "local", jobs=1, progress=False)
    assert [r.run_id for r in remote.runs] == [r.run_id for r in local.runs]
    assert [r.status for r in remote.runs] == ["completed", "completed", "failed", "completed", "completed",
                                               "failed"]
    assert summaries(remote) == summaries(local)
    for r in local.runs[:2]:
        pd.testing.assert_frame_equal(pd.read_parquet(Store(tmp_path / "remote").part_path(r.run_id)),
                                      pd.read_parquet(Store(tmp_path / "local").part_path(r.run_id)))


def test_the_scheduler_comes_from_the_environment_variable(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv(engine.SCHEDULER_ENV, cluster.address)
    from experiments import batch

    frame = batch.evaluate(points(3), store=tmp_path, progress=False)
    assert frame["error"].isna().all()
    monkeypatch.delenv(engine.SCHEDULER_ENV)
    assert frame.equals(batch.evaluate(points(3), jobs=1, progress=False).assign(
        wall_seconds=frame["wall_seconds"])), "the same numbers as one local process"


@pytest.mark.slow
def test_an_analysis_through_scheduler_equals_the_local_one(cluster, tmp_path):
    """``recruitsim-sensitivity --quick --scheduler ADDRESS`` writes the tables of a local run."""
    from experiments import sensitivity

    assert sensitivity.main(["--quick", "--scheduler", cluster.address, "--out", str(tmp_path / "dask")]) == 0
    assert sensitivity.main(["--quick", "--jobs", "2", "--out", str(tmp_path / "local")]) == 0
    for name in ("morris.csv", "sobol.csv", "seed_noise.csv", "morris_sample.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "dask" / name), pd.read_csv(tmp_path / "local" / name))


def test_an_unreachable_scheduler_is_a_usage_error(tmp_path, capsys):
    from experiments import discovery

    assert discovery.main(["--quick", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err and "Traceback" not in err


def test_a_dask_worker_killed_mid_batch_loses_no_run_and_the_batch_completes(tmp_path):
    """SIGKILL to one of two workers while runs are in flight: Dask runs them on the other."""
    store = Store(tmp_path / "runs")
    with Cluster(tmp_path, nanny=False) as running:
        import threading

        kept: dict[str, int] = {}

        def kill_after_first_record() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not store.record_files():
                time.sleep(0.05)
            kept.update(store.snapshot())
            os.kill(running.worker_pids[0], signal.SIGKILL)

        killer = threading.Thread(target=kill_after_first_record, daemon=True)
        killer.start()
        batch = run_many(points(4, SLOW), store=store.sweep_dir, scheduler=running.address, progress=False)
        killer.join(5)
        assert running.workers[0].poll() is not None or running.workers[1].poll() is not None, "a worker died"
    assert kept, "the worker was killed after a run had been recorded"
    assert [r.status for r in batch.runs] == ["completed"] * 4
    after = store.snapshot()
    assert all(after[name] == mtime for name, mtime in kept.items()), "runs recorded before the kill are kept"
    assert batch.computed == 4
