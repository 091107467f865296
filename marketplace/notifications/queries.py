"""Read-only selects about a user's notifications."""
from __future__ import annotations

from sqlalchemy import Select, func, select

from marketplace.core.extensions import db
from marketplace.core.roles import is_authenticated
from marketplace.notifications.models import Notification


def unread_count(user) -> int:
    """How many notifications the user has not opened yet (0 for visitors), for the header badge."""
    if not is_authenticated(user):
        return 0
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def notifications_of(user) -> Select:
    """A select of the user's notifications, newest first."""
    return (
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
