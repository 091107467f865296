"""Who may read a notification: its addressee only."""
from __future__ import annotations

from marketplace.core.authz import policy
from marketplace.core.roles import is_authenticated


@policy("notification.read_own")
def can_read_own_notification(user, notification) -> bool:
    """Only the addressee reads or marks a notification; `None` stands for "all of my own"."""
    return is_authenticated(user) and (notification is None or notification.user_id == user.id)
