"""The participatory session's pages (``recruitsim-app --classroom``): teacher, students, debrief.

One :class:`sim.app.game.ClassroomGame` serves the whole class (the game's
logic and its tests live in :mod:`sim.app.game`; these pages only draw it
and forward clicks):

* ``/?teacher=KEY`` (the link the command prints): the join code in large
  letters, the scenario, the policy levers, the buttons that advance the
  months, who plays what, the market's plots, and the debrief;
* ``/``: a student joins with the code, a name and a
  role, then runs their recruiter or employer and sees their books and
  what happened to the workers they placed or hired;
* ``/?debrief``: the debrief alone, for the projector.

Every student page checks the game twice a second and redraws when the
teacher has advanced; a page that stops checking (a closed tab) is shown as
gone on the teacher's page and its agent keeps its last decisions.
"""

from __future__ import annotations

import html
import math
import os
import threading

import solara

from sim.app import SCENARIO_ENV, TEACHER_KEY_ENV
from sim.app import plots as app_plots
from sim.app.game import (
    EMPLOYER,
    MARKET_CHOICE,
    RECRUITER,
    TEACHER_LEVERS,
    ClassroomGame,
    GameError,
)
from sim.app.session import BY_KEY
from sim.app.widgets import CSS, LeverControl
from sim.config import scenarios

_game: ClassroomGame | None = None
_game_lock = threading.Lock()
POLL_SECONDS = 0.5

CLASS_CSS = """
.rs-code { font-size: 44px; line-height: 1.2; font-weight: 800; letter-spacing: 6px; font-family: monospace; }
.rs-table { overflow-x: auto; }
.rs-big { font-size: 18px; }
.rs-class { padding: 10px; font-size: 16px; }
.rs-class-grid { display: grid; grid-template-columns: 300px minmax(0, 1fr); gap: 12px; }
.rs-message { font-size: 15px; }
"""


def game() -> ClassroomGame:
    """The class's session (created at the first page load, from ``--scenario``)."""
    global _game
    with _game_lock:
        if _game is None:
            _game = ClassroomGame(os.environ.get(SCENARIO_ENV, "baseline"))
        return _game


def _table(rows: list[dict], classes: str = "") -> str:
    if not rows:
        return "<p>Nothing yet.</p>"

    def cell(v):
        if isinstance(v, float):
            return "–" if math.isnan(v) else f"{v:,.2f}"
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r.values()) + "</tr>" for r in rows)
    return f"<table class='{classes}'><tr>{head}</tr>{body}</table>"


def use_game_version() -> int:
    """Redraw when the game changes (the teacher advanced, a student joined); returns its version."""
    g = game()
    version, set_version = solara.use_state(g.version)

    def watch(cancel: threading.Event):
        seen = g.version
        while not cancel.wait(POLL_SECONDS):
            g.check_connections()
            if g.version != seen:
                seen = g.version
                set_version(seen)

    solara.use_thread(watch, dependencies=[])
    return version


@solara.component
def Debrief(version: int):
    g = game()
    rows = g.debrief()
    market = g.class_outcomes()
    solara.HTML(tag="h3", unsafe_innerHTML=f"Debrief: the class's choices and their workers, months 1–{g.month}")
    solara.HTML(tag="div", unsafe_innerHTML=_table(rows, "rs-debrief-table"), classes=["rs-table", "rs-debrief"])
    if market:
        solara.Text(f"The whole market over the same months: fee {market['mean_fee_months']:.1f} months of wage, "
                    f"{100 * market['indebted_share']:.0f}% borrowed to pay, "
                    f"{100 * market['debt_bondage_share']:.1f}% of workers abroad in debt bondage, "
                    f"{market['placements']:.0f} placements a month.", classes=["rs-big"])
    solara.HTML(tag="p", unsafe_innerHTML="Discuss: which choices cost workers most? Who gained from them, the "
                    "recruiter or the employer? Did refusing kickbacks or giving up fees cost the business? Would the choice "
                    "be the same under an enforced ban?")


@solara.component
def TeacherPage(version: int):
    g = game()
    local, set_local = solara.use_state(0)

    def bump():
        set_local(local + 1)

    def advance(months):
        g.advance(months)
        bump()

    def restart(name):
        g.start(name)
        bump()

    def on_set(key, raw):
        message = g.set_lever(key, raw)
        bump()
        return message

    with solara.Div(classes=["rs-class-grid", "rs-class"]):
        with solara.Column(gap="8px", classes=["rs-controls"]):
            with solara.Card(margin=0):
                solara.HTML(tag="div", unsafe_innerHTML=(
                    f"<div class='rs-big'>Join code</div><div class='rs-code'>{g.code}</div><div class='rs-big'>"
                    "Students open this app's address (without <code>?teacher=...</code>) and enter the code."
                    "</div>"))
            with solara.Card(margin=0):
                solara.Text(f"Month {g.month} of {g.horizon}", classes=["rs-month", "rs-class-month"])
                with solara.Row(gap="4px", classes=["rs-buttons"], style={"flex-wrap": "wrap"}):
                    solara.Button("Next month", on_click=lambda: advance(1), color="primary",
                                  classes=["rs-next-month"])
                    solara.Button("+6 months", on_click=lambda: advance(6), color="primary", outlined=True,
                                  classes=["rs-next-6"])
                    solara.Button("+1 year", on_click=lambda: advance(12), color="primary", outlined=True)
                solara.HTML(tag="div", unsafe_innerHTML="Scenario (restarts the session)",
                            classes=["rs-lever-label"])
                solara.Select("", values=scenarios.names(), value=g.scenario, on_value=restart)
            with solara.Card("Policy (applies from the next month)", margin=0):
                for key in TEACHER_LEVERS:
                    lever = BY_KEY[key]
                    disabled = key == "policy.fee_cap_months" and g.values["fee_rule"] != "cap"
                    LeverControl(lever, g.values[key], on_set, disabled=disabled)
        with solara.Column(gap="8px", style={"min-width": "0"}):
            with solara.lab.Tabs(align="left"):
                with solara.lab.Tab("Players"):
                    players = [{"name": p.name, "plays": p.label,
                                "page": "open" if p.connected else "gone (agent keeps its decisions)",
                                "decisions": ", ".join(f"{k} {v}" for k, v in vars(p.decision).items()),
                                "hired/placed": len(p.placed)} for p in g.players.values()]
                    solara.HTML(tag="div", unsafe_innerHTML=_table(players, "rs-players-table"),
                                classes=["rs-table", "rs-players"])
                    frame = g.model.timeseries()
                    applied = {"policy.public_capacity": g.model.config.policy.public_capacity, **g.values}
                    with solara.Div(classes=["rs-plots"]):
                        for panel in app_plots.PANELS:
                            fig = app_plots.run_figure(panel, frame, g.horizon, applied)
                            solara.HTML(tag="div", unsafe_innerHTML=app_plots.svg(fig), classes=["rs-plot"])
                with solara.lab.Tab("Debrief", classes=["rs-tab-debrief"]):
                    Debrief(version + local)


@solara.component
def JoinForm(on_joined):
    code, set_code = solara.use_state("")
    name, set_name = solara.use_state("")
    role, set_role = solara.use_state(RECRUITER)
    problem, set_problem = solara.use_state(None)

    def join():
        try:
            player = game().join(code, name, role)
        except GameError as exc:
            set_problem(str(exc))
            return
        on_joined(player.token)

    with solara.Card("Join the class's market", margin=0, style={"max-width": "520px"}):
        solara.InputText("Code (on the projector)", value=code, on_value=set_code, classes=["rs-join-code"])
        solara.InputText("Your name", value=name, on_value=set_name, classes=["rs-join-name"])
        solara.ToggleButtonsSingle(value=role, values=[RECRUITER, EMPLOYER], on_value=set_role,
                                   classes=["rs-join-role"])
        solara.Button("Join", on_click=join, color="primary", classes=["rs-join"])
        if problem:
            solara.Error(problem, classes=["rs-join-error"])


@solara.component
def RecruiterControls(token: str, version: int):
    g = game()
    p = g.player(token)
    fee, set_fee = solara.use_state(f"{p.decision.fee_months:g}")
    problem, set_problem = solara.use_state(None)

    def send(**decision):
        message = g.decide(token, **decision)
        set_problem(message)

    d = p.decision
    with solara.Card("Your decisions", subtitle="they apply from next month", margin=0):
        solara.InputText("Fee you ask each worker (months of wage)", value=fee, on_value=set_fee,
                         error=bool(problem), message=problem, classes=["rs-fee"])
        solara.Button("Set the fee", on_click=lambda: send(fee_months=fee), color="primary", classes=["rs-set-fee"])
        solara.Switch(label="Seek the label (train, pass the audit, charge workers nothing)", value=d.seek_label,
                      on_value=lambda v: send(seek_label=v), classes=["rs-seek-label"])
        solara.Switch(label="Cheat: charge above the legal limit, or a hidden fee if labelled", value=d.cheat,
                      on_value=lambda v: send(cheat=v), classes=["rs-cheat"])
        solara.Switch(label="Deceive workers about the wage abroad", value=d.deceive,
                      on_value=lambda v: send(deceive=v), classes=["rs-deceive"])


@solara.component
def EmployerControls(token: str, version: int):
    g = game()
    p = g.player(token)
    problem, set_problem = solara.use_state(None)
    offers = g.market_offers()
    labels = {"let the market choose": MARKET_CHOICE}
    for o in offers:
        price = o["price"]
        deal = f"kickback ${-price:,.0f} to you" if price < 0 else f"you pay ${price:,.0f}"
        who = "public channel" if o["public"] else f"#{o['row']}" + (" (label)" if o["label"] else "") + (
            f" run by {o['player']}" if o["player"] else "")
        labels[f"{who}: {deal} per hire; workers pay {o['fee_months']:.1f} months"] = o["row"]
    current = next((k for k, v in labels.items() if v == p.decision.recruiter), "let the market choose")

    def send(**decision):
        set_problem(g.decide(token, **decision))

    with solara.Card("Your decisions", subtitle="they apply from next month", margin=0):
        solara.Select("Recruiter for your job orders", values=list(labels), value=current,
                      on_value=lambda v: send(recruiter=labels.get(v, v)), classes=["rs-recruiter"])
        solara.Switch(label="Take kickbacks from recruiters", value=p.decision.take_kickbacks,
                      on_value=lambda v: send(take_kickbacks=v), classes=["rs-kickbacks"])
        if problem:
            solara.Error(problem, classes=["rs-decision-error"])


def _kernel_context():
    """This browser session's solara kernel context (None outside solara's server)."""
    try:
        from solara.server import kernel_context

        return kernel_context.get_current_context()
    except Exception:
        return None


def _page_open(context) -> bool:
    """Whether the browser page of a session is still connected (its tab not closed).

    solara keeps a session's state a while after its page goes, so that a
    reload finds it; the page's connection status says whether anyone is
    still looking.
    """
    if context is None:
        return True
    if context.closed_event.is_set():
        return False
    status = getattr(context, "page_status", None)
    if not status:
        return True
    return any(getattr(s, "name", str(s)).upper().endswith("CONNECTED") and "DIS" not in getattr(s, "name", str(s))
               .upper() for s in status.values())


@solara.component
def StudentView(token: str, version: int):
    g = game()
    context = _kernel_context()

    def beat(cancel: threading.Event):
        while not cancel.wait(1.0) and _page_open(context):
            g.seen(token)

    solara.use_thread(beat, dependencies=[token])
    p = g.player(token)
    if p is None:
        solara.Error("The session was restarted: join again.")
        return
    fate = g.fate(p)
    with solara.Div(classes=["rs-class-grid", "rs-class"]):
        with solara.Column(gap="8px", classes=["rs-controls"]):
            solara.Text(f"{p.name}: {p.label}", classes=["rs-big", "rs-who"])
            solara.Text(f"Month {g.month}", classes=["rs-month", "rs-student-month"])
            if p.role == RECRUITER:
                RecruiterControls(token, version)
            else:
                EmployerControls(token, version)
            for message in p.messages[-3:]:
                solara.Warning(message, classes=["rs-message"])
        with solara.Column(gap="8px", style={"min-width": "0"}):
            solara.HTML(tag="h3", unsafe_innerHTML="Your workers so far")
            solara.HTML(tag="div", classes=["rs-table", "rs-fate"], unsafe_innerHTML=_table([{
                "placed" if p.role == RECRUITER else "hired": fate["placed"],
                "mean fee they paid (months of wage)": fate["mean_fee_months"],
                "borrowed to pay": fate["borrowed"], "deceived about the wage": fate["deceived"],
                "abroad now": fate["abroad"], "in debt bondage abroad now": fate["bonded"],
                "back home": fate["home"], "in the debt trap at home": fate["home_trapped"]}]))
            solara.HTML(tag="h3", unsafe_innerHTML="Your books (last 12 months)")
            keys = (("month", "agency", "fee_charged", "applicants", "hires", "price", "profit", "cash", "label")
                    if p.role == RECRUITER else ("month", "recruiter", "hires", "cost_per_hire", "kickbacks", "refused"))
            rows = [{k: b.get(k, "") for k in keys} for b in p.books[-12:]]
            solara.HTML(tag="div", unsafe_innerHTML=_table(rows[::-1], "rs-books-table"),
                        classes=["rs-table", "rs-books"])
            solara.Text("price: what employers pay you per hire (negative: a kickback you pay them)."
                        if p.role == RECRUITER else
                        "cost_per_hire: what you pay the recruiter per hire (negative: a kickback you receive).")


@solara.component
def ClassroomPage():
    router = solara.use_router()
    version = use_game_version()
    token, set_token = solara.use_state(None)
    solara.Title("recruitsim classroom session")
    solara.Style(CSS + CLASS_CSS)
    with solara.AppBar():
        solara.AppBarTitle("recruitsim: the class's recruitment market")
    from urllib.parse import parse_qs

    query = parse_qs(router.search or "", keep_blank_values=True)
    if "teacher" in query:
        key = query["teacher"][0]
        if not key or key != os.environ.get(TEACHER_KEY_ENV):
            solara.Error("This is the teacher's page: open the link the app printed when it started.")
            return
        TeacherPage(version)
    elif "debrief" in query:
        with solara.Div(classes=["rs-class"]):
            Debrief(version)
    elif token is None or game().player(token) is None:
        with solara.Div(classes=["rs-class"]):
            JoinForm(set_token)
    else:
        StudentView(token, version)
