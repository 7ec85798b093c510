"""The classroom app in a real browser: headless Chromium, outside network blocked.

Starts ``python -m sim.app`` (what ``recruitsim-app`` runs) on 127.0.0.1 at
a free port, drives it with Playwright for Python using Debian's chromium,
and checks what a class would see: the page loads with no request leaving
the machine and is legible at 1024x768 and 1366x768 (no plot text under
16 px, no label cut off; screenshots saved in ``tests/artifacts/``,
git-ignored); step, reset and the same steps give the same numbers, which
are ``model.summary()``'s; a bad value in any control is answered next to
the field and blocks Step, Run and Reset; jump to the end; the CSV download
is the run's time series; the link restores the setup; story mode; A/B
comparison over seeds; two browser sessions do not share a model.

The participatory session (``--classroom``) has its own test at the end: a
teacher and three students, one sending bad input and one closing the tab.

``bash dev.sh test`` installs what these tests need (the ``app`` and
``browser`` extras, and chromium with apt-get when run as root). Elsewhere
they skip, saying what is missing.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
TIMEOUT_MS = 45_000
SIZES = {"1024x768": (1024, 768), "1366x768": (1366, 768)}
TEACHER_KEY = "test-teacher-key"

_missing = [name for name in ("solara", "solara_assets", "playwright") if importlib.util.find_spec(name) is None]
pytestmark = [
    pytest.mark.skipif(bool(_missing), reason=f"browser tests need {', '.join(_missing)}: install the app and "
                       "browser extras (bash dev.sh test does; or pip install -e '.[app,browser]')"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium "
                       "(apt-get install chromium; bash dev.sh test installs it when run as root)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(log_path: Path, *args: str):
    """The app on 127.0.0.1 at a free port; stopped at the end, also when a test fails."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOLARA_", "HYDRA_", "RECRUITSIM_APP"))}
    env["RECRUITSIM_APP_TEACHER_KEY"] = TEACHER_KEY
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "sim.app", "--port", str(port), *args], stdout=log,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the app exited with status {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not answer on {url} within 90 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield {"url": url, "log": log_path, "proc": proc}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with app_server(tmp_path_factory.mktemp("app") / "server.log") as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # a loaded 2-core machine can take seconds per frame
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Session:
    """One browser context (a separate session of the app) with outside network blocked."""

    def __init__(self, browser, url: str, size=(1366, 768), ready: str = ".rs-plots svg"):
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        started = time.monotonic()
        self.page.goto(url)
        self.page.locator(ready).first.wait_for()
        self.load_seconds = time.monotonic() - started

    def _route(self, route):
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def click(self, css: str) -> None:
        self.page.locator(css).first.click()

    def month(self) -> str:
        return self.page.locator(".rs-month").first.inner_text()

    def wait_month(self, month: int, horizon: int = 240) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator(".rs-month").first).to_have_text(f"Month {month} of {horizon}")

    def headline(self) -> dict[str, str]:
        from sim.app.session import READOUT

        return {name: self.page.locator(f".rs-value-{name.replace('_', '-')}").inner_text() for name in READOUT}

    def tab(self, name: str) -> None:
        self.click(f".rs-tab-{name}")

    def choose(self, css: str, option: str) -> None:
        self.click(f"{css} .v-select__slot")
        self.page.get_by_role("option", name=option, exact=True).click()

    def text(self) -> str:
        return self.page.locator("body").inner_text()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser, server):
    s = Session(browser, server["url"])
    yield s
    s.close()


def step(s: Session, times: int) -> None:
    from playwright.sync_api import expect

    for _ in range(times):
        before = s.month()
        s.click(".rs-step")
        expect(s.page.locator(".rs-month").first).not_to_have_text(before)


def _lever_input(s: Session, key: str):
    return s.page.locator(f".rs-input-{key.replace('.', '-').replace('_', '-')} input")


def fill_rendered(box, text: str) -> None:
    """Fill an input once the server has rendered its value into it: on a loaded machine a fill made before
    that render was overwritten by it (the class test then set the old fee, not the text typed)."""
    from playwright.sync_api import expect

    expect(box).not_to_have_value("")
    box.fill(text)
    expect(box).to_have_value(text)


def set_lever(s: Session, key: str, value: str) -> None:
    box = _lever_input(s, key)
    box.fill(value)
    box.press("Enter")


#: every plot text's size on screen (px) and whether it lies inside its plot; every lever label's overflow
MEASURE = """() => {
  const texts = [...document.querySelectorAll('.rs-plot svg text')].map(t => {
    const svg = t.ownerSVGElement, box = svg.getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    const r = t.getBoundingClientRect();
    return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
            inside: r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 &&
                    r.bottom <= box.bottom + 1};
  });
  const clipped = [...document.querySelectorAll('.rs-lever-label, .rs-headline-item, .rs-window, .v-btn__content')]
    .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent);
  const wide = document.documentElement.scrollWidth > window.innerWidth + 1;
  return {texts, clipped, wide};
}"""


@pytest.mark.parametrize("size", list(SIZES))
def test_legible_on_a_projector_offline(browser, server, size):
    """At 1024x768 and 1366x768: no plot text under 16 px, nothing cut off, nothing fetched from outside.
    Screenshots of the Run, Story and Compare tabs go to tests/artifacts/."""
    from playwright.sync_api import expect

    from sim.app.plots import MIN_FONT_PX

    s = Session(browser, server["url"], SIZES[size])
    try:
        print(f"page load at {size}: {s.load_seconds:.2f} s (to the first plot)")
        s.click(".rs-end")
        s.wait_month(240)
        expect(s.page.locator(".rs-plot").first).to_contain_text("years")
        measured = s.page.evaluate(MEASURE)
        assert len(measured["texts"]) > 6 * 8, "every panel has its title, labels and ticks as text"
        small = [t for t in measured["texts"] if t["px"] < MIN_FONT_PX - 0.01]
        assert small == [], f"plot text under {MIN_FONT_PX} px: {small[:5]}"
        outside = [t["text"] for t in measured["texts"] if not t["inside"]]
        assert outside == [], f"plot text cut off at the plot's edge: {outside}"
        assert measured["clipped"] == [], f"labels cut off: {measured['clipped']}"
        assert not measured["wide"], "the page is wider than the screen"
        for name in ("Pick a scenario", "Inspection rate", "Employers (jobs: 20 each)", "Means of months 193–240"):
            assert name in s.text()
        ARTIFACTS.mkdir(exist_ok=True)
        s.page.screenshot(path=str(ARTIFACTS / f"app_run_{size}.png"))
        s.tab("story")
        expect(s.page.locator(".rs-story-question")).to_contain_text("Who ends up paying")
        s.page.wait_for_timeout(600)  # the tab's slide
        s.page.screenshot(path=str(ARTIFACTS / f"app_story_{size}.png"))
        s.tab("compare")
        expect(s.page.locator(".rs-keep-a")).to_be_visible()
        s.page.wait_for_timeout(600)  # the tab's slide
        s.page.screenshot(path=str(ARTIFACTS / f"app_compare_{size}.png"))
        assert s.blocked == [], f"the page asked for outside resources: {s.blocked}"
        assert s.failed == [], f"requests failed: {s.failed}"
        assert "Could not load URL" not in server["log"].read_text(), "an asset is missing from solara-assets"
    finally:
        s.close()


def test_step_reset_step_gives_the_commands_numbers(session):
    from sim.app.session import READOUT
    from sim.config import scenarios
    from sim.model import RecruitmentModel

    step(session, 3)
    first = session.headline()
    session.click(".rs-reset")
    session.wait_month(0)
    assert session.headline()["mean_fee_months"] == "–"
    step(session, 3)
    assert session.headline() == first
    assert "Means of months 1–3" in session.text()
    model = RecruitmentModel(scenarios.compose("baseline"))
    model.run_model(3)
    summary = model.summary()
    assert first == {name: f"{summary[name]:.{d}f}" for name, (_, d) in READOUT.items()}, \
        "the headline is model.summary() of the same run"


def test_run_and_pause(session):
    from playwright.sync_api import expect

    run = session.page.locator(".rs-run")
    run.click()
    expect(run).to_have_text("Pause")
    session.page.wait_for_function("() => !/Month 0 of/.test(document.querySelector('.rs-month').innerText)")
    run.click()
    expect(run).to_have_text("Run")
    deadline = time.monotonic() + 20  # frames already on their way may still arrive: wait for 2 s of calm
    paused, since = session.month(), time.monotonic()
    while time.monotonic() - since < 2.0:
        assert time.monotonic() < deadline, "the run did not stop"
        time.sleep(0.25)
        if session.month() != paused:
            paused, since = session.month(), time.monotonic()
    assert paused != "Month 0 of 240" and paused != "Month 240 of 240"


@pytest.mark.slow  # (about 30-50 s: the default run stays under 10 minutes; .ci/run runs it)
def test_a_bad_value_is_answered_beside_its_field_and_blocks_the_run(session, server):
    from playwright.sync_api import expect

    from sim.app.session import LEVERS, SEED

    page = session.page
    session.choose(".rs-lever-fee-rule", "cap")
    session.click(".rs-lever-society-platform-enabled .v-input--selection-controls__ripple")
    expect(_lever_input(session, "society.platform_uptake")).to_be_enabled()
    numeric = [SEED, *[lever for lever in LEVERS if lever.kind in ("float", "int")]]
    for lever in numeric:
        field = page.locator(f".rs-lever-{lever.key.replace('.', '-').replace('_', '-')}")
        for bad, says in (("abc", "'abc' is not a number"), ("-5", "-5 is out of range")):
            set_lever(session, lever.key, bad)
            expect(field).to_contain_text(says)
            expect(field).to_contain_text(lever.label)
            for button in (".rs-step", ".rs-run", ".rs-reset", ".rs-end"):
                expect(page.locator(button)).to_be_disabled()
        set_lever(session, lever.key, lever.format(lever.hi))
        expect(field).not_to_contain_text("out of range")
        expect(page.locator(".rs-step")).to_be_enabled()
    assert "Traceback" not in session.text() and "Traceback" not in server["log"].read_text()


def test_to_the_end_and_the_csv_is_the_runs_time_series(session):
    import pandas as pd

    from sim.config import scenarios
    from sim.model import RecruitmentModel

    session.click(".rs-end")
    session.wait_month(240)
    with session.page.expect_download() as info:
        session.page.get_by_text("Download data (CSV)").click()
    frame = pd.read_csv(info.value.path())
    model = RecruitmentModel(scenarios.compose("baseline"))
    model.run_model()
    expected = model.timeseries()
    assert len(frame) == 240 and set(frame["scenario"]) == {"baseline"} and set(frame["seed"]) == {0}
    pd.testing.assert_frame_equal(frame.drop(columns=["scenario", "seed"]), expected, check_dtype=False,
                                  rtol=1e-12, atol=0)
    with session.page.expect_download() as info:
        session.page.get_by_text("Download figures (PNG)").click()
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_link_restores_scenario_levers_and_seed(browser, server, session):
    from playwright.sync_api import expect

    session.choose(".rs-scenario", "ban_on_paper")
    set_lever(session, "seed", "4")
    set_lever(session, "policy.fine", "20000")
    set_lever(session, "market.n_employers", "150")
    expect(_lever_input(session, "market.n_employers")).to_have_value("150")
    expect(session.page.locator(".rs-share-link")).to_have_attribute("href", re.compile("n_employers=150"))
    link = session.page.locator(".rs-share-link").get_attribute("href")
    assert "scenario=ban_on_paper" in link and "seed=4" in link and "policy.fine=20000" in link
    other = Session(browser, server["url"].rstrip("/") + link)
    try:
        expect(other.page.locator(".rs-scenario")).to_contain_text("ban_on_paper")
        for key, value in (("seed", "4"), ("policy.fine", "20000"), ("market.n_employers", "150")):
            expect(_lever_input(other, key)).to_have_value(value)
        step(other, 2)
        step(session, 2)
        assert other.headline() == session.headline()
    finally:
        other.close()


def test_story_mode_keeps_the_prediction_and_shows_it_against_the_result(session):
    from playwright.sync_api import expect

    page = session.page
    session.tab("story")
    box = page.locator(".rs-predict-fee input")
    box.fill("lots")
    session.click(".rs-predict")
    expect(page.locator(".rs-story-predict")).to_contain_text("as a number")
    box.fill("4.5")
    page.locator(".rs-predict-text input").fill("fees fall")
    session.click(".rs-predict")
    expect(page.locator(".rs-predicted")).to_contain_text("4.5 months")
    session.choose(".rs-scenario", "laissez_faire")  # another scenario has its own prediction (none yet)
    expect(page.locator(".rs-notes h3")).to_contain_text("laissez_faire")
    expect(page.locator(".rs-predicted")).to_have_count(0)
    session.choose(".rs-scenario", "baseline")  # back: the prediction was kept
    expect(page.locator(".rs-notes h3")).to_contain_text("baseline")
    expect(page.locator(".rs-predicted")).to_contain_text("4.5 months")
    session.click(".rs-story-finish")
    expect(page.locator(".rs-verdict")).to_contain_text("You predicted 4.5 months")
    result = session.headline()["mean_fee_months"] if page.locator(".rs-value-mean-fee-months").count() else None
    verdict = page.locator(".rs-verdict").inner_text()
    assert "months 193–240" in verdict and (result is None or result in verdict)
    # a THINGS TO TRY button sets the levers
    page.locator(".rs-try-button", has_text="market.n_employers=150").click()
    expect(_lever_input(session, "market.n_employers")).to_have_value("150")
    session.wait_month(0)


def test_compare_two_setups_on_the_same_seeds(session):
    from playwright.sync_api import expect

    page = session.page
    session.tab("compare")
    session.click(".rs-keep-a")
    session.choose(".rs-scenario", "fee_ban_enforced")
    session.click(".rs-keep-b")
    expect(page.locator(".rs-setup-B")).to_contain_text("fee_ban_enforced")
    page.locator(".rs-n-seeds input").fill("2")
    session.click(".rs-compare-run")
    expect(page.locator(".rs-compare-progress")).to_contain_text("runs done")
    expect(page.locator(".rs-compare-progress")).to_contain_text("4 of 4 runs done", timeout=240_000)
    table = page.locator(".rs-compare-table").inner_text()
    assert "A" in table and "B" in table
    assert page.locator(".rs-compare-plots svg").count() == 6
    with page.expect_download() as info:
        page.get_by_text("Download all runs (CSV)").click()
    import pandas as pd

    frame = pd.read_csv(info.value.path())
    assert set(frame["setup"]) == {"A", "B"} and set(frame["seed"]) == {0, 1}
    assert frame.groupby("setup")["seed"].nunique().to_dict() == {"A": 2, "B": 2}
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".rs-compare-table").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "app_compare_done_1366x768.png"))


def test_two_sessions_do_not_share_a_model(browser, server, session):
    from playwright.sync_api import expect

    other = Session(browser, server["url"])
    try:
        session.choose(".rs-scenario", "ban_on_paper")
        expect(session.page.locator(".rs-scenario")).to_contain_text("ban_on_paper")
        step(session, 2)
        other.wait_month(0)
        step(other, 1)
        session.wait_month(2)
        other.wait_month(1)
        assert other.headline() != session.headline()
    finally:
        other.close()
    assert "Traceback" not in server["log"].read_text()


# --------------------------------------------------------------------------- the participatory session


@pytest.mark.slow  # (about 30-50 s: the default run stays under 10 minutes; .ci/run runs it)
def test_a_class_session_with_a_teacher_and_three_students(browser, tmp_path):
    """Teacher and three student browser contexts over several months; one student types a bad fee,
    one closes the tab; the session goes on and the debrief shows every student."""
    from playwright.sync_api import expect

    with app_server(tmp_path / "class.log", "--classroom") as srv:
        url = srv["url"]
        denied = Session(browser, url + "?teacher=wrong", ready=".v-alert")
        assert "teacher's page" in denied.text()
        denied.close()
        teacher = Session(browser, f"{url}?teacher={TEACHER_KEY}", ready=".rs-code")
        code = teacher.page.locator(".rs-code").inner_text().strip()
        students = {}
        for name, role in (("Ana", "recruiter"), ("Ben", "recruiter"), ("Eva", "employer")):
            s = Session(browser, url, size=(1024, 768), ready=".rs-join")
            s.page.locator(".rs-join-code input").fill(code)
            s.page.locator(".rs-join-name input").fill(name)
            s.page.locator(".rs-join-role").get_by_text(role, exact=True).click()
            s.click(".rs-join")
            expect(s.page.locator(".rs-who")).to_contain_text(name)
            students[name] = s
        wrong = Session(browser, url, size=(1024, 768), ready=".rs-join")
        wrong.page.locator(".rs-join-code input").fill("ZZZZ")
        wrong.page.locator(".rs-join-name input").fill("Zed")
        wrong.click(".rs-join")
        expect(wrong.page.locator(".rs-join-error")).to_contain_text("code")
        wrong.close()

        ana, ben, eva = students["Ana"], students["Ben"], students["Eva"]
        fill_rendered(ana.page.locator(".rs-fee input"), "2")
        ana.click(".rs-set-fee")
        fill_rendered(ben.page.locator(".rs-fee input"), "a lot")  # bad input: a message, nothing changes
        ben.click(".rs-set-fee")
        expect(ben.page.locator(".rs-controls")).to_contain_text("not a number")
        eva.click(".rs-kickbacks .v-input--selection-controls__ripple")
        expect(teacher.page.locator(".rs-players")).to_contain_text("take_kickbacks False")
        expect(teacher.page.locator(".rs-players")).to_contain_text("fee_months 2.0")

        teacher.click(".rs-next-6")
        expect(teacher.page.locator(".rs-class-month")).to_have_text("Month 6 of 240")
        expect(ana.page.locator(".rs-student-month")).to_have_text("Month 6")
        expect(ana.page.locator(".rs-books")).to_contain_text("2.00")
        ben.close()  # a closed tab
        expect(teacher.page.locator(".rs-players")).to_contain_text("gone", timeout=30_000)
        teacher.click(".rs-next-6")
        teacher.click(".rs-next-month")
        expect(teacher.page.locator(".rs-class-month")).to_have_text("Month 13 of 240")
        expect(eva.page.locator(".rs-student-month")).to_have_text("Month 13")
        expect(eva.page.locator(".rs-fate")).to_contain_text("hired")
        ARTIFACTS.mkdir(exist_ok=True)
        ana.page.screenshot(path=str(ARTIFACTS / "class_student_recruiter_1024x768.png"))
        eva.page.screenshot(path=str(ARTIFACTS / "class_student_employer_1024x768.png"))
        teacher.page.screenshot(path=str(ARTIFACTS / "class_teacher_1366x768.png"))
        teacher.click(".rs-tab-debrief")
        debrief = teacher.page.locator(".rs-debrief")
        for name in ("Ana", "Ben", "Eva"):
            expect(debrief).to_contain_text(name)
        teacher.page.wait_for_timeout(600)  # the tab's slide
        teacher.page.screenshot(path=str(ARTIFACTS / "class_debrief_1366x768.png"))
        for s in (teacher, ana, eva):
            assert s.blocked == [] and s.failed == [], (s.blocked, s.failed)
            s.close()
        log = srv["log"].read_text()
        assert "Traceback" not in log, log[-3000:]
