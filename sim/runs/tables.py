"""A collected sweep read back into pandas, for analyses in Python.

``recruitsim-collect SWEEP`` writes ``SWEEP/collected/runs.parquet`` and
``timeseries.parquet`` (:mod:`sim.runs.collect` says what their columns
are); :func:`load_sweep` reads both, so a notebook needs neither the file
names nor the folder layout::

    from sim import load_sweep
    runs, timeseries = load_sweep("multirun/ban")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sim.runs.collect import COLLECTED_DIR, RUNS_FILE, TIMESERIES_FILE

if TYPE_CHECKING:
    import pandas as pd


class SweepTables(NamedTuple):
    """The two tables of a collected sweep.

    Attributes:
        runs: one row per run, failed ones included (``status``, ``error``):
            ``run_id``, ``seed``, ``choice.<group>``, every config key with
            its dotted name, every summary outcome.
        timeseries: one row per completed run and month: ``run_id``,
            ``seed``, ``choice.<group>``, the config keys that vary, the
            outcomes.
    """

    runs: pd.DataFrame
    timeseries: pd.DataFrame


def collected_folder(path: str | Path) -> Path:
    """The folder holding the collected tables: ``path`` itself, or ``path/collected``.

    Raises:
        FileNotFoundError: neither holds them; the message says how to collect the sweep.
    """
    path = Path(path)
    for folder in (path, path / COLLECTED_DIR):
        if (folder / f"{RUNS_FILE}.parquet").is_file():
            return folder
    raise FileNotFoundError(f"no {RUNS_FILE}.parquet in {path} or {path / COLLECTED_DIR}; "
                            f"collect the sweep first: recruitsim-collect {path}")


def load_sweep(path: str | Path) -> SweepTables:
    """Read a collected sweep: ``SWEEP`` (the sweep folder) or ``SWEEP/collected``.

    Raises:
        FileNotFoundError: the sweep has not been collected (or ``path`` is no sweep).
    """
    import pandas as pd

    folder = collected_folder(path)
    runs = pd.read_parquet(folder / f"{RUNS_FILE}.parquet")
    ts_path = folder / f"{TIMESERIES_FILE}.parquet"
    timeseries = pd.read_parquet(ts_path) if ts_path.is_file() else pd.DataFrame()
    return SweepTables(runs=runs, timeseries=timeseries)
