"""An audit entry in the reader's words: who (by role and name), what, from which state to which, the details
and the reason, for the timeline on every history and the audit log's page.

The words come from the registry in `labels` (filled by the domains). Entries made before the log kept
details have machine-written reasons ("changed: adults, address", "need #34: 700000 tiyn"): the ones the
registry knows are told as details; any other reason is a person's and is shown as typed. A code with no
registered words is shown as it is, and `tests/core/test_no_codes_on_pages.py` fails on it.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.core.audit import labels
from marketplace.core.audit.models import AuditEntry
from marketplace.core.money import format_money

# Details shown first, in this order; any other registered key follows in the order the entry gives.
FIRST = ("note", "fields", "amount", "quantity")


@dataclass(frozen=True)
class EntryWords:
    """One entry as the reader reads it."""

    entry: AuditEntry
    when: datetime
    who: str
    what: str
    from_state: str | None = None
    to_state: str | None = None
    details: list[str] = field(default_factory=list)
    reason: str | None = None  # as the person typed it
    object_label: str | None = None
    object_url: str | None = None


Numbers = Mapping[tuple[str, int], str]


def number_of(object_type: str, object_id: int | None, numbers: Numbers | None = None) -> str | None:
    """"Request №34", "Pledge SW-2026-0000005": the kind of object and its number (`numbers`: the numbers people
    know some objects by, from `_numbers_for`; the id otherwise)."""
    kind = labels.object_kind(object_type)
    if kind is None or object_id is None:
        return None
    number = (numbers or {}).get((object_type, int(object_id)))
    if number is None and kind.numbers is not None and numbers is None:
        number = kind.numbers([int(object_id)]).get(int(object_id))
    if number is not None:
        return _("%(kind)s %(number)s", kind=kind.label, number=number)
    return _("%(kind)s №%(id)s", kind=kind.label, id=object_id)


def _numbers_for(entries: Iterable[AuditEntry]) -> dict[tuple[str, int], str]:
    """The numbers of the objects some entries are about or refer to in their details, one query per kind."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.object_id is not None:
            wanted[entry.object_type].add(entry.object_id)
        for key, value in (entry.details or {}).items():
            if key.endswith("_id") and str(value).isdigit():
                wanted[key.removesuffix("_id")].add(int(value))
    numbers: dict[tuple[str, int], str] = {}
    for object_type, ids in wanted.items():
        kind = labels.object_kind(object_type)
        if kind is not None and kind.numbers is not None and ids:
            numbers.update({(object_type, i): number for i, number in kind.numbers(ids).items()})
    return numbers


def _who(entry: AuditEntry, reader: Any) -> str:
    if entry.actor is not None:
        words = labels.actor_words()
        return words(entry.actor, reader) if words else _("A user")
    if entry.actor_id is None and entry.actor_label == "system":
        return _("The system")
    return _("A deleted account")


def _details_and_reason(entry: AuditEntry) -> tuple[dict[str, Any], str | None]:
    details: dict[str, Any] = dict(entry.details or {})
    reason = (entry.reason or "").strip() or None
    if reason:
        known = labels.machine_reason(entry.action, reason)
        if known is not None:
            reason = known.pop("reason", None)
            details = {**known, **details}
    return details, reason


def _detail_texts(details: Mapping[str, Any], object_type: str, numbers: Numbers | None = None) -> list[str]:
    keys = [k for k in FIRST if k in details] + [k for k in details if k not in FIRST]
    texts = []
    for key in keys:
        words = labels.detail_words(key) or _ref_words(key, numbers)
        text = words(details[key], details, object_type) if words else None
        if text:
            texts.append(str(text))
    return texts


def _ref_words(key: str, numbers: Numbers | None = None):
    """`need_id: 34` → "Request №34", for every registered kind of object."""
    if not key.endswith("_id") or labels.object_kind(key.removesuffix("_id")) is None:
        return None
    return lambda value, _details, _type: number_of(key.removesuffix("_id"), value, numbers)


def _state(entry: AuditEntry, value: str | None, names: Mapping[tuple[str, int], str]) -> str | None:
    if value is None:
        return None
    action = labels.action(entry.action)
    if action is not None and action.states_of:
        if not value.isdigit():
            return value
        return names.get((action.states_of, int(value))) or number_of(action.states_of, int(value))
    label = labels.state_label(entry.object_type, value)
    return str(label) if label is not None else value


def _names_for(entries: Iterable[AuditEntry]) -> dict[tuple[str, int], str]:
    """The names of the objects some entries' states refer to (offices), one query per kind."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        action = labels.action(entry.action)
        if action is not None and action.states_of:
            wanted[action.states_of].update(int(v) for v in (entry.from_state, entry.to_state) if v and v.isdigit())
    names: dict[tuple[str, int], str] = {}
    for object_type, ids in wanted.items():
        kind = labels.object_kind(object_type)
        if kind is not None and kind.names is not None and ids:
            names.update({(object_type, i): name for i, name in kind.names(ids).items()})
    return names


def describe(entry: AuditEntry, reader: Any, names: Mapping[tuple[str, int], str] | None = None,
             numbers: Numbers | None = None) -> EntryWords:
    """`entry` in the reader's language."""
    names = names if names is not None else _names_for([entry])
    numbers = numbers if numbers is not None else _numbers_for([entry])
    action = labels.action(entry.action)
    details, reason = _details_and_reason(entry)
    before, after = _state(entry, entry.from_state, names), _state(entry, entry.to_state, names)
    if entry.from_state == entry.to_state:
        before = after = None  # a change within a state: the state says nothing new
    kind = labels.object_kind(entry.object_type)
    url = kind.url(entry.object_id, reader) if kind and kind.url and entry.object_id is not None else None
    return EntryWords(
        entry=entry, when=entry.created_at, who=_who(entry, reader),
        what=str(action.label) if action is not None else entry.action,
        from_state=before, to_state=after, details=_detail_texts(details, entry.object_type, numbers), reason=reason,
        object_label=number_of(entry.object_type, entry.object_id, numbers), object_url=url,
    )


def describe_all(entries: Iterable[AuditEntry], reader: Any = None) -> list[EntryWords]:
    """Every entry in words, for `reader` (the current user when not given)."""
    entries = list(entries)
    reader = reader if reader is not None else current_user
    names, numbers = _names_for(entries), _numbers_for(entries)
    return [describe(entry, reader, names, numbers) for entry in entries]


def reason_words(reason: str | None, object_type: str = "") -> str:
    """A reason kept on an object (`need.status_reason`, shown to the family and in e-mails) in the reader's
    words: one the code wrote ("deadline 2026-09-01 passed") is told from the registry, one a person typed
    is shown as typed."""
    reason = (reason or "").strip()
    if not reason:
        return ""
    known = labels.machine_reason(None, reason)
    if known is None:
        return reason
    typed = known.pop("reason", None)
    texts = _detail_texts(known, object_type)
    if typed:
        texts.append(str(typed))
    return "; ".join(texts) if texts else reason


# --- the details every domain may record ---------------------------------------------------------------

def _fields(value: Any, _details: Mapping[str, Any], object_type: str) -> str | None:
    names = [str(labels.field_label(object_type, name) or name) for name in value or ()]
    return _("Changed: %(fields)s", fields=", ".join(dict.fromkeys(names))) if names else None


def _amount(value: Any, details: Mapping[str, Any], _type: str) -> str:
    return format_money(int(value), details.get("currency") or "KZT")


def _quantity(value: Any, details: Mapping[str, Any], _type: str) -> str:
    item = details.get("item")
    return _("%(quantity)s × %(item)s", quantity=value, item=item) if item else str(value)


def _note(value: Any, details: Mapping[str, Any], _type: str) -> str | None:
    words = labels.note_label(str(value))
    return words(details) if words is not None else str(value)  # no words: the code, for the tests to find


labels.register_detail("fields", _fields)
labels.register_detail("amount", _amount)
labels.register_detail("quantity", _quantity)
labels.register_detail("note", _note)
# Every domain wrote the fields it changed as "changed: adults, address" before the log kept details.
labels.register_machine_reason(re.compile(r"changed: (?P<fields>[a-z_ ]+(, [a-z_ ]+)*)"),
                               lambda groups: {"fields": groups["fields"].split(", ")})


def register_audit_words(app: Flask) -> None:
    """`{% for line in entries|audit_words %}` in templates (templates/parts/timeline.html), and
    `{{ need.status_reason|reason_words("need") }}` wherever a kept reason is shown."""
    app.add_template_filter(describe_all, "audit_words")
    app.add_template_filter(reason_words, "reason_words")
