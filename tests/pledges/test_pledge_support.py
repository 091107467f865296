"""Helpers shared by the pledge tests (this module holds no tests of its own).

* `card` wires the shared `app` to the fake Stripe server (tests/stripe_fake.py) for one test;
  `wire_stripe` does the same for an app the test owns (`race_app`).
* `open_need`, `patron` make the objects every pledge test starts from.
* `post_event` signs and POSTs a fake-Stripe event to the real webhook endpoint.
* `rows()` counts every table a payment request may write, to prove a refused request wrote nothing.
* `expected_counters()` recomputes a need's reserved and raised money from its pledges, the way
  the services define them, so that tests can check the counters never drift.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.factories import NeedFactory, UserFactory
from tests.stripe_fake import FakeStripe, fake_stripe  # noqa: F401  (re-exported fixture)

WEBHOOK = "/payments/stripe/webhook"
SECRET = "whsec_test_secret"
GOAL = 5_000_000  # 50 000 ₸ in tiyn


def stripe_config(fake: FakeStripe) -> dict[str, str]:
    return {"STRIPE_SECRET_KEY": fake.api_key, "STRIPE_API_BASE": fake.url, "STRIPE_WEBHOOK_SECRET": SECRET}


def wire_stripe(app, fake: FakeStripe) -> None:
    """For an app the test owns (race_app): set the keys directly."""
    app.config.update(stripe_config(fake))


@pytest.fixture
def card(app, fake_stripe, monkeypatch):  # noqa: F811  (the imported fixture)
    """The shared app takes cards through the fake Stripe for this test; yields the fake."""
    for key, value in stripe_config(fake_stripe).items():
        monkeypatch.setitem(app.config, key, value)
    return fake_stripe


def open_need(**kwargs):
    """A verified, public need asking for money (50 000 ₸ unless told)."""
    kwargs.setdefault("money_goal", GOAL)
    return NeedFactory(open=True, **kwargs)


def patron(**kwargs):
    return UserFactory(patron=True, **kwargs)


def checkout(pledge, *, base: str = "http://localhost") -> str:
    """Open the pledge's Checkout Session as the pledge page would, after the reservation committed."""
    from flask import current_app

    from marketplace.core.extensions import db
    from marketplace.pledges import services

    with current_app.test_request_context():
        url = services.start_checkout(pledge, success_url=f"{base}/pledges/{pledge.id}?checkout=done",
                                      cancel_url=f"{base}/pledges/{pledge.id}?checkout=cancelled")
    db.session.commit()
    return url


def card_pledge(need, who, amount: int, **kwargs):
    """A committed card pledge with an open Checkout Session on the fake."""
    from marketplace.core.extensions import db
    from marketplace.pledges import services

    pledge = services.pledge_money(need, who, amount=amount, **kwargs)
    db.session.commit()
    checkout(pledge)
    return pledge


def paid_card_pledge(client, fake: FakeStripe, need, who, amount: int, **kwargs):
    """A card pledge paid on the fake and reported by its webhook events."""
    pledge = card_pledge(need, who, amount, **kwargs)
    for event in fake.pay(pledge.checkout_session_id):
        assert post_event(client, fake, event).status_code == 200
    return pledge


def requests_to(fake: FakeStripe, path: str, count: int) -> list:
    """The fake's log of requests to `path`, once it holds `count` of them. The fake appends each entry
    just after it has answered, so a test reading the log the moment the call returns may not find the
    last one yet: wait for it (and a moment longer, so that a surplus entry would show too)."""
    deadline = time.monotonic() + 5
    while True:
        with fake.lock:
            found = [r for r in fake.requests if r.path == path]
        if len(found) >= count or time.monotonic() > deadline:
            time.sleep(0.05)
            with fake.lock:
                return [r for r in fake.requests if r.path == path]
        time.sleep(0.01)


def post_event(client, fake: FakeStripe, event: dict, **sign):
    body, headers = fake.signed(event, **sign)
    return client.post(WEBHOOK, data=body, headers=headers)


def rows() -> dict[str, int]:
    """How many rows each table a payment request may touch holds."""
    from marketplace.core.audit.models import AuditEntry
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need, NeedItem
    from marketplace.notifications.models import Notification
    from marketplace.pledges.models import PaymentEvent, Pledge

    db.session.expire_all()
    counts = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
              for model in (PaymentEvent, Pledge, AuditEntry, Notification, Need, NeedItem)}
    counts["pledge statuses"] = tuple(db.session.execute(
        select(Pledge.id, Pledge.status, Pledge.amount_refunded).order_by(Pledge.id)).all())
    counts["need counters"] = tuple(db.session.execute(
        select(Need.id, Need.status, Need.money_raised, Need.money_reserved).order_by(Need.id)).all())
    return counts


def expected_counters(need_id: int) -> tuple[int, int]:
    """(reserved, raised) as the need's pledges add up: pending and awaiting-transfer money is reserved;
    paid and delivered money, less what was refunded, is raised."""
    from marketplace.core.extensions import db
    from marketplace.pledges.models import Pledge, PledgeStatus as S

    reserved = raised = 0
    for status, amount, refunded in db.session.execute(
            select(Pledge.status, Pledge.amount, Pledge.amount_refunded).where(Pledge.need_id == need_id)):
        if status in (S.PENDING, S.AWAITING_TRANSFER):
            reserved += amount
        elif status in (S.PAID, S.DELIVERED):
            raised += amount - refunded
    return reserved, raised


def counters(need) -> tuple[int, int]:
    """(reserved, raised) as stored on the need, read afresh."""
    from marketplace.core.extensions import db

    db.session.refresh(need)
    return need.money_reserved, need.money_raised


def audits(pledge_id: int, action: str | None = None) -> list[str]:
    """The pledge's audit actions, oldest first (or only those named `action`)."""
    from marketplace.core.audit.models import AuditEntry
    from marketplace.core.extensions import db

    stmt = select(AuditEntry.action).where(AuditEntry.object_type == "pledge", AuditEntry.object_id == pledge_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt.order_by(AuditEntry.id)))


def notifications(user_id: int, kind: str | None = None):
    from marketplace.core.extensions import db
    from marketplace.notifications.models import Notification

    stmt = select(Notification).where(Notification.user_id == user_id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt.order_by(Notification.id)))
