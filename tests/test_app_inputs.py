"""The classroom app reads numbers strictly and never echoes long input.

A lecturer's typo must not silently become another value: "1,5" (a decimal
comma) used to be read as 15 and "1_0" as 10.
"""

from __future__ import annotations

import pytest

from sim.app.session import LEVERS

NUMERIC = [lever for lever in LEVERS if lever.kind in ("float", "int")]
FLOAT = next(lever for lever in NUMERIC if lever.kind == "float")
INT = next(lever for lever in NUMERIC if lever.kind == "int")


@pytest.mark.parametrize("raw", ["1,5", "1_0", "1.5.2", "--1", "1e", "0x10", "1 000", ",100", "1,00"])
def test_ambiguous_or_malformed_numbers_are_refused(raw):
    with pytest.raises(ValueError, match="is not a number"):
        FLOAT.parse(raw)


@pytest.mark.parametrize("raw, value", [("1", 1.0), (" 2.5 ", 2.5), (".5", 0.5), ("1e0", 1.0)])
def test_plain_numbers_are_read(raw, value):
    assert FLOAT.parse(raw) == pytest.approx(value) or not FLOAT.lo <= value <= FLOAT.hi


def test_thousands_separators_in_their_places_are_read():
    big = next((lever for lever in NUMERIC if lever.hi >= 1000 and lever.lo <= 1000), None)
    if big is None:
        pytest.skip("no lever accepts 1000")
    assert big.parse("1,000") == 1000


def test_messages_echo_long_input_short():
    with pytest.raises(ValueError) as info:
        INT.parse("9" * 400 + "x")
    assert len(str(info.value)) < 200
