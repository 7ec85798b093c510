"""A config's other forms: nested plain dicts, flat dotted keys, JSON values, and its hash.

A run's files, the results store, collected tables and the sweeps all need
the same config as plain data; they get it from here, so that ``1000`` and
``1000.0``, an enum and its name, a dataclass and a ``DictConfig`` always
give the same flat dict and the same hash.

* :func:`config_to_dict`: nested plain dicts (enums as names);
* :func:`flat_config`: every key with its dotted name and a plain JSON value,
  in schema order (:data:`CONFIG_KEYS`);
* :func:`to_jsonable`: any value as plain JSON types;
* :func:`config_hash`: SHA-256 of the canonical JSON of the flat config.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import functools
import hashlib
import json
import math
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any, Mapping

from sim.config.schema import RecruitsimConfig

#: Groups whose keys are levers (XLRM): the things a policy maker or
#: civil society chooses. ``market`` holds uncertainties and is not listed.
LEVER_GROUPS = ("policy", "certification", "society")


def to_jsonable(value: Any) -> Any:
    """Plain JSON types from numpy scalars, enums, paths, dataclasses and OmegaConf nodes.

    Non-finite floats become ``None`` (JSON has no NaN), so e.g. a mean fee
    in a month without placements reads as ``null``.
    """
    if isinstance(value, Enum):  # before str: Targeting is a str enum
        return to_jsonable(value.value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return config_to_dict(value)
    if type(value).__module__.startswith("omegaconf"):
        return config_to_dict(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return to_jsonable(value.item())
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy array
        return to_jsonable(value.tolist())
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")


def as_omegaconf(config: Any) -> Any:
    from omegaconf import DictConfig, OmegaConf

    if isinstance(config, DictConfig):
        return config
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return OmegaConf.structured(config)
    return OmegaConf.create(config)


def config_to_dict(config: Any) -> dict:
    """A resolved config (dataclass or DictConfig) as nested plain dicts; enums as strings."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return _dataclass_to_dict(config)
    from omegaconf import OmegaConf

    return OmegaConf.to_container(as_omegaconf(config), resolve=True, enum_to_str=True)


def _dataclass_to_dict(obj: Any) -> dict:
    """What ``OmegaConf.to_container(OmegaConf.structured(obj), enum_to_str=True)`` gives, 100x faster.

    A sweep converts each run's config several times; OmegaConf's typed
    nodes cost ~20 ms a time. As OmegaConf does, an int in a float field
    becomes a float and an enum becomes its name.
    """
    hints = _float_fields(type(obj))
    out = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = _dataclass_to_dict(value)
        elif isinstance(value, Enum):
            value = value.name
        elif f.name in hints and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif isinstance(value, dict):  # (origins: name -> OriginConfig)
            value = {key: _dataclass_to_dict(item) if dataclasses.is_dataclass(item) else copy.deepcopy(item)
                     for key, item in value.items()}
        elif isinstance(value, list):
            value = copy.deepcopy(value)
        out[f.name] = value
    return out


@functools.cache
def _float_fields(cls: type) -> frozenset[str]:
    """Names of the fields of ``cls`` typed ``float`` or ``Optional[float]``."""
    hints = typing.get_type_hints(cls)
    return frozenset(name for name, hint in hints.items()
                     if hint is float or (typing.get_origin(hint) in (typing.Union, types.UnionType)
                                          and float in typing.get_args(hint)))


def flatten(d: Mapping, prefix: str = "") -> dict:
    """``{"policy": {"fine": 1}}`` -> ``{"policy.fine": 1}``."""
    out = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def lever_values(config: Any) -> dict:
    """Every lever of ``config`` as a flat dict with dotted keys (``"policy.fine": 1000.0``)."""
    tree = config_to_dict(config)
    return flatten({group: tree[group] for group in LEVER_GROUPS if group in tree})


def _schema_types(cls: type = RecruitsimConfig, prefix: str = "") -> dict[str, Any]:
    """Dotted key -> type hint of every leaf of the schema."""
    out: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            out.update(_schema_types(hint, f"{prefix}{f.name}."))
        elif f.name == "origins":  # a mapping of origins, not a leaf: its keys come after the schema's
            continue
        else:
            out[f"{prefix}{f.name}"] = hint
    return out


#: Dotted key -> type of every config key, in schema order (the columns of a collected table).
CONFIG_TYPES: dict[str, Any] = _schema_types()
CONFIG_KEYS: tuple[str, ...] = tuple(CONFIG_TYPES)


def _base_type(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint


def _normalise(key: str, value: Any) -> Any:
    """One value as the schema types it, so that ``1000`` and ``1000.0`` hash alike."""
    if value is None:
        return None
    kind = _base_type(CONFIG_TYPES.get(key, object))
    if isinstance(value, Enum):
        value = value.value
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    return to_jsonable(value)


def flat_config(config: Any) -> dict[str, Any]:
    """Every config key with its dotted name and a plain JSON value, in schema order.

    Accepts a :class:`RecruitsimConfig` or a composed ``DictConfig`` (the
    ``hydra`` node, if present, is left out). Keys not in the schema (there
    should be none after :func:`sim.config.check_config`) are kept, after the
    schema's keys.
    """
    tree = config_to_dict(config)
    tree.pop("hydra", None)
    flat = flatten(tree)
    ordered = {k: _normalise(k, flat[k]) for k in CONFIG_KEYS if k in flat}
    ordered.update({k: _normalise(k, v) for k, v in flat.items() if k not in ordered})
    return ordered


def canonical_json(flat: Mapping[str, Any]) -> str:
    """The text that is hashed: sorted keys, no spaces, NaN as null."""
    return json.dumps(to_jsonable(dict(flat)), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)



def config_hash(config: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of the flat config: equal configs, equal hashes.

    ``config`` is a :class:`RecruitsimConfig`, a ``DictConfig`` or a dict that
    is already flat (from :func:`flat_config`).
    """
    flat = config if type(config) is dict else flat_config(config)
    return hashlib.sha256(canonical_json(flat).encode("utf-8")).hexdigest()
