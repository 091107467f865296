"""Reading the audit log: one object's history as the reader may see it."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.core.audit.models import AuditEntry
from marketplace.core.audit.policies import audit_scope
from marketplace.core.extensions import db

HISTORY_LIMIT = 50


def history_of(reader, object_type: str, object_id: int, *, limit: int = HISTORY_LIMIT,
               leave_out: Iterable[str] = ()) -> list[AuditEntry]:
    """The audit entries about one object that `reader` may read, newest first, without the actions `leave_out`
    (a decision screen tells its reads of personal data in one line: `tally_of`)."""
    stmt = audit_scope(reader, select(AuditEntry)).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
    if leave_out:
        stmt = stmt.where(AuditEntry.action.not_in(list(leave_out)))
    return list(db.session.scalars(_newest_first(stmt).limit(limit)))


@dataclass(frozen=True)
class Tally:
    """How many times one action was done to one object, and its latest entry (None when never)."""

    count: int
    last: AuditEntry | None


def tally_of(reader, object_type: str, object_id: int, action: str) -> Tally:
    """How often `action` was done to one object, of the entries `reader` may read, and the latest time."""
    stmt = audit_scope(reader, select(AuditEntry)).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == object_id, AuditEntry.action == action)
    count = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    last = db.session.scalars(_newest_first(stmt).limit(1)).first() if count else None
    return Tally(count, last)


def owner_history(object_type: str, object_id: int, *, actions: Iterable[str],
                  limit: int = HISTORY_LIMIT) -> list[AuditEntry]:
    """The entries about one object that its owner reads (the caller checked that the reader owns it): only
    `actions`, the steps of its own case, newest first."""
    stmt = select(AuditEntry).where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id,
                                    AuditEntry.action.in_(list(actions)))
    return list(db.session.scalars(_newest_first(stmt).limit(limit)))


def entries_readable_by(reader, *, action_prefix: str = "", action: str | None = None,
                        object_type: str | None = None, object_id: int | None = None,
                        actors: Select | None = None, actor_text: str | None = None,
                        since: datetime | None = None, until: datetime | None = None) -> Select:
    """A select of the audit entries `reader` may read, newest first, narrowed by what is given: the action
    (exactly, or by the start of its code), the object (its kind, and its id), who acted (`actors`: a select
    of user ids; `actor_text`: found in the name kept of an account that no longer exists) and the period
    [`since`, `until`)."""
    stmt = audit_scope(reader, select(AuditEntry))
    if action_prefix:
        stmt = stmt.where(AuditEntry.action.like(f"{action_prefix}%"))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if actors is not None or actor_text:
        who = [AuditEntry.actor_id.in_(actors)] if actors is not None else []
        if actor_text:
            who.append(AuditEntry.actor_id.is_(None)
                       & func.lower(AuditEntry.actor_label).like(f"%{actor_text.strip().lower()}%"))
        stmt = stmt.where(or_(*who))
    if since is not None:
        stmt = stmt.where(AuditEntry.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.created_at < until)
    return _newest_first(stmt)


def _newest_first(stmt: Select) -> Select:
    # Who acted is named on every line: load the accounts with the page, not one query per line.
    return stmt.options(selectinload(AuditEntry.actor)).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
