"""Faults the commands must survive: a killed sweep worker, SIGTERM, Ctrl-C, full and read-only disks, two sweeps.

Each test runs the installed command as a separate process (in its own
process group, so that the test can tell whether anything outlives it),
injects one fault with a real signal, a real mount or a second command, and
checks what the user gets: the sweep goes on and lists what failed, one line
and exit status 130 or 143 with no process left behind, a clear message and
exit status 2 before anything is written, no run computed twice. Full and
read-only disks are small tmpfs mounts, where this machine permits them (root,
as in CI); those tests are skipped elsewhere. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from mounts import tmpfs

from sim.runs.store import Store

TINY = ["run.steps=6", "market.n_workers=200", "market.n_employers=10", "market.n_recruiters=5"]
#: Runs of half a second to a second: long enough to be in flight when the fault comes.
SLOW = ["run.steps=60", "market.n_workers=20000"]
#: Runs of many seconds: still running when the signal comes.
LONG = ["run.steps=3000", "market.n_workers=20000"]

MODULES = {"recruitsim": "sim.commands.run", "recruitsim-collect": "sim.commands.collect",
           "recruitsim-experiment": "experiments.run", "recruitsim-discover": "experiments.discovery",
           "recruitsim-app": "sim.app"}

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


def command(name: str) -> list[str]:
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.exists() else [sys.executable, "-m", MODULES[name]]


def environment() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("HYDRA_", "RECRUITSIM_"))}


def wait_until(predicate, timeout: float, interval: float = 0.02):
    """``predicate()``'s first true value within ``timeout`` seconds (None if it never came)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def group(pgid: int) -> list[int]:
    """The living processes of process group ``pgid`` (zombies, already dead, left out)."""
    members = []
    for path in Path("/proc").glob("[0-9]*"):
        fields = _stat(int(path.name))
        if fields and int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(path.name))
    return members


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used (user + system), from /proc."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


class Started:
    """A command running in its own process group, its output in files (no pipe to fill up)."""

    def __init__(self, args: list[str], cwd: Path, name: str = "command"):
        self.out_path, self.err_path = cwd / f"{name}.out", cwd / f"{name}.err"
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(args, cwd=cwd, env=environment(), stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    @property
    def stdout(self) -> str:
        return self.out_path.read_text()

    @property
    def stderr(self) -> str:
        return self.err_path.read_text()

    def kill_group(self) -> None:
        """Whatever is left of it, killed (the tests' own clean-up)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)


@contextlib.contextmanager
def started(args: list[str], cwd: Path, name: str = "command"):
    command_ = Started(args, cwd, name)
    try:
        yield command_
    finally:
        command_.kill_group()


def claims(sweep_dir: Path) -> list[tuple[str, int]]:
    """``(run_id, pid)`` of every run claimed in the store right now."""
    out = []
    for path in Store(sweep_dir).claims.glob("*.claim"):
        with contextlib.suppress(OSError, ValueError, KeyError):
            out.append((path.stem, int(json.loads(path.read_text())["pid"])))
    return out


@pytest.fixture
def main_in_process(monkeypatch):
    """``recruitsim``'s main() in this process with the given arguments; its exit status.

    For command lines refused before Hydra starts. The SIGTERM handler the
    command installs is put back afterwards.
    """
    from sim.commands import run

    before = signal.getsignal(signal.SIGTERM)

    def call(*args: str) -> int:
        monkeypatch.setattr(sys, "argv", ["recruitsim", *args])
        with pytest.raises(SystemExit) as exited:
            run.main()
        return exited.value.code

    yield call
    signal.signal(signal.SIGTERM, before)


# --------------------------------------------------------------------------- a killed sweep worker


@pytest.mark.slow  # about 35 s: a real sweep, a killed worker and a rerun
def test_a_killed_sweep_worker_fails_its_run_and_the_sweep_goes_on(tmp_path):
    """SIGKILL, what the out-of-memory killer sends, to the worker computing a run of ``recruitsim -m``."""
    sweep_dir = tmp_path / "sweep"
    args = [*command("recruitsim"), "-m", *SLOW, "seed=range(0,6)", "hydra.launcher.n_jobs=2",
            f"hydra.sweep.dir={sweep_dir}"]
    with started(args, tmp_path) as sweep:
        claimed = wait_until(lambda: claims(sweep_dir), timeout=180)
        assert claimed, "no run started"
        killed_run, worker = claimed[0]
        os.kill(worker, signal.SIGKILL)
        status = sweep.wait(300)
    out, err = sweep.stdout, sweep.stderr
    assert status == 1, out + err
    assert "Traceback" not in err and "TerminatedWorkerError" not in out + err
    records = {r["run_id"]: r for r in Store(sweep_dir).records()}
    assert len(records) == 6, "every run is recorded, the killed one too"
    killed = records.pop(killed_run)
    assert killed["status"] == "failed"
    assert "WorkerKilled" in killed["error"] and "killed by signal 9 (SIGKILL): out of memory?" in killed["error"]
    assert [r["status"] for r in records.values()] == ["completed"] * 5, "the other runs completed"
    failure_list = err[err.index("1 failed runs"):]
    assert f"run {killed_run}" in failure_list and "re-run the same command" in failure_list

    again = subprocess.run(args, cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("), skipped") == 5
    assert Store(sweep_dir).completed_record(killed_run) is not None, "the rerun completes the missing run"


# --------------------------------------------------------------------------- SIGTERM and Ctrl-C


def test_sigterm_ends_a_sweep_and_its_workers_with_one_line(tmp_path):
    sweep_dir = tmp_path / "sweep"
    args = [*command("recruitsim"), "-m", *LONG, "seed=range(0,4)", "hydra.launcher.n_jobs=2",
            f"hydra.sweep.dir={sweep_dir}"]
    with started(args, tmp_path) as sweep:
        assert wait_until(lambda: len(claims(sweep_dir)) >= 2, timeout=180), "both workers busy"
        os.kill(sweep.pid, signal.SIGTERM)  # to the command only, as `timeout` does
        status = sweep.wait(60)
        left = wait_until(lambda: not group(sweep.pid), timeout=5) or group(sweep.pid)
    assert status == 143, sweep.stderr
    assert left is True, f"processes outlived the command: {left}"
    lines = [line for line in sweep.stderr.splitlines() if "SIGTERM" in line]
    assert lines == [f"recruitsim: stopped by SIGTERM; completed runs are kept; run the same command again "
                     f"with hydra.sweep.dir={sweep_dir} to resume"]
    assert "Traceback" not in sweep.stderr


@pytest.mark.parametrize("signum, status, how", [(signal.SIGTERM, 143, "stopped by SIGTERM"),
                                                  (signal.SIGINT, 130, "interrupted")])
def test_a_single_run_ends_on_sigterm_or_ctrl_c_with_one_line(tmp_path, signum, status, how):
    run_dir = tmp_path / "run"
    args = [*command("recruitsim"), *LONG, f"hydra.run.dir={run_dir}"]
    with started(args, tmp_path) as run:
        assert wait_until(lambda: (run_dir / ".hydra").is_dir(), timeout=120), "the run started"
        os.kill(run.pid, signum)
        assert run.wait(60) == status, run.stderr
        assert wait_until(lambda: not group(run.pid), timeout=5)
    assert f"recruitsim: {how}; the run did not finish and wrote no results" in run.stderr
    assert "Traceback" not in run.stderr


def test_ctrl_c_while_a_big_grid_is_checked_ends_with_one_line(tmp_path):
    """The pre-check of 45,000 swept values takes seconds; Ctrl-C in the middle of it."""
    values = ",".join(str(1000 + i) for i in range(15_000))
    sweep_dir = tmp_path / "sweep"
    args = [*command("recruitsim"), "-m", f"policy.fine={values}", f"market.dest_wage={values}",
            f"market.home_wage={values}", f"hydra.sweep.dir={sweep_dir}"]
    with started(args, tmp_path) as check:
        # two seconds of CPU: past the imports, well inside the check (about 14 s of CPU here)
        assert wait_until(lambda: cpu_seconds(check.pid) >= 2.0, timeout=120)
        os.kill(check.pid, signal.SIGINT)
        assert check.wait(60) == 130, check.stderr
    assert check.stderr.strip() == "recruitsim: interrupted; nothing ran"
    assert not sweep_dir.exists()


@pytest.mark.parametrize("name, args, store", [
    ("recruitsim-experiment", ["claim", "--quick", "--jobs", "2", "--out", "OUT"], "OUT/runs"),
    ("recruitsim-discover", ["--quick", "--jobs", "2", "--out", "OUT"], "OUT/runs"),
])
def test_sigterm_ends_a_many_run_command_and_its_workers(tmp_path, name, args, store):
    out = tmp_path / "out"
    args = [str(out) if a == "OUT" else a for a in args]
    with started([*command(name), *args], tmp_path) as run:
        # the engine's two workers have started (and the command has not finished)
        assert wait_until(lambda: len(group(run.pid)) >= 3, timeout=180), run.stdout + run.stderr
        os.kill(run.pid, signal.SIGTERM)
        assert run.wait(60) == 143, run.stdout + run.stderr
        left = wait_until(lambda: not group(run.pid), timeout=5) or group(run.pid)
    assert left is True, f"processes outlived the command: {left}"
    said = run.stdout + run.stderr
    assert f"{name}: stopped by SIGTERM; " in said and "resume" in said
    assert "Traceback" not in said


def test_sigterm_ends_collect_with_one_line(tmp_path):
    """A store of 2,000 runs takes collect many seconds; SIGTERM in the middle."""
    from sim.runs.engine import run_many

    sweep_dir = tmp_path / "sweep"
    store = Store(sweep_dir)
    (done,) = run_many([{"run.steps": 6, "market.n_workers": 200, "seed": 0}], store=store, jobs=1,
                       progress=False).runs
    record, part = store.read_record(done.run_id), store.part_path(done.run_id).read_bytes()
    for i in range(2000):
        rid = f"{i:016x}"
        store.part_path(rid).write_bytes(part)
        store.record_path(rid).write_text(json.dumps({**record, "run_id": rid, "seed": i}))
    with started([*command("recruitsim-collect"), "-q", str(sweep_dir)], tmp_path) as collect:
        assert wait_until(lambda: cpu_seconds(collect.pid) >= 3.0, timeout=120)  # past the imports
        os.kill(collect.pid, signal.SIGTERM)
        assert collect.wait(60) == 143, collect.stderr
    assert collect.stderr.strip() == ("recruitsim-collect: stopped by SIGTERM; the store is unchanged and no "
                                      "table is half-written; run the same command again to collect")


# --------------------------------------------------------------------------- forms of the command line


def test_run_flag_is_prechecked_and_writes_nothing(tmp_path):
    run_dir = tmp_path / "D"
    done = subprocess.run([*command("recruitsim"), "--run", "policy.fine=-1", f"hydra.run.dir={run_dir}"],
                          cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "policy.fine=-1 is not allowed" in done.stderr
    assert not run_dir.exists() and not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("form", [["-r"], ["--"], ["-m", "--"], ["--resolve"], ["--package", "policy"]])
def test_every_form_that_runs_is_prechecked(tmp_path, main_in_process, capsys, form):
    key = "hydra.sweep.dir" if "-m" in form else "hydra.run.dir"
    assert main_in_process(*form, "policy.fine=-1", f"{key}={tmp_path / 'D'}") == 2
    assert "policy.fine=-1 is not allowed" in capsys.readouterr().err
    assert not (tmp_path / "D").exists()


def test_flags_hydra_cannot_take_together_or_other_config_folders_are_usage_errors(tmp_path, main_in_process,
                                                                                 capsys):
    assert main_in_process("-r", "-m", "seed=1") == 2
    assert "give only one of --run, --multirun" in capsys.readouterr().err
    assert main_in_process("--cfg", "job", "-m", "seed=1") == 2
    assert main_in_process("--config-dir", str(tmp_path), "seed=1") == 2
    assert "--config-dir is not supported for a run" in capsys.readouterr().err


def test_a_flag_that_only_shows_goes_to_hydra_unchecked(tmp_path):
    run_dir = tmp_path / "D"
    done = subprocess.run([*command("recruitsim"), "--cfg", "job", "policy.fine=5", f"hydra.run.dir={run_dir}"],
                          cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "fine: 5" in done.stdout
    assert not run_dir.exists()


# --------------------------------------------------------------------------- folders that cannot be written


def test_an_output_folder_under_a_file_is_refused_before_anything_runs(tmp_path, main_in_process, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    for args in ([*TINY, f"hydra.run.dir={blocker / 'run'}"], ["-m", *TINY, f"hydra.sweep.dir={blocker / 's'}"]):
        assert main_in_process(*args) == 2
        err = capsys.readouterr().err
        assert f"cannot write the output folder {blocker}/" in err and "is not a folder" in err


def test_a_read_only_output_folder_is_refused_with_exit_2(tmp_path):
    with tmpfs(tmp_path / "ro", "ro,size=1m") as folder:
        for args in ([*TINY, f"hydra.run.dir={folder / 'run'}"], ["-m", *TINY, f"hydra.sweep.dir={folder / 's'}"]):
            done = subprocess.run([*command("recruitsim"), *args], cwd=tmp_path, env=environment(),
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 2, done.stdout + done.stderr
            assert "cannot write the output folder" in done.stderr and "Read-only file system" in done.stderr
            assert "Traceback" not in done.stderr
        assert not any(folder.iterdir())


@pytest.mark.slow  # about 30 s: a sweep on a tiny tmpfs, then a rerun
def test_a_full_disk_stops_the_sweep_with_the_failure_list_and_a_rerun_resumes(tmp_path):
    """A real one: a tmpfs of 300 KiB holds a couple of runs (their job folders and store entries)."""
    with tmpfs(tmp_path / "small", "size=300k") as folder:
        sweep_dir = folder / "sweep"
        args = [*command("recruitsim"), "-m", *TINY, "seed=range(0,12)", "hydra.launcher.n_jobs=2",
                f"hydra.sweep.dir={sweep_dir}"]
        done = subprocess.run(args, cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert re.search(r"the sweep stopped: no space left on device while writing \S", done.stderr)
        assert "re-run the same command with hydra.sweep.dir=" in done.stderr
        store = Store(sweep_dir)
        kept = [r["run_id"] for r in store.records() if r["status"] == "completed"]
        assert 0 < len(kept) < 12
        assert all(store.completed_record(rid) for rid in kept), "what was written is intact"
        assert re.search(rf"sweep stopped: {len(kept)} runs completed", done.stdout)

        subprocess.run(["mount", "-o", "remount,size=16m", str(folder)], check=True)
        again = subprocess.run(args, cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert again.stdout.count("), skipped") == len(kept)
        assert sum(r["status"] == "completed" for r in store.records()) == 12


# --------------------------------------------------------------------------- two sweeps into one folder


@pytest.mark.slow  # about 12 s: two concurrent sweeps
def test_two_sweeps_into_one_folder_compute_each_run_once(tmp_path):
    sweep_dir = tmp_path / "sweep"
    args = [*command("recruitsim"), "-m", *SLOW, "seed=range(0,6)", "hydra.launcher.n_jobs=1",
            f"hydra.sweep.dir={sweep_dir}"]
    with started(args, tmp_path, "a") as a, started(args, tmp_path, "b") as b:
        assert a.wait(300) == 0, a.stderr
        assert b.wait(300) == 0, b.stderr
    computed = [len(re.findall(r"\] seed \d+: mean_fee_months", s.stdout)) for s in (a, b)]
    skipped = [s.stdout.count("), skipped") for s in (a, b)]
    assert sum(computed) == 6, f"every run computed once, by one of the two: {computed}"
    assert sum(skipped) == 6
    store = Store(sweep_dir)
    assert [r["status"] for r in store.records()] == ["completed"] * 6
    assert not list(store.claims.glob("*.claim")), "every claim released"


# --------------------------------------------------------------------------- the app's statistics page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.mark.parametrize("flags, status", [([], 404), (["--stats"], 200)])
def test_the_app_serves_its_statistics_page_only_when_asked(tmp_path, flags, status):
    pytest.importorskip("solara")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with started([*command("recruitsim-app"), "--port", str(port), *flags], tmp_path) as app:
        assert wait_until(lambda: http_status(f"{base}/") == 200, timeout=120, interval=0.5), app.stderr
        assert http_status(f"{base}/resourcez") == status
        assert http_status(f"{base}/resourcez?verbose") == status
        assert http_status(f"{base}/readyz") == 200
