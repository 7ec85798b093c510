"""``python -m sim.app``: the same as ``recruitsim-app``."""

import sys

from sim.app import main

sys.exit(main())
