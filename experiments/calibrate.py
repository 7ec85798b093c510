"""Bayesian calibration to three corridors by ABC-SMC: ``recruitsim-calibrate``.

Why a posterior and not a point: three fee levels cannot pin down the many
parameters that decide the project's claim. A single fitted point hides that;
approximate Bayesian computation keeps every world the data cannot tell apart,
and the report says, parameter by parameter, how far the data moved the prior.

What is fitted, to what, and what is fixed (docs/VALIDATION.md, sections
2.1-2.3, written before any fit):

* Targets (:data:`CORRIDORS`): the mean fee workers pay, in months of foreign
  earnings (outcome ``mean_fee_months``, its mean over the 48-month window
  after the burn-in), in ``corridor_pakistan_saudi`` (10 +- 1.5 months),
  ``corridor_korea_eps`` (1 +- 0.5) and ``corridor_philippines`` (1.1 +- 0.5).
  A particle's statistic is the corridor's mean over its seeds; its distance
  the largest misfit over the corridors in units of their tolerances, so a
  final tolerance of 1 means every corridor inside its band.
* Free parameters (:data:`FITTED`): behavioural and structural parameters
  shared by every corridor, the policy-process parameters of endogenous
  enforcement (they act only where inspections exist: the Philippines), and
  Pakistan's home wage (corridor-specific, poorly measured, not a policy
  input). Policy inputs (caps, inspections, the public channel) are fixed in
  the scenario files from sources or shared, never fitted.
* Priors (:data:`PRIORS`): uniform over the ranges of
  :mod:`experiments.parameter_space` (``default``); the same ranges widened
  by half on each side within the schema's bounds (``widened``); and
  log-uniform wherever a range is positive (``log``). A calibration runs one
  or several of them; how the posterior moves between them is in the report.
* Algorithm: pyabc's ABC-SMC (adaptive quantile tolerance, multivariate
  normal perturbation), stopped at the pre-registered tolerance of 1 or at
  the generation or simulation budget.
* Runs: every simulation goes through the run-many engine
  (:func:`experiments.batch.evaluate`) into the results store
  ``<out>/runs/store/``, in parallel locally or on a Dask cluster
  (``--scheduler``). :class:`EngineSampler` is the bridge: pyabc proposes
  particles one at a time, the sampler collects a whole batch of proposals,
  runs them at once, then lets pyabc judge them in the order proposed (so
  the result is that of pyabc's sequential sampler).
* Resume: pyabc keeps each finished generation in ``<out>/runs/abc_<prior>.db``
  and a rerun continues after the last; the generation that was interrupted
  is proposed again identically (each generation's random state is derived
  from the calibration's seed and the generation's number, and a particle's
  seeds from its parameter values), so its finished runs are found in the
  store.

Outputs (``<out>/``): ``posterior.parquet`` (every generation's particles of
every prior run: ``prior``, ``generation``, ``particle``, ``weight``,
``distance``, ``epsilon`` and one column per fitted key, in config units),
``calibration.json`` (per prior: each generation's tolerance, simulations and
acceptance rate, the effective sample size; contraction per parameter;
posterior predictive checks and the post-fit checks), ``report.md`` and
``figures/``. Draw worlds from it with :func:`sim.posterior_worlds`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from experiments import batch
from experiments.document import (
    RESULTS,
    analysis_options,
    command_line,
    output_dir,
    pyplot,
    run_resumably,
    save_and_close,
)
from experiments.parameter_space import (
    POLICY_PROCESS,
    UNCERTAINTIES,
    Factor,
    by_key,
    schema_bounds,
)
from experiments.report import Document, markdown_table, write_csv

OUTCOME = "mean_fee_months"


@dataclass(frozen=True)
class Corridor:
    """A calibration target (docs/VALIDATION.md, section 2.1).

    Attributes:
        scenario: the scenario file (``configs/scenario/<scenario>.yaml``) giving the fixed inputs.
        target: months of foreign earnings workers pay.
        tolerance: the misfit (months) allowed: half the spread between sources plus a margin for definitions.
        source: where the target comes from.
        seeds: seeds per particle; 1 where the fee does not vary by seed (Korea: every employer bound).
    """

    scenario: str
    target: float
    tolerance: float
    source: str
    seeds: int | None = None

    @property
    def band(self) -> tuple[float, float]:
        return self.target - self.tolerance, self.target + self.tolerance


CORRIDORS: tuple[Corridor, ...] = (
    Corridor("corridor_pakistan_saudi", 10.0, 1.5,
             "ILO 2016 survey of 620 returnees (8.9 months); IOM Migration Data Portal (about 11); World Bank "
             "People Move blog (up to 15 for some workers)"),
    Corridor("corridor_korea_eps", 1.0, 0.5,
             "World Bank People Move blog; KNOMAD-ILO surveys of workers in Korea (about one month)", seeds=1),
    Corridor("corridor_philippines", 1.1, 0.5,
             "ILO and Philippine Statistics Authority 2024, 2019 Survey on Overseas Filipinos (1.2 months of "
             "the first month's salary); Institute for Labor Studies, returnees from Qatar (about one month)"),
)

#: The fitted parameters, their priors from :mod:`experiments.parameter_space` (docs/VALIDATION.md, 2.2).
FITTED: tuple[Factor, ...] = tuple(by_key((*UNCERTAINTIES, *POLICY_PROCESS))[k] for k in (
    "market.search_prob", "market.worker_choice_scale", "market.fee_adjust_rate",
    "market.employer_choice_scale", "market.jobs_per_employer", "market.switch_confidence",
    "market.subagent_share", "market.debt_quit_effect", "market.home_wage",
    "policy.pressure_elasticity", "policy.lobby_weight"))
#: Parameters that belong to one corridor only (the others are shared by all).
CORRIDOR_ONLY = {"market.home_wage": "corridor_pakistan_saudi"}
#: The priors a calibration can run under.
PRIORS = ("default", "widened", "log")
#: Contraction (1 - posterior variance / prior variance, on the sampled scale) below which a parameter
#: is reported as left unidentified by the data: its posterior sd is still above about 87% of its prior's.
UNIDENTIFIED_BELOW = 0.25
#: The seed from which every generation's random state and the checks' draws derive.
CALIBRATION_SEED = 20261125
#: First seed of the posterior predictive checks (never a particle's seed: those are below 2**31 from hashes,
#: these are fresh ones drawn past them).
CHECK_SEEDS = 2_200_000_000
#: Seeds' patterns checked after fitting (docs/VALIDATION.md, 2.3): scenario, outcome, what the seed reports.
POST_FIT_CHECKS = (
    ("iris_as_launched", "n_certified", "IRIS: no certified recruiter about four years after launch"),
    ("public_channel", "public_share", "IOM-Guatemala: the optional public channel lost its market"),
)


@dataclass(frozen=True)
class Budget:
    """How much one prior's ABC-SMC may spend.

    Attributes:
        population: particles per generation.
        generations: the most generations.
        simulations: the most particles simulated in all (each runs every corridor's seeds).
        seeds: seeds per particle and corridor (a corridor's own ``seeds`` wins).
        min_epsilon: stop once the tolerance is at or below this (1: every corridor inside its band).
    """

    population: int = 100
    generations: int = 8
    simulations: int = 1600
    seeds: int = 3
    min_epsilon: float = 1.0


#: The full calibration's budgets (docs/VALIDATION.md, 2.5: about 2 hours on 2 cores for all three priors).
FULL = {"default": Budget(), "widened": Budget(population=60, simulations=800),
        "log": Budget(population=60, simulations=800)}
#: ``--quick``: a tiny world, a few particles; numbers mean nothing.
QUICK = Budget(population=8, generations=2, simulations=40, seeds=1)


def say(message: str) -> None:
    print(f"recruitsim-calibrate: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- priors


def prior_factors(kind: str, factors: Sequence[Factor] = FITTED) -> tuple[Factor, ...]:
    """The factors as the prior ``kind`` samples them.

    ``default``: the parameter space's ranges. ``widened``: each range
    widened by half its width on either side (on its sampled scale), kept
    inside the schema's bounds and, for a log factor, above zero.
    ``log``: log-uniform wherever the range is positive; a range reaching
    zero or below stays uniform (log does not apply).
    """
    if kind not in PRIORS:
        raise ValueError(f"unknown prior '{kind}'; choose one of {', '.join(PRIORS)}")
    if kind == "default":
        return tuple(factors)
    out = []
    for f in factors:
        if kind == "log":
            out.append(replace(f, log=f.lo > 0) if f.kind != "bool" else f)
            continue
        lo_u, hi_u = f.unit_bounds()
        half = (hi_u - lo_u) / 2
        lo, hi = (10 ** (lo_u - half), 10 ** (hi_u + half)) if f.log else (lo_u - half, hi_u + half)
        s_lo, s_hi = schema_bounds(f.key)
        lo, hi = max(lo, s_lo), min(hi, s_hi)
        if f.log:
            lo = max(lo, f.lo / 100)
        out.append(replace(f, lo=float(lo), hi=float(hi)))
    return tuple(out)


def _name(f: Factor) -> str:
    """pyabc's name for a factor (sorted names keep pyabc's column order the same after a resume)."""
    return f.key


def pyabc_prior(factors: Sequence[Factor]):
    """Uniform priors on each factor's sampled scale, keyed by config key in sorted order."""
    import pyabc

    ordered = sorted(factors, key=_name)
    return pyabc.Distribution(**{_name(f): pyabc.RV("uniform", f.unit_bounds()[0],
                                                    f.unit_bounds()[1] - f.unit_bounds()[0]) for f in ordered})


# --------------------------------------------------------------------------- running particles


class Pending(Exception):
    """Raised by the model while the sampler only collects proposals: the particle's parameters."""

    def __init__(self, theta: Mapping[str, float]):
        super().__init__("a proposal to run in the next batch")
        self.theta = dict(theta)


def particle_seeds(theta: Mapping[str, float], n: int) -> list[int]:
    """``n`` seeds derived from a particle's parameter values: reproducible, and different for each particle."""
    text = json.dumps({k: float(v) for k, v in sorted(theta.items())}, sort_keys=True)
    base = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % (2**31 - 10_000)
    return [base + i for i in range(n)]


class Evaluator:
    """pyabc's model: a particle's statistics from runs computed in batches by the run-many engine.

    While :attr:`collecting`, a call records nothing and raises :class:`Pending`
    with the particle's parameters; :meth:`compute` runs a batch of them; then
    calls return the corridors' seed means from what was computed.
    """

    def __init__(self, factors: Sequence[Factor], corridors: Sequence[Corridor], bases: Mapping[str, dict],
                 world: Mapping, seeds: int, store: Path | None, jobs: int | None):
        self.factors, self.corridors, self.bases = tuple(factors), tuple(corridors), bases
        self.world, self.seeds, self.store, self.jobs = dict(world), seeds, store, jobs
        self.collecting = False
        self.results: dict[str, dict[str, float]] = {}
        self.runs = 0
        self.generation = 0

    def overrides(self, theta: Mapping[str, float], scenario: str) -> dict:
        """The config overrides particle ``theta`` (sampled scale) gives a corridor."""
        out = {}
        for f in self.factors:
            if CORRIDOR_ONLY.get(f.key, scenario) == scenario:
                out[f.key] = f.value(float(theta[_name(f)]))
        return out

    def points(self, theta: Mapping[str, float]) -> list[dict]:
        out = []
        for c in self.corridors:
            for s in particle_seeds(theta, c.seeds or self.seeds):
                out.append({**self.bases[c.scenario], **self.world, **self.overrides(theta, c.scenario), "seed": s})
        return out

    def compute(self, thetas: Sequence[Mapping[str, float]]) -> None:
        todo = [t for t in thetas if _key(t) not in self.results]
        if not todo:
            return
        points = [p for t in todo for p in self.points(t)]
        frame = batch.evaluate(points, outcomes=(OUTCOME,), jobs=self.jobs, store=self.store,
                               desc=f"generation {self.generation}")
        if batch.failures(frame):
            raise batch.RunsFailed("runs failed during calibration: " + "; ".join(batch.failures(frame)))
        self.runs += len(points)
        values = iter(frame[OUTCOME].to_numpy(dtype=float))
        for t in todo:
            stats = {}
            for c in self.corridors:
                stats[c.scenario] = float(np.mean([next(values) for _ in range(c.seeds or self.seeds)]))
            self.results[_key(t)] = stats

    def __call__(self, theta) -> dict:
        if self.collecting:
            raise Pending(theta)
        return dict(self.results[_key(theta)])


def _key(theta: Mapping[str, float]) -> str:
    return json.dumps({k: float(v) for k, v in sorted(dict(theta).items())}, sort_keys=True)


def distance_function(corridors: Sequence[Corridor]) -> Callable[[dict, dict], float]:
    """The largest misfit over the corridors in units of their tolerances (1: all inside their bands)."""
    def distance(x: dict, x0: dict) -> float:
        return float(max(abs(x[c.scenario] - x0[c.scenario]) / c.tolerance for c in corridors))
    return distance


def _generation_seed(seed: int, t: int, all_accepted: bool) -> int:
    return int(hashlib.sha256(f"{seed}/{t}/{all_accepted}".encode()).hexdigest()[:8], 16)


def _engine_sampler_class():
    from pyabc.sampler import Sampler

    class EngineSampler(Sampler):
        """pyabc sampler that runs proposals in batches through the run-many engine.

        Each round draws ``batch`` proposals with the model only collecting
        them, runs them all at once, restores the random state and draws the
        same proposals again, now judged with their results, in order, until
        ``n`` are accepted: the sequential sampler's result, with every run of
        a round computed in parallel. A generation's random state depends only
        on the calibration's seed and the generation, so a resumed calibration
        proposes the interrupted generation's particles again.
        """

        def __init__(self, evaluator: Evaluator, seed: int, limit: float = np.inf, spent: int = 0,
                     max_batch: int = 2000):
            super().__init__()
            self.evaluator, self.seed, self.max_batch = evaluator, seed, max_batch
            self.limit, self.spent = limit, spent
            self.show_progress = False
            self.acceptance = 0.5

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                    ana_vars=None):
            np.random.seed(_generation_seed(self.seed, t, all_accepted))
            # the simulation budget binds inside a generation too: one with a low acceptance rate would
            # otherwise overrun it; a generation cut short is not kept (pyabc stops on a sample not ok)
            if not all_accepted:
                max_eval = min(max_eval, max(self.limit - self.spent, 0))
            self.evaluator.generation = t
            sample = self._create_empty_sample()
            evaluations = 0
            while sample.n_accepted < n and evaluations < max_eval:
                missing = n - sample.n_accepted
                size = missing if all_accepted else math.ceil(1.2 * missing / max(self.acceptance, 0.02)) + 2
                size = int(min(size, self.max_batch, max_eval - evaluations if max_eval < np.inf else size))
                state = np.random.get_state()
                thetas = []
                self.evaluator.collecting = True
                try:
                    for _ in range(size):
                        try:
                            simulate_one()
                        except Pending as p:
                            thetas.append(p.theta)
                finally:
                    self.evaluator.collecting = False
                self.evaluator.compute(thetas)
                np.random.set_state(state)
                accepted = 0
                for _ in range(size):
                    particle = simulate_one()
                    sample.append(particle)
                    evaluations += 1
                    accepted += bool(particle.accepted)
                    if sample.n_accepted >= n:
                        break
                if not all_accepted:
                    self.acceptance = max(accepted, 1) / size
            self.nr_evaluations_ = evaluations
            if not all_accepted:
                self.spent += evaluations
            # progress, a line a generation (the runs' own progress is the engine's)
            budget = "" if self.limit == np.inf else f"; {self.spent:.0f} of {self.limit:.0f} particles simulated"
            which = f"generation {t}" if t >= 0 else "the prior sample that sets the first tolerance"
            say(f"{which}: {sample.n_accepted} of {n} accepted from {evaluations} proposals{budget}")
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return EngineSampler


# --------------------------------------------------------------------------- one prior's ABC-SMC


def run_abc(*, prior: str, factors: Sequence[Factor], corridors: Sequence[Corridor], targets: Mapping[str, float],
            budget: Budget, world: Mapping, store: Path, db: Path, jobs: int | None,
            seed: int = CALIBRATION_SEED, bases: Mapping[str, dict] | None = None) -> tuple[pd.DataFrame, dict]:
    """ABC-SMC under one prior; resumes from ``db`` when it holds the same calibration.

    Returns the particles of every generation (config units) and the run's
    statistics (per generation: tolerance, simulations, acceptance rate,
    effective sample size).
    """
    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)
    for name in ("ABC.Sampler", "ABC.History", "ABC.Distance", "ABC.Epsilon", "ABC.Acceptor",
                 "ABC.Transition", "ABC.Population", "ABC.Adaptation", "ABC.Predictor"):
        logging.getLogger(name).setLevel(logging.WARNING)
    factors = prior_factors(prior, factors)
    if bases is None:
        bases = {c.scenario: batch.base_overrides([f"scenario={c.scenario}"]) for c in corridors}
    evaluator = Evaluator(factors, corridors, bases, world, budget.seeds, store, jobs)
    sampler = _engine_sampler_class()(evaluator, seed, limit=budget.simulations)
    abc = pyabc.ABCSMC(evaluator, pyabc_prior(factors), distance_function(corridors),
                       population_size=budget.population, sampler=sampler,
                       eps=pyabc.QuantileEpsilon(alpha=0.5))
    signature = {"prior": prior, "factors": [[f.key, f.lo, f.hi, f.log] for f in factors],
                 "targets": {k: float(v) for k, v in targets.items()},
                 "tolerances": {c.scenario: c.tolerance for c in corridors}, "world": dict(world),
                 "population": budget.population, "seeds": budget.seeds, "seed": seed}
    sig_path = db.with_suffix(".json")
    url = f"sqlite:///{db}"
    done = 0
    if db.exists() and sig_path.exists() and json.loads(sig_path.read_text()) == signature:
        history = pyabc.History(url)
        if history.n_populations > 0:
            abc.load(url, 1)
            done = history.max_t + 1
            sampler.spent = int(history.total_nr_simulations)
            say(f"prior {prior}: resuming after generation {done - 1} ({db})")
    if not done:
        db.parent.mkdir(parents=True, exist_ok=True)
        for stale in (db, sig_path):
            stale.unlink(missing_ok=True)
        sig_path.write_text(json.dumps(signature, indent=1))
        abc.new(url, {k: float(v) for k, v in targets.items()})
    if done and _finished(abc.history, budget):
        say(f"prior {prior}: already finished ({db})")
        history = abc.history
    else:
        history = abc.run(minimum_epsilon=budget.min_epsilon, max_nr_populations=budget.generations - done,
                          max_total_nr_simulations=budget.simulations)
    return _particles(history, factors, prior), _statistics(history, evaluator)


def _finished(history, budget: Budget) -> bool:
    """Whether a stored run already met a stopping rule (so a rerun adds no generation, as an uninterrupted run would not)."""
    epsilon = float(history.get_all_populations().set_index("t").loc[history.max_t, "epsilon"])
    return (history.max_t + 1 >= budget.generations or epsilon <= budget.min_epsilon
            or int(history.total_nr_simulations) >= budget.simulations)


def _particles(history, factors: Sequence[Factor], prior: str) -> pd.DataFrame:
    pops = history.get_all_populations().set_index("t")
    frames = []
    for t in range(history.max_t + 1):
        frame, w = history.get_distribution(m=0, t=t)
        distances = history.get_weighted_distances(t=t)["distance"].to_numpy()
        out = pd.DataFrame({"prior": prior, "generation": t, "particle": np.arange(len(frame)),
                            "weight": np.asarray(w, dtype=float), "distance": distances[: len(frame)],
                            "epsilon": float(pops.loc[t, "epsilon"])})
        for f in factors:
            out[f.key] = [float(f.value(v)) for v in frame[_name(f)].to_numpy()]
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


def _statistics(history, evaluator: Evaluator) -> dict:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    generations = []
    for _, row in pops.iterrows():
        _, w = history.get_distribution(m=0, t=int(row["t"]))
        w = np.asarray(w, dtype=float) / np.sum(w)
        n = len(w)
        generations.append({"generation": int(row["t"]), "epsilon": float(row["epsilon"]),
                            "simulations": int(row["samples"]), "accepted": n,
                            "acceptance_rate": n / max(int(row["samples"]), 1),
                            "ess": float(1.0 / np.sum(w**2))})
    last = generations[-1]
    return {"generations": generations, "final_epsilon": last["epsilon"], "ess": last["ess"],
            "acceptance_rate": last["acceptance_rate"],
            "simulations": int(sum(g["simulations"] for g in generations)),
            "runs_this_session": evaluator.runs}


# --------------------------------------------------------------------------- summaries of a posterior


def final(posterior: pd.DataFrame, prior: str = "default") -> pd.DataFrame:
    """The last generation of one prior's particles."""
    own = posterior[posterior["prior"] == prior]
    if own.empty:
        raise ValueError(f"the posterior holds no particles for prior '{prior}'")
    return own[own["generation"] == own["generation"].max()].reset_index(drop=True)


def _unit(f: Factor, values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.log10(np.maximum(values, 1e-300)) if f.log else values


def contraction(posterior: pd.DataFrame, factors: Sequence[Factor], prior: str = "default") -> pd.DataFrame:
    """Per parameter: prior and posterior mean and sd, 90% interval and contraction, on the prior's scale.

    Contraction is 1 - posterior variance / prior variance (uniform prior on
    the sampled scale, weights of the last generation): 0 when the data
    teach nothing, near 1 when they pin the parameter down.
    """
    last = final(posterior, prior)
    w = last["weight"].to_numpy(dtype=float)
    w = w / w.sum()
    rows = []
    for f in prior_factors(prior, factors):
        lo, hi = f.unit_bounds()
        prior_var = (hi - lo) ** 2 / 12
        x = _unit(f, last[f.key])
        mean = float(np.sum(w * x))
        var = float(np.sum(w * (x - mean) ** 2))
        q05, q95 = _weighted_quantiles(last[f.key].to_numpy(dtype=float), w, (0.05, 0.95))
        c = 1 - var / prior_var
        rows.append({"parameter": f.key, "prior": f"{f.lo:g}-{f.hi:g}" + (" (log)" if f.log else ""),
                     "posterior_mean": float(10**mean) if f.log else mean, "q05": q05, "q95": q95,
                     "contraction": c, "identified": bool(c >= UNIDENTIFIED_BELOW)})
    return pd.DataFrame(rows)


def _weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> list[float]:
    order = np.argsort(x)
    cw = np.cumsum(w[order]) / np.sum(w)
    return [float(x[order][min(np.searchsorted(cw, q), len(x) - 1)]) for q in qs]


def draw_worlds(posterior: pd.DataFrame, factors: Sequence[Factor], n: int, *, prior: str = "default",
                seed: int = 0) -> list[dict]:
    """``n`` worlds drawn with replacement by weight from a prior's last generation: config overrides."""
    from sim.runs.posterior import worlds_from_frame

    keys = {f.key for f in factors}
    return [{k: v for k, v in w.items() if k in keys} for w in worlds_from_frame(posterior, n, prior=prior, seed=seed)]


def predictive(posterior: pd.DataFrame, factors: Sequence[Factor], corridors: Sequence[Corridor], *, draws: int,
               world: Mapping, store: Path, jobs: int | None, prior: str = "default") -> dict:
    """Posterior predictive check: each corridor on fresh seeds, one posterior world per seed.

    Coverage is the share of draws inside the corridor's band; the 90%
    predictive interval is reported beside the target.
    """
    worlds = draw_worlds(posterior, factors, draws, prior=prior, seed=CALIBRATION_SEED)
    out = {}
    for c in corridors:
        base = batch.base_overrides([f"scenario={c.scenario}"])
        points = [{**base, **dict(world), **_applies(w, c.scenario), "seed": CHECK_SEEDS + i}
                  for i, w in enumerate(worlds)]
        frame = batch.evaluate(points, outcomes=(OUTCOME,), jobs=jobs, store=store, desc=f"check {c.scenario}")
        values = frame[OUTCOME].to_numpy(dtype=float)
        lo, hi = c.band
        out[c.scenario] = {"target": c.target, "tolerance": c.tolerance, "mean": float(np.nanmean(values)),
                           "q05": float(np.nanquantile(values, 0.05)), "q95": float(np.nanquantile(values, 0.95)),
                           "coverage": float(np.mean((values >= lo) & (values <= hi))),
                           "values": values.tolist()}
    return out


def post_fit_checks(posterior: pd.DataFrame, factors: Sequence[Factor], *, draws: int, world: Mapping,
                    store: Path, jobs: int | None) -> dict:
    """The seeds' patterns (docs/VALIDATION.md, 2.3) over posterior worlds: reported, never fitted."""
    worlds = draw_worlds(posterior, factors, draws, seed=CALIBRATION_SEED + 1)
    out = {}
    for scenario, outcome, what in POST_FIT_CHECKS:
        base = batch.base_overrides([f"scenario={scenario}"])
        points = [{**base, **dict(world), **w, "seed": CHECK_SEEDS + 10_000 + i} for i, w in enumerate(worlds)]
        frame = batch.evaluate(points, outcomes=(outcome,), jobs=jobs, store=store, desc=f"check {scenario}")
        values = frame[outcome].to_numpy(dtype=float)
        out[scenario] = {"outcome": outcome, "pattern": what, "mean": float(np.nanmean(values)),
                         "q05": float(np.nanquantile(values, 0.05)), "q95": float(np.nanquantile(values, 0.95)),
                         "share_zero": float(np.mean(values <= 1e-9))}
    return out


def _applies(world: Mapping, scenario: str) -> dict:
    return {k: v for k, v in world.items() if CORRIDOR_ONLY.get(k, scenario) == scenario}


# --------------------------------------------------------------------------- the command


# --------------------------------------------------------------------------- recovery of known parameters

#: The recovery check's size: worlds drawn from the prior, each fitted from the model's own output in the quick
#: world (a full-size world per truth would cost a calibration each).
RECOVERY = {"worlds": 5, "seed": 7, "target_seeds": range(700, 703),
            "budget": Budget(population=40, generations=4, simulations=400, seeds=2)}


def synthetic_targets(factors: Sequence[Factor], truth: Mapping[str, float], corridors: Sequence[Corridor],
                      seeds: Sequence[int], world: Mapping) -> dict[str, float]:
    """Targets made by the model itself at ``truth``: each corridor's mean fee over ``seeds``."""
    out = {}
    for c in corridors:
        base = batch.base_overrides([f"scenario={c.scenario}"])
        points = [{**base, **world, **truth, "seed": s} for s in seeds]
        frame = batch.evaluate(points, outcomes=("mean_fee_months",), jobs=1, progress=False)
        out[c.scenario] = float(frame["mean_fee_months"].mean())
    return out


def recovery_check(store: Path, *, worlds: int = RECOVERY["worlds"], budget: Budget = RECOVERY["budget"],
                   seed: int = RECOVERY["seed"], jobs: int | None = None) -> pd.DataFrame:
    """Does ABC find parameters it knows? ``worlds`` truths drawn from the prior make synthetic targets (the
    model's own fees in each corridor, quick world); ABC-SMC fits every parameter to them as the real
    calibration does. One row per (world, parameter): the truth, the 90% posterior interval, whether it covers
    the truth, and the contraction (nominal coverage 90%; the slow test asks for at least 70%)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(worlds):
        truth = {f.key: f.value(rng.uniform(*f.unit_bounds())) for f in FITTED}
        targets = synthetic_targets(FITTED, truth, CORRIDORS, RECOVERY["target_seeds"], batch.QUICK_WORLD)
        corridors = [replace(c, target=targets[c.scenario]) for c in CORRIDORS]
        say(f"recovery: world {i + 1} of {worlds}")
        frame, _ = run_abc(prior="default", factors=FITTED, corridors=corridors, targets=targets, budget=budget,
                           world=batch.QUICK_WORLD, store=store, db=store / f"recovery_{i}.db", jobs=jobs)
        for _, row in contraction(frame, FITTED).iterrows():
            value = float(truth[row["parameter"]])
            rows.append({"world": i, "parameter": row["parameter"], "truth": value, "q05": row["q05"],
                         "q95": row["q95"], "covered": bool(row["q05"] - 1e-9 <= value <= row["q95"] + 1e-9),
                         "contraction": row["contraction"]})
    return pd.DataFrame(rows)


def calibrate(*, priors: Sequence[str] = ("default",), budgets: Mapping[str, Budget] | None = None,
              jobs: int | None = None, out_dir: Path = RESULTS / "calibration", quick: bool = False,
              predictive_draws: int = 100, check_draws: int = 40,
              command: str = "recruitsim-calibrate") -> dict:
    """Run ABC-SMC under each prior, check the posterior, write ``out_dir``. Returns calibration.json's content."""
    started = time.perf_counter()
    world = batch.QUICK_WORLD if quick else {}
    runs = out_dir / "runs"
    targets = {c.scenario: c.target for c in CORRIDORS}
    frames, stats = [], {}
    for prior in priors:
        budget = (budgets or {}).get(prior) or (QUICK if quick else FULL[prior])
        say(f"prior {prior}: ABC-SMC, {budget.population} particles a generation, at most "
            f"{budget.generations} generations and {budget.simulations} particles simulated")
        tic = time.perf_counter()
        frame, stat = run_abc(prior=prior, factors=FITTED, corridors=CORRIDORS, targets=targets, budget=budget,
                              world=world, store=runs, db=runs / f"abc_{prior}.db", jobs=jobs)
        stat["seconds"] = time.perf_counter() - tic
        stat["budget"] = budget.__dict__
        stat["contraction"] = contraction(frame, FITTED, prior).to_dict(orient="records")
        frames.append(frame)
        stats[prior] = stat
    posterior = pd.concat(frames, ignore_index=True)
    main_prior = priors[0]
    say("posterior predictive checks on fresh seeds")
    checks = predictive(posterior, FITTED, CORRIDORS, draws=predictive_draws if not quick else 4, world=world,
                        store=runs, jobs=jobs, prior=main_prior)
    say("the seeds' patterns over posterior worlds (not fitted)")
    patterns = post_fit_checks(posterior[posterior["prior"] == main_prior], FITTED,
                               draws=check_draws if not quick else 2, world=world, store=runs, jobs=jobs)
    n_runs, run_seconds = simulation_time(runs / "store")
    result = {"priors": stats, "main_prior": main_prior, "predictive": checks, "post_fit_checks": patterns,
              "runs": n_runs, "run_seconds": run_seconds,
              "corridors": {c.scenario: {"target": c.target, "tolerance": c.tolerance, "band": list(c.band),
                                         "source": c.source} for c in CORRIDORS},
              "fitted": [f.key for f in FITTED], "quick": quick, "command": command,
              "seconds": time.perf_counter() - started}
    write_outputs(out_dir, posterior, result)
    return result


def simulation_time(store: Path) -> tuple[int, float]:
    """Completed runs in the calibration's store and their summed run times (s): the cost of the whole
    calibration, over every session it took (a resumed command's own clock sees only its last one)."""
    n, seconds = 0, 0.0
    for path in (store / "runs").glob("*.json"):
        record = json.loads(path.read_text())
        if record.get("status") == "completed":
            n += 1
            seconds += float(record.get("wall_seconds") or 0.0)
    return n, seconds


def write_posterior(path: Path, posterior: pd.DataFrame) -> None:
    """``posterior.parquet``, written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    posterior.to_parquet(tmp, index=False)
    tmp.replace(path)


def write_outputs(out_dir: Path, posterior: pd.DataFrame, result: dict) -> None:
    from sim.runs.files import write_json

    figures = out_dir / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    write_posterior(out_dir / "posterior.parquet", posterior)
    write_json(out_dir / "calibration.json", result)
    main_prior = result["main_prior"]
    _figure_marginals(posterior, main_prior, figures / "marginals")
    _figure_pairs(posterior, main_prior, figures / "pairs")
    _figure_predictive(result["predictive"], figures / "predictive")
    report = Document(out_dir, "Bayesian calibration to three corridors")
    report.para("Which worlds reproduce what workers pay in three corridors with different institutions, and "
                "what do three fee levels leave open? Method: the docstring of `experiments/calibrate.py`; "
                "targets, tolerances and what is fixed were set before fitting (docs/VALIDATION.md, 2.1-2.3).")
    report.heading("Targets")
    report.para(markdown_table(pd.DataFrame([{"corridor": k, "target (months)": f"{v['target']:g}",
                                              "tolerance": f"{v['tolerance']:g}",
                                              "band": f"{v['band'][0]:g}-{v['band'][1]:g}", "source": v["source"]}
                                             for k, v in result["corridors"].items()])))
    report.heading("ABC-SMC")
    rows = []
    for prior, s in result["priors"].items():
        for g in s["generations"]:
            rows.append({"prior": prior, "generation": g["generation"], "tolerance": f"{g['epsilon']:.3g}",
                         "particles simulated": g["simulations"], "acceptance rate": f"{g['acceptance_rate']:.2f}",
                         "ESS": f"{g['ess']:.1f}"})
    report.para(markdown_table(pd.DataFrame(rows)))
    s = result["priors"][main_prior]
    report.para(f"Prior `{main_prior}`: final tolerance {s['final_epsilon']:.3g} (1 = every corridor inside its "
                f"band), acceptance rate of the last generation {s['acceptance_rate']:.2f}, effective sample size "
                f"{s['ess']:.1f}, {s['simulations']} particles simulated in all. The whole calibration (every prior and "
                f"the checks) ran {result['runs']:,} simulations, {result['run_seconds'] / 3600:.1f} hours of run "
                f"time summed over runs (about {result['run_seconds'] / 7200:.1f} hours on two cores).")
    report.heading("What the data identify: contraction from prior to posterior")
    table = pd.DataFrame(s["contraction"])
    unidentified = [r["parameter"] for r in s["contraction"] if not r["identified"]]
    report.para(markdown_table(table.assign(
        posterior_mean=table["posterior_mean"].map(lambda v: f"{v:.4g}"),
        q05=table["q05"].map(lambda v: f"{v:.4g}"), q95=table["q95"].map(lambda v: f"{v:.4g}"),
        contraction=table["contraction"].map(lambda v: f"{v:.2f}"))))
    report.para(f"Contraction is 1 - posterior variance / prior variance on the prior's scale; below "
                f"{UNIDENTIFIED_BELOW} a parameter counts as unidentified. **Left at their prior by the data**: "
                + (", ".join(f"`{k}`" for k in unidentified) if unidentified else "none") + ". Their schema "
                "defaults are not moved to a posterior summary.")
    report.figure(figures / "marginals.png", "Prior (grey) and posterior (blue) of each fitted parameter")
    report.figure(figures / "pairs.png", "Posterior particles, pair by pair (colour: weight)")
    if len(result["priors"]) > 1:
        report.heading("Sensitivity to the prior")
        rows = []
        for prior, st in result["priors"].items():
            for r in st["contraction"]:
                rows.append({"parameter": r["parameter"], "prior": prior, "range": r["prior"],
                             "posterior mean": f"{r['posterior_mean']:.4g}",
                             "90% interval": f"{r['q05']:.4g}-{r['q95']:.4g}",
                             "contraction": f"{r['contraction']:.2f}"})
        report.para(markdown_table(pd.DataFrame(rows).sort_values(["parameter", "prior"])))
        report.para("How the claim's verdict moves with the prior: run the claim over each prior's posterior "
                    "worlds (`recruitsim-experiment claim --worlds posterior --prior NAME`).")
    report.heading("Posterior predictive checks")
    rows = [{"corridor": k, "target": f"{v['target']:g} +- {v['tolerance']:g}", "predictive mean": f"{v['mean']:.2f}",
             "90% predictive interval": f"{v['q05']:.2f}-{v['q95']:.2f}", "coverage (draws in band)":
             f"{v['coverage']:.0%}"} for k, v in result["predictive"].items()]
    report.para(markdown_table(pd.DataFrame(rows)))
    report.para("One posterior world per fresh seed (never a particle's seed); coverage is the share of draws "
                "whose fee lies inside the corridor's band.")
    report.figure(figures / "predictive.png", "Posterior predictive fee of each corridor against its band")
    report.heading("Checks not used for fitting")
    rows = [{"scenario": k, "pattern in the seeds": v["pattern"], "outcome": v["outcome"],
             "posterior mean": f"{v['mean']:.3g}", "90% interval": f"{v['q05']:.3g}-{v['q95']:.3g}",
             "worlds at zero": f"{v['share_zero']:.0%}"} for k, v in result["post_fit_checks"].items()]
    report.para(markdown_table(pd.DataFrame(rows)))
    report.para("Caveats (docs/VALIDATION.md, 2.3): the claim itself predicts the IRIS pattern, so agreement "
                "counts little; both patterns had causes outside the market (the scheme's start-up; a "
                "corruption scandal and an insider spin-off).")
    recovery_file = out_dir / "recovery.csv"
    if recovery_file.is_file():
        rec = pd.read_csv(recovery_file)
        by = rec.groupby("parameter").agg(covered=("covered", "mean"), contraction=("contraction", "mean"))
        report.heading("Recovery of known parameters (synthetic data)")
        report.para(f"{rec['world'].nunique()} truths drawn from the prior made synthetic fee targets in the "
                    "three corridors (the model's own output, quick world); ABC-SMC fitted every parameter to "
                    f"them as above. The 90% posterior intervals cover the truth in {rec['covered'].mean():.0%} "
                    f"of the {len(rec)} (truth, parameter) pairs (nominal 90%; the slow test "
                    "`test_abc_covers_the_true_values_of_every_fitted_parameter_at_about_the_nominal_rate` asks "
                    "for at least 70%). Per parameter, over the truths (`recovery.csv`: every pair):")
        report.para(markdown_table(by.reset_index().assign(covered=by["covered"].map(lambda v: f"{v:.0%}").values,
                                                           contraction=by["contraction"].map(
                                                               lambda v: f"{v:.2f}").values)))
    report.heading("Reproduce")
    report.para("```\nrecruitsim-calibrate --priors default,widened,log    # the full calibration "
                "(docs/VALIDATION.md, 2.5)\nrecruitsim-experiment claim --worlds posterior\n```")
    report.write(command=result["command"], seconds=result["seconds"], quick=result["quick"],
                 also=f" this time; every run it used, over all the sessions it took: "
                      f"{result['run_seconds'] / 3600:.1f} hours of run time summed")


def _figure_marginals(posterior: pd.DataFrame, prior: str, stem: Path) -> None:
    plt = pyplot()
    factors = prior_factors(prior)
    last = final(posterior, prior)
    cols = 4
    rows = math.ceil(len(factors) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows))
    axes = np.atleast_1d(axes).ravel()
    for ax, f in zip(axes, factors):
        lo, hi = f.unit_bounds()
        bins = np.linspace(lo, hi, 16)
        ax.hist(bins, bins=bins, weights=np.full(len(bins), 1.0 / (hi - lo) / len(bins) * 16 / 15),
                color="tab:gray", alpha=0.4, label="prior")
        ax.hist(_unit(f, last[f.key]), bins=bins, weights=last["weight"], density=True, color="tab:blue",
                alpha=0.7, label="posterior")
        ax.set_xlabel(f.key + (" (log10)" if f.log else ""), fontsize=7)
        ax.set_yticks([])
    for ax in axes[len(factors):]:
        ax.axis("off")
    axes[0].legend(fontsize=7)
    save_and_close(fig, stem)


def _figure_pairs(posterior: pd.DataFrame, prior: str, stem: Path) -> None:
    plt = pyplot()
    factors = prior_factors(prior)
    last = final(posterior, prior)
    n = len(factors)
    fig, axes = plt.subplots(n, n, figsize=(1.3 * n, 1.3 * n))
    for i, fy in enumerate(factors):
        for j, fx in enumerate(factors):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if i == j:
                ax.hist(_unit(fx, last[fx.key]), bins=12, weights=last["weight"], color="tab:blue")
                ax.set_xlim(*fx.unit_bounds())
            elif i > j:
                ax.scatter(_unit(fx, last[fx.key]), _unit(fy, last[fy.key]), c=last["weight"], s=3, cmap="Blues")
                ax.set_xlim(*fx.unit_bounds())
                ax.set_ylim(*fy.unit_bounds())
            else:
                ax.axis("off")
            if i == n - 1:
                ax.set_xlabel(fx.name, fontsize=5, rotation=30)
            if j == 0:
                ax.set_ylabel(fy.name, fontsize=5, rotation=30)
    save_and_close(fig, stem)


def _figure_predictive(checks: dict, stem: Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(checks), figsize=(3.6 * len(checks), 3.2))
    for ax, (scenario, c) in zip(np.atleast_1d(axes), checks.items()):
        ax.axhspan(c["target"] - c["tolerance"], c["target"] + c["tolerance"], color="tab:green", alpha=0.15)
        ax.axhline(c["target"], color="tab:green", lw=1)
        values = np.asarray(c["values"])
        ax.plot(np.linspace(-0.2, 0.2, len(values)), values, "o", ms=3, alpha=0.6)
        ax.set_xticks([])
        ax.set_title(scenario, fontsize=9)
        ax.set_ylabel("mean fee (months of foreign earnings)")
    save_and_close(fig, stem)


# --------------------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="recruitsim-calibrate",
        description="Bayesian calibration (ABC-SMC, pyabc) of the shared behavioural, structural and "
                    "policy-process parameters to the fees of three corridors: Pakistan-Saudi Arabia (about "
                    "10 months of foreign earnings), Korea's EPS (about 1) and the Philippines under its "
                    "one-month cap (about 1.1).",
        epilog="Writes ./results/calibration/ (or --out DIR): posterior.parquet, calibration.json, report.md, "
               "figures/; rerunning resumes from its runs/ folder (pyabc's database and the results store). "
               "The full calibration: recruitsim-calibrate --priors default,widened,log (about 2 hours on 2 "
               "cores, docs/VALIDATION.md 2.5).")
    p.add_argument("--priors", default="default",
                   help="comma-separated priors to run, the first the main one: " + ", ".join(PRIORS))
    p.add_argument("--population", type=int, default=None, help="particles per generation (default: per prior)")
    p.add_argument("--generations", type=int, default=None, help="most generations (default 8)")
    p.add_argument("--simulations", type=int, default=None, help="most particles simulated per prior")
    p.add_argument("--seeds", type=int, default=None, help="seeds per particle and corridor (default 3)")
    p.add_argument("--predictive-draws", type=int, default=100, help="posterior worlds in the predictive check")
    p.add_argument("--recovery", action="store_true",
                   help="only the recovery check: fit synthetic targets made at known parameters and write "
                        "recovery.csv beside the report (the next calibration report includes it)")
    analysis_options(p, "calibration")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    priors = [p.strip() for p in args.priors.split(",") if p.strip()]
    unknown = [p for p in priors if p not in PRIORS]
    if not priors or unknown:
        parser.error(f"--priors: unknown {unknown or 'empty'}; choose from {', '.join(PRIORS)}")
    for name in ("population", "generations", "simulations", "seeds", "predictive_draws"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    budgets = {}
    for prior in priors:
        base = QUICK if args.quick else FULL[prior]
        changes = {k: getattr(args, k) for k in ("population", "generations", "simulations", "seeds")
                   if getattr(args, k) is not None}
        budgets[prior] = replace(base, **changes)
    out = output_dir(args, "calibration")
    if args.recovery:
        def recover() -> None:
            table = recovery_check(out / "runs" / "recovery", jobs=args.jobs,
                                   **({"worlds": 1, "budget": QUICK} if args.quick else {}))
            write_csv(table, out / "recovery.csv")
            say(f"recovery: the 90% intervals cover the truth in {table['covered'].mean():.0%} of "
                f"{len(table)} pairs -> {out / 'recovery.csv'}")
        return run_resumably(say, recover, scheduler=args.scheduler)
    result: dict = {}
    status = run_resumably(say, lambda: result.update(calibrate(
        priors=priors, budgets=budgets, jobs=args.jobs, out_dir=out, quick=args.quick,
        predictive_draws=args.predictive_draws, command=command_line("recruitsim-calibrate", argv))),
        scheduler=args.scheduler)
    if status == 0:
        say(f"report: {out / 'report.md'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
