"""recruitsim: an agent-based model of cross-border labour recruitment markets.

The public Python API, in one import::

    from sim import RecruitmentModel, build_config, compose_scenario, simulate, load_sweep

    config = compose_scenario("ban_on_paper", ["seed=3", "run.steps=120"])  # as `recruitsim` composes it
    result = simulate(config)                   # RunResult: .timeseries (DataFrame), .summary (dict)

    model = RecruitmentModel(rng=3, policy__fee_cap_months=0)   # a Mesa model: step, run_for, agents
    model.run_model()
    model.timeseries(), model.summary()

    runs, timeseries = load_sweep("multirun/ban")  # a sweep collected by recruitsim-collect

Importing the package stays light: each name is imported from its module on
first use (PEP 562), so ``import sim`` loads neither Mesa, numpy, Hydra,
matplotlib nor the app. The code is organised by role: :mod:`sim.model` (the
world and its agents), :mod:`sim.config` (schema, composition, scenarios),
:mod:`sim.runs` (running configs, sweeps' results), :mod:`sim.plots`,
:mod:`sim.commands` (the command-line entry points) and :mod:`sim.app`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> (module, attribute in that module).
_EXPORTS: dict[str, tuple[str, str]] = {
    # the model and its agents (Mesa)
    "RecruitmentModel": ("sim.model.model", "RecruitmentModel"),
    "Worker": ("sim.model.workers", "Worker"),
    "Recruiter": ("sim.model.recruiters", "Recruiter"),
    "FeeChargingRecruiter": ("sim.model.recruiters", "FeeChargingRecruiter"),
    "CertifiedRecruiter": ("sim.model.recruiters", "CertifiedRecruiter"),
    "PublicChannel": ("sim.model.recruiters", "PublicChannel"),
    "Employer": ("sim.model.employers", "Employer"),
    "OUTCOMES": ("sim.model.outcomes", "OUTCOMES"),
    # configs
    "RecruitsimConfig": ("sim.config.schema", "RecruitsimConfig"),
    "build_config": ("sim.config.schema", "build_config"),
    "validate": ("sim.config.schema", "validate"),
    "ConfigError": ("sim.config.schema", "ConfigError"),
    "InvalidConfig": ("sim.config.checks", "InvalidConfig"),
    "CONFIG_KEYS": ("sim.config.forms", "CONFIG_KEYS"),
    "flat_config": ("sim.config.forms", "flat_config"),
    "config_to_dict": ("sim.config.forms", "config_to_dict"),
    # scenarios
    "compose_scenario": ("sim.config.scenarios", "compose"),
    "scenario_names": ("sim.config.scenarios", "names"),
    "read_scenario": ("sim.config.scenarios", "read"),
    # running and results
    "simulate": ("sim.runs.simulate", "simulate"),
    "run_from_config": ("sim.runs.simulate", "run_from_config"),
    "RunResult": ("sim.runs.simulate", "RunResult"),
    "load_sweep": ("sim.runs.tables", "load_sweep"),
    "SweepTables": ("sim.runs.tables", "SweepTables"),
    # the calibration's posterior (results/calibration/posterior.parquet)
    "posterior_worlds": ("sim.runs.posterior", "posterior_worlds"),
}

__all__ = [
    "CONFIG_KEYS", "OUTCOMES", "CertifiedRecruiter", "ConfigError", "Employer", "FeeChargingRecruiter",
    "InvalidConfig", "PublicChannel", "Recruiter", "RecruitmentModel", "RecruitsimConfig", "RunResult",
    "SweepTables", "Worker", "build_config", "compose_scenario", "config_to_dict", "flat_config",
    "load_sweep", "posterior_worlds", "read_scenario", "run_from_config", "scenario_names", "simulate",
    "validate",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562) and keep it."""
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'sim' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


#: The subpackages, listed by ``dir(sim)`` for discovery (imported only when used).
_SUBPACKAGES = ("app", "commands", "config", "model", "plots", "runs")


def __dir__() -> list[str]:
    return sorted([*__all__, *_SUBPACKAGES, "__version__"])


if TYPE_CHECKING:  # for type checkers and IDEs; never run
    from sim.config.checks import InvalidConfig
    from sim.config.forms import CONFIG_KEYS, config_to_dict, flat_config
    from sim.config.scenarios import compose as compose_scenario
    from sim.config.scenarios import names as scenario_names
    from sim.config.scenarios import read as read_scenario
    from sim.config.schema import ConfigError, RecruitsimConfig, build_config, validate
    from sim.model.employers import Employer
    from sim.model.model import RecruitmentModel
    from sim.model.outcomes import OUTCOMES
    from sim.model.recruiters import (
        CertifiedRecruiter,
        FeeChargingRecruiter,
        PublicChannel,
        Recruiter,
    )
    from sim.model.workers import Worker
    from sim.runs.simulate import RunResult, run_from_config, simulate
    from sim.runs.tables import SweepTables, load_sweep
