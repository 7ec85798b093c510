"""Words for people on figures: outcome and lever labels with units, settings and numbers in words.

Axis labels carry units (from :data:`sim.model.outcomes.OUTCOMES` and the
config schema's field metadata) and legends name regimes in words
(``fee ban, enforced``) rather than option names, so that a figure reads on
its own.
"""

from __future__ import annotations

from typing import Any, Sequence

from sim.model.outcomes import OUTCOMES
from sim.plots.collected import config_fields

#: Short labels for axis titles (the full meaning of every outcome is in sim/model/outcomes.py).
OUTCOME_LABELS = {
    "placements": "placements",
    "certified_share": "certified share of placements",
    "public_share": "public channel's share of placements",
    "mean_fee_months": "mean fee paid by workers",
    "median_fee_months": "median fee paid by workers",
    "p90_fee_months": "90th percentile of fees paid",
    "indebted_share": "share of placed workers who borrowed",
    "debt_bondage_share": "share of workers abroad in debt bondage",
    "mean_payback_months": "months to pay back the fee",
    "evading_share": "share of fee-charging recruiters evading",
    "cheating_share": "share of certified recruiters cheating",
    "deceiving_share": "share of recruiters deceiving",
    "n_certified": "certified recruiters",
    "n_fee_charging": "fee-charging recruiters",
    "hhi": "market concentration (HHI)",
}

#: Options and group names as words in legends.
WORDS = {"no_rule": "no rule", "fee_cap": "fee cap", "fee_ban_weak": "fee ban, weakly enforced",
         "fee_ban_enforced": "fee ban, enforced", "ban_joint_liability": "fee ban + joint liability",
         "disabled": "none", "voluntary": "voluntary"}


def outcome_label(name: str) -> str:
    """``"mean fee paid by workers (months of wage)"``: a short label with the unit."""
    unit = OUTCOMES.get(name, ("", ""))[0]
    label = OUTCOME_LABELS.get(name, name.replace("_", " "))
    return f"{label} ({unit})" if unit else label


def outcome_title(name: str) -> str:
    """``"Mean fee paid by workers"``: the short label, capitalised, for a figure title."""
    label = OUTCOME_LABELS.get(name, name.replace("_", " "))
    return label[:1].upper() + label[1:]


def lever_name(key: str) -> str:
    """``policy.inspection_rate`` -> ``inspection rate``; booleans keep their group (``certification announced``)."""
    if key.startswith("choice."):
        return key.removeprefix("choice.")
    group, _, name = key.rpartition(".")
    field = config_fields().get(key)
    words = name.replace("_", " ")
    if field is not None and field.metadata.get("unit") == "bool" and group:
        return f"{group} {words}"
    return words


def lever_label(key: str) -> str:
    """Axis label of a lever with its unit: ``fine (USD per detected violation)``."""
    field = config_fields().get(key)
    unit = field.metadata.get("unit", "") if field is not None else ""
    name = lever_name(key)
    return f"{name} ({unit})" if unit and unit not in ("bool", "integer") else name


def value_words(key: str, value: Any) -> str:
    """One setting in words for a legend: ``policy: fee ban, enforced``, ``fine 5000``, ``... announced: yes``."""
    if key.startswith("choice."):
        return f"{lever_name(key)}: {WORDS.get(str(value), str(value).replace('_', ' '))}"
    if isinstance(value, bool) or (hasattr(value, "dtype") and value.dtype == bool):
        return f"{lever_name(key)}: {'yes' if value else 'no'}"
    return f"{lever_name(key)} {format_number(value)}"


def format_number(value: Any) -> str:
    """``20000.0`` -> ``"20,000"``, ``0.05`` -> ``"0.05"``, ``3`` -> ``"3"``."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def regime_words(row: Any, columns: Sequence[str]) -> str:
    """A regime in words from a row (mapping or tuple aligned with ``columns``)."""
    values = [row[c] for c in columns] if hasattr(row, "keys") else list(row)
    return ", ".join(value_words(c, v) for c, v in zip(columns, values)) or "all runs"


def legend_entries(keys: Sequence[tuple], columns: Sequence[str]) -> tuple[str | None, list[str]]:
    """Legend title and one label per key: a single setting names itself in the title
    (``fine (USD per detected violation)``: ``500``, ``20,000``); several are written out in each label."""
    if len(columns) == 1:
        col = columns[0]
        if col.startswith("choice."):
            return lever_name(col), [WORDS.get(str(k[0]), str(k[0]).replace("_", " ")) for k in keys]
        words = [value_words(col, k[0]) for k in keys]
        if all(w.startswith(lever_name(col) + " ") for w in words):  # a number: unit in the title
            return lever_label(col), [format_number(k[0]) for k in keys]
        return None, words
    return None, [regime_words(k, columns) for k in keys]


def slug(text: str) -> str:
    """A file-name-safe version of ``text``."""
    out = "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in str(text))
    return "_".join(part for part in out.split("_") if part)
