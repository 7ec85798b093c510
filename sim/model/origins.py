"""Origin countries: several sending states, each with its own workers, recruiters and regulator (S18).

Seed 001 (III.A) describes recruitment that spans several jurisdictions,
where each actor can deflect responsibility to another state; MODEL.md asks
whether a strict origin simply loses its workers' jobs to a laxer one. The
model's default is one origin (the ``market`` and ``policy`` sections). With
``origins`` configured, each origin has:

* a block of worker rows (contiguous, so a slice of every worker array is
  one origin's people) drawn from its own economy (home wage, savings,
  credit, village sub-agents' reach: ``ORIGIN_MARKET_KEYS``);
* its own licensed recruiters, who recruit only its workers, and its own
  government-to-government channel;
* its own regulator with its own rules and politics (``ORIGIN_POLICY_KEYS``),
  acting only on its licensees;
* its own word of mouth (what its people hear of its recruiters).

Employers at the destination choose among the recruiters of every origin by
the same rule; the destination's levers (joint liability, the employer ban,
audit acceptance, information sharing) are the same for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.schema import MarketConfig, PolicyConfig, origin_configs


@dataclass
class Origin:
    """One origin country.

    Attributes:
        index: its number (recruiters' and workers' ``origin``).
        name: its name in the config (``""`` for the single origin).
        suffix: what its outcomes end with (``"_" + name``; ``""`` for the single origin).
        share: its share of workers and of recruiters.
        market, policy: the sections it runs under (its own keys over the shared ones).
        workers: its block of worker rows.
    """

    index: int
    name: str
    suffix: str
    share: float
    market: MarketConfig
    policy: PolicyConfig
    workers: slice


def build(config, rng: np.random.Generator) -> list[Origin]:
    """The run's origins, each with its block of worker rows (one origin: every row, no draw)."""
    resolved = origin_configs(config)
    shares = np.array([share for _, share, _, _ in resolved])
    counts = split(config.market.n_workers, shares, rng)
    ends = np.cumsum(counts)
    origins = []
    for index, (name, share, market, policy) in enumerate(resolved):
        start = int(ends[index] - counts[index])
        origins.append(Origin(index, name, f"_{name}" if name else "", float(share), market, policy,
                              slice(start, int(ends[index]))))
    return origins


def split(total: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``total`` items in proportion to ``shares`` (largest remainder; ties broken at random, so no
    origin gets the odd item by its place in the config). One share: no draw."""
    if len(shares) == 1:
        return np.array([total], dtype=np.int64)
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(np.int64)
    left = int(total - counts.sum())
    if left:
        order = np.lexsort((rng.random(len(shares)), -(exact - counts)))
        counts[order[:left]] += 1
    return counts


def of_rows(model, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each recruiter row's value of a per-origin quantity (``values[origin]``)."""
    return values[model.recruiters.origin[rows]]


def policy_values(model, name: str) -> np.ndarray:
    """One policy key's value in each origin, as floats (a missing fee cap is NaN)."""
    return np.array([np.nan if getattr(o.policy, name) is None else float(getattr(o.policy, name))
                     for o in model.origins])


def worker_origin(model, workers: np.ndarray) -> np.ndarray:
    """The origin of each worker row of ``workers``."""
    return model.workers.origin[workers]
