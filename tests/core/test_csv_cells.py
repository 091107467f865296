"""Every CSV the site writes goes through core/csv_cells: its escape, its inverse, and a guard that finds a
CSV writer anywhere else. Each export's own test (offices, pledges) feeds it the payloads below."""
from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import pytest

from marketplace.core import csv_cells

PACKAGE = Path(__file__).resolve().parents[2] / "marketplace"
THE_WRITER = "marketplace/core/csv_cells.py"

# What a spreadsheet would run if it were written raw; the last is one that a strip() of the cell would start.
FORMULA_PAYLOADS = ['=HYPERLINK("http://evil","x")', "@SUM(1+1)", "-2+3", "+7 777", "\t=1", " =1"]
_RUNS = re.compile(r"\s*[=+\-@\t\r]")


def is_inert(cell: str) -> bool:
    """A cell no spreadsheet starts a formula with: an apostrophe first, or nothing a formula starts with."""
    return cell.startswith("'") or not _RUNS.match(cell)


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize("payload", FORMULA_PAYLOADS)
def test_each_payload_is_written_behind_an_apostrophe_and_reads_back(payload):
    assert not is_inert(payload)
    cell = csv_cells.escape_cell(payload)
    assert cell == "'" + payload and is_inert(cell)
    assert csv_cells.unescape_cell(cell) == payload


@pytest.mark.parametrize("value, written", [
    ("Окно Алматы", "Окно Алматы"), ("", ""), (None, ""), ("ул. Абая, 1 - вход", "ул. Абая, 1 - вход"),
    ("'quoted'", "'quoted'"), ("'=1", "''=1"), ("＝1+1", "'＝1+1"), ("\r=1", "'\r=1"),
    (42, 42), (-3.5, -3.5), (43.25, 43.25),
])
def test_text_that_cannot_run_and_numbers_are_written_as_they_are(value, written):
    assert csv_cells.escape_cell(value) == written
    if isinstance(written, str):
        assert csv_cells.unescape_cell(written) == ("" if value is None else value)


def test_the_writer_escapes_every_cell_of_every_row():
    buffer = io.StringIO()
    writer = csv_cells.writer(buffer, lineterminator="\n")
    writer.writerow(["=header", "name"])
    writer.writerows([[payload, 7] for payload in FORMULA_PAYLOADS])
    rows = csv_rows(buffer.getvalue())
    assert rows[0] == ["'=header", "name"]
    assert [row[0] for row in rows[1:]] == ["'" + payload for payload in FORMULA_PAYLOADS]
    assert all(is_inert(cell) for row in rows for cell in row)


# --- the guard: no CSV writer but the one ------------------------------------------------------------------

WRITERS = frozenset({"writer", "DictWriter"})


def raw_csv_writers(name: str, source: str) -> list[str]:
    """`csv.writer(...)`/`csv.DictWriter(...)` calls and `from csv import writer`-style imports in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and node.attr in WRITERS and isinstance(node.value, ast.Name)
                and node.value.id == "csv"):
            found.append(f"{name}:{node.lineno} csv.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "csv":
            found.extend(f"{name}:{node.lineno} from csv import {a.name}" for a in node.names if a.name in WRITERS)
    return found


def test_no_module_writes_csv_but_through_core_csv_cells():
    root = PACKAGE.parent
    problems = [problem for path in sorted(PACKAGE.rglob("*.py"))
                if (name := path.relative_to(root).as_posix()) != THE_WRITER
                for problem in raw_csv_writers(name, path.read_text(encoding="utf-8"))]
    assert problems == []


def test_every_text_csv_response_is_built_by_a_module_using_the_writer():
    """The modules answering with text/csv, and the module each hands the writing to, as today."""
    answering = sorted(p.relative_to(PACKAGE.parent).as_posix() for p in PACKAGE.rglob("*.py")
                       if "text/csv" in p.read_text(encoding="utf-8"))
    assert answering == ["marketplace/admin/offices_views.py", "marketplace/pledges/views.py"], (
        "a new CSV response: write it through core/csv_cells.writer and give it a formula test, then add it here")
    for writing in ("marketplace/offices/csv_io.py", "marketplace/pledges/queries.py"):
        assert "csv_cells.writer(" in (PACKAGE.parent / writing).read_text(encoding="utf-8")


def test_the_guard_finds_a_bad_example():
    bad = "import csv\nfrom csv import DictWriter, reader\n\ndef f(s):\n    return csv.writer(s)\n"
    assert raw_csv_writers("marketplace/x.py", bad) == ["marketplace/x.py:2 from csv import DictWriter",
                                                         "marketplace/x.py:5 csv.writer"]
    assert raw_csv_writers("marketplace/x.py", "import csv\nrows = csv.reader(s)\n") == []
