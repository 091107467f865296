"""What the audit log's codes are called in the reader's language: a registry filled by the domains.

The log stores stable codes (`need.verify`, `submitted`, `adults`): they are keys, kept in the database and
never shown. Core knows no domain, so each domain registers its own words at start-up (its `labels.py`,
imported by `create_app`): its actions, its objects' states and fields, the details it records, and the
texts its code wrote as reasons before the log kept details. `marketplace.core.audit.words` reads this
registry to put an entry into words.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import FunctionType
from typing import Any

Label = Any  # a lazy_gettext string (or anything `str()` turns into the reader's words)
# A detail's words: (value, all the entry's details, the entry's object type) -> text, or None to show nothing.
DetailWords = Callable[[Any, Mapping[str, Any], str], "str | None"]


@dataclass(frozen=True)
class ObjectKind:
    """One kind of object the log is about: its name, and where its page is (None: no page to link)."""

    label: Label
    # (object id, reader) -> the object's page for that reader, or None.
    url: Callable[[int, Any], str | None] | None = None
    # The objects' own names, by id (offices by their name), for entries whose states are ids of them.
    names: Callable[[Iterable[int]], Mapping[int, str]] | None = None
    # The objects' numbers as people know them, by id (a pledge's "SW-2026-0000005"), when not their ids.
    numbers: Callable[[Iterable[int]], Mapping[int, str]] | None = None


@dataclass(frozen=True)
class Action:
    label: Label
    # The object type whose ids the entry's from/to "states" are (an office moved to another office).
    states_of: str | None = None
    # What the audit log's filter lists it under: an object type, or a group named by `register_action_group`.
    group: str = ""


@dataclass(frozen=True)
class MachineReason:
    """A reason text the code itself writes (or wrote), recognised and told in words instead."""

    pattern: re.Pattern
    # The match's named groups → details (e.g. {"note": "deadline_passed", "deadline": "2026-09-01"});
    # a "reason" key in them is the part a person typed (an API token's name), shown as typed.
    details: Callable[[dict[str, str]], dict[str, Any]]
    actions: frozenset[str] | None = None  # None: any action


_kinds: dict[str, ObjectKind] = {}
_actions: dict[str, Action] = {}
_states: dict[str, dict[str, Label]] = {}
_fields: dict[str, dict[str, Label]] = {}
_details: dict[str, DetailWords] = {}
_notes: dict[str, Callable[[Mapping[str, Any]], str]] = {}
_machine_reasons: list[MachineReason] = []
_actor_words: list[Callable[[Any, Any], str]] = []
_groups: dict[str, Label] = {}


def _key(value: Any) -> str:
    return str(getattr(value, "value", value))


def register_object_type(object_type: str, label: Label, *, url: Callable[[int, Any], str | None] | None = None,
                         names: Callable[[Iterable[int]], Mapping[int, str]] | None = None,
                         numbers: Callable[[Iterable[int]], Mapping[int, str]] | None = None) -> None:
    """Name a kind of object (`need` → "Request"), say where one object's page is, and (`numbers`) by what
    number people know its objects when it is not their id (`pledge` → "Pledge SW-2026-0000005")."""
    _kinds[object_type] = ObjectKind(label, url, names, numbers)


def register_action(action: str, label: Label, *, states_of: str | None = None) -> None:
    """Name an action as an event ("need.verify" → "Request verified"); the filter lists it under the start
    of its code ("need": a kind of object, or a group)."""
    _actions[action] = Action(label, states_of, action.split(".", 1)[0])


def register_action_group(group: str, label: Label) -> None:
    """Name a start of actions' codes that is no kind of object ("account" for the actions on a user)."""
    _groups[group] = label


def register_actions(labels: Mapping[str, Label]) -> None:
    """`register_action` for many at once."""
    for action, label in labels.items():
        register_action(action, label)


def register_state_labels(object_type: str, labels: Mapping[Any, Label]) -> None:
    """Name the states of one kind of object; the keys may be enum members or their values."""
    _states.setdefault(object_type, {}).update({_key(value): label for value, label in labels.items()})


def register_field_labels(object_type: str, labels: Mapping[str, Label]) -> None:
    """Name the fields a change of one kind of object lists ("adults" → "Adults")."""
    _fields.setdefault(object_type, {}).update(labels)


def register_detail(key: str, words: DetailWords) -> None:
    """Say how a key of an entry's details is shown; keys nobody registered are never shown."""
    _details[key] = words


def register_note(note: str, label: Label | Callable[[Mapping[str, Any]], str]) -> None:
    """Name an event note (`details={"note": "request_met"}`); a function is given the details."""
    _notes[note] = label if isinstance(label, FunctionType) else (lambda _details, words=label: str(words))


def register_machine_reason(pattern: str | re.Pattern, details: Callable[[dict[str, str]], dict[str, Any]] | dict,
                            *, actions: Iterable[str] | None = None) -> None:
    """Recognise a reason the code wrote as text (an exact text, or a compiled pattern matching all of it, whose
    named groups `details` turns into the entry's details); such a reason is told as those details."""
    compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
    fn = details if callable(details) else (lambda _groups, fixed=dict(details): dict(fixed))
    _machine_reasons.append(MachineReason(compiled, fn, frozenset(actions) if actions else None))


def register_actor_words(words: Callable[[Any, Any], str]) -> None:
    """Say how an acting account is named to a reader: (actor, reader) -> "Office: A. Akhmetova"."""
    _actor_words[:] = [words]


# --- reading the registry ---------------------------------------------------------------------------------

def object_kind(object_type: str) -> ObjectKind | None:
    return _kinds.get(object_type)


def object_types() -> dict[str, ObjectKind]:
    return dict(_kinds)


def action(action_name: str) -> Action | None:
    return _actions.get(action_name)


def actions() -> dict[str, Action]:
    """Every registered action, by its code."""
    return dict(_actions)


def grouped_actions() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every registered action in the reader's words, by group, for a select: [(group, [(code, words)])]."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, registered in _actions.items():
        kind = _kinds.get(registered.group)
        group = _groups.get(registered.group) or (kind.label if kind else registered.group)
        groups.setdefault(str(group), []).append((code, str(registered.label)))
    return sorted(((group, sorted(items, key=lambda item: item[1])) for group, items in groups.items()),
                  key=lambda pair: pair[0])


def state_label(object_type: str, state: str | None) -> Label | None:
    return _states.get(object_type, {}).get(state) if state is not None else None


def field_label(object_type: str, name: str) -> Label | None:
    return _fields.get(object_type, {}).get(name)


def state_labels(object_type: str) -> dict[str, Label]:
    return dict(_states.get(object_type, {}))


def detail_words(key: str) -> DetailWords | None:
    return _details.get(key)


def note_label(note: str) -> Callable[[Mapping[str, Any]], str] | None:
    return _notes.get(note)


def notes() -> dict[str, Any]:
    return dict(_notes)


def machine_reason(action_name: str | None, reason: str) -> dict[str, Any] | None:
    """The details a machine-written reason stands for, or None when a person wrote it. With no action (a
    reason kept on the object itself, e.g. a request's `status_reason`) every registered reason may match."""
    for known in _machine_reasons:
        if action_name is not None and known.actions is not None and action_name not in known.actions:
            continue
        match = known.pattern.fullmatch(reason)
        if match:
            return known.details(match.groupdict())
    return None


def actor_words() -> Callable[[Any, Any], str] | None:
    return _actor_words[0] if _actor_words else None
