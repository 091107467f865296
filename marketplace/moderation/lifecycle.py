"""A flag's lifecycle: open until the office resolves it (acted upon) or dismisses it (nothing wrong)."""
from __future__ import annotations

from marketplace.core.dbtypes import utcnow
from marketplace.core.lifecycle import StateMachine, Transition
from marketplace.core.roles import works_for
from marketplace.moderation.models import Flag, FlagStatus as S


def by_office(actor, flag: Flag) -> bool:
    return works_for(actor, flag.office_id)


def _record(flag: Flag, transition: Transition, actor, reason: str | None) -> None:
    flag.resolved_at, flag.resolved_by_id, flag.resolution_note = utcnow(), getattr(actor, "id", None), reason


FLAG_LIFECYCLE = StateMachine(
    "flag",
    [
        # A resolution says what was done about it; a dismissal may say nothing.
        Transition("resolved", frozenset({S.OPEN}), S.RESOLVED, by_office, reason_required=True),
        Transition("dismissed", frozenset({S.OPEN}), S.DISMISSED, by_office),
    ],
    on_apply=[_record],
)
