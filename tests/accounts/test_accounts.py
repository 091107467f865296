"""Sign-up, log-in, sessions that can be revoked, passwords, rate limits."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.core.roles import Role

from marketplace.accounts.models import AccountStatus, User, UserSession
from marketplace.core.audit.models import AuditEntry
from tests.conftest import login
from tests.factories import PASSWORD, UserFactory

GOOD = "a quiet river in Kokshetau"


def signup(client, role="volunteer", **fields):
    data = {"full_name": "Алия Нуртаева", "email": "aliya@example.kz", "password": GOOD, "confirm": GOOD,
            "accept_terms": "y"}
    data.update(fields)
    return client.post(f"/signup/{role}", data=data)


def link_in(message) -> str:
    """The one link of the site in a letter."""
    links = re.findall(r"https?://\S+", message.body)
    assert links, message.body
    return links[-1]


def confirm(client, outbox, password: str = GOOD):
    """Open the sign-up letter's link and type the password, as the new user does."""
    path = "/" + link_in(outbox[-1]).split("/", 3)[3]
    assert client.get(path).status_code == 200
    return client.post(path, data={"password": password})


def actions(db_session, user) -> list[str]:
    return list(db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "user",
                                                                   AuditEntry.object_id == user.id)))


def test_volunteer_signs_up_confirms_the_address_and_is_logged_in(client, db_session, outbox):
    response = signup(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/signup/sent")
    assert "aliya@example.kz" in client.get("/signup/sent").get_data(as_text=True)
    user = db_session.scalar(select(User).where(User.email == "aliya@example.kz"))
    assert user.role is Role.VOLUNTEER and user.status is AccountStatus.UNCONFIRMED
    assert user.password_hash.startswith("$argon2id$") and GOOD not in user.password_hash
    assert client.get("/dashboard").status_code == 302  # not logged in before the link is opened
    assert [m.recipients for m in outbox] == [["aliya@example.kz"]]

    response = confirm(client, outbox)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    db_session.refresh(user)
    assert user.status is AccountStatus.ACTIVE
    assert actions(db_session, user)[:2] == ["account.sign_up", "account.confirm_email"]
    assert "Алия" in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize(
    "password, message",
    [("short1", "Use at least 10 characters."), ("1234567890", "too easy to guess"),
     ("aliya-and-more-words", "Do not use your name or e-mail")],
)
def test_password_policy_explains_what_is_wrong_and_creates_nothing(client, db_session, password, message):
    response = signup(client, password=password, confirm=password)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db_session.scalar(select(User).where(User.email == "aliya@example.kz")) is None


def test_email_is_unique_whatever_the_case(client, db_session, outbox):
    UserFactory(email="aliya@example.kz", locale="en")
    response = signup(client, email="ALIYA@Example.kz")
    assert response.status_code == 302 and response.headers["Location"].endswith("/signup/sent")
    assert len(db_session.scalars(select(User).where(User.email == "aliya@example.kz")).all()) == 1
    assert [m.recipients for m in outbox] == [["aliya@example.kz"]]
    assert "already have an account" in outbox[0].body


def valid_bin(first11: str = "18044001234") -> str:
    """A BIN with the right control digit, computed the way the tax service does."""
    digits = [int(c) for c in first11]
    control = sum(d * w for d, w in zip(digits, range(1, 12))) % 11
    if control == 10:
        control = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])) % 11
    assert control != 10, "pick other digits"
    return first11 + str(control)


def test_company_patron_needs_a_valid_bin(client, db_session):
    good = valid_bin()
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    for bad_value, message in [("", "A company needs its 12-digit BIN."), ("12345", "BIN is not valid"),
                               (wrong, "BIN is not valid")]:
        response = signup(client, role="patron", patron_kind="company", organisation_name="ТОО Береке", bin=bad_value)
        assert message in response.get_data(as_text=True)
    assert db_session.scalar(select(User).where(User.email == "aliya@example.kz")) is None
    response = signup(client, role="patron", patron_kind="company", organisation_name="ТОО Береке", bin=good)
    assert response.status_code == 302
    patron = db_session.scalar(select(User).where(User.email == "aliya@example.kz"))
    assert patron.bin == good and patron.display_name == "ТОО Береке"


def test_bin_checksum():
    from marketplace.accounts.services import is_valid_bin

    good = valid_bin()
    assert is_valid_bin(good)
    assert not is_valid_bin(good[:-1] + str((int(good[-1]) + 1) % 10))
    assert not is_valid_bin("12345678901")
    assert not is_valid_bin("12345678901a")


def test_partner_waits_for_approval_then_admin_approves(client, other_client, db_session, admin_user, outbox):
    response = signup(client, role="partner", organisation_name="ОФ «Көмек»", email="ngo@example.kz")
    assert response.status_code == 302
    confirm(client, outbox)
    partner = db_session.scalar(select(User).where(User.email == "ngo@example.kz"))
    assert partner.status is AccountStatus.PENDING_APPROVAL
    assert "waiting for an administrator" in client.get("/dashboard").get_data(as_text=True)

    login(other_client, admin_user)
    other_client.post(f"/admin/users/{partner.id}/status", data={"transition": "approve"})
    db_session.refresh(partner)
    assert partner.status is AccountStatus.ACTIVE
    assert "account.approve" in actions(db_session, partner)
    assert [m.recipients for m in outbox] == [["ngo@example.kz"], ["ngo@example.kz"]]  # the link, the decision


def test_reject_needs_a_reason(client, db_session, admin_user):
    partner = UserFactory(partner=True, pending=True)
    login(client, admin_user)
    response = client.post(f"/admin/users/{partner.id}/status", data={"transition": "reject", "reason": ""},
                           follow_redirects=True)
    assert "Please give a reason." in response.get_data(as_text=True)
    db_session.refresh(partner)
    assert partner.status is AccountStatus.PENDING_APPROVAL


def test_login_with_wrong_password_says_so_and_logs_nobody_in(client, volunteer_user):
    response = login(client, volunteer_user, "not the password")
    assert response.status_code == 200
    assert "The e-mail or the password is wrong." in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_disabled_account_cannot_log_in(client, db_session):
    user = UserFactory(disabled=True)
    response = login(client, user)
    assert "This account is disabled" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target, expected",
    [("/account", "/account"), ("https://evil.example/x", "/dashboard"), ("//evil.example", "/dashboard"),
     ("/\\evil.example", "/dashboard"), ("javascript:alert(1)", "/dashboard")],
)
def test_next_redirect_stays_on_this_site(client, volunteer_user, target, expected):
    response = client.post("/login", query_string={"next": target},
                           data={"email": volunteer_user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_session_cookie_is_httponly_and_lax(client, volunteer_user):
    response = login(client, volunteer_user)
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _copy_session(source, target):
    target.set_cookie("session", source.get_cookie("session").value)


def test_logout_ends_the_session_for_good(client, other_client, db_session, volunteer_user):
    login(client, volunteer_user)
    _copy_session(client, other_client)  # somebody copied the cookie
    assert other_client.get("/dashboard").status_code == 200
    client.post("/logout")
    assert other_client.get("/dashboard").status_code == 302  # the copy no longer works
    assert db_session.scalars(select(UserSession).where(UserSession.user_id == volunteer_user.id)).one().revoked_at


def test_password_change_ends_every_other_session(client, other_client, db_session, volunteer_user):
    login(client, volunteer_user)
    login(other_client, volunteer_user)
    new = "another quiet river here"
    response = client.post("/account/password",
                           data={"current_password": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert other_client.get("/dashboard").status_code == 302
    assert "account.password_changed" in actions(db_session, volunteer_user)


def test_wrong_current_password_changes_nothing(client, db_session, volunteer_user):
    login(client, volunteer_user)
    before = volunteer_user.password_hash
    response = client.post("/account/password",
                           data={"current_password": "nope", "password": GOOD, "confirm": GOOD})
    assert response.status_code == 400
    assert "The current password is wrong." in response.get_data(as_text=True)
    db_session.refresh(volunteer_user)
    assert volunteer_user.password_hash == before


def test_log_out_everywhere(client, other_client, volunteer_user):
    login(client, volunteer_user)
    login(other_client, volunteer_user)
    client.post("/account/logout-everywhere")
    assert client.get("/dashboard").status_code == 302
    assert other_client.get("/dashboard").status_code == 302


def test_disabling_an_account_ends_its_sessions(client, other_client, db_session, volunteer_user, admin_user):
    login(other_client, volunteer_user)
    login(client, admin_user)
    client.post(f"/admin/users/{volunteer_user.id}/status", data={"transition": "disable", "reason": "spam"})
    assert other_client.get("/dashboard").status_code == 302
    assert login(other_client, volunteer_user).status_code == 200  # refused with a message


def test_password_reset_by_email(client, other_client, db_session, volunteer_user, outbox):
    login(other_client, volunteer_user)
    response = client.post("/password/forgot", data={"email": volunteer_user.email.upper()})
    assert response.status_code == 302
    assert len(outbox) == 1 and outbox[0].recipients == [volunteer_user.email]
    link = re.search(r"http://\S+/password/reset/\S+", outbox[0].body).group(0)
    path = "/" + link.split("/", 3)[3]
    new = "a brand new sentence"
    assert client.post(path, data={"password": new, "confirm": new}).status_code == 302
    assert [m.recipients for m in outbox[1:]] == [[volunteer_user.email]]  # "your password was reset"
    assert "/password/forgot" in outbox[1].body  # what to do if it was not the owner
    assert login(client, volunteer_user, new).status_code == 302
    assert other_client.get("/dashboard").status_code == 302  # sessions ended by the reset
    again = client.post(path, data={"password": GOOD, "confirm": GOOD}, follow_redirects=True)
    assert "expired or was already used" in again.get_data(as_text=True)


def test_forgot_password_does_not_reveal_accounts(client, outbox):
    response = client.post("/password/forgot", data={"email": "nobody@example.kz"}, follow_redirects=True)
    assert "If an account exists" in response.get_data(as_text=True)
    assert outbox == []


def test_login_is_rate_limited_per_account(client, other_client, volunteer_user):
    for _ in range(5):
        assert login(client, volunteer_user, "wrong password").status_code == 200
    blocked = login(other_client, volunteer_user, PASSWORD)  # even from elsewhere, even the right one
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_login_is_rate_limited_per_ip(app, client):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    try:
        codes = [client.post("/login", data={"email": f"u{i}@example.kz", "password": "x"}).status_code
                 for i in range(4)]
    finally:
        app.config["LOGIN_LIMIT_PER_IP"] = "30 per 15 minutes"
    assert codes == [200, 200, 200, 429]


def test_forms_need_a_csrf_token(app, client, volunteer_user):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"email": volunteer_user.email, "password": PASSWORD})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


def test_create_admin_command(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--email", "Boss@Example.kz", "--name", "Boss",
                                 "--password", GOOD])
    assert result.exit_code == 0, result.output
    admin = db_session.scalar(select(User).where(User.email == "boss@example.kz"))
    assert admin.role is Role.ADMIN
    weak = runner.invoke(args=["create-admin", "--email", "b2@example.kz", "--name", "B", "--password", "short"])
    assert weak.exit_code != 0 and "10" in weak.output  # the policy message, in the default language
    assert db_session.scalar(select(User).where(User.email == "b2@example.kz")) is None


def test_admin_creates_staff_for_an_office_who_sets_a_password_by_email(client, db_session, admin_user, office,
                                                                        outbox):
    login(client, admin_user)
    response = client.post("/admin/staff/new", data={"full_name": "Дана", "email": "dana@example.kz",
                                                     "office_id": office.id})
    assert response.status_code == 302
    staff = db_session.scalar(select(User).where(User.email == "dana@example.kz"))
    assert staff.role is Role.STAFF and staff.office_id == office.id
    assert "/password/reset/" in outbox[0].body


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    from marketplace import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("development", ENV_NAME="production", SECRET_KEY="development-only-secret")
    app = create_app("development", ENV_NAME="production", SECRET_KEY="x" * 64,
                     SQLALCHEMY_DATABASE_URI="sqlite://", PUBLIC_URL="https://social-window.kz",
                     TRUSTED_HOSTS=["social-window.kz"])
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_partner_needs_an_organisation_name(client, db_session):
    response = signup(client, role="partner", organisation_name="  ")
    assert "Please enter the organisation's name." in response.get_data(as_text=True)
    assert db_session.scalar(select(User).where(User.email == "aliya@example.kz")) is None


def test_profile_changes_log_ins_and_log_outs_are_audited(client, db_session, volunteer_user):
    login(client, volunteer_user)
    client.post("/account", data={"full_name": "Новое Имя", "phone": "+7 701 111 22 33", "locale": "kk"})
    client.post("/logout")
    entries = db_session.execute(select(AuditEntry.action, AuditEntry.reason, AuditEntry.details).where(
        AuditEntry.object_type == "user", AuditEntry.object_id == volunteer_user.id).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["account.log_in", "account.update_profile", "account.log_out"]
    assert entries[1].details == {"fields": ["full_name", "phone", "locale"]} and entries[1].reason is None
    assert "+7 701" not in str(entries[1].details)  # the log names fields, it does not copy personal data
    db_session.refresh(volunteer_user)
    assert volunteer_user.full_name == "Новое Имя" and volunteer_user.locale == "kk"
