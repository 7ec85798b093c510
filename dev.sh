#!/usr/bin/env bash
# Set up the development environment (once) and run recruitsim or its tests.
#
#   bash dev.sh run [OVERRIDES...]   run the baseline scenario (Hydra overrides allowed)
#   bash dev.sh test [PYTEST ARGS]   run the test suite (slow tests: bash dev.sh test -m slow)
#   bash dev.sh setup                only create/update .venv
#
# Needs only Python >= 3.11 with pip and venv. Picks the newest Python >= 3.12
# it can find (python3.13, python3.12 on PATH, then pyenv's versions), else
# python3; creates .venv with it and installs the package editable with its
# dev extras. Re-installs only when pyproject.toml changed (stamp in .venv).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
VENV=.venv
STAMP="$VENV/.recruitsim-installed"

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

setup() {
    local python want have
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
    if [[ ! -f "$STAMP" ]] || ! cmp -s pyproject.toml "$STAMP"; then
        say "installing recruitsim and its dependencies into $VENV (first time takes a minute)"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
        cp pyproject.toml "$STAMP"
    fi
}

usage() {
    sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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
        setup
        exec "$VENV/bin/python" -m pytest -q "$@"
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
