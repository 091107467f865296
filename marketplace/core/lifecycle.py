"""State machines: the allowed transitions of an object, who may make each, and what each records.

A domain declares its machine once (`StateMachine(...)` with named `Transition`s); views and services
call `machine.apply(obj, "verify", actor=..., reason=...)`, never assign `.status` themselves. Every
applied transition is written to the audit log and announced on the machine's blinker signal, so that
other domains can react (a cancelled need releases its claims) without this domain knowing them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from blinker import Namespace
from sqlalchemy import update
from sqlalchemy.orm import object_session
from sqlalchemy.orm.attributes import set_committed_value
from flask_babel import lazy_gettext as _l

from marketplace.core import audit

signals = Namespace()

# who: (actor, obj) -> bool; the actor may be None for the system (jobs, expiry).
Who = Callable[[Any, Any], bool]


class IllegalTransition(Exception):
    """A transition that the object's state or the actor's role does not allow; shown as a 409."""

    def __init__(self, message: str, *, transition: str, state: Any):
        super().__init__(message)
        self.transition = transition
        self.state = state


class ReasonRequired(ValueError):
    """A transition that needs a reason was asked for without one."""


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset
    target: Any
    who: Who
    reason_required: bool = False
    label: Any = None


@dataclass
class StateMachine:
    """The lifecycle of one kind of object, kept in its `status` attribute (or `status_attr`)."""

    object_type: str
    transitions: Iterable[Transition]
    office_of: Callable[[Any], int | None] = lambda obj: getattr(obj, "office_id", None)
    # Called after the status changed, before the audit entry: (obj, transition, actor, reason).
    on_apply: list[Callable[[Any, Transition, Any, str | None], None]] = field(default_factory=list)
    status_attr: str = "status"
    # What the audit log calls the object when it is not `object_type` (accounts are "user" rows there).
    audit_object_type: str | None = None

    def __post_init__(self) -> None:
        self.transitions = {t.name: t for t in self.transitions}
        self.signal = signals.signal(f"{self.object_type}.transitioned")

    @property
    def logged_as(self) -> str:
        """The object type its entries in the audit log carry."""
        return self.audit_object_type or self.object_type

    def __getitem__(self, name: str) -> Transition:
        return self.transitions[name]

    def state(self, obj: Any) -> Any:
        return getattr(obj, self.status_attr)

    def allowed_from(self, state: Any) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.sources]

    def can(self, actor: Any, obj: Any, name: str) -> bool:
        """Whether `actor` may make transition `name` on `obj` in its current state."""
        transition = self.transitions.get(name)
        if transition is None or self.state(obj) not in transition.sources:
            return False
        return bool(transition.who(actor, obj))

    def available(self, actor: Any, obj: Any) -> list[Transition]:
        """The transitions `actor` could make now (for the buttons on a page)."""
        return [t for t in self.transitions.values() if self.can(actor, obj, t.name)]

    def apply(self, obj: Any, name: str, *, actor: Any, reason: str | None = None,
              details: dict[str, Any] | None = None) -> Any:
        """Make the transition, audit it and signal it; raises IllegalTransition or ReasonRequired.

        `reason` is a person's words (kept on the object too); `details` what the code knows, for the log."""
        transition = self.transitions.get(name)
        if transition is None:
            raise IllegalTransition(str(_l("This action does not exist.")), transition=name, state=self.state(obj))
        if self.state(obj) not in transition.sources:
            raise IllegalTransition(
                str(_l("This cannot be done now: the request has already moved on. Reload the page.")),
                transition=name, state=self.state(obj),
            )
        if not transition.who(actor, obj):
            raise IllegalTransition(str(_l("You are not allowed to do this.")), transition=name, state=self.state(obj))
        reason = (reason or "").strip() or None
        if transition.reason_required and not reason:
            raise ReasonRequired(str(_l("Please give a reason.")))
        before = self.state(obj)
        self._compare_and_set(obj, before, transition)
        for hook in self.on_apply:
            hook(obj, transition, actor, reason)
        audit.record(
            f"{self.object_type}.{name}", obj, actor=actor, object_type=self.logged_as,
            from_state=before, to_state=transition.target, reason=reason, office_id=self.office_of(obj),
            details=details,
        )
        self.signal.send(obj, transition=transition, actor=actor, reason=reason, before=before)
        return obj

    def _compare_and_set(self, obj: Any, before: Any, transition: Transition) -> None:
        """Change the status in the database only if it is still `before`: of two people deciding
        at once (or a double click), one wins and the other gets a clear 409, never a lost update."""
        model = type(obj)
        session = object_session(obj)
        if session is None or obj.id is None:  # not stored yet: nobody else can see it
            setattr(obj, self.status_attr, transition.target)
            return
        result = session.execute(
            update(model).where(model.id == obj.id, getattr(model, self.status_attr) == before)
            .values({self.status_attr: transition.target})
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.refresh(obj, attribute_names=[self.status_attr])
            raise IllegalTransition(
                str(_l("This cannot be done now: the request has already moved on. Reload the page.")),
                transition=transition.name, state=self.state(obj),
            )
        set_committed_value(obj, self.status_attr, transition.target)
