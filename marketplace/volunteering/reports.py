"""A volunteer's report that a task is done: the limits and the one check, for the pages and the phone app."""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import gettext as _

MIN_HOURS, MAX_HOURS = 0.5, 24.0
MAX_NOTE = 2000


@dataclass(frozen=True)
class Report:
    hours: float
    note: str | None


class ReportInvalid(ValueError):
    """A report outside the limits; `problems` are (field, reason) pairs in the volunteer's language."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(reason for _name, reason in problems))
        self.problems = problems


def parse_report(hours, note) -> Report:
    """The hours (a number from MIN_HOURS to MAX_HOURS) and the note (text, at most MAX_NOTE characters once
    trimmed; empty is none); raises ReportInvalid with every problem found."""
    problems = []
    try:
        hours = float(hours)
    except (TypeError, ValueError):
        problems.append(("hours", _("Give the hours spent as a number, e.g. 2.5.")))
    else:
        if not math.isfinite(hours) or not MIN_HOURS <= hours <= MAX_HOURS:
            problems.append(("hours", _("Hours must be between %(low)s and %(high)s.", low=MIN_HOURS, high=MAX_HOURS)))
    if note is not None and not isinstance(note, str):
        problems.append(("note", _("The note must be text.")))
        note = None
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        problems.append(("note", _("The note is too long (at most %(max)s characters).", max=MAX_NOTE)))
    if problems:
        raise ReportInvalid(problems)
    return Report(hours, note)
