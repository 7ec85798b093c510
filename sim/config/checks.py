"""Composing a config as the command would, checking it, and explaining what is wrong.

Everything the ``recruitsim`` command does to a config before anything runs
lives here, so that the command, the scenario library, the analyses and the
classroom app refuse a bad config the same way:

* :func:`compose_config` composes ``configs/config.yaml`` with Hydra overrides
  (Hydra's compose API);
* :func:`check_config` validates it (ranges, :func:`sim.config.schema.validate`)
  and refuses keys that are not in the schema;
* :func:`precheck` does both for what a command line asks, and for a sweep
  checks every swept value once before the first job starts;
* :func:`explain` turns any of the errors above into a message of at most
  four lines naming the key, the value given and what is allowed.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
import typing
from enum import Enum
from typing import Any, Iterable, Sequence

from omegaconf import DictConfig

from sim.config import paths
from sim.config.paths import CONFIG_NAME
from sim.config.schema import ConfigError, RecruitsimConfig, register_configs, validate

#: The file that lists every key of each group, for error messages.
GROUP_FILES = {
    "market": "market/default.yaml",
    "policy": "policy/no_rule.yaml",
    "certification": "certification/voluntary.yaml",
    "society": "society/default.yaml",
    "run": "run/default.yaml",
}

#: Outcomes shown after a run, in this order (all of them are in summary.json).
HEADLINE = ("placements", "mean_fee_months", "indebted_share", "debt_bondage_share",
            "mean_payback_months", "certified_share")


class InvalidConfig(Exception):
    """A configuration the command refuses; ``str()`` is the short message for the user."""


class UnknownKey(ConfigError):
    """A key that is not in the schema (added with ``+key=value`` or by a YAML file)."""


# --------------------------------------------------------------------------- composing and checking


def compose_config(overrides: Sequence[str] = (), hydra_config: bool = False) -> DictConfig:
    """Compose ``configs/config.yaml`` with Hydra overrides, as the command would.

    With ``hydra_config`` the result keeps Hydra's own node (``hydra.*``).
    Raises Hydra's and OmegaConf's exceptions unchanged (see :func:`explain`).
    """
    from hydra import compose, initialize_config_dir

    register_configs()
    with initialize_config_dir(version_base="1.3", config_dir=str(paths.CONFIG_DIR), job_name="recruitsim"):
        return compose(config_name=CONFIG_NAME, overrides=list(overrides), return_hydra_config=hydra_config)


def check_config(cfg: DictConfig | RecruitsimConfig) -> RecruitsimConfig:
    """Validate a composed config and return it typed.

    Beyond :func:`sim.config.validate` (ranges), refuses keys that are not in
    the schema, which a ``+key=value`` override could otherwise slip past
    Hydra's type check and the model would silently ignore.

    Raises:
        ConfigError: naming the first bad key, its value and what is allowed.
    """
    typed = validate(cfg)
    if isinstance(cfg, DictConfig):
        for key in _unknown_keys(cfg, typed, ""):
            raise UnknownKey(key, _select(cfg, key), "no such key in the schema (sim/config/schema.py)")
    return typed


def _unknown_keys(node: DictConfig, typed: Any, prefix: str) -> Iterable[str]:
    names = {f.name for f in dataclasses.fields(typed)}
    for key in node.keys():
        if key not in names:
            yield f"{prefix}{key}"
            continue
        child = getattr(typed, str(key))
        if dataclasses.is_dataclass(child):
            yield from _unknown_keys(node[key], child, f"{prefix}{key}.")


def _select(cfg: DictConfig, key: str) -> Any:
    from omegaconf import OmegaConf

    value = OmegaConf.select(cfg, key)
    return OmegaConf.to_container(value) if isinstance(value, DictConfig) else value


def precheck(overrides: Sequence[str], multirun: bool = False) -> RecruitsimConfig:
    """Compose and validate what the command line asks for, before Hydra runs anything.

    Beyond composing and validating the (first) run's config, it refuses
    group options that are not in their folder's list (``scenario=NAME``
    takes a name, never a path), booleans given as anything but true or
    false, and a config too big for this machine's memory. For a sweep,
    every distinct swept value is checked once (a ``range()`` by its ends),
    combinations of keys that constrain each other are checked together,
    the grid's size is bounded (:mod:`sim.config.sweeps`), and
    ``interval()`` or a ``glob()`` matching nothing is refused.

    Returns:
        The typed config of the (first) run.

    Raises:
        InvalidConfig: with the short message to print.
    """
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from sim.config import sweeps
    from sim.config.resources import too_big_message

    current = list(overrides)  # the job being checked, for the error message
    try:
        _check_options_and_booleans(overrides)
        if not multirun:
            typed = check_config(compose_config(overrides))
            if typed.run.replications != 1:
                raise InvalidConfig(replications_message(typed.run.replications, overrides))
            _refuse(too_big_message(typed))
            return typed
        plan = sweeps.plan_sweep(overrides)
        current = plan.base
        # sweeps a config file sets (hydra.sweeper.params, e.g. an experiment's grid) come
        # first; the command line replaces those of the same key (the basic sweeper's rule)
        params = _sweeper_params(plan.base)
        given = {_override_key(line) for line in overrides}
        lines = [f"{k}={v}" for k, v in params.items() if k not in given]
        if lines:
            _check_options_and_booleans(lines)
            files = sweeps.plan_sweep(lines)
            plan = sweeps.SweepPlan(base=[*files.base, *plan.base], variants=[*files.variants, *plan.variants],
                                    sizes={**files.sizes, **plan.sizes}, values={**files.values, **plan.values})
            current = plan.base
        sweeps.check_size(plan)
        base_cfg = compose_config(plan.base)
        typed = check_config(base_cfg)
        for key, value, line in plan.variants:
            current = _replace(plan.base, key, line)
            if value is sweeps.RECOMPOSE:
                check_config(compose_config(current))
            else:
                _check_value(base_cfg, {key: value})
        current = plan.base
        for combination in _constrained_combinations(plan.values):
            _check_value(base_cfg, combination)
        _refuse(too_big_message(_largest(typed, plan.values)))
        return typed
    except sweeps.SweepError as exc:
        raise InvalidConfig(str(exc)) from exc
    # ValueError: ConfigError, and what Hydra raises for some malformed overrides (market=3)
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise InvalidConfig(explain(exc, current)) from exc


def _refuse(message: str | None) -> None:
    if message:
        raise InvalidConfig(message)


def _check_options_and_booleans(overrides: Sequence[str]) -> None:
    """Group options only from their folder's list; booleans only true or false.

    Hydra would load ``scenario=../x`` from any path, and OmegaConf takes
    ``2`` or ``yes`` for a boolean; both are refused here with the usual
    short message.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import Glob, RangeSweep

    from sim.config.sweeps import group_options, is_group

    parser = OverridesParser.create()
    for o in parser.parse_overrides(list(overrides)):
        if o.is_hydra_override() or o.is_delete():
            continue
        key = o.get_key_element()
        value = o.value()
        if isinstance(value, (Glob, RangeSweep)) or (o.is_sweep_override() and not o.is_discrete_sweep()):
            continue  # checked when the sweep is planned (sim.config.sweeps)
        texts = list(o.sweep_string_iterator()) if o.is_sweep_override() else None
        if is_group(o.key_or_group):
            options = group_options(o.key_or_group)
            for text in texts if texts is not None else [value]:
                if str(text) not in options:
                    close = difflib.get_close_matches(str(text), options, n=2)
                    hint = f"did you mean {', '.join(close)}? " if close else ""
                    raise InvalidConfig("\n".join([
                        f"recruitsim: invalid config: {key}={_short(text)}: no option '{_short(text)}' "
                        f"in group '{o.key_or_group}'",
                        f"  {hint}allowed: {', '.join(options)} (files in configs/{o.key_or_group}/)"]))
            continue
        found = _field(key)
        if found is None or not (found[0] is bool or bool in typing.get_args(found[0])):
            continue
        items = [parser.parse_override(f"{key}={t}").value() for t in texts] if texts is not None else [value]
        nullable = found[0] is not bool
        for item in items:
            if not isinstance(item, bool) and not (item is None and nullable):
                raise InvalidConfig("\n".join([f"recruitsim: invalid config: {key}={_short(item)} is not allowed",
                                               "  allowed: true or false", _where(key)]))


def _short(value: Any, limit: int = 60) -> str:
    """A value as the user typed it, cut short: messages never echo unbounded input."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _constrained_combinations(values: dict[str, list[Any]]) -> Iterable[dict[str, Any]]:
    """Every combination of swept values of keys that constrain each other (schema.CROSS_KEY_RULES)."""
    import itertools

    from sim.config.schema import CROSS_KEY_RULES

    for keys in CROSS_KEY_RULES:
        swept = [k for k in keys if k in values]
        if len(swept) < 2:
            continue  # one key swept: each of its values was checked against the others' base values
        for combo in itertools.product(*(values[k] for k in swept)):
            yield dict(zip(swept, combo))


#: Keys that decide how much memory a run needs.
SIZE_KEYS = ("market.n_workers", "market.n_employers", "market.jobs_per_employer", "market.n_recruiters",
             "market.max_entrants", "run.steps")


def _largest(typed: RecruitsimConfig, values: dict[str, list[Any]]) -> RecruitsimConfig:
    """The config with each swept size key at its largest value: the sweep's biggest run."""
    biggest = copy.deepcopy(typed)
    for key in SIZE_KEYS:
        numbers = [v for v in values.get(key, []) if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numbers:
            group, name = key.split(".")
            setattr(getattr(biggest, group), name, int(max(numbers)))
    return biggest


def _sweeper_params(overrides: Sequence[str]) -> dict[str, str]:
    """``hydra.sweeper.params`` of the composed config: the sweeps that config files set."""
    from omegaconf import OmegaConf

    params = compose_config(overrides, hydra_config=True).hydra.sweeper.get("params")
    return {str(k): str(v) for k, v in (OmegaConf.to_container(params) if params else {}).items()}


def _override_key(line: str) -> str:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return OverridesParser.create().parse_override(line).get_key_element()


def replications_message(value: int, overrides: Sequence[str]) -> str:
    given = _given("run.replications", overrides) or str(value)
    return "\n".join([f"recruitsim: invalid config: run.replications={given} is only for sweeps",
                       "  allowed in a single run: 1; in a sweep (-m) each job runs seeds seed, "
                       "seed+1, ..., seed+replications-1",
                       _where("run.replications")])


def _sweep_values(o) -> list[str] | None:
    """Every value of one sweep override as text (None for sweeps that cannot be listed).

    Used to count a sweep's jobs (:mod:`sim.runs.sweep`); the pre-check
    itself never lists a range (:mod:`sim.config.sweeps`).
    """
    from hydra.core.override_parser.types import Glob

    from sim.config.sweeps import group_options

    if isinstance(o.value(), Glob):
        return o.value().filter(group_options(o.key_or_group)) or None
    if not o.is_discrete_sweep():
        return None
    return list(o.sweep_string_iterator())


def _replace(lines: list[str], key: str, line: str) -> list[str]:
    return [line if ln.split("=", 1)[0] == key else ln for ln in lines]


def _check_value(base_cfg: DictConfig, values: dict[str, Any]) -> None:
    """Check the base config with some keys set to other values."""
    from omegaconf import OmegaConf

    cfg = copy.deepcopy(base_cfg)
    for key, value in values.items():
        OmegaConf.update(cfg, key, value, merge=True)
    check_config(cfg)


# --------------------------------------------------------------------------- short error messages


def explain(exc: BaseException, overrides: Sequence[str] = ()) -> str:
    """A short message (at most four lines) naming the key, the value and what is allowed.

    Understands :class:`sim.config.ConfigError` and the errors Hydra and
    OmegaConf raise while composing; anything else is cut to its first lines.
    """
    from hydra.errors import MissingConfigException
    from omegaconf.errors import (
        ConfigAttributeError,
        ConfigKeyError,
        OmegaConfBaseException,
    )

    head = "recruitsim: invalid config:"
    if isinstance(exc, ConfigError):
        given = _given(exc.key, overrides) or repr(exc.value)
        if isinstance(exc, UnknownKey):
            return _unknown_key_message(head, exc.key, f"given {exc.key}={given}")
        allowed = _allowed_text(exc.key) if _is_plain_range(exc) else exc.allowed
        return "\n".join([f"{head} {exc.key}={given} is not allowed",
                          f"  allowed: {allowed}", _where(exc.key)])
    if isinstance(exc, MissingConfigException) and exc.missing_cfg_file and "/" in exc.missing_cfg_file:
        group, option = exc.missing_cfg_file.rsplit("/", 1)
        options = [o for o in (exc.options or []) if not o.endswith("_schema")]
        lines = [f"{head} {group}={option}: no option '{option}' in group '{group}'"]
        if options:
            lines.append(f"  allowed: {', '.join(options)} (files in configs/{group}/)")
        return "\n".join(lines)
    cause = _omegaconf_cause(exc)
    if cause is not None and cause.full_key:
        key = cause.full_key
        given = _given(key, overrides)
        source = re.match(r"In '([^']+)':", str(exc))  # the YAML file that set it
        if isinstance(cause, (ConfigAttributeError, ConfigKeyError)):
            where = f"given {key}={given}" if given is not None else (
                f"set in configs/{source[1]}.yaml" if source else "not in the schema")
            return _unknown_key_message(head, key, where)
        if given is None:
            given = repr(cause.value) + (f" (set in configs/{source[1]}.yaml)" if source else "")
        problem = str(cause.msg or cause).splitlines()[0]
        return "\n".join([f"{head} {key}={given}: {problem}",
                          f"  allowed: {_allowed_text(key)}", _where(key)])
    if isinstance(cause, OmegaConfBaseException):
        exc = cause
    text = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    text = text[: next((i for i, ln in enumerate(text) if ln.startswith("Config search path")), len(text))]
    lines = [f"{head} {text[0] if text else type(exc).__name__}", *("  " + ln for ln in text[1:3])]
    if overrides and not any(o in lines[0] for o in overrides):
        lines.append(f"  (overrides: {' '.join(overrides)})")
    return "\n".join(lines)


def _omegaconf_cause(exc: BaseException):
    from omegaconf.errors import OmegaConfBaseException

    seen = exc
    while seen is not None:
        if isinstance(seen, OmegaConfBaseException):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _given(key: str, overrides: Sequence[str]) -> str | None:
    """The value exactly as the user typed it for ``key``, if an override set it."""
    for line in reversed(list(overrides)):
        name, sep, value = line.partition("=")
        if sep and name.lstrip("+~") == key:
            return value
    return None


def _unknown_key_message(head: str, key: str, origin: str) -> str:
    if key.startswith("origins."):
        return "\n".join([f"{head} unknown key {key} ({origin})",
                          "  an origin's key its scenario does not set is added with '+' "
                          "(+origins.NAME.policy.KEY=VALUE); see docs/ODD.md, S18 for the keys an origin sets"])
    group, _, name = key.rpartition(".")
    known = _field_names(group)
    close = difflib.get_close_matches(name, known, n=2, cutoff=0.6)
    hint = f"did you mean {', '.join(f'{group}.{c}' if group else c for c in close)}? " if close else ""
    return "\n".join([f"{head} unknown key {key} ({origin})",
                      f"  {hint}{_where(key, every=True).strip()}"])


def _where(key: str, every: bool = False) -> str:
    group = key.split(".", 1)[0]
    path = GROUP_FILES.get(group, "config.yaml")
    what = f"the keys of '{group}'" if group in GROUP_FILES else "the top-level keys"
    return f"  see configs/{path} for {what}" + (" with units and ranges" if not every else "")


def _field(key: str) -> tuple[Any, dataclasses.Field] | None:
    """(type hint, dataclass field) of a dotted key of the schema, or None."""
    cls: Any = RecruitsimConfig
    parts = key.split(".")
    for i, part in enumerate(parts):
        if not dataclasses.is_dataclass(cls):
            return None
        fields = {f.name: f for f in dataclasses.fields(cls)}
        if part not in fields:
            return None
        hint = typing.get_type_hints(cls)[part]
        if i == len(parts) - 1:
            return hint, fields[part]
        cls = hint
    return None


def _field_names(group: str) -> list[str]:
    found = _field(group) if group else (RecruitsimConfig, None)
    if not found or not dataclasses.is_dataclass(found[0]):
        return []
    return [f.name for f in dataclasses.fields(found[0])]


def _is_plain_range(exc: ConfigError) -> bool:
    return exc.allowed.startswith(("integer", "number"))


def _allowed_text(key: str) -> str:
    """What a key accepts, from its type and range metadata: 'integer in [0, 10000000] (workers)'."""
    found = _field(key)
    if found is None:
        return "see the schema in sim/config/schema.py"
    hint, field = found
    meta = field.metadata
    optional = type(None) in typing.get_args(hint)
    if optional:
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if isinstance(hint, type) and issubclass(hint, Enum):
        text = "one of " + ", ".join(str(m.value) for m in hint)
    elif hint is bool:
        text = "true or false"
    elif hint in (int, float):
        name = "integer" if hint is int else "number"
        lo, hi = meta.get("lo", -float("inf")), meta.get("hi", float("inf"))
        if hi >= 2**62:
            text = f"{name} >= {_num(lo)}"
        else:
            text = f"{name} in [{_num(lo)}, {_num(hi)}]"
    elif dataclasses.is_dataclass(hint):
        return f"a group of keys, see {_where(key).strip()[4:]}"
    else:
        text = getattr(hint, "__name__", str(hint))
    if optional:
        text = f"null or {text}"
    unit = meta.get("unit", "")
    plain = unit and unit != "bool" and unit not in text and not (isinstance(hint, type) and issubclass(hint, Enum))
    return f"{text} ({unit})" if plain else text


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"

