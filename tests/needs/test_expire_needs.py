"""Needs past their deadline expire through the lifecycle, and the family is told."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from marketplace.core.audit.models import AuditEntry
from marketplace.needs.models import NeedStatus
from marketplace.notifications.models import Notification
from tests.factories import NeedFactory


def test_expire_needs_command(app, db_session, outbox):
    overdue = NeedFactory(open=True, deadline=date.today() - timedelta(days=1))
    due_today = NeedFactory(open=True, deadline=date.today())
    done = NeedFactory(fulfilled=True, deadline=date.today() - timedelta(days=5))
    result = app.test_cli_runner().invoke(args=["expire-needs"])
    assert result.exit_code == 0 and "1 " in result.output
    db_session.expire_all()
    assert overdue.status is NeedStatus.EXPIRED
    assert due_today.status is NeedStatus.VERIFIED and done.status is NeedStatus.FULFILLED
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "need.expire"))
    assert entry.object_id == overdue.id and entry.actor_label == "system" and "deadline" in entry.reason
    assert db_session.scalar(select(Notification).where(Notification.user_id == overdue.household.user_id)).kind == "need.expire"
    assert [m.recipients for m in outbox] == [[overdue.household.user.email]]
