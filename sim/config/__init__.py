"""Everything about a config, in one place at the bottom of the import graph.

* :mod:`sim.config.schema`: the typed schema (dataclasses with units, ranges
  and sources), range validation, :func:`build_config` for plain Python use,
  and the registration with Hydra's ConfigStore;
* :mod:`sim.config.checks`: composing ``configs/`` with Hydra overrides as the
  command does, unknown-key checks, the sweep pre-check, short error messages;
* :mod:`sim.config.forms`: the config as nested dicts, flat dotted keys and
  JSON values, and its hash;
* :mod:`sim.config.scenarios`: the named scenarios and their classroom notes;
* :mod:`sim.config.keywords`: the model's Mesa-style constructor arguments
  (``rng``, keyword levers) as one config;
* :mod:`sim.config.paths`: where ``configs/`` is.

Nothing here imports the model, the run machinery, the commands or the app.
Hydra is imported only when a config is composed.
"""

from sim.config.checks import (
                              GROUP_FILES,
                              InvalidConfig,
                              UnknownKey,
                              check_config,
                              compose_config,
                              explain,
                              precheck,
)
from sim.config.forms import (
                              CONFIG_KEYS,
                              CONFIG_TYPES,
                              LEVER_GROUPS,
                              canonical_json,
                              config_hash,
                              config_to_dict,
                              flat_config,
                              flatten,
                              lever_values,
                              to_jsonable,
)
from sim.config.paths import (
                              CONFIG_DIR,
                              CONFIG_NAME,
                              EXPERIMENT_DIR,
                              REPO_ROOT,
                              SCENARIO_DIR,
)
from sim.config.schema import (
                              INF,
                              CertificationConfig,
                              ConfigError,
                              Enforcement,
                              MarketConfig,
                              Placebo,
                              PolicyConfig,
                              RecruitsimConfig,
                              RunConfig,
                              SocietyConfig,
                              Targeting,
                              build_config,
                              param,
                              register_configs,
                              validate,
)

__all__ = [
    "CONFIG_DIR", "CONFIG_KEYS", "CONFIG_NAME", "GROUP_FILES", "CONFIG_TYPES", "EXPERIMENT_DIR", "INF", "LEVER_GROUPS",
    "REPO_ROOT", "SCENARIO_DIR", "CertificationConfig", "ConfigError", "InvalidConfig", "MarketConfig",
    "PolicyConfig", "RecruitsimConfig", "RunConfig", "SocietyConfig", "Enforcement", "Placebo", "Targeting", "UnknownKey",
    "build_config", "canonical_json", "check_config", "compose_config", "config_hash", "config_to_dict",
    "explain", "flat_config", "flatten", "lever_values", "param", "precheck", "register_configs",
    "to_jsonable", "validate",
]
