"""What one run writes, written so that a crash never leaves a half-written file.

Every file is written to a temporary file in the destination folder, flushed
to disk, then moved over the final name with :func:`os.replace` (atomic on
POSIX and Windows). A reader, or a sweep collector, therefore sees either the
old file or the complete new one. ``metadata.json`` is written last: its
presence means the run's other files are complete.

One run's output directory holds (INTERFACE.md, "What one run writes"):

* ``timeseries.parquet``: one row per step, the model-level outcomes.
* ``summary.json``: the headline outcomes (mean over the last
  ``run.summary_window_months`` months), ``burn_in_months`` and ``steady``
  (the window lies wholly after ``run.burn_in_months``), the drift of the
  main outcomes (``drift_<outcome>``: the window's second half minus its
  first; ``drift10y_<outcome>``: the last 60 months minus the 60 before,
  null under 120 months; :func:`sim.model.outcomes.summarise`), the seed,
  the scenario and the levers (``policy.*``, ``certification.*``,
  ``society.*``) as a flat dict with dotted keys, so results of a sweep can
  be tabulated without the config.
* ``config.yaml``: the resolved, validated config the model ran with.
* ``metadata.json``: seed, config, package versions, Python version, git
  commit of the code (and whether the work tree was dirty), start and end
  time, wall time. No host names or user names.

Pandas and pyarrow are imported only when a Parquet file is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Mapping

from sim.config.forms import as_omegaconf, config_to_dict, lever_values, to_jsonable
from sim.config.paths import REPO_ROOT

TIMESERIES_FILE = "timeseries.parquet"
SUMMARY_FILE = "summary.json"
CONFIG_FILE = "config.yaml"
METADATA_FILE = "metadata.json"

#: Packages whose versions are recorded in ``metadata.json``.
RECORDED_PACKAGES = ("recruitsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx",
                     "hydra-core", "omegaconf")


# --------------------------------------------------------------------------- atomic writes


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on clean exit, move it over ``path``.

    If the body raises, the temporary file is removed and ``path`` is left as
    it was (absent, or the previous complete version).

    Args:
        path: the final file name.
        mode: ``"w"`` (text, UTF-8) or ``"wb"`` (bytes).
    """
    with _replaced_on_success(path) as tmp:
        with open(tmp, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f


def atomic_write_with(path: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Let ``write(tmp_path)`` create a temporary file by name, then move it over ``path``.

    For writers that want a file name rather than an open file (pandas'
    ``to_parquet``). Same guarantees as :func:`atomic_open`.
    """
    with _replaced_on_success(path) as tmp:
        write(tmp)


@contextlib.contextmanager
def _replaced_on_success(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary file name beside ``path``; after the body, fsync it and rename it over ``path``.

    If the body raises, the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        os.chmod(tmp, _new_file_mode())
        yield Path(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _new_file_mode() -> int:
    """The mode an ordinary new file gets (mkstemp makes 0600 files; results should be readable)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX only; a no-op where directories can't be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically. NaN and infinities become ``null``.

    The text is built before the file is touched, so a value that cannot be
    serialised leaves any existing file intact.
    """
    text = json.dumps(to_jsonable(data), indent=2, allow_nan=False) + "\n"
    with atomic_open(path, "w") as f:
        f.write(text)


def write_yaml(path: str | os.PathLike, data: Any) -> None:
    """Write a config (dataclass, DictConfig or plain dict) as YAML, atomically."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        # a typed config holds plain values only: dump it directly (OmegaConf would take ~15 ms)
        import yaml

        text = yaml.dump(config_to_dict(data), Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                         default_flow_style=False, allow_unicode=True, sort_keys=False)
    else:
        from omegaconf import OmegaConf

        text = OmegaConf.to_yaml(as_omegaconf(data), resolve=True)
    with atomic_open(path, "w") as f:
        f.write(text)


def write_parquet(path: str | os.PathLike, df: Any) -> None:
    """Write a pandas DataFrame as Parquet (pyarrow engine, no index), atomically."""
    atomic_write_with(path, lambda tmp: df.to_parquet(tmp, engine="pyarrow", index=False))


# --------------------------------------------------------------------------- metadata


def package_versions(names: tuple[str, ...] = RECORDED_PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution (``None`` when not installed)."""
    from importlib import metadata

    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(root: Path = REPO_ROOT) -> dict[str, Any]:
    """The commit the code was run from and whether the work tree differed from it.

    ``commit`` is ``None`` when the package is not run from a git checkout
    (e.g. installed from a wheel) or the repository has no commit yet.
    ``dirty`` counts modified and untracked files that git does not ignore,
    except under ``results/``: the reports a rerun rewrites one after another
    (the first would mark every later one dirty). The one file there that
    runs read, the calibration's posterior, is not code either: the worlds
    drawn from it are written beside the report that used them.
    """
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                                  timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != root.resolve():
        return {"commit": None, "dirty": None}
    commit = git("rev-parse", "--verify", "-q", "HEAD")
    status = git("status", "--porcelain")
    if status is None:
        return {"commit": commit or None, "dirty": None}
    return {"commit": commit or None, "dirty": bool(code_changes(status))}


def code_changes(status: str) -> list[str]:
    """The lines of ``git status --porcelain`` that make a report's code "uncommitted": any changed path
    outside ``results/`` ("XY path" per line; a leading blank may have been stripped; a rename counts by
    its new name)."""
    lines = [line for line in status.splitlines() if line.strip()]
    return [line for line in lines
            if not line.split(maxsplit=1)[-1].strip('"').split(" -> ")[-1].startswith("results/")]


def utc_now() -> _dt.datetime:
    """The current time in UTC (timezone-aware)."""
    return _dt.datetime.now(_dt.timezone.utc)


def run_metadata(config: Any, *, started: _dt.datetime, ended: _dt.datetime, wall_seconds: float,
                 extra: Mapping[str, Any] | None = None,
                 environment: Mapping[str, Any] | None = None) -> dict:
    """What is needed to reproduce a run and to trust its numbers; no host or user names.

    Args:
        config: the validated config the model ran with.
        started, ended: UTC times around the simulation.
        wall_seconds: elapsed time of the simulation itself.
        extra: more entries (e.g. Hydra's overrides and group choices).
        environment: ``{"packages": ..., "git": ...}`` looked up earlier (a sweep's
            worker looks them up once for all its runs); by default looked up now.
    """
    environment = environment or {}
    tree = config_to_dict(config)
    meta = {
        "seed": tree.get("seed"),
        "scenario": tree.get("scenario_name"),
        "started": started.isoformat(timespec="seconds"),
        "ended": ended.isoformat(timespec="seconds"),
        "wall_seconds": round(float(wall_seconds), 3),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": sys.platform,
        "packages": environment.get("packages") or package_versions(),
        "git": environment.get("git") or git_state(),
        "config": tree,
    }
    if extra:
        meta.update(extra)
    return meta


# --------------------------------------------------------------------------- one run's files


def summary_record(config: Any, summary: Mapping[str, Any]) -> dict:
    """The content of ``summary.json``: headline outcomes, then seed, scenario, window and levers."""
    from sim.model.outcomes import OUTCOME_UNITS

    tree = config_to_dict(config)
    run = tree.get("run", {})
    record = dict(to_jsonable(dict(summary)))
    record.update({
        "seed": tree.get("seed"),
        "scenario": tree.get("scenario_name"),
        "steps": run.get("steps"),
        "summary_window_months": run.get("summary_window_months"),
        "levers": to_jsonable(lever_values(config)),
        "units": {k: u for k, u in OUTCOME_UNITS.items() if k in summary},
    })
    return record


def write_run_outputs(out_dir: str | os.PathLike, config: Any, timeseries_df: Any,
                      summary_dict: Mapping[str, Any], metadata: Mapping[str, Any]) -> dict[str, Path]:
    """Write one run's four files into ``out_dir`` (created if needed), each atomically.

    Args:
        out_dir: the run's output directory (Hydra's run directory).
        config: the validated config (:class:`sim.config.RecruitsimConfig` or a DictConfig).
        timeseries_df: one row per step, outcome columns.
        summary_dict: headline outcomes from the model.
        metadata: from :func:`run_metadata`.

    Returns:
        The path of each file written, by kind.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "timeseries": out / TIMESERIES_FILE,
        "summary": out / SUMMARY_FILE,
        "config": out / CONFIG_FILE,
        "metadata": out / METADATA_FILE,
    }
    write_parquet(paths["timeseries"], timeseries_df)
    write_json(paths["summary"], summary_record(config, summary_dict))
    write_yaml(paths["config"], config)
    write_json(paths["metadata"], metadata)  # last: marks the run as complete
    return paths
