#!/usr/bin/env bash
# Set up the development environment (once) and run recruitsim or its tests.
#
#   bash dev.sh run [OVERRIDES...]   run the baseline scenario (Hydra overrides allowed)
#   bash dev.sh test [PYTEST ARGS]   run the test suite (slow tests: bash dev.sh test -m slow)
#   bash dev.sh app [APP ARGS]       start the classroom app (recruitsim-app --help for options)
#   bash dev.sh setup                only create/update .venv
#
# Needs only Python >= 3.11 with pip and venv. Picks the newest Python >= 3.12
# it can find (python3.13, python3.12 on PATH, then pyenv's versions), else
# python3; creates .venv with it and installs the package editable with its
# dev extras. Re-installs only when pyproject.toml changed or an extra is
# missing (stamps in .venv). `app` adds the extra `app` (solara); `test` adds
# `app`, `browser` (Playwright) and `cluster` (submitit, light: its tests run
# a sweep through submitit's local launcher) and, when run as root without
# /usr/bin/chromium, installs Debian's chromium with apt-get (about 10 s),
# for the browser tests; if any of that fails they are skipped, not failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
VENV=.venv
STAMP="$VENV/.recruitsim-installed"
EXTRAS_STAMP="$VENV/.recruitsim-extras"   # the extras installed, one a line

say() { echo "dev.sh: $*" >&2; }

# The version of a Python as "3 12", or nothing if it does not run
# (pyenv shims exist for versions that are installed but not selected).
py_version() { "$1" -c 'import sys; print(*sys.version_info[:2])' 2>/dev/null || true; }

pick_python() {
    local candidates=() cand v root
    for cand in python3.13 python3.12; do
        command -v "$cand" >/dev/null 2>&1 && candidates+=("$(command -v "$cand")")
    done
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root 2>/dev/null || true)"
        if [[ -n "$root" ]]; then
            # newest first: 3.13.x before 3.12.x, higher patch first
            while IFS= read -r cand; do candidates+=("$cand"); done < <(
                ls -d "$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V -r || true)
        fi
    fi
    for cand in ${candidates[@]+"${candidates[@]}"}; do
        v="$(py_version "$cand")"
        if [[ -n "$v" ]] && (( ${v% *} == 3 && ${v#* } >= 12 )); then
            echo "$cand"
            return
        fi
    done
    cand="$(command -v python3 || true)"
    v=""
    [[ -n "$cand" ]] && v="$(py_version "$cand")"
    if [[ -z "$v" ]] || (( ${v% *} != 3 || ${v#* } < 11 )); then
        say "error: need Python >= 3.11 (python3.12 or newer preferred); found ${v:-none}"
        exit 1
    fi
    say "note: no Python >= 3.12 found; using $cand (${v/ /.}); Mesa will be an older 3.x release"
    echo "$cand"
}

# setup [EXTRA...]: the venv with the package and the extras named (dev always)
setup() {
    local python want have extras installed missing
    python="$(pick_python)"
    want="$(py_version "$python")"
    if [[ -x "$VENV/bin/python" ]]; then
        have="$(py_version "$VENV/bin/python")"
        if [[ -z "$have" ]] || (( ${have#* } < ${want#* } )); then
            say "recreating $VENV (Python ${have/ /.} -> ${want/ /.})"
            rm -rf "$VENV"
        fi
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        say "creating $VENV with $python (Python ${want/ /.})"
        "$python" -m venv "$VENV"
    fi
    # the extras asked for plus those installed before (an install keeps what is there)
    installed="$(cat "$EXTRAS_STAMP" 2>/dev/null || true)"
    missing=""
    for extra in dev "$@"; do
        grep -qx "$extra" <<<"$installed" || missing+=" $extra"
    done
    extras="$(printf '%s\n' dev "$@" $installed | sort -u | paste -sd, -)"
    if [[ ! -f "$STAMP" ]] || ! cmp -s pyproject.toml "$STAMP" || [[ -n "$missing" ]]; then
        say "installing recruitsim[$extras] and its dependencies into $VENV (first time takes a minute)"
        if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[$extras]"; then
            [[ "$extras" == dev ]] && return 1
            say "note: could not install the extras $extras; installing only dev (the app, its browser tests and the submitit launcher tests will not run)"
            "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
            extras=dev
        fi
        cp pyproject.toml "$STAMP"
        tr ',' '\n' <<<"$extras" > "$EXTRAS_STAMP"
    fi
}

# Debian's chromium for the browser tests: installed with apt-get when missing and running as root
ensure_chromium() {
    [[ -x /usr/bin/chromium ]] && return 0
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        say "note: no /usr/bin/chromium (Debian package chromium): the browser tests will be skipped"
        return 0
    fi
    local start=$SECONDS
    say "installing Debian's chromium for the browser tests (apt-get, about 10 s)"
    if DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
       DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           chromium fonts-dejavu-core >/dev/null 2>&1; then
        say "chromium installed in $((SECONDS - start)) s"
    else
        say "note: could not install chromium: the browser tests will be skipped"
    fi
}

usage() {
    sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
    run)
        setup
        # the baseline scenario unless the overrides choose another one
        scenario=(scenario=baseline)
        for arg in "$@"; do [[ "$arg" == scenario=* ]] && scenario=(); done
        exec "$VENV/bin/recruitsim" ${scenario[@]+"${scenario[@]}"} "$@"
        ;;
    test)
        setup app browser cluster
        ensure_chromium
        exec "$VENV/bin/python" -m pytest -q "$@"
        ;;
    app)
        setup app
        exec "$VENV/bin/recruitsim-app" "$@"
        ;;
    setup)
        setup
        ;;
    -h|--help|help)
        usage
        ;;
    *)
        usage >&2
        exit 2
        ;;
esac
