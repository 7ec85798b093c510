"""A sweep's grid as the pre-check sees it: which values to check, and how many runs it makes.

``recruitsim -m`` checks every swept value before the first job starts
(:func:`sim.config.checks.precheck`). This module reads the sweep overrides
(Hydra's override grammar) into a :class:`SweepPlan` without enumerating
what need not be enumerated, so that checking stays bounded in time and
memory whatever the grid:

* a list (``a,b,c`` or ``choice(...)``): each distinct value once;
* a ``range(start, stop, step)``: its size from arithmetic, and only its
  first, second and last values are checked (a range check needs the ends;
  the second value catches a fractional step on an integer key);
* a ``glob(...)`` of a config group: the options it matches; matching none
  is an error, not an empty sweep;
* ``interval(...)`` (continuous, for optimiser sweepers) is refused: a grid
  sweep cannot run it.

Grids larger than :data:`MAX_JOBS` jobs are refused unless the environment
variable ``RECRUITSIM_MAX_JOBS`` raises the limit.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

from sim.config import paths

#: Largest grid (jobs) the command launches without RECRUITSIM_MAX_JOBS set higher.
MAX_JOBS = 100_000
MAX_JOBS_ENV = "RECRUITSIM_MAX_JOBS"

#: Marks a swept value that only a new composition can check (a group option, an added key).
RECOMPOSE = object()


class SweepError(ValueError):
    """A sweep the command cannot run; ``str()`` is the short message."""


@dataclass
class SweepPlan:
    """What the pre-check needs to know about a sweep.

    Attributes:
        base: the first job's overrides (every sweep at its first value).
        variants: each other value to check, as (key, parsed value or
            :data:`RECOMPOSE`, override line).
        sizes: number of values of each swept key (the grid is their product).
        values: the distinct parsed values checked for each plain swept key.
    """

    base: list[str] = field(default_factory=list)
    variants: list[tuple[str, Any, str]] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    values: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def jobs(self) -> int:
        return math.prod(self.sizes.values()) if self.sizes else 1


def group_options(group: str) -> list[str]:
    """The options of a config group: its YAML files (for ``experiment``, only experiment configs)."""
    folder = paths.CONFIG_DIR / group
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.yaml"))
    if group == "experiment":
        files = [f for f in files if f.read_text(encoding="utf-8").startswith("# @package _global_")]
    return [f.stem for f in files if not f.stem.endswith("_schema")]


def is_group(key: str) -> bool:
    """Whether an override key names one of the project's config groups (not Hydra's)."""
    return "." not in key and "/" not in key and (paths.CONFIG_DIR / key).is_dir() and key != "hydra"


def plan_sweep(overrides: Sequence[str]) -> SweepPlan:
    """Read sweep overrides into a :class:`SweepPlan` (see the module docstring).

    Raises:
        SweepError: an ``interval()`` sweep, or a ``glob()`` matching no option.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import Glob, IntervalSweep, RangeSweep

    parser = OverridesParser.create()
    plan = SweepPlan()
    for o in parser.parse_overrides(list(overrides)):
        key = o.get_key_element()
        if not o.is_sweep_override():
            plan.base.append(o.input_line)
            continue
        value = o.value()
        if isinstance(value, IntervalSweep):
            raise SweepError(f"recruitsim: {o.input_line}: interval() is for optimising sweepers; a grid "
                             "sweep (-m) needs a list (a,b,c) or range(start,stop,step)")
        if isinstance(value, Glob):
            texts = value.filter(group_options(o.key_or_group))
            if not texts:
                options = ", ".join(group_options(o.key_or_group)) or "none"
                raise SweepError(f"recruitsim: {o.input_line} matches no option of '{o.key_or_group}'\n"
                                 f"  options: {options}")
            size = len(texts)
        elif isinstance(value, RangeSweep):
            size, texts = _range_size_and_probes(value)
        else:
            texts = list(dict.fromkeys(o.sweep_string_iterator()))
            size = len(list(value.list)) if hasattr(value, "list") else len(texts)
        plan.base.append(f"{key}={texts[0]}")
        plan.sizes[key] = size
        if o.is_hydra_override():
            continue
        plain = not (is_group(o.key_or_group) or o.is_add() or o.is_delete() or o.is_force_add() or o.package)
        checked = []
        for text in texts:
            line = f"{key}={text}"
            parsed = parser.parse_override(line).value() if plain else RECOMPOSE
            checked.append(parsed)
            if text != texts[0]:
                plan.variants.append((key, parsed, line))
        if plain:
            plan.values[key] = checked
    return plan


def _range_size_and_probes(value) -> tuple[int, list[str]]:
    """A range's number of values, and its first, second and last values as override text."""
    start, stop, step = value.start, value.stop, value.step
    if step == 0:
        raise SweepError(f"recruitsim: range({start},{stop},{step}): the step must not be 0")
    size = max(0, math.ceil((stop - start) / step))
    if size == 0:
        raise SweepError(f"recruitsim: range({start},{stop},{step}) has no values")
    probes = [start, start + step, start + (size - 1) * step][: size if size < 3 else 3]
    return size, list(dict.fromkeys(_text(v) for v in probes))


def _text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and not isinstance(v, float) else repr(v)


def check_size(plan: SweepPlan, replications: int = 1) -> None:
    """Refuse a grid of more than :data:`MAX_JOBS` jobs (unless RECRUITSIM_MAX_JOBS allows it)."""
    limit = int(os.environ.get(MAX_JOBS_ENV, MAX_JOBS))
    if plan.jobs > limit:
        sizes = " x ".join(f"{n:,} ({key})" for key, n in plan.sizes.items())
        raise SweepError("\n".join([
            f"recruitsim: the sweep has {plan.jobs:,} jobs ({sizes}), more than the limit of {limit:,}",
            "  use run.replications to run several seeds per job, or set RECRUITSIM_MAX_JOBS "
            "to a higher limit if you mean it"]))
