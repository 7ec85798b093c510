"""recruitsim: an agent-based model of cross-border labour recruitment markets.

Importing the package stays light (no UI, no plotting): the model lives in
:mod:`sim.model`, the configuration schema in :mod:`sim.config`.
"""

__version__ = "0.1.0"
