"""Personal API tokens: created and revoked on the profile, only a hash stored, only volunteers."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

import marketplace.accounts.token_views  # noqa: F401  (the pages, before the app registers the blueprint)
from marketplace.core.roles import Role
from marketplace.accounts import tokens
from marketplace.accounts.models import AccountStatus, ApiToken
from marketplace.core.audit.models import AuditEntry
from tests.conftest import login
from tests.factories import UserFactory

RAW_TOKEN = re.compile(r"sw_[A-Za-z0-9_\-]{43}")


def create_on_page(client, name="My phone") -> tuple[str, object]:
    response = client.post("/account/tokens", data={"name": name})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    [raw] = set(RAW_TOKEN.findall(response.get_data(as_text=True)))
    return raw, response


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(client, db_session, login_as, volunteer_user):
    login_as(volunteer_user)
    raw, response = create_on_page(client)
    assert response.headers["Cache-Control"] == "no-store"
    token = db_session.scalar(select(ApiToken).where(ApiToken.user_id == volunteer_user.id))
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:8] and token.name == "My phone"
    # The raw token is in no column of its row, nor in the audit log.
    for column in ApiToken.__table__.columns:
        assert raw[8:] not in str(getattr(token, column.key)), column.key
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.create")).all()
    assert [e.object_id for e in entries] == [token.id] and all(raw[8:] not in str(e.reason) for e in entries)
    # The list shows the name and prefix, never the token again.
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "My phone" in page and token.prefix in page and raw not in page


def test_a_token_needs_a_name(client, db_session, login_as, volunteer_user):
    login_as(volunteer_user)
    response = client.post("/account/tokens", data={"name": "  "})
    assert response.status_code == 400 and not RAW_TOKEN.search(response.get_data(as_text=True))
    assert db_session.scalar(select(ApiToken)) is None


@pytest.mark.parametrize("role, allowed", [
    ("volunteer", True), ("family", False), ("patron", False), ("partner", False), ("staff", False),
    ("admin", False),
])
def test_only_volunteers_hold_tokens(client, db_session, users, role, allowed):
    assert login(client, users[role]).status_code == 302
    expected = 200 if allowed else 403
    assert client.get("/account/tokens").status_code == expected
    assert client.post("/account/tokens", data={"name": "x"}).status_code == expected
    assert (db_session.scalar(select(ApiToken)) is not None) is allowed


def test_anonymous_visitors_are_sent_to_log_in(client, db_session):
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_revoking_a_token_stops_it_and_is_audited(client, db_session, login_as, volunteer_user):
    login_as(volunteer_user)
    raw, _response = create_on_page(client)
    token = db_session.scalar(select(ApiToken))
    response = client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/tokens")
    db_session.refresh(token)
    assert token.revoked_at is not None and tokens.user_for_token(raw) is None
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.revoke")).object_id == token.id
    assert "revoked" in client.get("/account/tokens").get_data(as_text=True)


def test_nobody_revokes_another_volunteers_token(client, db_session, login_as, volunteer_user):
    other = UserFactory(role=Role.VOLUNTEER)
    token, raw = tokens.create_token(other, "Their phone")
    db_session.commit()
    login_as(volunteer_user)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    db_session.refresh(token)
    assert token.revoked_at is None and tokens.user_for_token(raw).id == other.id


def test_which_tokens_identify_a_user(app, db_session, volunteer_user):
    with app.test_request_context():
        token, raw = tokens.create_token(volunteer_user, "phone")
        db_session.commit()
        assert tokens.user_for_token(raw).id == volunteer_user.id
        for wrong in (None, "", raw[:-1], raw + "x", raw[3:], "sw_" + "A" * 43):
            assert tokens.user_for_token(wrong) is None, wrong
        volunteer_user.status = AccountStatus.DISABLED
        db_session.commit()
        assert tokens.user_for_token(raw) is None  # a disabled account's tokens stop working
        volunteer_user.status = AccountStatus.ACTIVE
        tokens.revoke_token(token, volunteer_user)
        db_session.commit()
        assert tokens.user_for_token(raw) is None


def test_last_used_is_written_at_most_every_five_minutes(app, db_session, volunteer_user):
    with app.test_request_context():
        token, raw = tokens.create_token(volunteer_user, "phone")
        db_session.commit()
        assert token.last_used_at is None
        tokens.user_for_token(raw)
        first = token.last_used_at
        assert first is not None
        tokens.user_for_token(raw)
        assert token.last_used_at == first  # within five minutes: not written again
        token.last_used_at = first - timedelta(minutes=6)
        db_session.commit()
        tokens.user_for_token(raw)
        assert token.last_used_at > first - timedelta(minutes=6)
