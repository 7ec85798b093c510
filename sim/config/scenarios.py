"""The scenario library: the files in ``configs/scenario/`` and their classroom notes.

Each scenario file opens with an Info-tab header in the manner of NetLogo's
Models Library::

    # @package _global_
    # Scenario "NAME": one line saying what it is.
    #
    # WHAT IS IT
    #   ...
    # QUESTION FOR THE CLASS
    #   ...
    # HOW IT WORKS
    #   ...
    # THINGS TO NOTICE
    #   ...
    # THINGS TO TRY
    #   recruitsim scenario=NAME KEY=VALUE      what it shows
    #   ...

This module reads those headers (no Hydra, no model: ``recruitsim-scenarios``
answers at once) for the ``recruitsim-scenarios`` command and the classroom
app. :func:`compose` turns a scenario plus overrides into a validated config
the same way the ``recruitsim`` command does.

Usage::

    recruitsim-scenarios                 one line per scenario
    recruitsim-scenarios NAME            the scenario's notes in full
    recruitsim-scenarios --paths         with each file's path
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from sim.config import RecruitsimConfig

from sim.config.paths import SCENARIO_DIR

#: The sections every scenario header has, in this order.
SECTIONS = ("WHAT IS IT", "QUESTION FOR THE CLASS", "HOW IT WORKS", "THINGS TO NOTICE", "THINGS TO TRY")

_TITLE = re.compile(r'^# Scenario "(?P<name>[A-Za-z0-9_]+)":\s*(?P<summary>.+?)\s*$')
_SECTION = re.compile(r"^# (?P<title>[A-Z][A-Z ]+[A-Z])\s*$")
_BODY = re.compile(r"^#(?: {2,}(?P<text>.*))?$")
# a command in THINGS TO TRY: "recruitsim" and its arguments, then 2+ spaces and what it shows
_COMMAND = re.compile(r"^(?P<command>recruitsim(?: \S+)*)(?:\s{2,}(?P<note>.*))?$")


@dataclass
class Scenario:
    """One scenario file and its notes.

    Attributes:
        name: the option name (``scenario=NAME``), the file's stem.
        summary: the one line after ``Scenario "NAME":`` in the header.
        sections: section title -> its text, lines joined with newlines,
            indentation removed (see :data:`SECTIONS`).
        path: the YAML file.
    """

    name: str
    summary: str
    sections: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    def commands(self) -> list[tuple[str, str]]:
        """The ``recruitsim ...`` commands in THINGS TO TRY, each with what it shows ('' if nothing)."""
        out = []
        for line in self.sections.get("THINGS TO TRY", "").splitlines():
            match = _COMMAND.match(line.strip())
            if match:
                out.append((match["command"], (match["note"] or "").strip()))
        return out

    def notes_markdown(self) -> str:
        """The notes as Markdown: sections as headings, commands as code (for the app)."""
        parts = [f"### {self.name}", f"*{self.summary}*"]
        for title in SECTIONS:
            text = self.sections.get(title)
            if not text:
                continue
            parts.append(f"#### {title.capitalize()}")
            if title == "THINGS TO TRY":
                lines = []
                for line in text.splitlines():
                    match = _COMMAND.match(line.strip())
                    if match:
                        note = f" — {match['note']}" if match["note"] else ""
                        lines.append(f"- `{match['command']}`{note}")
                    elif line.strip():
                        lines.append(f"- {line.strip()}")
                parts.append("\n".join(lines))
            else:
                parts.extend(" ".join(p.split()) for p in text.split("\n\n"))
        return "\n\n".join(parts)


def parse_header(text: str, name: str = "") -> Scenario:
    """Read a scenario file's header comment into a :class:`Scenario`.

    Args:
        text: the file's text.
        name: the expected name (the file's stem); used when the title line is missing.
    """
    lines = text.splitlines()
    scenario = Scenario(name=name, summary="")
    current: str | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            scenario.sections[current] = "\n".join(body).strip("\n")

    for line in lines:
        if not line.startswith("#"):
            break  # the header ends at the first line that is not a comment
        title = _TITLE.match(line)
        if title and not scenario.summary:
            scenario.name = name or title["name"]
            scenario.summary = title["summary"]
            continue
        section = _SECTION.match(line)
        if section:
            close()
            current, body = section["title"], []
            continue
        line_body = _BODY.match(line)
        if current is not None and line_body:
            body.append(line_body["text"] or "")
        elif current is not None:  # an unindented comment ends the section
            close()
            current, body = None, []
    close()
    return scenario


def read(name: str, directory: Path = SCENARIO_DIR) -> Scenario:
    """The scenario ``name`` (its file ``configs/scenario/NAME.yaml``).

    Raises:
        KeyError: no such scenario; the message lists the closest names.
    """
    path = directory / f"{name}.yaml"
    if not path.is_file():
        raise KeyError(unknown_message(name, names(directory)))
    scenario = parse_header(path.read_text(encoding="utf-8"), name=path.stem)
    scenario.path = path
    return scenario


def names(directory: Path = SCENARIO_DIR) -> list[str]:
    """The names of all scenarios, ``baseline`` first, the rest in alphabetical order."""
    found = sorted(p.stem for p in directory.glob("*.yaml"))
    return sorted(found, key=lambda n: (n != "baseline", n))


def all_scenarios(directory: Path = SCENARIO_DIR) -> list[Scenario]:
    """Every scenario with its notes, in the order of :func:`names`."""
    return [read(n, directory) for n in names(directory)]


def unknown_message(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return f"no scenario named {name!r}.{hint} Known: {', '.join(known)}"


def compose(name: str, overrides: Sequence[str] = ()) -> RecruitsimConfig:
    """The validated config of scenario ``name`` with Hydra ``overrides``, as ``recruitsim`` builds it.

    Imports Hydra and the command's composition (not the model).

    Raises:
        sim.config.InvalidConfig: with the command's short message, for a bad
            scenario name, key or value.
    """
    from sim.config.checks import precheck

    return precheck([f"scenario={name}", *overrides])
