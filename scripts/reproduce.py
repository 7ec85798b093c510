"""Rerun every experiment and analysis that reports numbers, from one clean commit, stage by stage.

Each committed report names the commit it ran on; this script makes that one
commit for all of them. It refuses a work tree with uncommitted changes to
tracked files, runs the stages below in order (each is the project's own
command, so each resumes from its results store after an interruption), and
keeps a log in ``results/reproduce.json``: per stage the commit, when it
started and ended, how long it took and how it exited. A stage already done
on the same commit is skipped, so the script can be stopped and started
again (``--only``/``--from`` pick stages, ``--list`` shows them).

    python scripts/reproduce.py --list
    python scripts/reproduce.py --jobs 2                  # everything, in order
    python scripts/reproduce.py --only claim_posterior_default --posterior-worlds 35

The claim's posterior stages grow: the worlds are drawn with a fixed seed, so
the first N worlds of a larger run are the N of a smaller one, and raising
``--posterior-worlds`` runs only the new worlds. How the sizes below cut the
predictions file's 500 worlds is docs/VALIDATION.md 4.4.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "results" / "reproduce.json"
PRIORS = ("default", "widened", "log")


@dataclass(frozen=True)
class Stage:
    """One command of the rerun: its name in the log, the console script and its arguments."""

    name: str
    command: str
    args: tuple[str, ...]
    about: str


def stages(jobs: int, posterior_worlds: int, robustness_seeds: int,
           posterior_seeds: int | None = None) -> list[Stage]:
    """Every stage, cheapest first, so that a short sitting still finishes whole reports."""
    j = ("--jobs", str(jobs))
    seeds = ("--seeds", str(posterior_seeds)) if posterior_seeds else ()
    out = [Stage(name, "recruitsim-experiment", (name, *j), f"the {name} experiment")
           for name in ("deterrence", "audit_design", "voice_and_brands", "public_channel")]
    out += [
        Stage("claim", "recruitsim-experiment", ("claim", *j), "the claim's verdict in the default world"),
        Stage("teaching_numbers", "python", ("scripts/teaching_numbers.py",), "docs/teaching.md's table"),
        Stage("discovery", "recruitsim-discover", j, "where certified recruiters win (the first version's case)"),
        Stage("discovery_fee_free", "recruitsim-discover",
              ("--case", "fee_free", "--out", "results/discovery_fee_free", *j), "where placements are fee-free"),
        Stage("discovery_delta_label", "recruitsim-discover",
              ("--case", "delta_label", "--out", "results/discovery_delta_label", *j),
              "where the label raises fee-free placements"),
        Stage("sensitivity", "recruitsim-sensitivity", j, "Morris screening and Sobol indices"),
        Stage("claim_robustness", "recruitsim-experiment",
              ("claim", "--part", "robustness", "--seeds", str(robustness_seeds), *j),
              "the verdict under every alternative behavioural rule (default world)"),
        Stage("claim_boundary", "recruitsim-experiment",
              ("claim", "--part", "boundary", "--seeds", str(robustness_seeds), *j),
              "the verdict along the parameters the data cannot decide (default world)"),
    ]
    for prior in PRIORS:
        out.append(Stage(f"claim_posterior_{prior}", "recruitsim-experiment",
                         ("claim", "--worlds", "posterior", "--prior", prior, "--n-worlds", str(posterior_worlds),
                          "--out", f"results/claim/posterior_{prior}", *seeds, *j),
                         f"the verdict over posterior worlds of the {prior} prior"))
    out.append(Stage("claim_report", "recruitsim-experiment", ("claim", "--skip-sweep", *j),
                     "the claim's main report again, with the robustness and boundary tables"))
    return out


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def clean_commit() -> str:
    """The HEAD commit; exits if code has uncommitted changes (what the reports say: results/ is output)."""
    from sim.runs.files import code_changes

    dirty = code_changes(git("status", "--porcelain"))
    if dirty:
        sys.exit("reproduce: the work tree has uncommitted changes; commit or drop them first, so that every "
                 "report names the commit it ran on:\n" + "\n".join(dirty))
    return git("rev-parse", "HEAD")


def executable(command: str) -> str:
    """A console script of this environment (beside the running Python), or the Python itself."""
    if command == "python":
        return sys.executable
    found = Path(sys.executable).parent / command
    return str(found) if found.exists() else (shutil.which(command) or command)


def read_log() -> dict:
    return json.loads(LOG.read_text()) if LOG.is_file() else {"stages": {}}


def write_log(log: dict) -> None:
    LOG.parent.mkdir(parents=True, exist_ok=True)
    LOG.write_text(json.dumps(log, indent=1) + "\n")


def run_stage(stage: Stage, commit: str, log: dict) -> int:
    """Run one stage, logging it before (so an interrupted stage shows as such) and after."""
    started = time.time()
    entry = {"commit": commit, "about": stage.about, "command": " ".join([stage.command, *stage.args]),
             "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "status": "running"}
    log["stages"][stage.name] = entry
    write_log(log)
    print(f"reproduce: {stage.name}: {entry['command']}", flush=True)
    code = subprocess.run([executable(stage.command), *stage.args], cwd=ROOT).returncode
    entry.update(ended=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 seconds=round(time.time() - started), status="done" if code == 0 else f"exit {code}")
    write_log(log)
    print(f"reproduce: {stage.name}: {entry['status']} after {entry['seconds'] / 60:.1f} min", flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reproduce", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs of every stage (default 2)")
    parser.add_argument("--posterior-worlds", type=int, default=35,
                        help="posterior worlds per prior for the claim (default 35: the fewest with which the "
                             "file's SUPPORTED reading is reachable; the file asks for 500)")
    parser.add_argument("--posterior-seeds", type=int, default=None,
                        help="seeds per cell of each posterior world (default: the file's test.seeds_per_world; "
                             "the file's pilot rule allows down to 48)")
    parser.add_argument("--robustness-seeds", type=int, default=48,
                        help="seeds per cell of the robustness and boundary parts (default 48, the file's "
                             "single-test floor)")
    parser.add_argument("--only", nargs="+", default=None, metavar="STAGE", help="run only these stages")
    parser.add_argument("--from", dest="start", default=None, metavar="STAGE", help="start at this stage")
    parser.add_argument("--force", action="store_true", help="rerun stages already done on this commit")
    parser.add_argument("--list", action="store_true", help="list the stages and what the log says of each")
    args = parser.parse_args(argv)
    plan = stages(args.jobs, args.posterior_worlds, args.robustness_seeds, args.posterior_seeds)
    names = [s.name for s in plan]
    for name in [*(args.only or []), *([args.start] if args.start else [])]:
        if name not in names:
            parser.error(f"unknown stage {name!r}; stages: {', '.join(names)}")
    log = read_log()
    if args.list:
        for s in plan:
            e = log["stages"].get(s.name, {})
            state = f"{e.get('status')} on {e.get('commit', '')[:12]}" + (
                f", {e['seconds'] / 60:.1f} min" if "seconds" in e else "") if e else "not run"
            print(f"{s.name:28s} {state:34s} {s.about}")
        return 0
    commit = clean_commit()
    if args.start:
        plan = plan[names.index(args.start):]
    if args.only:
        plan = [s for s in plan if s.name in args.only]
    for stage in plan:
        previous = log["stages"].get(stage.name, {})
        same = previous.get("commit") == commit and previous.get("status") == "done" and \
            previous.get("command") == " ".join([stage.command, *stage.args])
        if same and not args.force:
            print(f"reproduce: {stage.name}: done on this commit, skipped")
            continue
        code = run_stage(stage, commit, log)
        if code != 0:
            print(f"reproduce: stopped at {stage.name} (exit {code}); rerun to resume", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
