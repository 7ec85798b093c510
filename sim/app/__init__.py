"""The classroom app: ``recruitsim-app`` serves the model in a web browser, offline.

Pick a scenario, move the levers, then step, run or jump to the end and
read six plots and the headline numbers (the ``recruitsim`` command's
summary for the same run); follow a scenario's notes as a story with a
recorded prediction; compare two setups over several seeds; download the
data and figures; share a link that restores the setup. Each browser tab
gets its own model. With ``--classroom`` the class plays one market
instead: students run recruiters and employers, the teacher sets the
policy and advances the months.

Layout (Mesa's convention: the UI apart from the model, which never imports
it):

* :mod:`sim.app.session`: levers, typed values, one model per session, the
  link's query, comparisons over seeds; no UI (tests drive it directly).
* :mod:`sim.app.game`: the participatory session's logic (who decides
  what, where in the month, the players' books); no UI.
* :mod:`sim.app.plots`: the figures (matplotlib, fixed axes, legible text).
* :mod:`sim.app.page`: the solara page (``Page``);
  :mod:`sim.app.classroom_page`: the participatory session's pages.
* this module: the ``recruitsim-app`` command, which starts solara's server.
  It imports solara only inside :func:`main`.

The server binds 127.0.0.1 unless ``--host`` says otherwise, and needs no
network: the front-end assets come from the ``solara-assets`` package,
solara's telemetry and version check are off, and the server is told to
fetch nothing from a CDN. solara's server-statistics page ``/resourcez``
(threads, sessions, and with ``?verbose`` the machine's memory and CPU) is
closed (404) unless ``--stats`` asks for it: with ``--host 0.0.0.0`` anyone
on the network could read it. Needs the optional extra ``app``
(``pip install -e '.[app]'`` or ``bash dev.sh app``; without it the command
exits with status 2, a usage error, and says how to install it).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import warnings
from typing import Sequence

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: where solara's server would fetch a front-end asset missing from solara-assets: nowhere
#: (a closed local port), so the app behaves the same with and without a network
NO_CDN = "http://127.0.0.1:9/"

#: environment for solara, set before it is imported (its settings read the environment once)
SOLARA_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_ASSETS_PROXY": "True",
    "SOLARA_ASSETS_CDN": NO_CDN,
    "SOLARA_THEME_VARIANT": "light",
    "SOLARA_THEME_SHOW_BANNER": "False",
}
#: the scenario a new browser session starts with (read by sim.app.page)
SCENARIO_ENV = "RECRUITSIM_APP_SCENARIO"
#: set (to "1") by --classroom: the server runs one participatory session (sim.app.classroom_page)
CLASSROOM_ENV = "RECRUITSIM_APP_CLASSROOM"
#: the teacher's key in --classroom mode: only /?teacher=KEY sets levers and advances months
TEACHER_KEY_ENV = "RECRUITSIM_APP_TEACHER_KEY"
#: the module of the app's page (solara's ``run`` argument)
PAGE = "sim.app.page"
#: solara's server-statistics page, closed unless --stats
STATS_PATH = "/resourcez"
#: exit status of a usage error: a bad option, or the app's extra not installed
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    from sim.commands.version import add_version_option

    parser = argparse.ArgumentParser(
        prog="recruitsim-app",
        description="Serve the recruitsim classroom app: scenarios with their notes, levers, "
                    "step/run/reset and live plots, one model per browser tab. Works offline.",
        epilog="Then open http://127.0.0.1:8765 in a browser (Ctrl+C stops the server). "
               "List the scenarios: recruitsim-scenarios.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}: this computer only; "
                             "0.0.0.0 lets the classroom's computers connect)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; 0: any free port)")
    parser.add_argument("--scenario", default="baseline",
                        help="the scenario a new browser tab starts with (default baseline)")
    parser.add_argument("--open", action="store_true", help="open the app in the default web browser")
    parser.add_argument("--classroom", action="store_true",
                        help="participatory mode: one session for the class; the teacher (at the ?teacher= link "
                             "printed at start) sets the levers and advances the months; students join at the "
                             "app's address with a short code and play a recruiter or an employer")
    parser.add_argument("--stats", action="store_true",
                        help="serve the server's statistics at /resourcez (threads, sessions, memory, CPU); "
                             "closed by default, since anyone who can reach the app could read them")
    add_version_option(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``recruitsim-app``."""
    args = _parser().parse_args(argv)
    from sim.config import scenarios

    try:
        scenarios.read(args.scenario)
    except KeyError as exc:
        print(f"recruitsim-app: {exc.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    if not 0 <= args.port <= 65535:
        print(f"recruitsim-app: --port must be from 0 to 65535, not {args.port}", file=sys.stderr)
        return EXIT_USAGE
    missing = [m for m in ("solara", "solara_assets") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"recruitsim-app: missing {', '.join(missing)}: the app needs the optional extra 'app'.\n"
              "  Install it with:  bash dev.sh app      (or: pip install -e '.[app]')", file=sys.stderr)
        return EXIT_USAGE
    for key, value in SOLARA_ENV.items():
        os.environ.setdefault(key, value)
    os.environ[SCENARIO_ENV] = args.scenario
    if args.classroom:
        import secrets

        os.environ[CLASSROOM_ENV] = "1"
        os.environ.setdefault(TEACHER_KEY_ENV, secrets.token_urlsafe(9))
    # solara warns at every page load when the host is not named "localhost" (e.g. 127.0.0.1) that
    # it falls back to samesite=lax cookies: the right choice for a local app, so keep the console quiet
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    from solara.__main__ import cli  # after the environment: solara reads it at import

    if not args.stats:
        os.environ["SOLARA_APP"] = PAGE  # what solara's run sets: its server module reads it at import
        close_statistics_page()
    solara_args = ["run", PAGE, "--host", args.host, "--port", str(args.port), "--production",
                   "--no-check-version", "--log-level", "warning", "--open" if args.open else "--no-open"]
    if args.port:
        print(f"recruitsim-app: serving on http://{args.host}:{args.port} (Ctrl+C stops)", flush=True)
        if args.classroom:
            print(f"recruitsim-app: classroom session. Teacher: http://{args.host}:{args.port}/?teacher="
                  f"{os.environ[TEACHER_KEY_ENV]}  Students: http://{args.host}:{args.port}/ "
                  "(the join code is on the teacher's page)", flush=True)
    cli(solara_args)  # runs until stopped; click exits the process
    return 0


def close_statistics_page() -> None:
    """Answer solara's ``/resourcez`` with 404 Not Found (``--stats`` keeps it open).

    solara registers the route when its server module is imported; the
    command imports that module before the server starts (with
    ``SOLARA_APP`` set, which that import reads) and swaps the route's
    handler. Removing the route would not do: solara's catch-all route would
    then answer ``/resourcez`` with the app's page.
    """
    from solara.server import starlette as solara_server
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    def closed(request) -> PlainTextResponse:
        return PlainTextResponse("Not Found", status_code=404)

    router = solara_server.app.router
    router.routes = [Route(STATS_PATH, endpoint=closed) if getattr(r, "path", None) == STATS_PATH else r
                     for r in router.routes]


if __name__ == "__main__":
    sys.exit(main())
