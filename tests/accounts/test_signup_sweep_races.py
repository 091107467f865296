"""`flask sweep-signups` started twice at once (two cron hosts): every stale sign-up goes once, neither run fails."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="real concurrent transactions need PostgreSQL")
STALE = 40


def test_two_sweeps_at_once_delete_each_stale_sign_up_once(race_app):
    from sqlalchemy import func, select

    from marketplace.accounts.cli import sweep_unconfirmed_signups
    from marketplace.accounts.models import AccountStatus, User
    from marketplace.core.dbtypes import utcnow
    from marketplace.core.extensions import db
    from marketplace.core.roles import Role

    with race_app.app_context():
        old = utcnow() - timedelta(seconds=race_app.config["SIGNUP_CONFIRM_MAX_AGE"] + 60)
        db.session.add_all(
            [User(email=f"stale{i}@example.kz", password_hash="x", role=Role.FAMILY, full_name="Семья",
                  status=AccountStatus.UNCONFIRMED, created_at=old) for i in range(STALE)]
            + [User(email="fresh@example.kz", password_hash="x", role=Role.FAMILY, full_name="Семья",
                    status=AccountStatus.UNCONFIRMED)])
        db.session.commit()

    start = threading.Barrier(2)
    results: list = [None, None]

    def run(slot: int) -> None:
        with race_app.app_context():
            start.wait()
            try:
                results[slot] = sweep_unconfirmed_signups()
            except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
                results[slot] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == STALE
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
