"""CSV the site writes: every cell a spreadsheet shows as text, never runs as a formula (CSV injection).

Every export goes through `writer()`; `tests/core/test_csv_cells.py` fails on a `csv.writer(` anywhere else.
The rule is OWASP's: a text cell whose first character, past any leading whitespace, would start a formula
(= + - @, a tab or a carriage return) gets a leading apostrophe. `unescape_cell` undoes exactly that, so a
file the site wrote can be read back (the offices import) and gives the values it was written from.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

# Also the full-width forms, which some spreadsheet programs read as their ASCII twins.
FORMULA_START = "=+-@\t\r＝＋－＠"
# Apostrophes already there are counted in, so that a value such as "'=x" is escaped too and the escape can be
# undone without guessing.
_NEEDS_ESCAPE = re.compile(r"'*\s*[" + re.escape(FORMULA_START) + "]")
_ESCAPED = re.compile(r"''*\s*[" + re.escape(FORMULA_START) + "]")


def escape_cell(value: Any) -> Any:
    """The value as a cell that cannot run: numbers as they are, text that could start a formula with an
    apostrophe in front, None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):  # a number is written as digits, and digits are no formula
        return value
    text = str(value)
    return "'" + text if _NEEDS_ESCAPE.match(text) else text


def unescape_cell(text: str) -> str:
    """A cell read from a file this site wrote, as it was before `escape_cell`."""
    return text[1:] if _ESCAPED.match(text) else text


class SafeWriter:
    """`csv.writer` whose rows pass through `escape_cell`."""

    def __init__(self, stream: TextIO, **fmtparams):
        self._writer = csv.writer(stream, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row, each cell escaped."""
        return self._writer.writerow([escape_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write every row, each cell escaped."""
        for row in rows:
            self.writerow(row)


def writer(stream: TextIO, **fmtparams) -> SafeWriter:
    """The one CSV writer of the site (same arguments as `csv.writer`)."""
    return SafeWriter(stream, **fmtparams)
