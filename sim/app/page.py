"""The classroom app's page: controls on the left; Run, Story and Compare tabs on the right.

Built from plain solara components in the layout of Mesa's SolaraViz
(controls, model parameters, plots of the model's DataCollector). SolaraViz
itself is not used because, as of Mesa 3.5, it shares the one model it is
given among all browser sessions, re-creates models only from keyword
arguments (ours takes a config), cannot reset its inputs when a scenario is
picked, and shows tracebacks for bad input (Mesa #3516). Here each browser
session gets its own :class:`sim.app.session.ClassroomSession` (solara
component state is per session), and every value a user types is checked
there and answered with a message next to the field; while any field holds
a bad value, Step, Run and Reset wait.

Made for a projector at 1024x768 or 1366x768: plot text of at least 16 px
(:mod:`sim.app.plots`), labels above their fields so that none is cut off,
headline numbers labelled with the months they average (the same numbers
as ``model.summary()`` and the ``recruitsim`` command). The page's address
takes the setup (``?scenario=...&seed=...&policy.fine=...``), and the Run
tab shows a link that restores it.

With ``recruitsim-app --classroom`` the same server serves the
participatory session instead (:mod:`sim.app.classroom_page`).

Start it with ``recruitsim-app``; solara serves the ``Page`` component.
"""

from __future__ import annotations

import html
import os
import time

import solara
import solara.lab

from sim.app import CLASSROOM_ENV, SCENARIO_ENV
from sim.app import plots as app_plots
from sim.app.session import (
    BAN,
    CAP,
    LEVERS,
    MARKET_KEYS,
    NO_RULE,
    READOUT,
    SEED,
    ClassroomSession,
    Comparison,
    Setup,
)
from sim.app.widgets import CSS, LeverControl, slug
from sim.config import scenarios

RUN_CHUNK = 6  # months simulated per frame while running
FRAME_PAUSE = 0.02  # seconds between frames, so clicks get through
YEAR = 12

@solara.component
def Headline(session: ClassroomSession, version: int):
    """The month and the headline numbers, labelled with the months they average (the numbers
    ``recruitsim`` reports for the same run); each number in an element of its own (the browser tests
    read them). One HTML element, so that the month and its numbers always change together."""
    values = session.headline()
    window = session.window()
    if window:
        first, last = window
        note = f"Means of months {first}–{last} (the last {last - first + 1}; as recruitsim's summary):"
    else:
        note = (f"Press Step or Run: the numbers are means of the last {session.base.run.summary_window_months} "
                "months run.")
    items = "".join(f"<div class='rs-headline-item'>{html.escape(label)} <span class='rs-readout-value "
                    f"rs-value-{slug(name)}'>{values[name]}</span></div>" for name, (label, _) in READOUT.items())
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<div style='display:flex; gap:14px; align-items:baseline; flex-wrap:wrap'><span class='rs-month'>Month "
        f"{session.month} of {session.horizon}</span><span class='rs-window'>{note}</span></div>"
        f"<div class='rs-headline'>{items}</div>"), classes=["rs-headline-block"])


def run_figures(session: ClassroomSession):
    series = session.series()
    return [app_plots.run_figure(panel, series, session.horizon, session.applied) for panel in app_plots.PANELS]


@solara.component
def Plots(session: ClassroomSession, version: int):
    figures = solara.use_memo(lambda: [app_plots.svg(f) for f in run_figures(session)], [version, session.month])
    with solara.Div(classes=["rs-plots"]):
        for panel, figure in zip(app_plots.PANELS, figures):
            items = app_plots.legend(panel, session.applied)
            solara.HTML(tag="div", unsafe_innerHTML=figure + legend_html(items),
                        classes=["rs-plot", f"rs-plot-{panel.key}"])


def legend_html(items) -> str:
    """A legend under a plot: a coloured bar before each label."""
    spans = "".join(f"<span><span style='color:{color}; font-weight:900'>&#9644;</span> {html.escape(label)}</span>"
                    for label, color in items)
    return f"<div class='rs-legend'>{spans}</div>" if items else ""


def guide_html() -> str:
    items = "".join(f"<li><b>{p.title}</b>: {p.guide}.</li>" for p in app_plots.PANELS)
    return ("<b>Reading the plots.</b> One point per month; each axis has a fixed range for its outcome. "
            f"<ul>{items}</ul>Levers apply when a run starts (Step or Run at month 0) or at Reset.")


@solara.component
def RunTab(session: ClassroomSession, version: int, router_path: str):
    Headline(session, version)
    Plots(session, version)
    with solara.Row(gap="8px", style={"flex-wrap": "wrap", "align-items": "center"}):
        name = f"{session.scenario.name}_seed{session.applied.get('seed', 0)}"
        solara.FileDownload(lambda: session.csv().encode(), filename=f"{name}.csv", label="Download data (CSV)",
                            mime_type="text/csv")
        solara.FileDownload(lambda: app_plots.png(run_figures(session)), filename=f"{name}.png",
                            label="Download figures (PNG)", mime_type="image/png")
        link = html.escape(f"{router_path or '/'}?{session.query()}", quote=True)
        solara.HTML(tag="span", unsafe_innerHTML=f"<a class='rs-share-link' href='{link}'>Link to this setup</a>")
    solara.HTML(tag="div", unsafe_innerHTML=guide_html(), classes=["rs-guide"])


def _section_html(text: str) -> str:
    return "".join(f"<p>{html.escape(' '.join(p.split()))}</p>" for p in text.split("\n\n") if p.strip())


@solara.component
def StoryTab(session: ClassroomSession, version: int, on_try, on_finish, redraw):
    """The scenario's notes as steps: the question, a prediction, the run, what to notice, things to try."""
    scenario = session.scenario
    sections = scenario.sections
    saved = session.predictions.get(scenario.name, {})
    guess, set_guess = solara.use_state(saved.get("fee", ""))
    words, set_words = solara.use_state(saved.get("text", ""))
    problem, set_problem = solara.use_state(None)

    def record():
        text = str(guess).strip()
        try:
            value = float(text)
            if not 0 <= value <= 200:
                raise ValueError
        except ValueError:
            set_problem("Enter the fee you expect as a number of months of wage, from 0 to 200.")
            return
        set_problem(None)
        session.predictions[scenario.name] = {"fee": text, "value": value, "text": words}
        redraw()

    with solara.Column(gap="4px", classes=["rs-notes"]):
        solara.HTML(tag="h3", unsafe_innerHTML=f"{scenario.name}: {scenario.summary}")
        with solara.Div(classes=["rs-story-step", "rs-story-what"]):
            solara.HTML(tag="h4", unsafe_innerHTML="What is it")
            solara.HTML(tag="div", unsafe_innerHTML=_section_html(sections.get("WHAT IS IT", "")))
        with solara.Div(classes=["rs-story-step", "rs-story-question"]):
            solara.HTML(tag="h4", unsafe_innerHTML="1. The question")
            solara.HTML(tag="div", unsafe_innerHTML=_section_html(sections.get("QUESTION FOR THE CLASS", "")))
        with solara.Div(classes=["rs-story-step", "rs-story-predict"]):
            solara.HTML(tag="h4", unsafe_innerHTML="2. Your prediction")
            solara.InputText("Fee workers pay at the end (months of wage)", value=guess, on_value=set_guess,
                             error=bool(problem), message=problem, classes=["rs-predict-fee"])
            solara.InputText("What else do you expect?", value=words, on_value=set_words,
                             classes=["rs-predict-text"])
            solara.Button("Record my prediction", on_click=record, color="primary", classes=["rs-predict"])
            if saved:
                solara.Text(f"Recorded: {saved['fee']} months. {saved.get('text', '')}", classes=["rs-predicted"])
        with solara.Div(classes=["rs-story-step", "rs-story-run"]):
            solara.HTML(tag="h4", unsafe_innerHTML="3. Run it")
            solara.HTML(tag="div", unsafe_innerHTML=_section_html(sections.get("HOW IT WORKS", "")))
            solara.Button("Run to the end", on_click=on_finish, color="success", classes=["rs-story-finish"],
                          disabled=session.finished or session.blocked)
        with solara.Div(classes=["rs-story-step", "rs-story-notice"]):
            solara.HTML(tag="h4", unsafe_innerHTML="4. What to notice")
            if session.finished and saved:
                result = session.headline()["mean_fee_months"]
                first, last = session.window()
                solara.Success(f"You predicted {saved['fee']} months of wage; the model gives {result} (mean of "
                               f"months {first}–{last}).", classes=["rs-verdict"])
            elif session.finished:
                solara.Info("Record a prediction first, next time: the result is shown against it.")
            solara.HTML(tag="div", unsafe_innerHTML=_section_html(sections.get("THINGS TO NOTICE", "")))
        with solara.Div(classes=["rs-story-step", "rs-try"]):
            solara.HTML(tag="h4", unsafe_innerHTML="5. Things to try (each button sets the levers)")
            for command, note in scenario.commands():
                label = " ".join(command.split()[1:]) or command
                solara.Button(f"{label}{': ' + note if note else ''}", on_click=lambda c=command: on_try(c),
                              outlined=True, classes=["rs-try-button"], style={"margin": "2px 0"})
            others = [line.strip() for line in sections.get("THINGS TO TRY", "").splitlines()
                      if line.strip() and not line.strip().startswith("recruitsim")]
            for line in others:
                solara.Text(line)


@solara.component
def CompareTab(session: ClassroomSession, comparison: Comparison, version: int, redraw):
    n_seeds, set_n_seeds = solara.use_state("3")
    problem, set_problem = solara.use_state(None)

    def keep(label):
        comparison.setups[label] = Setup.of(session)
        redraw()

    def start():
        try:
            n = int(str(n_seeds).strip())
            if not 1 <= n <= 20:
                raise ValueError
        except ValueError:
            set_problem("Seeds: a whole number from 1 to 20.")
            return
        set_problem(None)
        setups = dict(comparison.setups) or {"A": Setup.of(session)}
        comparison.start(setups, int(session.values["seed"]), n, on_progress=redraw)
        redraw()

    with solara.Column(gap="6px"):
        # (HTML, not solara.Markdown, which would fetch KaTeX: not in solara-assets)
        solara.HTML(tag="div", unsafe_innerHTML="Keep the current setup (scenario and levers) as <b>A</b>, change "
                    "it, keep it as <b>B</b>, then run both on the same seeds. With one setup kept, the seeds of "
                    "that setup alone.")
        with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
            solara.Button("Keep current as A", on_click=lambda: keep("A"), classes=["rs-keep-a"], outlined=True)
            solara.Button("Keep current as B", on_click=lambda: keep("B"), classes=["rs-keep-b"], outlined=True)
        for label in ("A", "B"):
            setup = comparison.setups.get(label)
            solara.Text(f"{label}: {setup.describe() if setup else '(not kept yet)'}", classes=[f"rs-setup-{label}"])
        with solara.Row(gap="8px", style={"align-items": "center"}):
            solara.InputText("Seeds (from the seed on the left)", value=n_seeds, on_value=set_n_seeds,
                             error=bool(problem), message=problem, classes=["rs-n-seeds"])
            solara.Button("Run on the same seeds", on_click=start, color="primary", classes=["rs-compare-run"],
                          disabled=comparison.running)
        if comparison.total:
            share = 100 * comparison.done / comparison.total
            solara.ProgressLinear(value=share if comparison.running else False)
            solara.Text(f"{comparison.done} of {comparison.total} runs done (seeds {comparison.seeds[0]}–"
                        f"{comparison.seeds[-1]})", classes=["rs-compare-progress"])
        if comparison.message:
            solara.Error(comparison.message)
        if comparison.done:
            rows = comparison.table()
            header = "".join(f"<th>{k}</th>" for k in rows[0])
            body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r.values()) + "</tr>" for r in rows)
            solara.HTML(tag="div", unsafe_innerHTML=f"<table><tr>{header}</tr>{body}</table>"
                        "<small>Means over seeds of each run's last-48-month mean (range over seeds).</small>",
                        classes=["rs-table", "rs-compare-table"])
            runs = {label: list(frames) for label, frames in comparison.runs.items()}
            figures = [app_plots.band_figure(p, runs, comparison.horizon) for p in app_plots.PANELS]
            items = [(f"{label}: {comparison.setups[label].describe()}", app_plots.SETUP_COLORS[label])
                     for label in comparison.runs]
            solara.HTML(tag="div", unsafe_innerHTML=legend_html(items) +
                        "<div class='rs-guide'>Lines: mean over the seeds; shaded: from the lowest to the highest "
                        "seed.</div>", classes=["rs-compare-legend"])
            with solara.Div(classes=["rs-plots", "rs-compare-plots"]):
                for panel, fig in zip(app_plots.PANELS, figures):
                    solara.HTML(tag="div", unsafe_innerHTML=app_plots.svg(fig), classes=["rs-plot"])
            with solara.Row(gap="8px"):
                solara.FileDownload(lambda: comparison.csv().encode(), filename="comparison.csv",
                                    label="Download all runs (CSV)", mime_type="text/csv")
                solara.FileDownload(lambda: app_plots.png(figures), filename="comparison.png",
                                    label="Download comparison figures (PNG)", mime_type="image/png")


@solara.component
def SoloPage():
    """The app: controls on the left, the Run, Story and Compare tabs on the right."""
    router = solara.use_router()

    def make():
        session = ClassroomSession(os.environ.get(SCENARIO_ENV, "baseline"))
        if router.search:
            problems = session.restore(router.search)
            if problems:
                session.message = "The link's setup was partly refused: " + "; ".join(problems)
        return session

    session = solara.use_memo(make, [])
    comparison = solara.use_memo(Comparison, [])
    version = solara.use_reactive(0)
    playing = solara.use_reactive("")  # "", "run" or "end"
    tab = solara.use_reactive(0)

    def redraw():
        version.value += 1

    def run_loop():
        while playing.value:
            chunk = session.horizon if playing.value == "end" else RUN_CHUNK
            done = session.step(chunk)
            redraw()
            if done == 0 or session.finished or session.message:
                playing.value = ""
                return
            time.sleep(FRAME_PAUSE)

    solara.lab.use_task(run_loop, dependencies=[playing.value], prefer_threaded=True)

    def pick(name):
        playing.value = ""
        session.load_scenario(name)
        redraw()

    def on_set(key, raw):
        message = session.set_value(key, raw)
        redraw()
        return message

    def step(months):
        playing.value = ""
        session.step(months)
        redraw()

    def toggle_run():
        playing.value = "" if playing.value else "run"

    def finish():
        playing.value = "end"

    def reset():
        playing.value = ""
        session.reset()
        redraw()

    def try_command(command):
        playing.value = ""
        session.try_command(command)
        tab.value = 0
        redraw()

    values = session.values
    solara.Title("recruitsim classroom")
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle("recruitsim: labour recruitment, a classroom model")

    with solara.Div(classes=["rs-layout"]):
        with solara.Column(gap="6px", classes=["rs-controls"]):
            with solara.Card(margin=0):
                solara.HTML(tag="div", unsafe_innerHTML="Pick a scenario", classes=["rs-lever-label"])
                solara.Select("", values=scenarios.names(), value=session.scenario.name, on_value=pick,
                              classes=["rs-scenario"])
                LeverControl(SEED, values["seed"], on_set)
                busy = bool(playing.value) or session.finished or session.blocked
                with solara.Row(gap="4px", style={"flex-wrap": "wrap"}, classes=["rs-buttons"]):
                    solara.Button("Step", on_click=lambda: step(1), disabled=busy, color="primary",
                                  classes=["rs-step"])
                    solara.Button("+1 year", on_click=lambda: step(YEAR), disabled=busy, color="primary",
                                  outlined=True, classes=["rs-year"])
                    solara.Button("Pause" if playing.value == "run" else "Run", on_click=toggle_run,
                                  disabled=(session.finished or session.blocked) and not playing.value,
                                  color="success", classes=["rs-run"])
                    solara.Button("To the end", on_click=finish, disabled=busy, color="success", outlined=True,
                                  classes=["rs-end"])
                    solara.Button("Reset", on_click=reset, color="warning", outlined=True, classes=["rs-reset"],
                                  disabled=session.blocked)
                if session.blocked:
                    solara.Error("A value in red cannot be used: fix it, and Step, Run and Reset work again.",
                                 dense=True, classes=["rs-blocked"])
                if session.message:
                    solara.Error(session.message, classes=["rs-error"])
                elif session.pending and session.month > 0 and not session.blocked:
                    solara.Warning("Changed levers apply when you press Reset (the run restarts at month 0).",
                                   dense=True, classes=["rs-pending"])
                elif session.finished:
                    solara.Info("The run is complete. Reset to run it again.", dense=True)
                if session.tried:
                    solara.Text(f"Set up as: {session.tried}", style={"font-size": "13px"}, classes=["rs-tried"])
            with solara.Card("Policy", margin=0):
                for lever in LEVERS:
                    if lever.key in MARKET_KEYS:
                        continue
                    disabled = lever.key == "policy.fee_cap_months" and values["fee_rule"] != CAP
                    if lever.key == "society.platform_uptake":
                        disabled = not values["society.platform_enabled"]
                    LeverControl(lever, values[lever.key], on_set, disabled=disabled)
                solara.Text(f"Fee rule: '{NO_RULE}' lets recruiters charge anything; '{BAN}' forbids any "
                            "fee to workers; a cap allows up to the cap.", style={"font-size": "13px"})
            with solara.Card("Market and label", margin=0):
                for lever in LEVERS:
                    if lever.key in MARKET_KEYS:
                        LeverControl(lever, values[lever.key], on_set)
        with solara.Column(gap="6px", style={"min-width": "0"}):
            with solara.lab.Tabs(value=tab, align="left"):
                with solara.lab.Tab("Run", classes=["rs-tab-run"]):
                    RunTab(session, version.value, router.path)
                with solara.lab.Tab("Story", classes=["rs-tab-story"]):
                    StoryTab(session, version.value, try_command, finish, redraw)
                with solara.lab.Tab("Compare", classes=["rs-tab-compare"]):
                    CompareTab(session, comparison, version.value, redraw)


@solara.component
def Page():
    """The solo app, or with ``--classroom`` the participatory session."""
    if os.environ.get(CLASSROOM_ENV):
        from sim.app.classroom_page import ClassroomPage

        ClassroomPage()
    else:
        SoloPage()

