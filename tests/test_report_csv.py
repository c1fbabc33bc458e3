"""pairs.csv: OWASP neutralisation of formula cells, and a lossless round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalkit.report.table import neutralise, unneutralise


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain text", "plain text"),
        ("习近平", "习近平"),
        ("'=already quoted", "''=already quoted"),
    ],
)
def test_neutralise_follows_owasp(cell: str, expected: str) -> None:
    assert neutralise(cell) == expected
    assert unneutralise(neutralise(cell)) == cell


@given(st.text())
def test_neutralise_round_trips_any_text(cell: str) -> None:
    assert unneutralise(neutralise(cell)) == cell
    assert not neutralise(cell).startswith(("=", "+", "-", "@", "\t", "\r"))
