"""The classroom app in a real browser: headless Chromium, outside network blocked.

Starts ``python -m sim.app`` (what ``recruitsim-app`` runs) on 127.0.0.1 at
a free port, drives it with Playwright for Python using Debian's chromium,
and checks what a class would see: the page and its plots load with no
request leaving the machine; step, reset and the same steps give the same
numbers (and the numbers of the same model run without the app); a bad
value in any control is answered with a message, not a traceback; two
browser sessions do not share a model. A screenshot is saved to
``tests/artifacts/app.png`` (git-ignored).

``bash dev.sh test`` installs what these tests need (the ``app`` and
``browser`` extras, and chromium with apt-get when run as root). Elsewhere
they skip, saying what is missing.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
TIMEOUT_MS = 30_000

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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on 127.0.0.1 at a free port; stopped at the end, also when a test fails."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("app") / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOLARA_", "HYDRA_"))}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "sim.app", "--port", str(port)], stdout=log,
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

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1600, "height": 1000})
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.goto(url)
        self.page.locator(".rs-plots img").first.wait_for()

    def _route(self, route):
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def click(self, css: str) -> None:
        self.page.locator(css).first.click()

    def month(self) -> str:
        return self.page.locator(".rs-month").inner_text()

    def wait_month(self, month: int) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator(".rs-month")).to_have_text(f"Month {month} of 240")

    def readout(self) -> dict[str, str]:
        from sim.app.session import READOUT

        return {name: self.page.locator(f".rs-value-{name.replace('_', '-')}").inner_text() for name in READOUT}

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
    for i in range(times):
        before = s.month()
        s.click(".rs-step")
        from playwright.sync_api import expect

        expect(s.page.locator(".rs-month")).not_to_have_text(before)


def test_page_renders_its_plots_and_notes_offline(session, server):
    page = session.page
    assert page.title() == "recruitsim classroom"
    for year in (1, 2):
        session.click(".rs-year")
        session.wait_month(12 * year)
    assert page.locator(".rs-plots img").count() == 4
    for img in page.locator(".rs-plots img").all():
        assert img.evaluate("i => i.complete && i.naturalWidth > 100")
    body = session.text()
    for text in ("Pick a scenario", "Inspection rate", "What is it", "Question for the class", "Things to try",
                 "recruitsim scenario=baseline"):
        assert text in body
    assert session.blocked == [], f"the page asked for outside resources: {session.blocked}"
    assert session.failed == [], f"requests failed: {session.failed}"
    assert "Could not load URL" not in server["log"].read_text(), "an asset is missing from solara-assets"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "app.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")


def test_step_reset_step_reproduces_the_same_numbers(session):
    from sim.app.session import ClassroomSession

    step(session, 3)
    first = session.readout()
    session.click(".rs-reset")
    session.wait_month(0)
    assert session.readout()["mean_fee_months"] == "–"
    step(session, 3)
    assert session.readout() == first
    expected = ClassroomSession("baseline")
    expected.step(3)
    assert first == expected.latest(), "the app shows the numbers of the same model run without it"


def test_run_and_pause(session):
    from playwright.sync_api import expect

    run = session.page.locator(".rs-run")
    run.click()
    expect(run).to_have_text("Pause")
    session.page.wait_for_function("() => !/Month 0 of/.test(document.querySelector('.rs-month').innerText)")
    run.click()
    expect(run).to_have_text("Run")
    # frames already on their way may still arrive: wait until the month holds still for 2 s
    deadline = time.monotonic() + 20
    paused, since = session.month(), time.monotonic()
    while time.monotonic() - since < 2.0:
        assert time.monotonic() < deadline, "the run did not stop"
        time.sleep(0.25)
        if session.month() != paused:
            paused, since = session.month(), time.monotonic()
    assert paused != "Month 0 of 240" and paused != "Month 240 of 240"


def _lever_input(s: Session, key: str):
    return s.page.locator(f".rs-input-{key.replace('.', '-').replace('_', '-')} input")


def test_a_bad_value_in_any_control_gives_a_message_not_a_traceback(session, server):
    from playwright.sync_api import expect

    from sim.app.session import LEVERS, SEED

    page = session.page
    # enable the two controls that start disabled: a cap (fee rule) and the platform's uptake
    session.click(".rs-lever-fee-rule .v-select__slot")
    page.get_by_role("option", name="cap").click()
    session.click(".rs-lever-society-platform-enabled .v-input--selection-controls__ripple")
    expect(_lever_input(session, "society.platform_uptake")).to_be_enabled()
    expect(_lever_input(session, "policy.fee_cap_months")).to_be_enabled()
    numeric = [SEED, *[lever for lever in LEVERS if lever.kind in ("float", "int")]]
    for lever in numeric:
        box = _lever_input(session, lever.key)
        field = page.locator(f".rs-lever-{lever.key.replace('.', '-').replace('_', '-')}")
        for bad, says in (("abc", "'abc' is not a number"), ("-5", "-5 is out of range"),
                          ("1e12", "1e12 is out of range")):
            box.fill(bad)
            box.press("Enter")
            expect(field).to_contain_text(says)
            expect(field).to_contain_text(lever.label)
        box.fill(lever.format(lever.hi))
        box.press("Enter")
        expect(field).not_to_contain_text("out of range")
    body = session.text()
    assert "Traceback" not in body and "Error:" not in body
    assert "Traceback" not in server["log"].read_text()
    step(session, 1)  # the app still works, with every lever at its maximum
    assert page.locator(".rs-error").count() == 0


def test_two_sessions_do_not_share_a_model(browser, server, session):
    from playwright.sync_api import expect

    other = Session(browser, server["url"])
    try:
        session.click(".rs-scenario .v-select__slot")
        session.page.get_by_role("option", name="ban_on_paper", exact=True).click()
        expect(session.page.locator(".rs-notes")).to_contain_text("ban_on_paper")
        step(session, 2)
        other.wait_month(0)
        assert "ban_on_paper" not in other.page.locator(".rs-notes").inner_text()
        step(other, 1)
        session.wait_month(2)
        other.wait_month(1)
        assert other.readout() != session.readout()
    finally:
        other.close()
    assert "Traceback" not in server["log"].read_text()
