"""How much memory a config needs, so that a run that cannot fit is refused before it starts.

The schema's ranges allow sizes that no machine can hold (a million
employers with a hundred thousand jobs each). Rather than let such a run end
in a ``MemoryError`` traceback after its output folder exists, the command
estimates the run's peak memory from the population sizes and refuses it
with the estimate in the message.

The estimate is linear in what the model keeps per agent, measured on the
development machine (Python 3.13, numpy 2, ``ru_maxrss`` after three months):
about 520 bytes per worker with its Mesa view (120 without,
``run.worker_agents=false``), about 310 bytes per job position (the job-order
arrays are per position), plus about 330 MiB for the interpreter and
libraries. The factors below round those up, so the estimate errs high.
"""

from __future__ import annotations

import os

from sim.config.schema import RecruitsimConfig

BASE_BYTES = 400 * 2**20
BYTES_PER_WORKER_WITH_VIEW = 700
BYTES_PER_WORKER = 200
BYTES_PER_POSITION = 400
BYTES_PER_RECRUITER = 4_096
BYTES_PER_MONTH = 4_096  # one row of the time series, with the DataCollector's copy

#: Share of the machine's physical memory one run may use.
USABLE_SHARE = 0.8


def estimated_bytes(config: RecruitsimConfig) -> int:
    """Peak memory of one run of ``config``, in bytes (an upper estimate)."""
    m = config.market
    per_worker = BYTES_PER_WORKER_WITH_VIEW if config.run.worker_agents else BYTES_PER_WORKER
    positions = m.n_employers * m.jobs_per_employer
    recruiters = m.n_recruiters + m.max_entrants * config.run.steps
    return int(BASE_BYTES + per_worker * m.n_workers + BYTES_PER_POSITION * positions
               + BYTES_PER_RECRUITER * min(recruiters, 10**9) + BYTES_PER_MONTH * config.run.steps)


def physical_memory_bytes() -> int | None:
    """The machine's physical memory, or None where the system does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def too_big_message(config: RecruitsimConfig, available: int | None = None) -> str | None:
    """A short message if one run of ``config`` cannot fit in memory, else None."""
    available = physical_memory_bytes() if available is None else available
    if available is None:
        return None
    need = estimated_bytes(config)
    if need <= USABLE_SHARE * available:
        return None
    m = config.market
    return "\n".join([
        f"recruitsim: config too big: one run needs about {_gib(need)} of memory; "
        f"this machine has {_gib(available)}",
        f"  market.n_workers={m.n_workers}, market.n_employers={m.n_employers} x "
        f"market.jobs_per_employer={m.jobs_per_employer} = {m.n_employers * m.jobs_per_employer:,} job positions",
        "  make the population smaller (memory grows with workers and job positions)",
    ])


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"
