"""The classroom app's page: scenario picker, levers, step/run/reset, live plots, notes.

Built from plain solara components in the layout of Mesa's SolaraViz
(controls, model parameters, plots of the model's DataCollector). SolaraViz
itself is not used because, as of Mesa 3.5, it shares the one model it is
given among all browser sessions, re-creates models only from keyword
arguments (ours takes a config), cannot reset its inputs when a scenario is
picked, and shows tracebacks for bad input (Mesa #3516). Here each browser
session gets its own :class:`sim.app.session.ClassroomSession` (solara
component state is per session), and every value a user types is checked
there and answered with a message.

Plots are drawn with matplotlib on the server and sent as PNG images, so
the browser needs no charting library (nothing to fetch from a CDN).

Start it with ``recruitsim-app``; solara serves the ``Page`` component.
"""

from __future__ import annotations

import os
import time

import solara
import solara.lab
from matplotlib.figure import Figure

from sim.app import SCENARIO_ENV
from sim.app.session import (
    BAN,
    CAP,
    LEVERS,
    NO_RULE,
    READOUT,
    SEED,
    ClassroomSession,
    Lever,
)
from sim.config import scenarios

RUN_CHUNK = 6  # months simulated per frame while running
FRAME_PAUSE = 0.02  # seconds between frames, so clicks get through
YEAR = 12

COLORS = {"fee": "#c0392b", "certified": "#1e8449", "public": "#2471a3", "training": "#b7950b", "debt": "#6c3483"}

#: the four plots: title, y label, y range (None: automatic), lines (outcome, legend, colour)
PLOTS = (
    ("Certified share of placements", "share", (0.0, 1.0),
     (("certified_share", "certified recruiters", COLORS["certified"]),
      ("public_share", "public channel", COLORS["public"]))),
    ("Mean fee paid by workers placed", "months of wage", None,
     (("mean_fee_months", "mean fee", COLORS["fee"]),)),
    ("Debt bondage", "share", (0.0, 1.0),
     (("debt_bondage_share", "in debt bondage (of workers abroad)", COLORS["debt"]),
      ("indebted_share", "borrowed to pay (of those placed)", "#999999"))),
    ("Recruiters by kind", "recruiters", None,
     (("n_fee_charging", "fee-charging", COLORS["fee"]),
      ("n_certified", "certified", COLORS["certified"]),
      ("n_training", "in certification training", COLORS["training"]))),
)

PLOT_GUIDE = """
<b>Reading the plots.</b> One point per month.
<b>Certified share</b>: share of the month's placements made by certified recruiters
(and by the public channel, when there is one).
<b>Mean fee</b>: what the workers placed that month paid, in months of their wage abroad
(the SDG 10.7.1 indicator).
<b>Debt bondage</b>: share of workers abroad whose debt exceeds what the rest of their contract can
repay; grey: share of the month's placed workers who borrowed to pay.
<b>Recruiters by kind</b>: active private recruiters of each business model.
Levers apply when a run starts (Step or Run at month 0) or at Reset.
Every scenario also runs from the command line: <code>recruitsim scenario=NAME</code>.
"""

CSS = """
.rs-controls .v-input { margin-top: 0 !important; padding-top: 0 !important; }
.rs-controls .v-input__slot { margin-bottom: 0 !important; }
.rs-lever { margin-bottom: 4px; }
.rs-lever .v-slider { margin-top: -6px; }
.rs-readout { font-size: 15px; }
.rs-readout-value { font-weight: 600; font-variant-numeric: tabular-nums; }
.rs-notes { font-size: 14px; line-height: 1.45; }
.rs-notes code { font-size: 12px; white-space: normal; }
.rs-notes-text h4 { font-size: 15px; font-weight: 600; margin: 10px 0 2px 0; color: #222; }
.rs-notes-text li { margin-bottom: 3px; }
.rs-legend { font-size: 13px; color: #444; }
.rs-month { font-size: 16px; font-weight: 600; }
.rs-plot img { width: 100%; height: auto; }
.rs-notes-text h3 { font-size: 20px; margin: 0 0 4px 0; }
.rs-notes-text p { margin-bottom: 8px; }
"""


def make_figure(series, spec, horizon: int, session: ClassroomSession) -> Figure:
    """One plot of the outcomes so far, its x axis the whole run."""
    title, ylabel, ylim, lines = spec
    fig = Figure(figsize=(5.0, 3.1), dpi=110)
    ax = fig.subplots()
    applied = session.applied
    for name, label, color in lines:
        if name == "public_share" and not applied.get("policy.public_capacity"):
            continue
        if len(series) and name in series:
            ax.plot(series["step"], series[name], label=label, color=color, lw=1.6)
    if title.startswith("Mean fee") and applied.get("fee_rule") == CAP:
        ax.axhline(applied["policy.fee_cap_months"], ls="--", color="#555555", lw=1, label="legal cap")
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("month", fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_xlim(0, max(horizon, 1))
    if ylim:
        ax.set_ylim(*ylim)
    else:
        ax.set_ylim(bottom=0)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best", framealpha=0.8)
    fig.tight_layout()
    return fig


def notes_html(scenario: scenarios.Scenario) -> str:
    """The scenario's notes as HTML (from the Markdown of :meth:`sim.config.scenarios.Scenario.notes_markdown`)."""
    import markdown

    return markdown.markdown(scenario.notes_markdown())


def slug(key: str) -> str:
    return key.replace(".", "-").replace("_", "-")


@solara.component
def LeverControl(lever: Lever, value, on_set, disabled: bool = False):
    """A lever: its value in a text field (type a value) above a slider, or a switch, or a choice.

    ``on_set(key, raw)`` returns None or the message to show under the field.
    """
    shown = lever.format(value)
    text, set_text = solara.use_state(shown)
    error, set_error = solara.use_state(None)

    def sync():
        set_text(shown)
        set_error(None)

    solara.use_effect(sync, [shown])

    def typed(raw):
        set_text(raw or "")
        set_error(on_set(lever.key, raw))

    def moved(new):
        set_error(on_set(lever.key, new))

    css = f"rs-lever rs-lever-{slug(lever.key)}"
    if lever.kind == "bool":
        with solara.Div(classes=[css]):
            solara.Switch(label=lever.label, value=bool(value), on_value=moved, disabled=disabled)
        return
    if lever.kind == "choice":
        with solara.Div(classes=[css]):
            solara.Select(lever.label, values=list(lever.choices), value=value, on_value=moved, dense=True,
                          disabled=disabled)
        return
    with solara.Column(gap="0px", classes=[css]):
        solara.InputText(lever.label, value=text, on_value=typed, error=bool(error), message=error,
                         dense=True, suffix=lever.unit, disabled=disabled, classes=[f"rs-input-{slug(lever.key)}"])
        if lever.key != "seed":  # a seed is typed, not slid
            slider = solara.SliderFloat if lever.kind == "float" else solara.SliderInt
            slider("", value=value, min=lever.lo, max=lever.hi, step=lever.step, on_value=moved,
                   thumb_label=False, disabled=disabled)


@solara.component
def Readout(session: ClassroomSession, version: int):
    """This month's numbers, each in an element of its own (the browser tests read them)."""
    values = session.latest()
    with solara.Row(gap="18px", classes=["rs-readout"], style={"flex-wrap": "wrap"}):
        solara.Text(f"Month {session.month} of {session.horizon}", classes=["rs-month"])
        for name, (label, _) in READOUT.items():
            with solara.Row(gap="4px"):
                solara.Text(f"{label}:")
                solara.Text(values[name], classes=["rs-readout-value", f"rs-value-{slug(name)}"])


@solara.component
def Plots(session: ClassroomSession, version: int):
    series = session.series()
    with solara.Div(classes=["rs-plots"]):
        for row in (PLOTS[:2], PLOTS[2:]):
            with solara.Columns([1, 1], gutters_dense=True):
                for spec in row:
                    fig = make_figure(series, spec, session.horizon, session)
                    with solara.Div(classes=["rs-plot"]):
                        solara.FigureMatplotlib(fig, format="png", dependencies=[version, spec[0], session.month])


@solara.component
def Page():
    """The app: controls on the left, plots in the middle, the scenario's notes on the right."""
    session = solara.use_memo(lambda: ClassroomSession(os.environ.get(SCENARIO_ENV, "baseline")), [])
    version = solara.use_reactive(0)
    playing = solara.use_reactive(False)

    def redraw():
        version.value += 1

    def run_loop():
        while playing.value:
            done = session.step(RUN_CHUNK)
            redraw()
            if done == 0 or session.finished or session.message:
                playing.value = False
                return
            time.sleep(FRAME_PAUSE)

    solara.lab.use_task(run_loop, dependencies=[playing.value], prefer_threaded=True)

    def pick(name):
        playing.value = False
        session.load_scenario(name)
        redraw()

    def on_set(key, raw):
        message = session.set_value(key, raw)
        redraw()
        return message

    def step(months):
        playing.value = False
        session.step(months)
        redraw()

    def toggle_run():
        playing.value = not playing.value

    def reset():
        playing.value = False
        session.reset()
        redraw()

    values = session.values
    solara.Title("recruitsim classroom")
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle("recruitsim: cross-border labour recruitment, a classroom model")

    with solara.Columns([1.0, 2.6, 1.2], classes=["rs-main"]):
        with solara.Column(gap="6px", classes=["rs-controls"]):
            with solara.Card("Scenario", margin=0):
                solara.Select("Pick a scenario", values=scenarios.names(), value=session.scenario.name, on_value=pick,
                              classes=["rs-scenario"])
                LeverControl(SEED, values["seed"], on_set)
                with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
                    busy = playing.value or session.finished
                    solara.Button("Step", on_click=lambda: step(1), disabled=busy, color="primary",
                                  classes=["rs-step"])
                    solara.Button("+1 year", on_click=lambda: step(YEAR), disabled=busy, color="primary",
                                  outlined=True, classes=["rs-year"])
                    solara.Button("Pause" if playing.value else "Run", on_click=toggle_run,
                                  disabled=session.finished and not playing.value, color="success",
                                  classes=["rs-run"])
                    solara.Button("Reset", on_click=reset, color="warning", outlined=True, classes=["rs-reset"])
                if session.message:
                    solara.Error(session.message, classes=["rs-error"])
                elif session.pending and session.month > 0:
                    solara.Warning("Changed levers apply when you press Reset (the run restarts at month 0).",
                                   dense=True, classes=["rs-pending"])
                elif session.finished:
                    solara.Info("The run is complete. Reset to run it again.", dense=True)
            with solara.Card("Levers", margin=0):
                for lever in LEVERS:
                    disabled = lever.key == "policy.fee_cap_months" and values["fee_rule"] != CAP
                    if lever.key == "policy.platform_uptake":
                        disabled = not values["society.platform_enabled"]
                    LeverControl(lever, values[lever.key], on_set, disabled=disabled)
                solara.Text(f"Fee rule: '{NO_RULE}' lets recruiters charge anything; '{BAN}' forbids any "
                            "fee to workers; a cap allows up to the cap.", style={"font-size": "12px"})
        with solara.Column(gap="6px"):
            Readout(session, version.value)
            Plots(session, version.value)
            solara.HTML(tag="div", unsafe_innerHTML=PLOT_GUIDE, classes=["rs-legend"])
        with solara.Card("About this scenario", margin=0, classes=["rs-notes"]):
            # rendered here rather than with solara.Markdown, which loads KaTeX (not in solara-assets)
            solara.HTML(tag="div", unsafe_innerHTML=notes_html(session.scenario), classes=["rs-notes-text"])
