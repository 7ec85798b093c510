"""The participatory classroom game, without any UI: students play recruiters and employers.

``recruitsim-app --classroom`` runs one :class:`ClassroomGame` for the whole
class. The teacher picks a scenario, sets the policy levers and advances the
months; each student joins with a short code and takes over one agent of
the market: a recruiter (its fee, whether it seeks the label, whether it
cheats on the fee rule, whether it deceives workers about the wage) or an
employer (which recruiter gets its job orders, whether it takes kickbacks).
Every other agent stays simulated.

Where a decision applies: the game acts only through the model's public
state, the ``recruiters`` and ``employers`` tables and the job orders
reserved for next month (``model.reserved_orders``), at named points of the
month (:data:`sim.model.model.HOOK_POINTS`):

* ``prices_set`` (after the market's recruiters have reviewed their
  practices and prices, before employers place job orders): a player's
  recruiter asks the student's fee, cheats or not, deceives or not, and
  starts or leaves certification as the student chose; a player's employer
  sends its open vacancies to the recruiter the student chose (or, if the
  student refuses kickbacks and lets the market choose, to the cheapest
  recruiter that pays none), as reserved orders;
* ``books_closed`` and ``models_chosen`` (around the recruiters' yearly
  choice of business model): a player's recruiter is kept out of that
  choice (the student makes it), by restoring its certification state;
* after the month: the books each student sees.

Simulated agents decide exactly as in the plain model; with no players the
hooks do nothing and a session runs month for month, draw for draw, like
``RecruitmentModel(config).run_model()`` (tests/test_app_game.py checks it).
Anything a student sends is checked here: a bad value is a message and
changes nothing, and a student who leaves (a closed tab) keeps their agent
on its last decisions. The game is thread-safe (one lock): the teacher's
and students' browser sessions call it from their own threads.
"""

from __future__ import annotations

import math
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.app.session import apply_levers, lever_values, scenario_config

if TYPE_CHECKING:
    from sim.config import RecruitsimConfig
    from sim.model import RecruitmentModel

RECRUITER, EMPLOYER = "recruiter", "employer"
ROLES = (RECRUITER, EMPLOYER)
#: an employer's recruiter choice that leaves it to the market (the simulated employers' rule)
MARKET_CHOICE = -1
#: the largest fee a student may ask, months of wage (the model's own ceiling on asking fees)
MAX_FEE_MONTHS = 24.0
#: join codes: letters and digits that cannot be mistaken for each other on a projector
CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
CODE_LENGTH = 4
MAX_NAME = 24
#: the teacher's levers during a session: policy only (the market is the scenario's)
TEACHER_LEVERS = ("fee_rule", "policy.fee_cap_months", "policy.inspection_rate", "policy.fine",
                  "policy.joint_liability")
#: the recruiter table's columns a change of business model touches (restored when the model tries one
#: on a player's recruiter)
_CERT_COLUMNS = ("label", "kind", "cert_stage", "stage_months", "model_since", "deceives", "overcharges",
                 "uses_subagents", "churns", "price", "certified_months", "recertified", "next_audit")


class GameError(ValueError):
    """A request the game refuses; the message is for the person who made it."""


@dataclass
class RecruiterDecision:
    """What a student running a recruiter decides (applied every month until changed).

    Attributes:
        fee_months: the fee asked of each worker, in months of the wage abroad.
        seek_label: be certified (train for the label, keep it) or not.
        cheat: break the fee rule: charge above a cap or ban, or, holding the label, take a hidden fee.
        deceive: mislead workers about the wage abroad.
    """

    fee_months: float
    seek_label: bool
    cheat: bool
    deceive: bool


@dataclass
class EmployerDecision:
    """What a student running an employer decides.

    Attributes:
        recruiter: the recruiter row that gets the job orders, or MARKET_CHOICE.
        take_kickbacks: accept recruiters that pay the employer per hire (out of workers' fees).
    """

    recruiter: int = MARKET_CHOICE
    take_kickbacks: bool = True


@dataclass
class Player:
    """One student: the agent they run, their decisions, their books and the workers they hired."""

    token: str
    name: str
    role: str
    row: int
    decision: Any
    joined_month: int
    connected: bool = True
    last_seen: float = 0.0  # time.monotonic() of the student's page's last sign of life
    books: list[dict] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    #: (worker row, month the person arrived, month placed) for every worker placed by or for this player
    placed: list[tuple[int, int, int]] = field(default_factory=list)
    #: what the student chose each month (for the debrief)
    history: list[dict] = field(default_factory=list)
    chosen_recruiter: int = MARKET_CHOICE  # the recruiter an employer's orders went to this month
    refused_this_month: float = 0.0  # kickbacks an employer handed back this month (USD)
    month_prices: np.ndarray = field(default_factory=lambda: np.zeros(0))  # prices of this month's hires

    @property
    def label(self) -> str:
        return f"{'Recruiter' if self.role == RECRUITER else 'Employer'} #{self.row}"


def _code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class ClassroomGame:
    """One class's session: the model, the players, the teacher's levers, the months.

    Args:
        scenario: the scenario the session starts from.
        seed: the run's seed (the scenario's when None).
        config: a config to use instead of the scenario's (tests use small markets).
    """

    def __init__(self, scenario: str = "baseline", seed: int | None = None,
                 config: RecruitsimConfig | None = None):
        self.lock = threading.RLock()
        self.code = _code()
        self.scenario = scenario
        self.players: dict[str, Player] = {}
        self.message: str | None = None
        self.version = 0  # bumped at every change, so pages know to redraw
        self._snapshot: dict[int, dict] = {}
        self.start(scenario, seed=seed, config=config)

    # --- the teacher ---------------------------------------------------------------------------

    def start(self, scenario: str, seed: int | None = None, config: RecruitsimConfig | None = None) -> None:
        """A fresh market at month 0 from ``scenario`` (players keep their roles on new agents)."""
        from sim.model import RecruitmentModel

        with self.lock:
            base = config if config is not None else scenario_config(scenario)
            if seed is not None:
                base.seed = int(seed)
            self.scenario = scenario
            self.model: RecruitmentModel = RecruitmentModel(base)
            self.model.hooks = {"prices_set": [self._apply_decisions], "books_closed": [self._books_closed],
                                "models_chosen": [self._restore_rows]}
            self.values = lever_values(self.model.config)
            players = list(self.players.values())
            self.players = {}
            for p in players:
                row = self._free_row(p.role)
                if row is None:
                    continue
                p.row, p.decision = row, self._default_decision(p.role, row)
                p.books, p.placed, p.history, p.joined_month = [], [], [], 0
                self.players[p.token] = p
            self.version += 1

    @property
    def month(self) -> int:
        return self.model.month

    @property
    def horizon(self) -> int:
        return self.model.config.run.steps

    def set_lever(self, key: str, raw: Any) -> str | None:
        """The teacher sets a policy lever; it applies from the next month. Returns a message or None."""
        from sim.app.session import BY_KEY
        from sim.config import ConfigError

        if key not in TEACHER_LEVERS:
            return f"no policy lever named {key!r}"
        lever = BY_KEY[key]
        try:
            value = lever.parse(raw)
        except ValueError as exc:
            return str(exc)
        with self.lock:
            trial = {**self.values, key: value}
            try:
                config = apply_levers(self.model.config, trial)
            except ConfigError as exc:
                return f"{lever.label}: the model refuses this value ({exc.allowed})"
            policy = self.model.config.policy  # the regulator holds this object: change it in place
            for name in ("fee_cap_months", "inspection_rate", "fine", "joint_liability"):
                setattr(policy, name, getattr(config.policy, name))
            self.values = trial
            self.version += 1
        return None

    def advance(self, months: int = 1) -> int:
        """Simulate ``months`` months (not past the horizon); returns the months done.

        A student's agent that fails to apply (e.g. a row that left the
        market) is reported to that student; the month goes on.
        """
        done = 0
        with self.lock:
            while done < months and self.month < self.horizon:
                self._reassign_closed()
                self.model.step()
                self._record_books()
                done += 1
            self.version += 1
        return done

    # --- the students ---------------------------------------------------------------------------

    def join(self, code: str, name: str, role: str) -> Player:
        """A student joins with the session's code; returns their player (its ``token`` identifies them).

        Raises:
            GameError: a wrong code, an empty name, an unknown role, or no agent left to take.
        """
        code = str(code or "").strip().upper()
        name = " ".join(str(name or "").split())[:MAX_NAME]
        if code != self.code:
            raise GameError("That code is not this session's: check the code on the projector.")
        if not name:
            raise GameError("Enter your name (or a nickname).")
        if role not in ROLES:
            raise GameError(f"Choose a role: {' or '.join(ROLES)}.")
        with self.lock:
            for p in self.players.values():  # the same name and role again: the same player (a reopened tab)
                if p.name == name and p.role == role:
                    p.connected = True
                    return p
            row = self._free_row(role)
            if row is None:
                raise GameError(f"No {role} is left to take: join as the other role.")
            player = Player(secrets.token_urlsafe(12), name, role, row, self._default_decision(role, row),
                            joined_month=self.month)
            self.players[player.token] = player
            self.version += 1
            return player

    def leave(self, token: str) -> None:
        """A student's tab closed: the agent keeps its last decisions."""
        with self.lock:
            if token in self.players:
                self.players[token].connected = False
                self.version += 1

    def seen(self, token: str) -> None:
        """The student's page is open (it calls this every second or so)."""
        import time

        player = self.players.get(token)
        if player is not None:
            player.last_seen = time.monotonic()
            if not player.connected:
                player.connected = True
                self.version += 1

    def check_connections(self, timeout: float = 6.0) -> None:
        """Mark players whose page has not been seen for ``timeout`` seconds as gone (a closed tab)."""
        import time

        now = time.monotonic()
        for player in list(self.players.values()):
            if player.connected and player.last_seen and now - player.last_seen > timeout:
                player.connected = False
                self.version += 1

    def decide(self, token: str, **raw: Any) -> str | None:
        """A student's decisions (any subset); they apply from the next month.

        Recruiters: ``fee_months``, ``seek_label``, ``cheat``, ``deceive``.
        Employers: ``recruiter`` (a row, or MARKET_CHOICE), ``take_kickbacks``.

        Returns:
            None if accepted, else a message; nothing changes on a message.
        """
        with self.lock:
            player = self.players.get(token)
            if player is None:
                return "You are not in this session: join again with the code."
            try:
                updates = self._check(player, raw)
            except GameError as exc:
                return str(exc)
            for key, value in updates.items():
                setattr(player.decision, key, value)
            self.version += 1
        return None

    def _check(self, player: Player, raw: dict) -> dict:
        allowed = ("fee_months", "seek_label", "cheat", "deceive") if player.role == RECRUITER else (
            "recruiter", "take_kickbacks")
        out = {}
        for key, value in raw.items():
            if key not in allowed:
                raise GameError(f"A {player.role} does not decide {key!r}.")
            if key == "fee_months":
                text = str(value).strip()
                try:
                    fee = float(text)
                except ValueError:
                    raise GameError(f"Fee: {text[:20]!r} is not a number; enter months of wage from 0 to "
                                    f"{MAX_FEE_MONTHS:g}.") from None
                if not math.isfinite(fee) or not 0 <= fee <= MAX_FEE_MONTHS:
                    raise GameError(f"Fee: enter months of wage from 0 to {MAX_FEE_MONTHS:g}, not {text[:20]}.")
                out[key] = fee
            elif key == "recruiter":
                try:
                    row = int(value)
                except (TypeError, ValueError):
                    raise GameError("Choose a recruiter from the list.") from None
                if row != MARKET_CHOICE and row not in self.recruiter_rows():
                    raise GameError(f"Recruiter #{row} is not in the market: choose one from the list.")
                out[key] = row
            else:
                if not isinstance(value, bool):
                    raise GameError(f"{key}: choose yes or no.")
                out[key] = value
        if out.get("seek_label") and not self.model.config.certification.enabled:
            raise GameError("The label is not on offer in this scenario.")
        return out

    # --- what pages show --------------------------------------------------------------------------

    def recruiter_rows(self) -> list[int]:
        """Active recruiters employers can choose (the public channel when it has places)."""
        r = self.model.recruiters
        rows = r.private_active().tolist()
        if self.model.config.policy.public_capacity > 0:
            rows = [0, *rows]
        return rows

    def market_offers(self) -> list[dict]:
        """What an employer sees of each recruiter: price per hire (negative: a kickback), the fee its
        workers pay, the label."""
        from sim.model.recruiters import charged_months

        r = self.model.recruiters
        open_fee, hidden = charged_months(self.model)
        out = []
        for row in self.recruiter_rows():
            human = next((p.name for p in self.players.values() if p.role == RECRUITER and p.row == row), None)
            out.append({"row": row, "price": float(r.price[row]), "fee_months": float(open_fee[row]),
                        "label": bool(r.label[row]), "public": row == 0, "player": human})
        return out

    def player(self, token: str) -> Player | None:
        return self.players.get(token)

    def fate(self, player: Player) -> dict:
        """What happened to the workers placed by (or for) a player: counts now, and fees they paid."""
        from sim.model.workers import ABROAD, bondage_mask, home_repayable_per_home_wage

        with self.lock:
            w = self.model.workers
            out = {"placed": len(player.placed), "abroad": 0, "bonded": 0, "home": 0, "home_trapped": 0,
                   "left_pool": 0, "deceived": 0, "borrowed": 0, "mean_fee_months": float("nan")}
            if not player.placed:
                return out
            rows, arrived, when = (np.array(x) for x in zip(*player.placed))
            same = (w.arrived[rows] == arrived)
            current = same & (w.placed_step[rows] == when)
            out["left_pool"] = int((~same).sum())
            abroad = rows[current & (w.status[rows] == ABROAD)]
            out["abroad"] = len(abroad)
            out["bonded"] = int(bondage_mask(self.model, abroad).sum()) if len(abroad) else 0
            home = rows[same & (w.status[rows] != ABROAD)]
            out["home"] = len(home)
            limit = w.home_wage[home] * home_repayable_per_home_wage(self.model.config)
            out["home_trapped"] = int((w.debt[home] > limit + 1e-9).sum())
            books = [b for b in player.books if b.get("hires")]
            paid = sum(b["fees_paid_months"] for b in books)
            hires = sum(b["hires"] for b in books)
            out["mean_fee_months"] = paid / hires if hires else float("nan")
            out["deceived"] = sum(b["deceived"] for b in books)
            out["borrowed"] = sum(b["borrowed"] for b in books)
            return out

    def debrief(self) -> list[dict]:
        """One row per player: their choices over the session against what their workers went through,
        then the simulated agents of each role for comparison."""
        rows = []
        with self.lock:
            for p in self.players.values():
                f = self.fate(p)
                months = max(len(p.history), 1)
                if p.role == RECRUITER:
                    choice = (f"fee {np.mean([h['fee_months'] for h in p.history]) if p.history else p.decision.fee_months:.1f} mo; "
                              f"cheated {sum(h['cheat'] for h in p.history)}/{months} mo; "
                              f"deceived {sum(h['deceive'] for h in p.history)}/{months} mo; "
                              f"label {sum(h['label'] for h in p.history)}/{months} mo")
                else:
                    took = sum(b.get("kickbacks", 0.0) for b in p.books)
                    choice = (f"kickbacks taken ${took:,.0f}; refused {sum(not h['take_kickbacks'] for h in p.history)}"
                              f"/{months} mo; chose the recruiter {sum(h['recruiter'] != MARKET_CHOICE for h in p.history)}"
                              f"/{months} mo")
                rows.append({"name": p.name, "role": p.role, "agent": p.label, "choices": choice,
                             "profit": sum(b.get("profit", 0.0) for b in p.books),
                             "workers placed": f["placed"],
                             "mean fee paid (months)": f["mean_fee_months"],
                             "borrowed": f["borrowed"], "deceived": f["deceived"],
                             "bonded abroad now": f["bonded"], "home debt trap now": f["home_trapped"]})
        return rows

    def class_outcomes(self) -> dict:
        """The whole market's outcomes this session so far (means over the months played)."""
        frame = self.model.timeseries()
        if frame.empty:
            return {}
        return {name: float(frame[name].mean()) for name in
                ("mean_fee_months", "debt_bondage_share", "indebted_share", "certified_share", "placements")}

    # --- inside the month (model hooks) ------------------------------------------------------------

    def _default_decision(self, role: str, row: int):
        if role == EMPLOYER:
            return EmployerDecision()
        r = self.model.recruiters
        fee = float(min(r.fee_months[row], MAX_FEE_MONTHS))
        return RecruiterDecision(fee_months=round(fee, 1), seek_label=bool(r.label[row] or r.cert_stage[row] == 1),
                                 cheat=bool(r.overcharges[row]), deceive=bool(r.deceives[row]))

    def _free_row(self, role: str) -> int | None:
        taken = {p.row for p in self.players.values() if p.role == role}
        if role == RECRUITER:
            free = [int(x) for x in self.model.recruiters.private_active() if int(x) not in taken]
        else:
            free = [e for e in range(self.model.employers.n) if e not in taken]
        if not free:
            return None
        # spread players over the market, the same way in every session of the same seed
        return free[(len(taken) * 7) % len(free)]

    def _reassign_closed(self) -> None:
        """A player whose recruiter left the market takes over another one (and is told)."""
        r = self.model.recruiters
        for p in self.players.values():
            if p.role == RECRUITER and not r.active[p.row]:
                old = p.row
                row = self._free_row(RECRUITER)
                if row is None:
                    continue
                p.row = row  # the student's decisions carry over to the agency they take over
                p.messages.append(f"Month {self.month}: your agency #{old} closed (it ran out of money or kept "
                                  f"losing it). You now run agency #{row}, with your decisions.")

    def _apply_decisions(self, model: RecruitmentModel) -> None:
        from sim.model.recruiters import (
            HOLDS_LABEL,
            NOT_CERTIFYING,
            TRAINING,
            fee_income,
        )

        r = model.recruiters
        for p in self.players.values():
            if p.role == RECRUITER:
                if not r.active[p.row]:
                    continue
                d = p.decision
                row = np.array([p.row])
                stage = int(r.cert_stage[p.row])
                if d.seek_label and stage == NOT_CERTIFYING and model.config.certification.enabled:
                    model.scheme.start_training(row)
                elif not d.seek_label and stage in (TRAINING, HOLDS_LABEL):
                    model.scheme.withdraw(row)
                # like a recruiter changing business model, it renegotiates its price with employers as
                # its fee income changes, keeping its margin per placement (CertificationScheme._reprice)
                before = fee_income(model, row)
                r.fee_months[p.row] = d.fee_months
                r.overcharges[p.row] = d.cheat
                r.deceives[p.row] = d.deceive
                r.price[p.row] += float((before - fee_income(model, row))[0])
                p.history.append({"month": model.month, "fee_months": d.fee_months, "cheat": d.cheat,
                                  "deceive": d.deceive, "label": bool(r.label[p.row])})
            else:
                self._reserve_orders(model, p)

    def _reserve_orders(self, model: RecruitmentModel, p: Player) -> None:
        """Send the player's open vacancies to the recruiter they chose, as reserved job orders."""
        from sim.model.recruiters import placement_capacity
        from sim.model.workers import ABROAD

        d = p.decision
        r, w, e = model.recruiters, model.workers, model.employers
        p.history.append({"month": model.month, "recruiter": d.recruiter, "take_kickbacks": d.take_kickbacks})
        p.chosen_recruiter = MARKET_CHOICE
        choice = d.recruiter
        rows = self.recruiter_rows()
        if choice != MARKET_CHOICE and choice not in rows:
            p.messages.append(f"Month {model.month}: recruiter #{choice} has left the market; the market chose "
                              "for you this month. Pick another.")
            choice = MARKET_CHOICE
        if choice != MARKET_CHOICE and not d.take_kickbacks and r.price[choice] < 0:
            p.messages.append(f"Month {model.month}: recruiter #{choice} pays kickbacks, which you refuse; your "
                              "orders went to the cheapest recruiter that pays none (if any has room).")
            choice = MARKET_CHOICE
        reserved_emp, reserved_rec = model.reserved_orders
        requests = np.bincount(reserved_rec, minlength=r.n)[: r.n]
        spare = placement_capacity(model) - requests
        if choice == MARKET_CHOICE:
            if d.take_kickbacks:
                return  # the market's rule, as for every simulated employer
            clean = [row for row in rows if r.price[row] >= 0 and spare[row] > 0]
            if not clean:
                p.messages.append(f"Month {model.month}: every recruiter with room pays kickbacks; the market "
                                  "chose one and you handed its kickbacks back.")
                return
            choice = min(clean, key=lambda row: r.price[row])
        filled = int(((w.employer == p.row) & (w.status == ABROAD)).sum())
        already = int((reserved_emp == p.row).sum())
        open_ = max(int(e.positions[p.row]) - filled - already, 0)
        take = min(open_, max(int(spare[choice]), 0))
        if take:
            model.reserved_orders = (np.concatenate([reserved_emp, np.full(take, p.row, dtype=np.int64)]),
                                     np.concatenate([reserved_rec, np.full(take, choice, dtype=np.int64)]))
        p.chosen_recruiter = choice
        p.history[-1]["price"] = float(r.price[choice])

    def _books_closed(self, model: RecruitmentModel) -> None:
        self._hand_back_kickbacks(model)
        self._snapshot_rows(model)

    def _hand_back_kickbacks(self, model: RecruitmentModel) -> None:
        """Kickbacks paid on each player employer's hires this month; one who refuses them hands them back
        (the recruiter keeps the money: refusing a kickback does not lower the fee its workers paid)."""
        r, w, e = model.recruiters, model.workers, model.employers
        for p in self.players.values():
            if p.role != EMPLOYER:
                continue
            hired = np.flatnonzero((w.placed_step == model.month) & (w.employer == p.row))
            recs = w.recruiter[hired]
            kickbacks = np.maximum(-r.price[recs], 0.0)
            p.month_prices = r.price[recs].copy()
            p.refused_this_month = 0.0
            total = float(kickbacks.sum())
            if total > 0 and not p.decision.take_kickbacks:
                np.add.at(r.cash, recs, kickbacks)
                e.recruitment_cost[p.row] += total
                model.ledger.transfer("employers", "recruiters", total, "refused_kickbacks")
                p.refused_this_month = total

    def _snapshot_rows(self, model: RecruitmentModel) -> None:
        r = model.recruiters
        self._snapshot = {p.row: {c: getattr(r, c)[p.row].copy() for c in _CERT_COLUMNS}
                          for p in self.players.values() if p.role == RECRUITER and r.active[p.row]}

    def _restore_rows(self, model: RecruitmentModel) -> None:
        """Undo a change of business model the market's rule made on a player's recruiter."""
        r = model.recruiters
        for row, saved in self._snapshot.items():
            if r.active[row] and (r.cert_stage[row] != saved["cert_stage"] or r.label[row] != saved["label"]):
                for column, value in saved.items():
                    getattr(r, column)[row] = value
                model.refresh_views(np.array([row]))
        self._snapshot = {}

    def _record_books(self) -> None:
        """After a month: each player's books, and the workers placed by or for them."""
        from sim.model.recruiters import charged_months
        from sim.model.workers import DECEIVED

        model = self.model
        r, w = model.recruiters, model.workers
        open_fee, hidden = charged_months(model)
        new = w.placed_step == model.month
        for p in self.players.values():
            if p.role == RECRUITER:
                hired = np.flatnonzero(new & (w.recruiter == p.row))
            else:
                hired = np.flatnonzero(new & (w.employer == p.row))
            p.placed.extend(zip(hired.tolist(), w.arrived[hired].tolist(), [model.month] * len(hired)))
            fees = w.fee_paid[hired] / np.maximum(w.wage[hired], 1.0)
            book = {"month": model.month, "hires": len(hired), "fees_paid_months": float(fees.sum()),
                    "deceived": int(((w.violation[hired] & DECEIVED) > 0).sum()),
                    "borrowed": int((w.debt[hired] > 0).sum())}
            if p.role == RECRUITER:
                row = p.row
                book |= {"agency": row, "fee_asked": float(r.fee_months[row]),
                         "fee_charged": float(open_fee[row] + hidden[row]), "price": float(r.price[row]),
                         "applicants": int(r.applicants[row]), "cash": float(r.cash[row]),
                         "profit": float(r.profit_month[row]), "label": bool(r.label[row]),
                         "training": int(r.cert_stage[row]) == 1, "strikes": int(r.strikes[row]),
                         "active": bool(r.active[row])}
            else:
                prices = p.month_prices if len(p.month_prices) == len(hired) else r.price[w.recruiter[hired]]
                kickbacks = float(np.maximum(-prices, 0.0).sum()) - p.refused_this_month
                paid = float(prices.sum()) + p.refused_this_month
                book |= {"recruiter": p.chosen_recruiter, "cost_per_hire": paid / len(hired) if len(hired) else 0.0,
                         "kickbacks": kickbacks, "refused": p.refused_this_month, "profit": -paid}
                p.refused_this_month = 0.0
            p.books.append(book)
