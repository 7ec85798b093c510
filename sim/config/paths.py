"""Where the config files are: the ``configs/`` folder of the checkout.

The package is installed editable (``pip install -e .``), so the YAML files
are found next to the code, not in site-packages.
"""

from __future__ import annotations

from pathlib import Path

#: The root of the checkout (the folder holding ``configs/`` and ``sim/``).
REPO_ROOT = Path(__file__).resolve().parents[2]
#: The config groups (``configs/config.yaml`` and one folder per group).
CONFIG_DIR = REPO_ROOT / "configs"
#: The primary config's name (``configs/config.yaml``).
CONFIG_NAME = "config"
#: The named scenarios (``scenario=NAME``).
SCENARIO_DIR = CONFIG_DIR / "scenario"
#: The named experiments (``experiment=NAME``).
EXPERIMENT_DIR = CONFIG_DIR / "experiment"
