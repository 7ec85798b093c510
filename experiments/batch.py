"""Run many parameter points in-process, in parallel, with resumable results.

Calibration, sensitivity analysis and scenario discovery each need hundreds to
thousands of runs whose parameters come from a sampler rather than from a grid
of Hydra overrides. Going through ``recruitsim -m`` would cost a process
launch and a config composition per job; here each point is a dict of dotted
config overrides turned into a validated config by
:func:`sim.config.build_config` and run by :func:`sim.runs.simulate.simulate` in a
pool of worker processes (joblib), so a run costs only the model itself.

No lost results: with a ``cache_dir``, points are run in chunks and each chunk's
outcomes are written atomically to ``cache_dir/<hash>.parquet``, the hash
covering the chunk's configs and the model's source fingerprint. Rerunning an
interrupted analysis reads the finished chunks and runs only the rest; a
changed model or sample never reuses stale numbers.

A point whose run raises is not fatal: its outcomes are NaN and ``error``
holds the message, so the caller can report it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

#: The tiny world of every analysis's ``--quick`` version (tests): about 0.05 s a run.
QUICK_WORLD = {"run.steps": 36, "market.n_workers": 600, "market.n_employers": 10, "market.n_recruiters": 8}

#: Outcomes kept for every point (summary means over the run's last window).
DEFAULT_OUTCOMES = ("certified_share", "mean_fee_months", "placements", "public_share", "evading_share",
                    "cheating_share", "debt_bondage_share", "n_certified", "n_fee_charging")


def run_point(overrides: Mapping, outcomes: Sequence[str] = DEFAULT_OUTCOMES) -> dict:
    """Run one point (dotted-key overrides of the schema defaults); its summary outcomes and wall time."""
    from sim.config import build_config
    from sim.runs.simulate import simulate

    start = time.perf_counter()
    try:
        summary = simulate(build_config(dict(overrides))).summary
        row = {name: _number(summary.get(name)) for name in outcomes}
        row["error"] = None
    except Exception as exc:  # noqa: BLE001 - recorded and reported by the caller
        row = {name: float("nan") for name in outcomes}
        row["error"] = f"{type(exc).__name__}: {exc}"
    row["wall_seconds"] = time.perf_counter() - start
    return row


def _number(value) -> float:
    return float("nan") if value is None else float(value)


def _run_chunk(points: Sequence[Mapping], outcomes: Sequence[str], path: Path | None) -> pd.DataFrame:
    frame = pd.DataFrame([run_point(p, outcomes) for p in points])
    if path is not None:
        from sim.runs.files import write_parquet

        write_parquet(path, frame)
    return frame


def chunk_key(points: Sequence[Mapping], outcomes: Sequence[str]) -> str:
    """Hash of a chunk's points, the outcomes kept and the model's source (the cache file's name)."""
    from sim.config import to_jsonable
    from sim.runs.store import model_fingerprint

    text = json.dumps(to_jsonable({"points": [dict(p) for p in points], "outcomes": list(outcomes)}),
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16] + "-" + model_fingerprint()


def default_jobs() -> int:
    """All cores (``os.cpu_count()``)."""
    return max(1, os.cpu_count() or 1)


def evaluate(points: Sequence[Mapping], *, outcomes: Sequence[str] = DEFAULT_OUTCOMES, jobs: int | None = None,
             cache_dir: str | os.PathLike | None = None, chunk_size: int = 16, desc: str = "runs",
             progress: bool = True) -> pd.DataFrame:
    """Run every point and return one row per point, in order.

    Args:
        points: dotted-key config overrides, each including ``seed``.
        outcomes: summary outcomes to keep (columns of the result).
        jobs: worker processes (default: all cores); 1 runs in this process.
        cache_dir: where finished chunks are kept, for resuming; None keeps nothing.
        chunk_size: points per chunk (the unit of caching and of progress).
        desc: label of the progress bar (shown on stderr).
        progress: show the progress bar.

    Returns:
        A frame with the outcome columns, ``error`` (None or the exception)
        and ``wall_seconds``; row i belongs to ``points[i]``.
    """
    from joblib import Parallel, delayed

    jobs = jobs or default_jobs()
    chunks = [list(points[i:i + chunk_size]) for i in range(0, len(points), chunk_size)]
    folder = Path(cache_dir) if cache_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{chunk_key(c, outcomes)}.parquet" if folder is not None else None for c in chunks]
    results: dict[int, pd.DataFrame] = {}
    todo = []
    for i, path in enumerate(paths):
        if path is not None and path.exists():
            results[i] = pd.read_parquet(path)
        else:
            todo.append(i)
    bar = _progress(len(points), desc, progress)
    bar.update(sum(len(chunks[i]) for i in results))
    tasks = (delayed(_run_chunk)(chunks[i], tuple(outcomes), paths[i]) for i in todo)
    if not todo:
        finished = iter(())
    elif jobs == 1:
        finished = (task[0](*task[1], **task[2]) for task in tasks)
    else:
        finished = Parallel(n_jobs=jobs, return_as="generator")(tasks)
    for i, frame in zip(todo, finished):
        results[i] = frame
        bar.update(len(chunks[i]))
    bar.close()
    if not chunks:
        return pd.DataFrame(columns=[*outcomes, "error", "wall_seconds"])
    return pd.concat([results[i] for i in range(len(chunks))], ignore_index=True)


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="run", file=sys.stderr, mininterval=1.0, disable=not enabled,
                dynamic_ncols=True)


def failures(frame: pd.DataFrame) -> list[str]:
    """The distinct error messages of a result frame (empty when every run completed)."""
    if "error" not in frame:
        return []
    return sorted({e for e in frame["error"] if isinstance(e, str)})


def base_overrides(hydra_overrides: Sequence[str]) -> dict:
    """The flat config of a composed command line (e.g. ``["scenario=corridor_pakistan_saudi"]``).

    The result feeds :func:`sim.config.build_config`, so a scenario file can be
    the base of in-process points: ``{**base_overrides([...]), **point}``.
    """
    from sim.config import CONFIG_KEYS, check_config, compose_config, flat_config

    flat = flat_config(check_config(compose_config(list(hydra_overrides))))
    return {k: v for k, v in flat.items() if k in CONFIG_KEYS}
