"""A collected sweep as :mod:`sim.plots` reads it, and what varies across it.

``recruitsim-collect SWEEP`` writes two tables into ``SWEEP/collected/``:
``runs.parquet`` (one row per run: ``run_id``, ``seed``, ``status``, the
``choice.<group>`` columns, every config key as a dotted column, every
headline outcome) and ``timeseries.parquet`` (one row per run and month).

A *regime* is one combination of the settings that vary across the sweep,
seeds aside: the ``choice.*`` columns (config group options such as
``policy=fee_ban_weak``) and the config keys that vary on their own (levers
such as ``policy.fine``). Config keys whose values follow from a varied group
option (``policy.fine`` when ``policy`` itself varies) are not counted twice.
:func:`sweep_design` finds them, so that figures draw one line per regime.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from sim.plots.errors import PlotError

if TYPE_CHECKING:
    import pandas as pd

#: File names of the collected tables.
RUNS_FILE = "runs.parquet"
TIMESERIES_FILE = "timeseries.parquet"


@dataclass
class Collected:
    """A collected sweep: the runs table (completed runs only) and where it came from.

    The time series are read lazily, column by column (:meth:`timeseries`), since
    a large sweep's long table need not fit in memory whole.
    """

    runs: pd.DataFrame
    folder: Path
    n_failed: int = 0

    def timeseries(self, columns: Sequence[str]) -> pd.DataFrame:
        """``run_id``, ``step`` and ``columns`` of the completed runs' time series."""
        import pandas as pd

        path = self.folder / TIMESERIES_FILE
        if not path.is_file():
            raise PlotError(f"no {TIMESERIES_FILE} in {self.folder}")
        wanted = list(dict.fromkeys(["run_id", "step", *columns]))
        frame = pd.read_parquet(path, columns=wanted)
        return frame[frame["run_id"].isin(self.runs["run_id"])]


def collected_folder(path: str | Path) -> Path:
    """The folder holding ``runs.parquet``: ``path`` itself, or ``path/collected`` for a sweep folder."""
    path = Path(path)
    for folder in (path, path / "collected"):
        if (folder / RUNS_FILE).is_file():
            return folder
    raise PlotError(f"no {RUNS_FILE} in {path} or {path / 'collected'}; "
                    f"collect the sweep first: recruitsim-collect SWEEP_DIR")


def load_collected(path: str | Path) -> Collected:
    """Read a collected sweep (``SWEEP/collected`` or ``SWEEP``); keep the completed runs."""
    import pandas as pd

    folder = collected_folder(path)
    runs = pd.read_parquet(folder / RUNS_FILE)
    n_failed = 0
    if "status" in runs:
        done = runs["status"] == "completed"
        n_failed = int((~done).sum())
        runs = runs[done]
    if runs.empty:
        raise PlotError(f"{folder / RUNS_FILE} holds no completed run")
    return Collected(runs=runs.reset_index(drop=True), folder=folder, n_failed=n_failed)


# --------------------------------------------------------------------------- what varies


@lru_cache(maxsize=1)
def config_fields() -> dict[str, dataclasses.Field]:
    """Every config key of the schema (dotted) with its dataclass field (unit in ``metadata``)."""
    from sim.config import RecruitsimConfig

    out: dict[str, dataclasses.Field] = {}

    def walk(obj: Any, prefix: str) -> None:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{f.name}.")
            else:
                out[f"{prefix}{f.name}"] = f

    walk(RecruitsimConfig(), "")
    return out


def n_distinct(series: pd.Series) -> int:
    """Number of distinct values of ``series``, NaN counted as one (values compared as text)."""
    return int(series.astype(str).nunique(dropna=False))


@dataclass
class Design:
    """What varies across a sweep, seeds aside.

    Attributes:
        choices: varied ``choice.<group>`` columns (group options).
        levers: varied config keys not implied by a varied group option.
        numeric: the levers among ``levers`` with numbers for values (not booleans).
    """

    choices: list[str]
    levers: list[str]
    numeric: list[str]

    @property
    def regime(self) -> list[str]:
        """The columns whose combination is a regime."""
        return [*self.choices, *self.levers]


def sweep_design(runs: pd.DataFrame) -> Design:
    """Find the varied group options and levers of a runs table (see the module docstring)."""
    import pandas as pd

    keys = config_fields()
    choices = [c for c in runs.columns if c.startswith("choice.") and n_distinct(runs[c]) > 1]
    levers = []
    for col in runs.columns:
        if col not in keys or col == "seed" or n_distinct(runs[col]) <= 1:
            continue
        if choices and runs.groupby(choices, dropna=False)[col].agg(n_distinct).max() <= 1:
            continue  # follows from the group options
        levers.append(col)
    numeric = [c for c in levers if pd.api.types.is_numeric_dtype(runs[c])
               and not pd.api.types.is_bool_dtype(runs[c])
               and runs[c].dropna().map(lambda v: not isinstance(v, bool)).all()]
    return Design(choices=choices, levers=levers, numeric=numeric)
