"""The model's constructor arguments, Mesa style, turned into one validated config.

:class:`sim.model.RecruitmentModel` accepts a config, a scenario name, Mesa's
``rng`` and keyword levers (config keys with ``__`` for each dot), so that
``mesa.batch_run`` and other Mesa tools can drive it. This module decides
what config those arguments describe, seed included, and refuses what does
not make sense with a message naming the argument.
"""

from __future__ import annotations

import copy
import difflib
import typing
import warnings
from enum import Enum
from typing import Any

import numpy as np

from sim.config.forms import CONFIG_KEYS, CONFIG_TYPES
from sim.config.schema import ConfigError, RecruitsimConfig, build_config, validate

#: Keyword lever -> dotted config key: ``policy__fee_cap_months`` -> ``policy.fee_cap_months``.
#: The seed is not a lever: it is ``rng``.
LEVERS = {key.replace(".", "__"): key for key in CONFIG_KEYS if key != "seed"}


def resolve_config(config: RecruitsimConfig | None, scenario: str | None, rng: Any,
                    levers: dict[str, Any]) -> RecruitsimConfig:
    """The one config the constructor's arguments describe, seed included.

    The given config is returned as it is when nothing changes it (the model
    then runs that very object, as it always has); otherwise a changed copy.
    """
    if "seed" in levers:  # Mesa's deprecated name for rng
        seed_arg = levers.pop("seed")
        warnings.warn("RecruitmentModel(seed=...) is deprecated, as in Mesa: use rng=...",
                      FutureWarning, stacklevel=3)
        if rng is not None and seed_arg is not None:
            raise ValueError("RecruitmentModel() takes rng or seed, not both (seed is the old name of rng)")
        rng = seed_arg
    keys = {name: _lever_key(name) for name in levers}
    if config is not None and scenario is not None:
        raise TypeError("RecruitmentModel() takes a config or a scenario, not both: "
                        "for a scenario with changes, pass the changes as keyword levers")
    if config is not None and not isinstance(config, RecruitsimConfig):
        raise TypeError(f"RecruitmentModel() config must be a RecruitsimConfig, not {type(config).__name__}: "
                        "build one with sim.build_config({...}) or pass levers as keywords")
    if scenario is not None and not isinstance(scenario, str):
        raise TypeError(f"RecruitmentModel() scenario must be a scenario name (str), not {type(scenario).__name__}")

    seed = _seed_from(rng)
    if config is not None:
        if seed is not None and seed != config.seed:
            raise ValueError(f"RecruitmentModel(): rng={seed} disagrees with config.seed={config.seed}; "
                             f"give the seed once: in the config (build_config({{'seed': {seed}, ...}})) "
                             f"or as rng with a config whose seed is {seed}")
        if not levers:
            return config
        config = copy.deepcopy(config)
    else:
        if scenario is not None:
            # Hydra: imported only when a scenario is asked for
            from sim.config.scenarios import compose

            config = compose(scenario)
        else:
            config = build_config()
        if seed is None:  # no config, no rng: a fresh seed, as Mesa draws one for rng=None
            seed = int(np.random.default_rng().integers(np.iinfo(np.int32).max))
    if seed is not None:
        config.seed = seed
    for name, value in levers.items():
        _set(config, keys[name], _typed(name, keys[name], value))
    return validate(config)


def _seed_from(rng: Any) -> int | None:
    """An int seed from Mesa's ``rng`` argument (None stays None)."""
    if rng is None:
        return None
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError(f"RecruitmentModel() rng must be an int seed, a numpy Generator or None, not {rng!r}")
    if isinstance(rng, (int, np.integer)):
        return int(rng)
    if isinstance(rng, (np.random.Generator, np.random.SeedSequence, np.random.BitGenerator)):
        return int(np.random.default_rng(rng).integers(np.iinfo(np.int32).max))
    raise TypeError(f"RecruitmentModel() rng must be an int seed, a numpy Generator or None, "
                    f"not {type(rng).__name__}")


def _lever_key(name: str) -> str:
    """The dotted config key of a keyword lever; TypeError naming the closest levers."""
    if name in LEVERS:
        return LEVERS[name]
    if name in LEVERS.values() and name != "seed":
        return name
    same_field = [lever for lever, key in LEVERS.items() if key.rsplit(".", 1)[-1] == name]
    close = same_field or difflib.get_close_matches(name, list(LEVERS), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close[:-1]) + ' or ' if len(close) > 1 else ''}{close[-1]}?" if close else ""
    raise TypeError(f"RecruitmentModel() got an unexpected keyword argument {name!r}{hint} "
                    "(levers are config keys with '__' for each dot, e.g. policy__fee_cap_months; "
                    "every key: sim.config.CONFIG_KEYS)")


def _typed(name: str, key: str, value: Any) -> Any:
    """``value`` as the schema types ``key`` (numpy scalars from a parameter grid become Python's)."""
    hint = CONFIG_TYPES[key]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    kind = args[0] if args else hint
    if value is None:
        if args and len(args) < len(typing.get_args(hint)):
            return None
    elif isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(value.value if isinstance(value, Enum) else value)
        except ValueError:
            raise ConfigError(key, value, "one of " + ", ".join(str(m.value) for m in kind)) from None
    elif kind is bool:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
    elif isinstance(value, (bool, np.bool_)):
        pass
    elif kind is float and isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    elif kind is int and isinstance(value, (int, np.integer)):
        return int(value)
    elif kind is int and isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    elif kind is str and isinstance(value, str):
        return value
    expected = {float: "a number", int: "an integer", bool: "True or False", str: "a string"}.get(kind, str(kind))
    if args and len(args) < len(typing.get_args(hint)):
        expected = f"None or {expected}"
    raise TypeError(f"RecruitmentModel() {name}={value!r}: expected {expected} ({key})")


def _set(config: RecruitsimConfig, key: str, value: Any) -> None:
    *path, last = key.split(".")
    node = config
    for part in path:
        node = getattr(node, part)
    setattr(node, last, value)
