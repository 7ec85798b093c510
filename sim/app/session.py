"""The classroom app's logic, without any UI: levers, the values typed into them, and one model.

A :class:`ClassroomSession` is what one browser session works with: a
scenario (its config and notes), the values of the levers shown in the app,
and the model built from them. The browser page (:mod:`sim.app.page`) only
draws it and forwards clicks; everything that can go wrong (a value typed
into a control, a config the model refuses, an error while stepping) is
turned into a message here, so the page never shows a traceback. Tests use
this module without a browser and without solara.

Levers take effect when a run starts: a change made at month 0 applies when
Step or Run is pressed; a change made during a run waits for Reset (as in
NetLogo's setup, and Mesa's SolaraViz).
"""

from __future__ import annotations

import copy
import logging
import math
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.config import ConfigError, RecruitsimConfig, scenarios, validate

if TYPE_CHECKING:
    import pandas as pd

    from sim.model import RecruitmentModel

log = logging.getLogger(__name__)

NO_RULE, CAP, BAN = "no rule", "cap", "ban"
#: the largest seed the app accepts (any integer >= 0 works on the command line)
MAX_SEED = 2**32 - 1
#: the cap shown when a scenario has no cap (a ban or no rule), should the user choose one
DEFAULT_CAP_MONTHS = 3.0


@dataclass(frozen=True)
class Lever:
    """One control of the app.

    Attributes:
        key: the config key it sets (dotted), or ``fee_rule`` / ``seed``.
        label: what the app calls it.
        kind: ``float``, ``int``, ``bool`` or ``choice``.
        lo, hi, step: the range the app accepts and the slider's step.
        unit: shown after the value.
        choices: the options of a ``choice`` lever.
        decimals: how many decimals the value is shown with.
    """

    key: str
    label: str
    kind: str
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.01
    unit: str = ""
    choices: tuple[str, ...] = ()
    decimals: int = 2

    def format(self, value: Any) -> str:
        """The value as the app shows it in the lever's text field."""
        if self.kind == "int":
            return str(int(value))
        if self.kind == "float":
            return f"{float(value):.{self.decimals}f}"
        return str(value)

    def parse(self, raw: Any) -> Any:
        """The value typed or chosen, checked.

        Raises:
            ValueError: with a message for the user that says what is allowed.
        """
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw
            raise ValueError(f"{self.label}: choose on or off")
        if self.kind == "choice":
            if raw in self.choices:
                return raw
            raise ValueError(f"{self.label}: choose one of {', '.join(self.choices)}")
        allowed = self.allowed()
        typed = str(raw).strip()
        shown = _short(typed)
        if not typed:
            raise ValueError(f"{self.label}: enter {allowed}")
        if not (_PLAIN_NUMBER.match(typed) or _GROUPED_NUMBER.match(typed)):
            raise ValueError(f"{self.label}: {shown!r} is not a number; enter {allowed}")
        number = float(typed.replace(",", ""))
        if not math.isfinite(number) or not self.lo <= number <= self.hi:
            raise ValueError(f"{self.label}: {shown} is out of range; enter {allowed}")
        if self.kind == "int":
            if number != int(number):
                raise ValueError(f"{self.label}: {shown} is not a whole number; enter {allowed}")
            return int(number)
        return number

    def allowed(self) -> str:
        """The range in words, e.g. 'a number from 0 to 1'."""
        what = "a whole number" if self.kind == "int" else "a number"
        return f"{what} from {_plain(self.lo)} to {_plain(self.hi)}" + (f" ({self.unit})" if self.unit else "")


#: A number as people type it: 12, -0.5, .5, 1e6 (no underscores, no stray commas: "1,5" is not 15).
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
#: With thousands separators in their places: 1,000 or 12,500.5.
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _short(text: str, limit: int = 24) -> str:
    """What the user typed, cut short: a message never echoes input of any length."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


#: The app's controls, in the order shown. Keys not listed keep the scenario's value.
LEVERS: tuple[Lever, ...] = (
    Lever("fee_rule", "Fee rule", "choice", choices=(NO_RULE, CAP, BAN)),
    Lever("policy.fee_cap_months", "Fee cap", "float", 0.5, 24.0, 0.5, "months of wage", decimals=1),
    Lever("policy.inspection_rate", "Inspection rate", "float", 0.0, 1.0, 0.01, "per recruiter a month"),
    Lever("policy.fine", "Fine", "float", 0.0, 50_000.0, 500.0, "USD per violation", decimals=0),
    Lever("policy.joint_liability", "Joint liability of employers", "bool"),
    Lever("certification.enabled", "Voluntary certification", "bool"),
    Lever("society.brand_share", "Employers with Employer Pays pledges", "float", 0.0, 1.0, 0.05, "share"),
    Lever("society.platform_enabled", "Worker rating platform", "bool"),
    Lever("society.platform_uptake", "Platform uptake", "float", 0.0, 1.0, 0.05, "share of workers"),
    Lever("policy.anti_retaliation", "Anti-retaliation protection", "float", 0.0, 1.0, 0.05, "0 none, 1 full"),
    Lever("policy.capture", "Capture of the regulator", "float", 0.0, 1.0, 0.05, "0 none, 1 full"),
    Lever("policy.public_capacity", "Public channel capacity", "int", 0, 500, 5, "placements a month"),
    Lever("policy.public_mandate", "Employers bound to the public channel", "float", 0.0, 1.0, 0.05, "share"),
    # the market and the label's details the class plan's THINGS TO TRY use
    Lever("market.n_employers", "Employers (jobs: 20 each)", "int", 10, 400, 10, "employers"),
    Lever("certification.initial_share", "Label holders at launch", "float", 0.0, 1.0, 0.05, "share"),
    Lever("society.brand_cost", "Cost of a suspect hire to a pledging employer", "float", 0.0, 20_000.0, 500.0,
          "USD", decimals=0),
    Lever("policy.liability_share", "Employers' share of a fine", "float", 0.0, 10.0, 0.5, "times the fine",
          decimals=1),
    Lever("policy.lobby_share", "Profit spent lobbying (endogenous enforcement)", "float", 0.0, 0.5, 0.01,
          "share of profit"),
    Lever("policy.pressure_elasticity", "Complaints' pull on the budget (endogenous enforcement)", "float", 0.0,
          3.0, 0.1, decimals=1),
)
#: levers shown under "Market and label" (the rest under "Policy")
MARKET_KEYS = ("market.n_employers", "certification.initial_share", "society.brand_cost",
               "policy.liability_share", "policy.lobby_share", "policy.pressure_elasticity")
SEED = Lever("seed", "Seed", "int", 0, MAX_SEED, 1)
BY_KEY = {lever.key: lever for lever in (*LEVERS, SEED)}

#: The headline numbers above the plots: outcome -> (label, decimals). Each is the outcome's mean over the
#: summary window (the last ``run.summary_window_months`` months run so far), as ``model.summary()`` and the
#: ``recruitsim`` command report it.
READOUT = {
    "mean_fee_months": ("fee (months of wage)", 2),
    "indebted_share": ("borrowed to pay", 3),
    "debt_bondage_share": ("debt bondage abroad", 3),
    "home_debt_trap_share": ("home debt trap", 3),
    "certified_share": ("certified share", 3),
    "placements": ("placements a month", 1),
}


def lever_values(config: RecruitsimConfig) -> dict[str, Any]:
    """The app's lever values for a config (the fee rule split into rule and cap)."""
    values: dict[str, Any] = {"seed": config.seed}
    for lever in LEVERS:
        if lever.key == "fee_rule":
            continue
        group, name = lever.key.split(".")
        values[lever.key] = getattr(getattr(config, group), name)
    cap = config.policy.fee_cap_months
    values["fee_rule"] = NO_RULE if cap is None else BAN if cap == 0 else CAP
    values["policy.fee_cap_months"] = cap if cap else DEFAULT_CAP_MONTHS
    return values


def apply_levers(base: RecruitsimConfig, values: dict[str, Any]) -> RecruitsimConfig:
    """A validated copy of ``base`` with the levers' values.

    Raises:
        ConfigError: a value the model refuses.
    """
    config = copy.deepcopy(base)
    config.seed = int(values["seed"])
    for lever in LEVERS:
        if lever.key in ("fee_rule", "policy.fee_cap_months"):
            continue
        group, name = lever.key.split(".")
        setattr(getattr(config, group), name, values[lever.key])
    rule = values["fee_rule"]
    config.policy.fee_cap_months = None if rule == NO_RULE else 0.0 if rule == BAN else float(
        values["policy.fee_cap_months"])
    return validate(config)


_compose_lock = threading.Lock()
_scenario_cache: dict[str, RecruitsimConfig] = {}


def scenario_config(name: str) -> RecruitsimConfig:
    """The scenario's composed config (cached: Hydra composes one config at a time per process).

    Raises:
        sim.config.InvalidConfig: an unknown scenario or a broken scenario file.
    """
    with _compose_lock:
        if name not in _scenario_cache:
            _scenario_cache[name] = scenarios.compose(name)
        return copy.deepcopy(_scenario_cache[name])


class ClassroomSession:
    """One browser session's scenario, lever values and model.

    Thread-safe: the page's Run loop steps the model in a worker thread
    while the page reads it to draw; both go through ``lock``.

    Attributes:
        scenario: the scenario's notes (:class:`sim.config.scenarios.Scenario`).
        values: the levers' current values (what the controls show).
        message: the last problem to show the user, or None.
    """

    def __init__(self, scenario: str = "baseline"):
        self.lock = threading.RLock()
        self.scenario: scenarios.Scenario | None = None
        self.base: RecruitsimConfig | None = None
        self.values: dict[str, Any] = {}
        self.applied: dict[str, Any] = {}
        self.model: RecruitmentModel | None = None
        self.message: str | None = None
        #: control -> the message of the bad value it holds (Step, Run and Reset wait while any is left)
        self.errors: dict[str, str] = {}
        #: the student's prediction per scenario (kept for the browser tab's life)
        self.predictions: dict[str, dict] = {}
        self.tried: str | None = None  # the THINGS TO TRY line the setup came from
        self.load_scenario(scenario)

    # --- what the page shows ----------------------------------------------------------------

    @property
    def month(self) -> int:
        return self.model.month if self.model is not None else 0

    @property
    def horizon(self) -> int:
        """The run's length in months (the scenario's ``run.steps``)."""
        return self.base.run.steps if self.base is not None else 0

    @property
    def finished(self) -> bool:
        return self.model is not None and self.month >= self.horizon

    @property
    def pending(self) -> bool:
        """Levers changed since the model was built; they apply at Reset (or at once at month 0)."""
        return self.values != self.applied

    def series(self) -> pd.DataFrame:
        """A snapshot of the outcomes so far, one row per month."""
        import pandas as pd

        with self.lock:
            if self.model is None or self.month == 0:
                return pd.DataFrame()
            return self.model.timeseries().copy()

    def summary(self) -> dict:
        """``model.summary()`` of the run so far ({} before the first month)."""
        with self.lock:
            if self.model is None or self.month == 0:
                return {}
            return self.model.summary()

    def window(self) -> tuple[int, int] | None:
        """The months the headline numbers average (first, last), or None before the first month."""
        with self.lock:
            if self.model is None or self.month == 0:
                return None
            months = min(self.month, self.base.run.summary_window_months)
            return self.month - months + 1, self.month

    def headline(self) -> dict[str, str]:
        """The headline numbers, formatted ('–' where undefined): each outcome's mean over
        :meth:`window`, the very numbers of ``model.summary()`` (and of ``recruitsim``'s summary.json)."""
        summary = self.summary()
        out = {}
        for name, (_, decimals) in READOUT.items():
            value = summary.get(name)
            ok = value is not None and not (isinstance(value, float) and math.isnan(value))
            out[name] = f"{value:.{decimals}f}" if ok else "–"
        return out

    def csv(self) -> str:
        """The run's month-by-month outcomes as CSV, with its scenario and seed on every row."""
        frame = self.series()
        frame.insert(0, "seed", self.applied.get("seed", self.values.get("seed")))
        frame.insert(0, "scenario", self.scenario.name)
        return frame.to_csv(index=False)

    @property
    def blocked(self) -> bool:
        """A control holds a value the model cannot take: Step, Run and Reset wait until it is fixed."""
        return bool(self.errors)

    # --- the link that restores a setup ---------------------------------------------------------

    def query(self) -> str:
        """A URL query that restores the scenario, the seed and every lever that differs from the scenario."""
        from urllib.parse import urlencode

        own = lever_values(self.base) if self.base is not None else {}
        pairs = [("scenario", self.scenario.name), ("seed", str(self.values["seed"]))]
        for lever in LEVERS:
            value = self.values[lever.key]
            if own.get(lever.key) != value:
                pairs.append((lever.key, str(value).lower() if lever.kind == "bool" else lever.format(value)
                              if lever.kind != "choice" else value))
        return urlencode(pairs)

    def restore(self, query: str) -> list[str]:
        """Set the scenario, seed and levers from a :meth:`query`; returns a message per value refused."""
        from urllib.parse import parse_qsl

        pairs = dict(parse_qsl(query or "", keep_blank_values=True))
        problems = []
        name = pairs.pop("scenario", None)
        if name is not None and not self.load_scenario(name):
            problems.append(self.message or f"no scenario {name!r}")
        for key, raw in pairs.items():
            lever = BY_KEY.get(key)
            if lever is None:
                problems.append(f"the link names no control {key!r}")
                continue
            if lever.kind == "bool":
                raw = {"true": True, "false": False}.get(raw.lower(), raw)
            message = self.set_value(key, raw)
            if message:
                problems.append(message)
        with self.lock:
            self.errors = {}
            if not problems:
                self._build()
        return problems

    # --- THINGS TO TRY as buttons ------------------------------------------------------------

    def try_command(self, command: str) -> bool:
        """Set the app up as a line of THINGS TO TRY does (``recruitsim scenario=NAME KEY=VALUE ...``).

        The line is composed as the ``recruitsim`` command composes it, so
        config-group options (``certification=disabled``) and keys without a
        lever work too; the levers then show the result. Returns False (with
        ``message``) if the line cannot be composed.
        """
        from sim.config import InvalidConfig

        words = command.split()[1:]
        name = self.scenario.name
        overrides = []
        seed = None
        for word in words:
            if word.startswith("scenario="):
                name = word.split("=", 1)[1]
            elif word.startswith("seed="):
                seed = word.split("=", 1)[1]
            else:
                overrides.append(word)
        try:
            info = scenarios.read(name)
            with _compose_lock:
                base = scenarios.compose(name, overrides)
        except (KeyError, InvalidConfig) as exc:
            self.message = f"Cannot set up {command!r}: {exc.args[0] if exc.args else exc}"
            return False
        with self.lock:
            keep_seed = self.values.get("seed")
            self.scenario, self.base = info, base
            self.values = lever_values(base)
            self.values["seed"] = int(seed) if seed is not None and seed.isdigit() else keep_seed
            self.errors = {}
            self.tried = command
            self._build()
        return True

    def finish(self) -> int:
        """Jump to the end: simulate the rest of the run at once; returns the months done."""
        return self.step(max(self.horizon - self.month, 0))

    # --- what the user does -------------------------------------------------------------------

    def load_scenario(self, name: str) -> bool:
        """Switch to scenario ``name``: its notes, its lever values, a fresh model at month 0.

        Returns False (and sets ``message``) if the scenario cannot be loaded.
        """
        from sim.config import InvalidConfig

        try:
            info = scenarios.read(name)
            base = scenario_config(name)
        except (KeyError, InvalidConfig) as exc:
            self.message = f"Cannot load scenario {name!r}: {exc.args[0] if exc.args else exc}"
            return False
        with self.lock:
            seed = self.values.get("seed")
            self.scenario, self.base = info, base
            self.values = lever_values(base)
            if seed is not None:  # the seed is the class's choice, not the scenario's
                self.values["seed"] = seed
            self.message = None
            self.errors = {}
            self.tried = None
            self._build()
        return True

    def set_value(self, key: str, raw: Any) -> str | None:
        """Set a lever (or the seed) from what the user typed or chose.

        Returns:
            None if accepted, else the message to show beside the control
            (the lever keeps its previous value).
        """
        lever = BY_KEY.get(key)
        if lever is None:
            return f"no control named {key!r}"
        try:
            value = lever.parse(raw)
        except ValueError as exc:
            self.errors[key] = str(exc)
            return str(exc)
        with self.lock:
            trial = {**self.values, key: value}
            try:
                apply_levers(self.base, trial)
            except ConfigError as exc:
                self.errors[key] = f"{lever.label}: the model refuses this value ({exc.allowed})"
                return self.errors[key]
            self.values = trial
            self.errors.pop(key, None)
        return None

    def reset(self) -> bool:
        """A fresh model at month 0 from the current lever values. False (with ``message``) if refused,
        or while a control holds a bad value (:attr:`blocked`)."""
        with self.lock:
            if self.blocked:
                return False
            return self._build()

    def step(self, months: int = 1) -> int:
        """Advance up to ``months`` months (not past the horizon). Returns the months done.

        At month 0, lever changes made since the model was built apply first.
        An error while stepping stops the run with a message, not a traceback.
        """
        done = 0
        with self.lock:
            if self.blocked:
                return 0
            if self.model is None or (self.month == 0 and self.pending):
                if not self._build():
                    return 0
            try:
                while done < months and self.month < self.horizon:
                    self.model.step()
                    done += 1
            except Exception as exc:  # the app must keep running; the server log has the traceback
                log.exception("model step failed")
                self.message = f"The model stopped at month {self.month}: {type(exc).__name__}: {exc}"
        return done

    def _build(self) -> bool:
        from sim.model import RecruitmentModel

        try:
            config = apply_levers(self.base, self.values)
            model = RecruitmentModel(config)
        except ConfigError as exc:
            self.message = f"The model refuses these settings: {exc}"
            return False
        except Exception as exc:
            log.exception("building the model failed")
            self.message = f"Could not build the model: {type(exc).__name__}: {exc}"
            return False
        self.model = model
        self.applied = dict(self.values)
        self.message = None
        return True


@dataclass(frozen=True)
class Setup:
    """A setup to compare: a scenario and the levers' values (a snapshot of a session's controls)."""

    scenario: str
    values: tuple[tuple[str, Any], ...]
    tried: str | None = None

    @classmethod
    def of(cls, session: ClassroomSession) -> Setup:
        return cls(session.scenario.name, tuple(sorted(session.values.items())), session.tried)

    def config(self, seed: int) -> RecruitsimConfig:
        """The setup's config with ``seed`` (the same seeds for every setup of a comparison)."""
        base = (scenarios.compose(self.scenario, [w for w in self.tried.split()[1:]
                                                   if not w.startswith(("scenario=", "seed="))])
                if self.tried else scenario_config(self.scenario))
        return apply_levers(base, {**dict(self.values), "seed": seed})

    def describe(self) -> str:
        """The setup in words: the scenario and the levers set away from it."""
        own = lever_values(scenario_config(self.scenario))
        changed = [f"{BY_KEY[k].label.lower()} {BY_KEY[k].format(v)}" for k, v in self.values
                   if k in BY_KEY and k != "seed" and own.get(k) != v]
        return self.scenario + (f" ({', '.join(changed)})" if changed else "")


class Comparison:
    """Setups A and B, each run over the same seeds in a background thread, with progress.

    Attributes:
        setups: label ("A", "B") -> :class:`Setup`.
        runs: label -> the time series of each seed run so far, in seed order.
        done, total: runs finished, runs asked for.
        seeds: the seeds run.
        message: a problem to show, or None.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.setups: dict[str, Setup] = {}
        self.runs: dict[str, list] = {}
        self.summaries: dict[str, list[dict]] = {}
        self.seeds: list[int] = []
        self.done = 0
        self.total = 0
        self.message: str | None = None
        self.horizon = 0
        self._generation = 0

    @property
    def running(self) -> bool:
        return 0 < self.total and self.done < self.total and self.message is None

    def start(self, setups: dict[str, Setup], first_seed: int, n_seeds: int, on_progress=None) -> None:
        """Run every setup on seeds ``first_seed .. first_seed + n_seeds - 1`` in a background thread.

        A new start abandons the runs of the previous one. ``on_progress()``
        is called after each run (the page redraws).
        """
        if not setups:
            self.message = "Keep a setup as A (and another as B) first."
            return
        if not 1 <= n_seeds <= 20:
            self.message = "Seeds: choose from 1 to 20."
            return
        with self.lock:
            self._generation += 1
            generation = self._generation
            self.setups = dict(setups)
            self.seeds = list(range(first_seed, first_seed + n_seeds))
            self.runs = {label: [] for label in setups}
            self.summaries = {label: [] for label in setups}
            self.done, self.total, self.message = 0, len(setups) * n_seeds, None
        threading.Thread(target=self._work, args=(generation, on_progress), daemon=True,
                         name="recruitsim-compare").start()

    def _work(self, generation: int, on_progress) -> None:
        from sim.model import RecruitmentModel

        for seed in self.seeds:
            for label, setup in list(self.setups.items()):
                if generation != self._generation:
                    return
                try:
                    model = RecruitmentModel(setup.config(seed))
                    model.run_model()
                    frame, summary = model.timeseries(), model.summary()
                except Exception as exc:  # shown to the user; the server log has the traceback
                    log.exception("comparison run failed")
                    with self.lock:
                        if generation == self._generation:
                            self.message = f"Setup {label}, seed {seed}: {type(exc).__name__}: {exc}"
                    break
                with self.lock:
                    if generation != self._generation:
                        return
                    self.runs[label].append(frame)
                    self.summaries[label].append(summary)
                    self.horizon = max(self.horizon, len(frame))
                    self.done += 1
                if on_progress is not None:
                    on_progress()

    def table(self) -> list[dict]:
        """Per setup and headline outcome: the mean over seeds of the summary window's means, and the range."""
        out = []
        with self.lock:
            for label, summaries in self.summaries.items():
                row = {"setup": label, "seeds": len(summaries)}
                for name, (text, decimals) in READOUT.items():
                    values = [s[name] for s in summaries if s.get(name) is not None and not math.isnan(s[name])]
                    row[text] = (f"{sum(values) / len(values):.{decimals}f} ({min(values):.{decimals}f}–"
                                 f"{max(values):.{decimals}f})" if values else "–")
                out.append(row)
        return out

    def csv(self) -> str:
        """Every run's month-by-month outcomes, with its setup, scenario and seed on each row."""
        import pandas as pd

        frames = []
        with self.lock:
            for label, runs in self.runs.items():
                for seed, frame in zip(self.seeds, runs):
                    frame = frame.copy()
                    frame.insert(0, "seed", seed)
                    frame.insert(0, "scenario", self.setups[label].scenario)
                    frame.insert(0, "setup", label)
                    frames.append(frame)
        return pd.concat(frames, ignore_index=True).to_csv(index=False) if frames else ""
