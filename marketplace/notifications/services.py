"""Changes to a user's notifications; they write and never commit, the caller commits."""
from __future__ import annotations

from sqlalchemy import update

from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.notifications.models import Notification


def mark_all_read(user) -> int:
    """Mark every unread notification of the user as read; returns how many there were."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount


def mark_read(notification: Notification) -> bool:
    """Mark one notification as read (the first opening counts); returns whether it was unread."""
    if notification.read_at is not None:
        return False
    notification.read_at = utcnow()
    return True
