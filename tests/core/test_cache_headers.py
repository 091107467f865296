"""No cache keeps a page with personal data: every response to someone logged in (session or API token), and the
anonymous pages of a secret link, say `Cache-Control: no-store`; anonymous public pages stay cacheable.

The walk takes every GET route from the URL map, so a page added later is walked too.
"""
from __future__ import annotations

import pytest

from marketplace.accounts import links, tokens
from marketplace.core.roles import Role
from tests.conftest import login
from tests.factories import (
    ClaimFactory, FlagFactory, HouseholdFactory, NeedFactory, NotificationFactory, OfficeFactory, PledgeFactory,
    StoredFileFactory, UserFactory, VolunteerProfileFactory,
)

# Pages a visitor sees without logging in that carry nothing personal: they may be cached.
PUBLIC = ["/", "/needs/", "/offices/", "/api/v1/needs", "/signup", "/login"]


@pytest.fixture
def world(db_session):
    """One of each thing a personal page shows, all of one office, and who may see it."""
    office = OfficeFactory()
    family = UserFactory(family=True)
    household = HouseholdFactory(user=family, office=office, verified=True)
    need = NeedFactory(open=True, household=household, office=office, volunteer_slots=2)
    volunteer = UserFactory(volunteer=True)
    VolunteerProfileFactory(user=volunteer, vetted=True, vetting_office=office)
    claim = ClaimFactory(need=need, volunteer=volunteer, claimed=True)
    patron = UserFactory(patron=True)
    pledge = PledgeFactory(need=need, patron=patron, paid=True)
    users = {"family": family, "volunteer": volunteer, "patron": patron,
             "staff": UserFactory(role=Role.STAFF, office=office), "admin": UserFactory(admin=True),
             "partner": UserFactory(partner=True)}
    ids = {
        "need_id": need.id, "household_id": household.id, "pledge_id": pledge.id, "claim_id": claim.id,
        "user_id": family.id, "office_id": office.id, "flag_id": FlagFactory(target=need).id,
        "file_id": StoredFileFactory(household=household, evidence=True).id,
        "notification_id": NotificationFactory(user=family).id, "role": "family", "token": "not-a-real-token",
    }
    raw_token = tokens.create_token(volunteer, "Phone")[1]
    db_session.commit()
    return users, ids, raw_token


def get_routes(app) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and rule.endpoint != "static")


def url(rule: str, ids: dict) -> str:
    for name, value in ids.items():
        rule = rule.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    assert "<" not in rule, f"give the walk an id for {rule}"
    return rule


@pytest.mark.parametrize("who", ["family", "volunteer", "patron", "staff", "admin", "partner"])
def test_every_page_for_someone_logged_in_is_never_stored(app, client, world, who):
    users, ids, _raw = world
    assert login(client, users[who]).status_code == 302
    stored = {}
    for rule in get_routes(app):
        if rule == "/notifications/<int:notification_id>" and who != "family":
            continue  # opening it marks it read, as its owner only may
        response = client.get(url(rule, ids))
        if response.headers.get("Cache-Control") != "no-store":
            stored[rule] = (response.status_code, response.headers.get("Cache-Control"))
    assert stored == {}


def test_the_pages_the_probe_found_cacheable_now_say_no_store(client, other_client, world):
    """The pages and exports of the finding, each 200 for the person it is for."""
    users, ids, raw = world
    pages = {
        "staff": ["/staff/households/{household_id}", "/staff/needs/{need_id}", "/staff/pledges",
                  "/staff/pledges?format=csv"],
        "family": ["/family/household", "/family/export.json", "/family/evidence"],
        "volunteer": ["/volunteer/claims/{claim_id}"],
        "patron": ["/pledges/{pledge_id}/receipt", "/patron/pledges.csv"],
        "admin": ["/admin/users/{user_id}", "/admin/offices/export.csv"],
    }
    for who, paths in pages.items():
        assert login(client, users[who]).status_code == 302
        for path in paths:
            response = client.get(path.format(**ids))
            assert (path, response.status_code, response.headers.get("Cache-Control")) == (path, 200, "no-store")
    response = other_client.get("/api/v1/me/claims", headers={"Authorization": f"Bearer {raw}"})
    assert (response.status_code, response.headers["Cache-Control"]) == (200, "no-store")


def test_a_secret_links_page_is_never_stored_even_for_a_visitor(client, world, db_session):
    users, _ids, _raw = world
    unconfirmed = UserFactory(status="unconfirmed")
    db_session.commit()
    for path in (f"/password/reset/{links.reset_token(users['family'])}",
                 f"/signup/confirm/{links.make_token(links.CONFIRM_SIGNUP, unconfirmed)}", "/signup/sent"):
        response = client.get(path)
        assert (response.status_code, response.headers.get("Cache-Control")) == (200, "no-store"), path


@pytest.mark.parametrize("path", PUBLIC)
def test_anonymous_public_pages_stay_cacheable(client, world, path):
    """The control for the tests above: the rule is about personal data, not every page."""
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" not in (response.headers.get("Cache-Control") or "")
