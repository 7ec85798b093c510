"""Faults a batch of runs must survive: killed workers, a damaged store, two writers, bad folders, a full disk.

Each test injects one fault and checks what the user gets: the run recorded
failed and the rest completed, a damaged file named and its run computed
again, no run computed twice, or one clear message and exit status instead
of a traceback. Full and read-only disks are real when this machine lets the
test mount a small tmpfs (root, as in CI), and simulated otherwise.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from mounts import tmpfs

from sim.runs import engine
from sim.runs.collect import CollectError, collect
from sim.runs.engine import StoreWriteError, run_many
from sim.runs.store import Store, StoreNotWritable

TINY = {"run.steps": 12, "market.n_workers": 300, "market.n_employers": 6, "market.n_recruiters": 5}
#: Runs of about half a second or more: long enough to be in flight when something happens.
SLOW = {"run.steps": 60, "market.n_workers": 30_000}


def points(n: int, world: dict = TINY) -> list[dict]:
    return [{**world, "seed": s} for s in range(n)]


# --------------------------------------------------------------------------- a killed worker


def test_a_killed_pool_worker_fails_its_run_and_the_batch_goes_on(tmp_path):
    """SIGKILL (what the out-of-memory killer sends) to a local worker while it runs."""
    killed: list[int] = []

    def kill_a_busy_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pool = engine._SHARED_POOL
            busy = [w for w in (pool.workers if pool else []) if w.index is not None and w.alive()]
            if busy:
                time.sleep(0.2)  # well inside a run of half a second or more
                killed.append(busy[0].index)
                os.kill(busy[0].process.pid, signal.SIGKILL)
                return
            time.sleep(0.01)

    engine.shutdown()  # fresh workers: the first run of each is the slowest
    killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
    killer.start()
    batch = run_many(points(5, SLOW), store=tmp_path, jobs=2, progress=False)
    killer.join(5)
    assert len(killed) == 1
    statuses = [r.status for r in batch.runs]
    assert statuses.count("failed") == 1 and statuses[killed[0]] == "failed", statuses
    error = batch.runs[killed[0]].error
    assert error.startswith("WorkerDied:") and "SIGKILL" in error
    assert Store(tmp_path).read_record(batch.runs[killed[0]].run_id)["status"] == "failed"
    again = run_many(points(5, SLOW), store=tmp_path, jobs=2, progress=False)
    assert again.computed == 1 and [r.status for r in again.runs] == ["completed"] * 5


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_killed_command_leaves_no_worker_running(tmp_path):
    """SIGKILL to the process that owns the pool: its workers end too, mid-run or idle."""
    # runs of a minute or so: a worker left alone would go on computing long after the test
    code = ("from sim.runs.engine import run_many\n"
            f"run_many([{{'run.steps': 6000, 'market.n_workers': 30000, 'seed': s}} for s in range(4)], "
            f"store={str(tmp_path)!r}, jobs=2, progress=False)\n")
    command = subprocess.Popen([sys.executable, "-c", code])
    claims = Store(tmp_path).claims
    try:
        deadline = time.monotonic() + 60
        while (len(_children(command.pid)) < 2 or len(list(claims.glob("*.claim"))) < 2) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = _children(command.pid)
        assert len(workers) == 2
        time.sleep(4)  # each worker has imported the model and is inside its run
        command.kill()
        command.wait(10)
        deadline = time.monotonic() + 3
        while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in workers if Path(f"/proc/{pid}").exists()
                and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]]
        assert not left, "workers outlived their command"
    finally:
        if command.poll() is None:
            command.kill()


# --------------------------------------------------------------------------- a damaged store


@pytest.fixture
def store_of_four(tmp_path) -> Store:
    run_many(points(4), store=tmp_path, jobs=1, progress=False)
    return Store(tmp_path)


def _rids(store: Store) -> list[str]:
    return [p.stem for p in store.record_files()]


def test_a_corrupt_or_foreign_part_is_named_by_collect_and_its_run_computed_again(store_of_four):
    store = store_of_four
    corrupt, foreign, missing, _ = _rids(store)
    data = store.part_path(corrupt).read_bytes()
    store.part_path(corrupt).write_bytes(data[: len(data) // 2])  # truncated
    pd.DataFrame({"a": [1, 2], "b": [3.0, 4.0]}).to_parquet(store.part_path(foreign))  # unrelated columns
    store.part_path(missing).unlink()
    with pytest.raises(CollectError) as refused:
        collect(store.sweep_dir, progress=False)
    message = str(refused.value)
    assert f"{corrupt}.parquet: not a readable Parquet file" in message
    assert f"{foreign}.parquet: its columns (a, b) are not the model's outcome columns" in message
    assert f"{missing}.parquet: missing" in message
    assert not (store.sweep_dir / "collected").exists(), "nothing merged"
    for rid in (corrupt, foreign, missing):
        assert store.completed_record(rid) is None, "a damaged run does not count as completed"

    again = run_many(points(4), store=store.sweep_dir, jobs=1, progress=False)
    assert again.computed == 3 and again.reused == 1
    assert collect(store.sweep_dir, progress=False)["completed"] == 4


def test_a_part_replaced_by_another_runs_part_is_found_by_its_hash(store_of_four):
    """A readable timeseries of the model, but not the one this run wrote."""
    store = store_of_four
    first, second, *_ = _rids(store)
    store.part_path(first).write_bytes(store.part_path(second).read_bytes())
    assert store.completed_record(first) is None and store.completed_record(second) is not None
    with pytest.raises(CollectError, match=rf"{first}.parquet: not the file its run wrote"):
        collect(store.sweep_dir, progress=False)


def test_a_truncated_record_is_named_and_its_run_counts_as_missing(store_of_four):
    store = store_of_four
    rid = _rids(store)[2]
    text = store.record_path(rid).read_text()
    store.record_path(rid).write_text(text[: len(text) // 3])  # what a full disk can leave
    with pytest.raises(CollectError, match=rf"{rid}.json: not valid JSON \(truncated or corrupt\)"):
        collect(store.sweep_dir, progress=False)
    assert store.completed_record(rid) is None
    again = run_many(points(4), store=store.sweep_dir, jobs=1, progress=False)
    assert again.computed == 1
    assert json.loads(store.record_path(rid).read_text())["status"] == "completed"


def test_collect_command_names_the_damaged_file_without_a_traceback(store_of_four):
    store = store_of_four
    rid = _rids(store)[0]
    store.part_path(rid).write_bytes(b"PAR1 not a parquet file PAR1")
    script = Path(sys.executable).with_name("recruitsim-collect")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sim.commands.collect"]
    done = subprocess.run([*command, str(store.sweep_dir)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"{store.part_path(rid)}: not a readable Parquet file" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_sweep_job_reruns_a_run_whose_part_is_damaged(tmp_path):
    """Sweeps get the check through the store: ``Store.is_completed`` verifies the part."""
    from sim.config import compose_config
    from sim.runs.sweep import run_job

    cfg = compose_config([f"{k}={v}" for k, v in TINY.items()] + ["seed=0"])
    (first,) = run_job(cfg, sweep_dir=tmp_path, job_dir=tmp_path / "job")
    assert run_job(cfg, sweep_dir=tmp_path, job_dir=tmp_path / "job")[0].status == "skipped"
    Store(tmp_path).part_path(first.run_id).write_bytes(b"garbage")
    assert run_job(cfg, sweep_dir=tmp_path, job_dir=tmp_path / "job")[0].status == "completed"


# --------------------------------------------------------------------------- two writers, one store


WRITER = """
import json, sys, time
from pathlib import Path
from sim.runs.engine import run_many
folder, me, other = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
points = [{"run.steps": 60, "market.n_workers": 10000, "seed": s} for s in range(6)]
(folder / me).touch()
while not (folder / other).exists():  # start together: both find every run missing
    time.sleep(0.01)
batch = run_many(points, store=folder / "runs", jobs=1, progress=False)
print(json.dumps({"computed": batch.computed, "statuses": [r.status for r in batch.runs],
                  "summaries": [r.summary for r in batch.runs]}))
"""


def test_two_batches_into_one_store_compute_each_run_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECRUITSIM_")}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), me, other], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
             for me, other in (("a.ready", "b.ready"), ("b.ready", "a.ready"))]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(o["computed"] for o in outs) == 6, "every run computed once, by one of the two"
    assert all(o["statuses"] == ["completed"] * 6 for o in outs)
    assert outs[0]["summaries"] == outs[1]["summaries"]
    assert not list((tmp_path / "runs" / "store" / "claims").iterdir()), "every claim released"


def test_a_claim_of_a_live_process_is_waited_for_and_a_dead_ones_taken_over(tmp_path):
    from sim.runs.store import _machine, _process_start

    store = Store(tmp_path)
    store.claims.mkdir(parents=True)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        claim = {"pid": other.pid, "machine": _machine(), "process_start": _process_start(other.pid)}
        store.claim_path("live").write_text(json.dumps(claim))
        assert not store.claim("live") and store.claimed_by_other("live")
        answer: list[bool] = []
        waiter = threading.Thread(target=lambda: answer.append(store.is_completed("live")), daemon=True)
        waiter.start()
        time.sleep(0.5)
        assert not answer, "is_completed waits while another process computes the run"
        store.claim_path("live").unlink()  # the other process finished without a record (it failed)
        waiter.join(10)
        assert answer == [False] and store.claim_path("live").exists(), "now it is this process's to run"
        store.release("live")
    finally:
        other.kill()
        other.wait()
    dead = {"pid": other.pid, "machine": _machine(), "process_start": claim["process_start"]}
    store.claim_path("dead").write_text(json.dumps(dead))
    assert store.claim("dead"), "a claim whose process is gone is stale"


# --------------------------------------------------------------------------- folders that cannot be written


def test_a_store_under_a_file_is_refused_before_any_run(tmp_path, capsys):
    from experiments import discovery

    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreNotWritable, match="cannot write the results store"):
        run_many(points(1), store=blocker / "runs", jobs=1, progress=False)
    assert discovery.main(["--quick", "--jobs", "1", "--out", str(blocker / "discovery")]) == 2
    err = capsys.readouterr().err
    assert "cannot write the results store" in err and "Traceback" not in err


def test_a_read_only_folder_is_refused_with_exit_2(tmp_path):
    """A read-only mount stops even root (which ``os.access`` and file modes do not)."""
    with tmpfs(tmp_path / "ro", "ro,size=1m") as folder:
        script = Path(sys.executable).with_name("recruitsim-experiment")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "experiments.run"]
        done = subprocess.run([*command, "claim", "--quick", "--out", str(folder / "claim")], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"cannot write the results store {folder / 'claim' / 'runs' / 'store'}" in done.stdout + done.stderr
        assert "Read-only file system" in done.stdout + done.stderr
        assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------- a full disk


def test_a_full_disk_stops_the_batch_with_the_failure_list(tmp_path):
    """A real one: a tmpfs of 256 KiB holds a few runs, then writing fails with ENOSPC."""
    with tmpfs(tmp_path / "small", "size=256k") as folder:
        with pytest.raises(StoreWriteError) as stopped:
            run_many(points(40, {**TINY, "run.steps": 240}), store=folder, jobs=1, progress=False)
        message = str(stopped.value)
        assert "No space left on device" in message and "The batch stopped" in message
        assert stopped.value.failed and stopped.value.failed[0].error.startswith("StoreWriteError:")
        kept = [r for r in Store(folder).records() if r["status"] == "completed"]
        assert 0 < len(kept) < 40
        assert all(Store(folder).completed_record(r["run_id"]) for r in kept), "what was written is intact"


def test_a_full_disk_in_an_analysis_ends_with_a_message_and_status_1(tmp_path, monkeypatch, capsys):
    """Simulated: the part writer raises ENOSPC after two runs (works without root)."""
    from experiments import discovery
    from sim.runs import files

    real = files.atomic_open
    written = []

    def filling(path, mode="w"):
        if str(path).endswith(".parquet"):
            written.append(path)
            if len(written) > 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, mode)

    monkeypatch.setattr(files, "atomic_open", filling)
    assert discovery.main(["--quick", "--jobs", "1", "--out", str(tmp_path / "discovery")]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "The batch stopped; 2 runs completed and are kept" in err
    assert "1 failed runs:" in err and "Traceback" not in err
    store = Store(tmp_path / "discovery" / "runs")
    statuses = sorted(r["status"] for r in store.records())
    assert statuses == ["completed", "completed", "failed"], "the run that could not be written is recorded failed"


@pytest.mark.parametrize("error", [
    OSError(28, "error writing bytes to file. Detail: [errno 28] No space left on device"),  # pyarrow, errno set
    OSError("error writing bytes to file. Detail: [errno 28] No space left on device"),  # pyarrow, in text only
    OSError(28, "No space left on device", "/sweep/store/.part.parquet.x1y2.tmp"),  # an atomic write's temp file
])
def test_a_full_disk_is_named_in_plain_words_whoever_raised_it(error):
    """The message names the errno's meaning (not pyarrow's wording) and the file, or what was written."""
    from sim.runs.sweep import write_problem

    message = write_problem(error, "the results store")
    assert message.startswith("no space left on device while writing ")
    assert message.endswith(("/sweep/store/part.parquet", "the results store"))
