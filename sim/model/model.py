"""The recruitment market model: builds the world and runs its monthly stages.

One step is one month. Workers, recruiters and employers keep their state
in arrays owned here (``workers``, ``recruiters``, ``employers``) so that
each stage acts on all agents at once; the Mesa agents are views of those
rows. The model owns one random generator (``self.rng``, seeded with
``config.seed``), and every draw comes from it in a fixed order, so a seed
fixes the run.

The constructor also speaks Mesa's language (``rng``, keyword parameters,
``running``) so that ``mesa.batch_run`` and other Mesa tools can drive the
model; the arguments all end up in one validated config (``model.config``).
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.config import Placebo, RecruitsimConfig
from sim.config.keywords import resolve_config
from sim.model import (
    beliefs,
    contracts,
    employers,
    industry,
    origins,
    placement,
    recruiters,
    subagents,
    voice,
    workers,
)
from sim.model.certification import CertificationScheme
from sim.model.destination import Destination
from sim.model.ledger import Ledger
from sim.model.outcomes import measure, outcome_names, summarise
from sim.model.recruiters import FEE_CHARGING, PUBLIC, RecruiterTable
from sim.model.regulator import Regulator

#: where in a month :attr:`RecruitmentModel.hooks` run: after recruiters set practices and prices (stage 1),
#: after the books are closed and failing recruiters exit (stage 9), after recruiters choose business models
HOOK_POINTS = ("prices_set", "books_closed", "models_chosen")


class RecruitmentModel(mesa.Model):
    """A cross-border labour recruitment market under configurable policy levers.

    Build it from a config, from a named scenario, or from keyword levers on
    the schema's defaults. A lever is a config key with ``__`` for each dot
    (``policy__fee_cap_months=0`` sets ``policy.fee_cap_months``), so that
    ``mesa.batch_run`` can pass levers as parameters::

        RecruitmentModel(build_config({"seed": 3}))
        RecruitmentModel(scenario="ban_on_paper", rng=3, run__steps=60)
        RecruitmentModel(rng=3, policy__fee_cap_months=0, policy__inspection_rate=0.1)
        mesa.batch_run(RecruitmentModel, parameters={"policy__inspection_rate": [0.0, 0.1]},
                       rng=[0, 1, 2], max_steps=240)

    Args:
        config: a validated :class:`sim.config.RecruitsimConfig` (see
            :func:`sim.config.build_config`); not together with ``scenario``.
            Neither given: the schema's defaults.
        scenario: the name of a scenario in ``configs/scenario/`` (listed by
            ``recruitsim-scenarios``), composed as the ``recruitsim`` command
            composes it.
        rng: the seed. An int seeds the run; a numpy ``Generator`` or
            ``SeedSequence`` gives one int seed. ``None``: ``config.seed`` when
            a config is given, otherwise a fresh seed from the operating system
            (Mesa's rule, which gives ``batch_run(iterations=...)`` distinct
            replications). The seed used is always ``model.config.seed``, so
            any run can be repeated with ``rng=model.config.seed``.
        **levers: config keys with ``__`` for each dot, set on top of
            ``config``, ``scenario`` or the defaults and range-checked. (The
            dotted name also works, through ``**{"policy.fine": 5000}``.)

    Raises:
        TypeError: an unknown keyword (the message names the closest levers),
            a value of the wrong type, or both ``config`` and ``scenario``.
        ValueError: ``rng`` disagreeing with ``config.seed``; a lever outside
            its range (:class:`sim.config.ConfigError`).
        sim.config.InvalidConfig: an unknown scenario.

    Attributes:
        config: the config the model runs, seed included.
        month: months simulated so far.
        running: True until ``config.run.steps`` months have been simulated
            (Mesa's stop flag: ``run_model()`` and ``batch_run`` stop there).
        workers, recruiters, employers: the agents' state, one array per
            variable (:class:`~sim.model.workers.WorkerTable`,
            :class:`~sim.model.recruiters.RecruiterTable`,
            :class:`~sim.model.employers.EmployerTable`). The Mesa agents
            (``model.agents``) are read-only views of their rows.
        datacollector: a ``mesa.DataCollector`` with one row per month: every
            outcome of :mod:`sim.model.outcomes`, and the ``seed``.
    """

    def __init__(self, config: RecruitsimConfig | None = None, *, scenario: str | None = None,
                 rng: int | np.random.Generator | np.random.SeedSequence | None = None,
                 **levers: Any) -> None:
        """Build the world of month 0 (see the class docstring for the arguments)."""
        config = resolve_config(config, scenario, rng, levers)
        super().__init__(rng=config.seed)
        self.config = config
        self.running = config.run.steps > 0
        self.month = 0
        self.ledger = Ledger()
        # the run's label: the real one (off) or a placebo; whether anyone can see who holds it
        self.placebo = config.certification.placebo
        self.label_noticed = self.placebo != Placebo.inert
        m = config.market
        self.reserved_orders = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        self.returned: list[np.ndarray] = []
        self.exits_this_month = 0      # recruiters leaving, whatever the reason (an outcome)
        self.unmet_orders = 0          # vacancies left unfilled last month (a signal to entrants)
        self.typical_margin = 0.0      # recent average margin per placement (USD)
        self.vacancies_seen = (0, 0)   # open vacancies this month: (employers without, with commitments)
        self.quit_record = contracts.QuitRecord()  # employers' record of quits per hire, by kind
        #: callables run at named points of the month (see :data:`HOOK_POINTS`); none by default. For tools
        #: that take some agents' decisions from outside (the classroom app's players) through the tables
        self.hooks: dict[str, list] = {}

        # the origin countries (S18): one unless config.origins names several; each its block of workers
        self.origins = origins.build(config, self.rng)
        # complaints reaching each origin's state this month, and placements whose complaints could (S17)
        self.state_hears = [[0, 0] for _ in self.origins]
        self.workers = workers.WorkerTable(m.n_workers, config, self.rng, self.origins)
        self.ledger.transfer("outside", "workers", self.workers.savings.sum(), "initial_savings")
        self.employers = employers.EmployerTable(m.n_employers, config, self.rng, self.origins)
        self.recruiters = RecruiterTable(m.n_recruiters + len(self.origins), config.certification.exhaustion_months)
        self.recruiter_views: dict[int, recruiters.Recruiter] = {}
        self.scheme = CertificationScheme(self)
        # one regulator per origin, each acting on its own licensees (``regulator``: the first origin's)
        self.regulators = [Regulator(self, origin) for origin in self.origins]
        self.regulator = self.regulators[0]
        self.destination = Destination(self)

        # the public channels first (row k: origin k's), then each origin's private recruiters
        for origin in self.origins:
            self.add_recruiters(1, PUBLIC, origin.index)
        counts = origins.split(m.n_recruiters, np.array([o.share for o in self.origins]), self.rng)
        private = np.concatenate([self.add_recruiters(int(count), FEE_CHARGING, origin.index)
                                  for origin, count in zip(self.origins, counts)])
        if config.certification.enabled:
            n_cert = round(config.certification.initial_share * m.n_recruiters)
            self._start_certified(private[:n_cert])
        r = self.recruiters
        # every recruiter opens at its target price (recruiters.break_even_price): break-even, with the
        # worker-fee income it expects under the rules in force, plus the markup of a recruiter among many
        r.price[private] = recruiters.break_even_price(self, private)
        # starting recruiters weigh evasion, cheating and sub-agents under the rules in force (their
        # drawn practices stand for the market before the run; the rules apply from month 1)
        recruiters.choose_compliance(self, everyone=True)
        # what each origin's people assume of its recruiters at month 0 (``word_of_mouth``: the first origin's)
        self.words = [self._first_word_of_mouth(private[self.recruiters.origin[private] == o.index])
                      for o in self.origins]
        self.word_of_mouth = self.words[0]

        self._fill_positions()

        if config.run.worker_agents and m.n_workers:
            workers.Worker.create_agents(self, m.n_workers, index=np.arange(m.n_workers))
        if m.n_employers:
            employers.Employer.create_agents(self, m.n_employers, row=np.arange(m.n_employers))
        # every month (batch_run reads these); the seed too, so that each row of a batch says its seed
        self.outcome_names = outcome_names(self)  # OUTCOMES, and each origin's when there are several
        reporters = {name: (lambda model, name=name: model.last[name]) for name in self.outcome_names}
        self.datacollector = mesa.DataCollector(model_reporters={**reporters, "seed": _seed_of})
        self.last: dict = {}

    # --- building and changing the recruiter population -------------------------------------------

    def add_recruiters(self, count: int, kind: int, origin: int = 0) -> np.ndarray:
        """New recruiter rows of ``kind``, licensed in ``origin``, with working capital and their Mesa views."""
        cfg = self.config
        m = cfg.market
        r = self.recruiters
        rows = r.add(count)
        if count == 0:
            return rows
        incumbents = r.private_active()
        if len(self.origins) > 1 and (r.origin[incumbents] == origin).any():
            incumbents = incumbents[r.origin[incumbents] == origin]  # an entrant starts from its own origin's market
        r.active[rows] = True
        r.kind[rows] = kind
        r.origin[rows] = origin
        r.entered[rows] = self.month
        r.capacity[rows] = m.capacity
        if kind != PUBLIC:  # the public channel starts with no capital: its account shows its net cost
            r.cash[rows] = m.initial_cash
            r.cash_before[rows] = m.initial_cash
            self.ledger.transfer("outside", "recruiters", m.initial_cash * count, "capital")
        r.honesty[rows] = self.rng.lognormal(0.0, m.honesty_spread, count)
        r.placement_prob[rows] = r.placement_prob[incumbents].mean() if len(incumbents) else 0.5
        r.order_wage[rows] = m.dest_wage
        r.fill_rate[rows] = 1.0
        r.inspection_belief[rows] = self.regulators[origin].effective_rate()
        if len(incumbents):
            r.fee_months[rows] = r.fee_months[incumbents].mean()
            r.price[rows] = r.price[incumbents].mean()
        else:
            r.fee_months[rows] = self.rng.uniform(2.0, 6.0, count)
        r.model_since[rows] = self.month
        if kind != PUBLIC and self.month == 0:
            # starting recruiters: practices drawn alike whatever their business model; entrants copy an
            # incumbent of the model they choose instead (industry.enter)
            r.deceives[rows] = self.rng.random(count) < m.initial_deception_share
            r.churns[rows] = self.rng.random(count) < m.initial_churn_share
            r.uses_subagents[rows] = subagents.initial_practice(self, count, origin)
        # (the public channel recruits through its own offices, never through sub-agents)
        if kind == PUBLIC:
            r.price[rows] = self.origins[origin].policy.public_employer_fee
        self.refresh_views(rows)
        return rows

    def _start_certified(self, rows: np.ndarray) -> None:
        """Pilot recruiters holding the label at launch, their audits spread over the first cycle.

        Their practices were drawn like everyone's: a pilot that deceives
        workers keeps doing so until an audit or a complaint catches it.
        """
        self.scheme.certify(rows)
        interval = self.config.certification.surveillance_interval_months
        self.recruiters.next_audit[rows] = self.rng.integers(1, interval + 1, len(rows))

    def _fill_positions(self) -> None:
        """Start the market in motion: most positions already held, contracts at every stage.

        Starting with every position empty would send all workers abroad in
        the same few months, and their contracts would end together every
        ``contract_months`` (echo waves). These incumbents' fees and debts
        are unknown, so they are recorded as zero; outcomes about fees count
        only placements made during the run.
        """
        m = self.config.market
        e, w = self.employers, self.workers
        slots = np.repeat(np.arange(e.n), e.positions)
        slots = slots[self.rng.random(len(slots)) < m.initial_fill]
        private = self.recruiters.private_active()
        count = min(len(slots), w.n, max(w.n // 2, 0))
        if count == 0 or len(private) == 0:
            return
        slots = self.rng.permutation(slots)[:count]
        chosen = self.rng.choice(w.n, size=count, replace=False)
        w.status[chosen] = workers.ABROAD
        w.employer[chosen] = slots
        if len(self.origins) == 1:
            w.recruiter[chosen] = private[self.rng.integers(0, len(private), count)]
        else:  # each worker abroad came through a recruiter of its own origin
            draw = self.rng.random(count)
            for origin in self.origins:
                mine = w.origin[chosen] == origin.index
                own = private[self.recruiters.origin[private] == origin.index]
                if len(own) == 0:  # (an origin without recruiters: its people start at home)
                    w.status[chosen[mine]] = workers.AT_HOME
                    w.employer[chosen[mine]] = -1
                    continue
                w.recruiter[chosen[mine]] = own[(draw[mine] * len(own)).astype(np.int64)]
            chosen = chosen[w.status[chosen] == workers.ABROAD]
            slots = w.employer[chosen]
        w.hired_as[chosen] = recruiters.perceived_kind(self)[w.recruiter[chosen]]
        w.wage[chosen] = e.wage[slots]
        w.months_left[chosen] = self.rng.integers(1, m.contract_months + 1, count)
        w.placed_step[chosen] = w.months_left[chosen] - m.contract_months
        w.placed_by_label[chosen] = self.recruiters.label[w.recruiter[chosen]]

    def _first_word_of_mouth(self, private: np.ndarray) -> beliefs.WordOfMouth:
        """What people assume at month 0: the share of starting unlabelled recruiters charging a fee,
        and deceiving (:mod:`sim.model.beliefs`); no evidence heard yet."""
        m = self.config.market
        r = self.recruiters
        unlabelled = private[~r.label[private]]
        fee_prior, deceived_prior = 1.0, m.initial_deception_share
        if len(unlabelled):
            open_fee, hidden = recruiters.charged_months(self)
            fee_prior = float(np.mean((open_fee[unlabelled] + hidden[unlabelled]) > 0))
            deceived_prior = float(np.mean(r.deceives[unlabelled]))
        return beliefs.WordOfMouth(fee_prior, deceived_prior, m.word_of_mouth_prior_weight, m.word_of_mouth_memory)

    def refresh_views(self, rows: np.ndarray) -> None:
        """Give each row a Mesa agent of the class matching its business model."""
        r = self.recruiters
        for row in np.asarray(rows).tolist():
            cls = recruiters.VIEW_CLASS[int(r.kind[row])]
            view = self.recruiter_views.get(row)
            if view is not None and type(view) is cls:
                continue
            if view is not None:
                view.remove()
            self.recruiter_views[row] = cls(self, row)

    def exit_recruiters(self, rows: np.ndarray) -> None:
        """Recruiters leave the market; their records stay for workers they placed."""
        r = self.recruiters
        rows = rows[r.active[rows]]
        self.exits_this_month += len(rows)
        r.active[rows] = False
        r.cert_stage[rows] = 0
        r.label[rows] = False
        for row in rows.tolist():
            self.recruiter_views.pop(row).remove()

    # --- the month ------------------------------------------------------------------------------

    def step(self) -> None:
        """One month, in this order:

        1. recruiters review their practices (evading or cheating, sourcing
           through village sub-agents, deception, churning) and set prices
           from last month's demand;
        2. employers count vacancies and place job orders with recruiters;
        3. workers at home look for jobs and choose a recruiter;
        4. recruiters fill job orders from applicants: fees (to recruiters and
           sub-agents), loans, prices, kickbacks are paid;
        5. newly placed workers who were wronged may complain and may suffer
           retaliation;
        6. workers earn, pay interest and repay debt; people at home leave
           the pool and newcomers take their places; lenders may write
           debts trapped at home down; contracts end early (churning,
           terminations, quits) or on time, and returners post reviews;
        7. the certification scheme trains, audits and hears complaints;
        8. the regulator inspects, fines and revokes licences;
        9. recruiters pay fixed costs, may exit, switch model or enter;
        10. outcomes are recorded; ``running`` turns False at month
            ``config.run.steps``.
        """
        self.month += 1
        self.ledger.start_month()
        self.returned = []
        self.exits_this_month = 0
        industry.begin_month(self)
        for regulator in self.regulators:
            regulator.measure_influence()

        recruiters.choose_compliance(self)
        recruiters.imitate_practices(self)
        recruiters.update_prices(self)
        self._run_hooks("prices_set")

        employers.count_filled(self)
        order_employer, order_recruiter = employers.place_job_orders(self)

        searchers = workers.find_searchers(self)
        choice = self._choose_recruiters(searchers)
        applied = choice >= 0
        placed = placement.match(self, searchers[applied], choice[applied], order_employer, order_recruiter)
        placement.update_recruiter_records(self, order_employer, order_recruiter)
        vacancies = int(np.maximum(self.employers.positions - self.employers.filled, 0).sum())
        self.unmet_orders = max(vacancies - len(placed.workers), 0)

        counts = voice.complain(self, placed)
        workers.earn_and_repay(self)
        counts |= workers.leave_and_arrive(self)
        workers.relieve_debts(self)
        counts |= contracts.end_contracts(self)
        voice.forget_reviews(self)

        counts |= self.scheme.advance()
        counts |= self._enforce(placed.recruiters)
        if self.config.market.debt_quit_effect != 0:
            self.quit_record.learn(np.bincount(self.workers.hired_as[placed.workers], minlength=3)[:3])
        industry.close_books(self)
        counts["exits"] = self.exits_this_month
        self._run_hooks("books_closed")
        counts |= industry.switch_business_models(self)
        self._run_hooks("models_chosen")
        counts |= industry.enter(self)

        self.last = measure(self, placed, counts)
        self.datacollector.collect(self)
        self.running = self.month < self.config.run.steps

    def _choose_recruiters(self, searchers: np.ndarray) -> np.ndarray:
        """Each searcher's choice among the recruiters licensed in its own origin (-1: stays home)."""
        if len(self.origins) == 1:
            return workers.choose_recruiters(self, searchers, recruiters.offers_to_workers(self))
        choice = np.full(len(searchers), -1, dtype=np.int64)
        for origin in self.origins:
            mine = (searchers >= origin.workers.start) & (searchers < origin.workers.stop)
            choice[mine] = workers.choose_recruiters(self, searchers[mine],
                                                     recruiters.offers_to_workers(self, origin.index), origin.market)
        return choice

    def _enforce(self, placed_by: np.ndarray) -> dict:
        """Each origin's regulator enforces on its licensees, then the destination on employers; the
        month's counts, summed over the regulators. ``placed_by``: this month's placements' recruiters."""
        kind = recruiters.perceived_kind(self)[placed_by]
        origin = self.recruiters.origin[placed_by]
        if len(self.origins) == 1:
            counts = self.regulator.enforce(np.bincount(kind, minlength=3)[:3])
        else:
            counts = {}
            for regulator in self.regulators:
                mine = kind[origin == regulator.origin.index]
                for name, value in regulator.enforce(np.bincount(mine, minlength=3)[:3]).items():
                    counts[name] = counts.get(name, 0) + value
        return counts | self.destination.inspect(origin, kind)

    def _run_hooks(self, point: str) -> None:
        """Call the hooks registered at ``point`` with the model (nothing registered: nothing happens)."""
        for hook in self.hooks.get(point, ()):
            hook(self)

    def run_model(self, steps: int | None = None) -> None:
        """Run to the horizon, or ``steps`` months.

        Without ``steps``, Mesa's rule: step while ``running``, i.e. up to
        month ``config.run.steps`` wherever the model stands (after
        ``run_for(12)`` it runs the rest). With ``steps``, exactly that many
        months, past the horizon too.
        """
        if steps is None:
            while self.running:
                self.step()
            return
        for _ in range(steps):
            self.step()

    if not hasattr(mesa.Model, "run_for"):  # Mesa before 3.4 has no run_for
        def run_for(self, duration: int) -> None:
            """Run ``duration`` months, as Mesa 3.5's ``Model.run_for`` does."""
            for _ in range(int(duration)):
                self.step()

    # --- results --------------------------------------------------------------------------------

    def timeseries(self) -> pd.DataFrame:
        """One row per month simulated, one column per outcome (see :mod:`sim.model.outcomes`)."""
        frame = self.datacollector.get_model_vars_dataframe()
        if frame.empty:
            return pd.DataFrame({name: pd.Series(dtype=float) for name in self.outcome_names})
        return frame.reset_index(drop=True)[self.outcome_names]

    def summary(self) -> dict:
        """Headline outcomes: each outcome's mean over the last ``run.summary_window_months`` months.

        Months where an outcome is undefined (NaN, e.g. no placements) are
        left out of its mean; an outcome never defined in the window is None.
        Also says whether the window lies after ``run.burn_in_months``
        (``steady``) and how much the main outcomes drift; see
        :func:`sim.model.outcomes.summarise`.
        """
        run = self.config.run
        return summarise(self.timeseries(), run.summary_window_months, run.burn_in_months)


def _seed_of(model: RecruitmentModel) -> int:
    return model.config.seed
