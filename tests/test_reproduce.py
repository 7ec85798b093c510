"""scripts/reproduce.py: every stage is a valid command, a dirty tree is refused, a done stage is skipped."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from experiments import discovery, run, sensitivity
from sim.runs.posterior import worlds_from_frame

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "reproduce.py"
spec = importlib.util.spec_from_file_location("reproduce", SCRIPT)
reproduce = importlib.util.module_from_spec(spec)
sys.modules["reproduce"] = reproduce  # dataclasses look their module up there
spec.loader.exec_module(reproduce)

PARSERS = {"recruitsim-experiment": run._parser, "recruitsim-discover": discovery._parser,
           "recruitsim-sensitivity": sensitivity._parser}


def test_every_stage_is_a_command_its_parser_accepts():
    plan = reproduce.stages(jobs=2, posterior_worlds=35, robustness_seeds=12, posterior_seeds=48)
    names = [s.name for s in plan]
    assert len(names) == len(set(names))
    for stage in plan:
        if stage.command == "python":
            assert (SCRIPT.parent.parent / stage.args[0]).is_file()
            continue
        PARSERS[stage.command]().parse_args(list(stage.args))  # exits 2 on an argument it does not know
    posterior = [s for s in plan if s.name.startswith("claim_posterior_")]
    assert {s.args[s.args.index("--prior") + 1] for s in posterior} == {"default", "widened", "log"}
    assert len({s.args[s.args.index("--out") + 1] for s in posterior}) == 3  # one folder per prior
    assert all(s.args[s.args.index("--seeds") + 1] == "48" for s in posterior)
    assert all(s.args[s.args.index("--seeds") + 1] == "12" for s in plan if s.name in ("claim_robustness", "claim_boundary"))
    default = reproduce.stages(jobs=2, posterior_worlds=35, robustness_seeds=48)
    assert not any("--seeds" in s.args for s in default if s.name.startswith("claim_posterior_"))  # the file's own


def test_a_work_tree_with_uncommitted_changes_is_refused(monkeypatch):
    monkeypatch.setattr(reproduce, "git", lambda *a: " M sim/model/workers.py" if a[0] == "status" else "abc")
    with pytest.raises(SystemExit, match="uncommitted changes"):
        reproduce.clean_commit()
    # reports an earlier stage (or an interrupted run) rewrote are output, not code
    monkeypatch.setattr(reproduce, "git", lambda *a: "M results/claim/report.md\n?? results/reproduce.json"
                        if a[0] == "status" else "abc")
    assert reproduce.clean_commit() == "abc"


def test_a_stage_done_on_the_same_commit_is_skipped_and_a_failure_stops_the_rest(monkeypatch, tmp_path):
    monkeypatch.setattr(reproduce, "LOG", tmp_path / "reproduce.json")
    monkeypatch.setattr(reproduce, "git", lambda *a: "" if a[0] == "status" else "c0ffee")
    ran = []

    def fake(stage, commit, log):
        ran.append(stage.name)
        log["stages"][stage.name] = {"commit": commit, "status": "done",
                                     "command": " ".join([stage.command, *stage.args])}
        reproduce.write_log(log)
        return 1 if stage.name == "audit_design" else 0

    monkeypatch.setattr(reproduce, "run_stage", fake)
    assert reproduce.main(["--only", "deterrence", "audit_design", "public_channel"]) == 1
    assert ran == ["deterrence", "audit_design"]  # stopped at the failure
    ran.clear()
    assert reproduce.main(["--only", "deterrence"]) == 0 and ran == []  # done on this commit
    assert json.loads((tmp_path / "reproduce.json").read_text())["stages"]["deterrence"]["commit"] == "c0ffee"
    with pytest.raises(SystemExit) as exc:
        reproduce.main(["--only", "nonsense"])
    assert exc.value.code == 2


def test_more_posterior_worlds_keep_the_first_ones():
    """The claim's posterior stages grow by raising --n-worlds: the first worlds must not change."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"prior": "default", "generation": 2, "weight": rng.random(40),
                          "market.switch_confidence": rng.random(40)})
    assert worlds_from_frame(frame, 10) == worlds_from_frame(frame, 35)[:10]


def test_rewritten_results_do_not_make_the_code_dirty_but_changed_code_does(tmp_path):
    """Reports rerun one after another must all name a clean commit; changed code must not."""
    import subprocess

    from sim.runs.files import git_state

    def sh(*args):
        subprocess.run(args, cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "sim").mkdir()
    (tmp_path / "results" / "claim").mkdir(parents=True)
    (tmp_path / "results" / "calibration").mkdir()
    for name in ("sim/model.py", "results/claim/report.md", "results/calibration/posterior.parquet"):
        (tmp_path / name).write_text("v1\n")
    sh("git", "init", "-q")
    sh("git", "-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    sh("git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "one")
    assert git_state(tmp_path)["dirty"] is False
    (tmp_path / "results/claim/report.md").write_text("v2\n")
    (tmp_path / "results/claim/figures").mkdir()
    (tmp_path / "results/claim/figures/a.png").write_text("x")
    assert git_state(tmp_path)["dirty"] is False
    (tmp_path / "results/calibration/posterior.parquet").write_text("v2\n")  # a new calibration's output
    assert git_state(tmp_path)["dirty"] is False
    (tmp_path / "sim/model.py").write_text("v2\n")
    assert git_state(tmp_path)["dirty"] is True
