"""Deny by default: a permission table per action, and a walk over every data-changing route."""
from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter
from flask import g, request_finished

from marketplace.core.roles import Role
from marketplace.core.extensions import limiter
from marketplace.core.authz import UNSAFE_METHODS, can, registered_actions
from tests.conftest import login
from tests.factories import OfficeFactory, UserFactory

ROLES = ["anonymous", "family", "volunteer", "patron", "partner", "staff", "admin"]


class Anonymous:
    is_authenticated = False
    role = None
    office_id = None
    id = None


def user_of(role: str, office=None):
    if role == "anonymous":
        return Anonymous()
    if role == "staff":
        return UserFactory(role=Role.STAFF, office=office or OfficeFactory())
    return UserFactory(role=Role(role))


# action → roles allowed (on an object the role has nothing special to do with)
PERMISSIONS = {
    "account.sign_up": {"anonymous"},
    "account.log_in": set(ROLES),
    "account.reset_password": set(ROLES),
    "account.log_out": set(ROLES) - {"anonymous"},
    "account.list": {"admin"},
    "account.manage": {"admin"},
    "office.manage": {"admin"},
    "audit.view": {"staff", "admin"},
    "language.set": set(ROLES),
}


@pytest.mark.parametrize("action", sorted(PERMISSIONS))
@pytest.mark.parametrize("role", ROLES)
def test_permission_table(db_session, app, action, role):
    with app.test_request_context():
        assert can(user_of(role), action) is (role in PERMISSIONS[action])


@pytest.mark.parametrize("role, own_office, allowed", [
    ("staff", True, True), ("staff", False, False), ("admin", False, True),
    ("family", False, False), ("volunteer", False, False), ("patron", False, False), ("partner", False, False),
    ("anonymous", False, False),
])
def test_staff_work_only_in_their_own_office(db_session, app, role, own_office, allowed):
    office, other = OfficeFactory(), OfficeFactory()
    with app.test_request_context():
        user = user_of(role, office=office)
        assert can(user, "office.work", office if own_office else other) is allowed


def test_unknown_actions_are_denied(db_session, app):
    with app.test_request_context():
        admin = user_of("admin")
        assert "office.demolish" not in registered_actions()
        assert can(admin, "office.demolish") is False


def test_closed_offices_are_visible_to_admins_only(db_session, app):
    closed = OfficeFactory(closed=True)
    with app.test_request_context():
        assert can(user_of("admin"), "office.view", closed)
        assert not can(user_of("volunteer"), "office.view", closed)
        assert not can(Anonymous(), "office.view", closed)


def _url_values(rule, office, target_user):
    values = {}
    for name, converter in rule._converters.items():
        if name == "office_id":
            values[name] = office.id
        elif name == "user_id":
            values[name] = target_user.id
        elif name == "role":
            values[name] = "volunteer"
        else:
            values[name] = 1 if isinstance(converter, IntegerConverter) else "x"
    return rule.build(values, append_unknown=False)[1]


def test_every_data_changing_route_asks_authorize(app, client, db_session):
    """Post to every unsafe route as every role; a request that succeeds must have called authorize()."""
    office = OfficeFactory()
    target = UserFactory(role=Role.STAFF, office=office)
    accounts = {role: user_of(role, office=office) for role in ROLES if role != "anonymous"}

    seen: dict = {}

    def remember(sender, response, **extra):
        seen["actions"] = list(getattr(g, "authorized_actions", []) or [])

    unsafe_rules = [r for r in app.url_map.iter_rules() if r.methods & UNSAFE_METHODS]
    assert len(unsafe_rules) >= 10, "the walker found suspiciously few routes"
    failures = []
    limiter.enabled = False  # the walk logs in ~150 times
    with request_finished.connected_to(remember, app):
        for role in ROLES:
            for rule in unsafe_rules:
                path = _url_values(rule, office, target)
                for method in sorted(rule.methods & UNSAFE_METHODS):
                    # A fresh log-in each time: some routes (log out) end the session.
                    fresh = app.test_client()
                    fresh.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
                    if role != "anonymous":
                        assert login(fresh, accounts[role]).status_code == 302
                    seen.clear()
                    response = fresh.open(path, method=method, data={})
                    location = response.headers.get("Location", "")
                    refused = response.status_code >= 400 or (
                        role == "anonymous" and response.status_code == 302 and location.startswith("/login")
                    )
                    if not refused and not seen.get("actions"):
                        failures.append(f"{method} {rule.rule} as {role} → {response.status_code} without authorize()")
    limiter.enabled = True
    assert failures == [], "\n".join(failures)


def test_the_walker_notices_a_route_without_authorize(app, db_session):
    """The check above can fail: a route that changes data without asking is reported."""
    from marketplace import create_app
    from tests.conftest import IsolatedClient

    rogue = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    rogue.test_client_class = IsolatedClient
    rogue.add_url_rule("/rogue", "rogue", lambda: ("changed", 200), methods=["POST"])
    captured = {}

    def remember(sender, response, **extra):
        captured["flag"] = getattr(g, "unauthorized_change", False)
        captured["actions"] = getattr(g, "authorized_actions", None)

    with request_finished.connected_to(remember, rogue):
        assert rogue.test_client().post("/rogue").status_code == 200
    assert captured == {"flag": True, "actions": None}
