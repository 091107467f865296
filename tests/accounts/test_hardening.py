"""Issue 12, found by probing the site as an attacker: tokens that outlived a new password, links built from a
forged Host, one login bucket behind a proxy, sign-up and log-in that told who has an account, no letter when
the password or the address changed."""
from __future__ import annotations

import re

import argon2
import pytest
from sqlalchemy import select

import marketplace.accounts.token_views  # noqa: F401  (the pages, before the app registers the blueprint)
from marketplace.accounts import tokens
from marketplace.accounts.models import AccountStatus, ApiToken, User
from marketplace.core.roles import Role
from tests.conftest import login
from tests.factories import PASSWORD, HouseholdFactory, OfficeFactory, UserFactory

NEW_PASSWORD = "a heron over the Ishim at dawn"
FORGED = "evil.example"


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def links_in(message) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


def api(client, raw: str, path: str = "/api/v1/me/claims"):
    return client.get(path, headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def two_tokens(db_session, volunteer_user):
    """Two live tokens of the volunteer, e.g. the phone app on two phones."""
    raws = [tokens.create_token(volunteer_user, name)[1] for name in ("Phone A", "Phone B")]
    db_session.commit()
    return raws


# --- 1. a new password, a reset, "log out everywhere" and a disabled account end every API token ---------------


def assert_tokens_dead(client, db_session, volunteer_user, raws):
    for raw in raws:
        response = api(client, raw)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    live = db_session.scalars(select(ApiToken).where(ApiToken.user_id == volunteer_user.id,
                                                     ApiToken.revoked_at.is_(None))).all()
    assert live == []


def test_a_new_password_ends_every_api_token_and_says_which(client, other_client, db_session, login_as,
                                                           volunteer_user, two_tokens):
    assert [api(other_client, raw).status_code for raw in two_tokens] == [200, 200]
    login_as(volunteer_user)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, follow_redirects=True)
    assert "These API tokens no longer work: Phone A, Phone B." in response.get_data(as_text=True)
    assert_tokens_dead(other_client, db_session, volunteer_user, two_tokens)
    # They show as revoked, and a new one can be made and works.
    page = client.get("/account/tokens").get_data(as_text=True)
    assert page.count(">revoked<") == 2
    raw = re.search(r"sw_[A-Za-z0-9_\-]{43}", client.post("/account/tokens", data={"name": "New phone"})
                    .get_data(as_text=True)).group(0)
    assert api(other_client, raw).status_code == 200


def test_a_reset_by_email_ends_every_api_token(client, other_client, db_session, volunteer_user, two_tokens, outbox):
    client.post("/password/forgot", data={"email": volunteer_user.email})
    [link] = [link for link in links_in(outbox[-1]) if "/password/reset/" in link]
    response = client.post(path_of(link), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                           follow_redirects=True)
    assert "These API tokens no longer work: Phone A, Phone B." in response.get_data(as_text=True)
    assert_tokens_dead(other_client, db_session, volunteer_user, two_tokens)


def test_log_out_everywhere_ends_every_api_token(client, other_client, db_session, login_as, volunteer_user,
                                                 two_tokens):
    login_as(volunteer_user)
    response = client.post("/account/logout-everywhere", follow_redirects=True)
    assert "These API tokens no longer work: Phone A, Phone B." in response.get_data(as_text=True)
    assert_tokens_dead(other_client, db_session, volunteer_user, two_tokens)


def test_a_disabled_account_keeps_no_token_even_once_enabled_again(client, other_client, db_session, login_as,
                                                                   volunteer_user, admin_user, two_tokens):
    login_as(admin_user)
    client.post(f"/admin/users/{volunteer_user.id}/status", data={"transition": "disable", "reason": "stolen phone"})
    client.post(f"/admin/users/{volunteer_user.id}/status", data={"transition": "enable"})
    db_session.refresh(volunteer_user)
    assert volunteer_user.status is AccountStatus.ACTIVE
    assert_tokens_dead(other_client, db_session, volunteer_user, two_tokens)


# --- 2. links that leave the site are built from PUBLIC_URL, never from the request's Host --------------------


def test_a_reset_letter_names_the_site_whatever_host_the_request_named(app, client, volunteer_user, outbox):
    response = client.post("/password/forgot", data={"email": volunteer_user.email}, headers={"Host": FORGED})
    assert response.status_code == 302
    [letter] = outbox
    assert FORGED not in letter.body
    assert [link for link in links_in(letter) if link.startswith(app.config["PUBLIC_URL"] + "/password/reset/")]


def test_sign_up_invitation_and_notice_letters_ignore_a_forged_host(app, client, other_client, db_session,
                                                                    admin_user, outbox):
    public = app.config["PUBLIC_URL"]
    client.post("/signup/family", headers={"Host": FORGED}, data={
        "full_name": "Дана", "email": "dana@example.kz", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "accept_terms": "y"})
    office = OfficeFactory()
    # Logged in through the forged host too, so that the browser sends its cookie there.
    client.post("/login", data={"email": admin_user.email, "password": PASSWORD}, headers={"Host": FORGED})
    client.post("/admin/staff/new", headers={"Host": FORGED},
                data={"email": "new.staff@example.kz", "full_name": "Новый Сотрудник", "office_id": office.id})
    household = HouseholdFactory(office=office, submitted=True, user=UserFactory(family=True, locale="en"))
    staff = UserFactory(role=Role.STAFF, office=office)
    other_client.post("/login", data={"email": staff.email, "password": PASSWORD}, headers={"Host": FORGED})
    other_client.post(f"/staff/households/{household.id}/transitions/verify", headers={"Host": FORGED})
    assert [m.recipients for m in outbox] == [["dana@example.kz"], ["new.staff@example.kz"], [household.user.email]]
    for letter in outbox:
        assert FORGED not in letter.body and links_in(letter), letter.body
        assert all(link.startswith(public + "/") for link in links_in(letter)), letter.body


@pytest.mark.parametrize("settings, message", [
    ({}, "PUBLIC_URL"),
    ({"PUBLIC_URL": "https://social-window.kz"}, "TRUSTED_HOSTS"),
    ({"TRUSTED_HOSTS": ["social-window.kz"]}, "PUBLIC_URL"),
    ({"PUBLIC_URL": "https://evil.example", "TRUSTED_HOSTS": ["social-window.kz"]}, "must be one of TRUSTED_HOSTS"),
])
def test_production_refuses_to_start_without_its_address_and_hosts(settings, message):
    from marketplace import create_app

    with pytest.raises(RuntimeError, match=message):
        create_app("development", **{"ENV_NAME": "production", "SECRET_KEY": "x" * 64,
                                     "SQLALCHEMY_DATABASE_URI": "sqlite://", "PUBLIC_URL": "", "TRUSTED_HOSTS": None,
                                     **settings})


# --- 3. behind a proxy the login limit counts each client, and only a trusted proxy is believed ---------------


@pytest.fixture
def behind_proxies(app, monkeypatch):
    """The app as `create_app` builds it with TRUSTED_PROXIES=n, and a login limit of 3 per address."""
    from marketplace import register_proxies

    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "3 per hour")
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # put back after the test

    def build(proxies: int):
        monkeypatch.setitem(app.config, "TRUSTED_PROXIES", proxies)
        register_proxies(app)
    return build


def failed_logins(client, client_address: str, times: int) -> list[int]:
    """`times` wrong log-ins that reach the site through the proxy at 10.0.0.1 for `client_address`."""
    return [client.post("/login", data={"email": f"nobody{i}@example.kz", "password": "wrong password"},
                        environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-For": client_address}
                        ).status_code for i in range(times)]


def test_behind_a_trusted_proxy_each_client_has_its_own_login_limit(client, db_session, behind_proxies):
    behind_proxies(1)
    assert failed_logins(client, "203.0.113.7", 4) == [200, 200, 200, 429]
    assert failed_logins(client, "198.51.100.9", 1) == [200]  # another family behind the same nginx


def test_without_a_trusted_proxy_x_forwarded_for_is_not_believed(client, db_session, behind_proxies):
    behind_proxies(0)
    codes = [failed_logins(client, f"203.0.113.{i}", 1)[0] for i in range(4)]
    assert codes == [200, 200, 200, 429]  # a forged header does not buy an attacker fresh attempts


def test_a_session_remembers_the_real_client_address(client, db_session, behind_proxies, volunteer_user):
    from marketplace.accounts.models import UserSession

    behind_proxies(1)
    client.post("/login", data={"email": volunteer_user.email, "password": PASSWORD},
                environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-For": "203.0.113.7"})
    session = db_session.scalar(select(UserSession).where(UserSession.user_id == volunteer_user.id))
    assert session.ip_address == "203.0.113.7"


# --- 4. log-in and sign-up do not tell which addresses have accounts ------------------------------------------


@pytest.fixture
def argon2_calls(monkeypatch):
    """How many argon2 hashes and verifies the code under test runs."""
    calls = {"hash": 0, "verify": 0}
    real_hash, real_verify = argon2.PasswordHasher.hash, argon2.PasswordHasher.verify

    def counting_hash(self, *args, **kwargs):
        calls["hash"] += 1
        return real_hash(self, *args, **kwargs)

    def counting_verify(self, *args, **kwargs):
        calls["verify"] += 1
        return real_verify(self, *args, **kwargs)

    monkeypatch.setattr(argon2.PasswordHasher, "hash", counting_hash)
    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    return calls


def test_log_in_does_the_same_argon2_work_for_a_known_and_an_unknown_address(client, volunteer_user, argon2_calls):
    client.post("/login", data={"email": "warm-up@example.kz", "password": "wrong password"})
    work = {}
    for email in (volunteer_user.email, "nobody@example.kz"):
        argon2_calls.update(hash=0, verify=0)
        response = client.post("/login", data={"email": email, "password": "wrong password"})
        assert "The e-mail or the password is wrong." in response.get_data(as_text=True)
        work[email] = dict(argon2_calls)
    assert work == {volunteer_user.email: {"hash": 0, "verify": 1}, "nobody@example.kz": {"hash": 0, "verify": 1}}


def signup(client, email: str, role: str = "family"):
    return client.post(f"/signup/{role}", data={"full_name": "Дана Серикова", "email": email,
                                                "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                                "accept_terms": "y"})


def visible(page: str) -> str:
    """A page's text without its CSRF token and the address typed."""
    page = re.sub(r'name="csrf_token"[^>]*>', "", page)
    return page.replace("taken@example.kz", "ADDRESS").replace("free@example.kz", "ADDRESS")


def test_sign_up_with_a_taken_address_answers_as_for_a_new_one_and_tells_the_owner(
        app, client, other_client, db_session, argon2_calls, outbox):
    owner = UserFactory(email="taken@example.kz", full_name="Айгерим Ахметова", role=Role.VOLUNTEER, locale="en")
    answers = {}
    for browser, email in ((client, "taken@example.kz"), (other_client, "free@example.kz")):
        argon2_calls.update(hash=0, verify=0)
        response = signup(browser, email)
        answers[email] = (response.status_code, response.headers["Location"], dict(argon2_calls),
                          visible(browser.get(response.headers["Location"]).get_data(as_text=True)))
    assert answers["taken@example.kz"] == answers["free@example.kz"]
    assert answers["free@example.kz"][:3] == (302, "/signup/sent", {"hash": 1, "verify": 0})
    # The owner hears of it, with a way in; the account is unchanged; no second account.
    assert [m.recipients for m in outbox] == [["taken@example.kz"], ["free@example.kz"]]
    assert "already have an account" in outbox[0].body and "/password/forgot" in outbox[0].body
    db_session.refresh(owner)
    assert owner.role is Role.VOLUNTEER and owner.full_name == "Айгерим Ахметова"
    assert len(db_session.scalars(select(User).where(User.email == "taken@example.kz")).all()) == 1


def test_an_unconfirmed_sign_up_cannot_log_in_and_its_right_password_looks_wrong(client, db_session, outbox):
    signup(client, "free@example.kz")
    wrong = client.post("/login", data={"email": "free@example.kz", "password": "not the password"})
    right = client.post("/login", data={"email": "free@example.kz", "password": NEW_PASSWORD})
    assert right.status_code == wrong.status_code == 200
    assert visible(right.get_data(as_text=True)) == visible(wrong.get_data(as_text=True))
    assert client.get("/dashboard").status_code == 302
    # The right password sends the link again (to the mailbox, so it tells the visitor nothing).
    assert [m.recipients for m in outbox] == [["free@example.kz"], ["free@example.kz"]]


def test_the_confirmation_link_needs_the_password_chosen(client, other_client, db_session, outbox):
    """A sign-up made in someone's name cannot be finished by them clicking the link, nor by anyone else."""
    signup(client, "free@example.kz")
    [link] = [link for link in links_in(outbox[0]) if "/signup/confirm/" in link]
    response = other_client.post(path_of(link), data={"password": "a guess of the password"})
    assert "This is not the password you chose when signing up." in response.get_data(as_text=True)
    user = db_session.scalar(select(User).where(User.email == "free@example.kz"))
    assert user.status is AccountStatus.UNCONFIRMED
    assert other_client.post(path_of(link), data={"password": NEW_PASSWORD}).status_code == 302
    db_session.refresh(user)
    assert user.status is AccountStatus.ACTIVE and user.role is Role.FAMILY
    # Opened again: where it is logged in, it just goes on; anywhere else, it has done its work.
    assert other_client.get(path_of(link)).headers["Location"] == "/dashboard"
    again = client.get(path_of(link), follow_redirects=True)
    assert "This link has expired or was already used." in again.get_data(as_text=True)


def test_a_newer_sign_up_replaces_an_unconfirmed_one_and_its_link(client, other_client, db_session, outbox):
    signup(client, "free@example.kz", role="patron")
    signup(other_client, "free@example.kz", role="family")
    first, second = ([link for link in links_in(m) if "/signup/confirm/" in link][0] for m in outbox)
    assert "expired or was already used" in client.get(path_of(first), follow_redirects=True).get_data(as_text=True)
    other_client.post(path_of(second), data={"password": NEW_PASSWORD})
    [user] = db_session.scalars(select(User).where(User.email == "free@example.kz")).all()
    assert user.status is AccountStatus.ACTIVE and user.role is Role.FAMILY


# --- 6. a letter to the account's address when its password, tokens or address change -------------------------


def test_a_password_change_is_told_to_the_address_in_its_language(client, db_session, login_as, outbox):
    user = UserFactory(role=Role.VOLUNTEER, locale="kk")
    tokens.create_token(user, "Phone A")
    db_session.commit()
    outbox.clear()
    login_as(user)
    client.post("/account/password",
                data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    [letter] = outbox
    assert letter.recipients == [user.email]
    assert letter.subject == "«Әлеуметтік терезе»: құпиясөз өзгертілді"
    assert "Phone A" in letter.body and "/password/forgot" in letter.body


def test_a_new_api_token_is_told_to_the_address(client, login_as, volunteer_user, outbox):
    login_as(volunteer_user)
    client.post("/account/tokens", data={"name": "Чужой телефон"})
    [letter] = outbox
    assert letter.recipients == [volunteer_user.email] and "Чужой телефон" in letter.body
    assert "/account/tokens" in letter.body


def test_changing_the_address_needs_the_password_and_the_new_mailbox(client, other_client, db_session, login_as,
                                                                   volunteer_user, outbox):
    old = volunteer_user.email
    login_as(volunteer_user)
    refused = client.post("/account/email", data={"change_email-email": "new@example.kz",
                                                  "change_email-current_password": "not the password"})
    assert refused.status_code == 400 and "The current password is wrong." in refused.get_data(as_text=True)
    assert outbox == []
    response = client.post("/account/email", data={"change_email-email": "New@Example.kz",
                                                   "change_email-current_password": PASSWORD})
    assert response.status_code == 302
    db_session.refresh(volunteer_user)
    assert volunteer_user.email == old  # not before the new mailbox answers
    assert [m.recipients for m in outbox] == [["new@example.kz"], [old]]
    [link] = [link for link in links_in(outbox[0]) if "/account/email/confirm/" in link]
    assert "new@example.kz" in outbox[1].body

    other_client.get(path_of(link))  # opened on the phone, where nobody is logged in
    db_session.refresh(volunteer_user)
    assert volunteer_user.email == "new@example.kz"
    assert [m.recipients for m in outbox[2:]] == [[old]] and "new@example.kz" in outbox[2].body
    again = other_client.get(path_of(link), follow_redirects=True)
    assert "This link has expired or was already used." in again.get_data(as_text=True)
    assert login(other_client, volunteer_user).status_code == 302


def test_an_address_taken_meanwhile_is_refused_when_the_link_is_opened(client, db_session, login_as,
                                                                       volunteer_user, outbox):
    login_as(volunteer_user)
    client.post("/account/email", data={"change_email-email": "new@example.kz",
                                        "change_email-current_password": PASSWORD})
    UserFactory(email="new@example.kz")
    [link] = [link for link in links_in(outbox[0]) if "/account/email/confirm/" in link]
    response = client.get(path_of(link), follow_redirects=True)
    assert "This address already belongs to another account." in response.get_data(as_text=True)
    db_session.refresh(volunteer_user)
    assert volunteer_user.email != "new@example.kz"


def test_sign_ups_left_unconfirmed_are_forgotten_after_their_links_life(app, client, db_session, outbox):
    from datetime import timedelta

    from marketplace.accounts.cli import sweep_unconfirmed_signups
    from marketplace.core.dbtypes import utcnow

    old = UserFactory(email="old@example.kz", status=AccountStatus.UNCONFIRMED,
                      created_at=utcnow() - timedelta(seconds=app.config["SIGNUP_CONFIRM_MAX_AGE"] + 60))
    fresh = UserFactory(email="fresh@example.kz", status=AccountStatus.UNCONFIRMED)
    confirmed_long_ago = UserFactory(email="kept@example.kz", created_at=utcnow() - timedelta(days=400))
    db_session.commit()
    old_id = old.id
    assert sweep_unconfirmed_signups() == 1
    assert sweep_unconfirmed_signups() == 0  # a second run finds nothing left: done, not an error
    db_session.expire_all()
    assert db_session.get(User, old_id) is None
    assert {u.email for u in db_session.scalars(select(User))} >= {fresh.email, confirmed_long_ago.email}


def test_a_replaced_sign_up_starts_its_clock_again(client, db_session, outbox):
    from datetime import timedelta

    from marketplace.core.dbtypes import utcnow

    UserFactory(email="free@example.kz", status=AccountStatus.UNCONFIRMED, created_at=utcnow() - timedelta(days=2))
    db_session.commit()
    signup(client, "free@example.kz")
    user = db_session.scalar(select(User).where(User.email == "free@example.kz"))
    assert utcnow() - user.created_at < timedelta(minutes=1)


def test_forgot_password_for_an_unfinished_sign_up_sends_its_link_again(client, db_session, outbox):
    signup(client, "free@example.kz")
    client.post("/password/forgot", data={"email": "free@example.kz"})
    assert [m.recipients for m in outbox] == [["free@example.kz"], ["free@example.kz"]]
    assert [link for link in links_in(outbox[1]) if "/signup/confirm/" in link]


def test_a_change_to_a_taken_address_tells_its_owner_without_the_askers_name(client, db_session, login_as,
                                                                            volunteer_user, outbox):
    owner = UserFactory(email="taken@example.kz", full_name="Айгерим Ахметова", locale="kk")
    login_as(volunteer_user)
    response = client.post("/account/email", data={"change_email-email": "taken@example.kz",
                                                   "change_email-current_password": PASSWORD}, follow_redirects=True)
    assert "We sent a link to taken@example.kz" in response.get_data(as_text=True)  # as for a free address
    assert [m.recipients for m in outbox] == [["taken@example.kz"], [volunteer_user.email]]
    letter = outbox[0]
    assert "Айгерим" in letter.body and volunteer_user.full_name not in letter.body
    assert not [link for link in links_in(letter) if "/account/email/confirm/" in link]
    assert letter.subject != "Someone tried to use your e-mail address on Social Window"  # in the owner's Kazakh


def test_sign_ups_that_fail_their_checks_do_not_use_up_the_limit(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_LIMIT_PER_IP", "2 per hour")
    weak = [client.post("/signup/family", data={"full_name": "Дана", "email": f"d{i}@example.kz",
                                                "password": "qwerty123456", "confirm": "qwerty123456",
                                                "accept_terms": "y"}).status_code for i in range(5)]
    assert weak == [200] * 5  # told why, as often as it takes
    assert [signup(client, f"ok{i}@example.kz").status_code for i in range(3)] == [302, 302, 429]


def test_the_login_limit_per_address_counts_failures_only(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "2 per hour")
    people = [UserFactory() for _ in range(4)]
    db_session.commit()
    assert [login(client, person).status_code for person in people] == [302] * 4  # an office's shared address
    assert [login(client, person, "wrong password").status_code for person in people[:3]] == [200, 200, 429]
