"""On phones: a volunteer finds a task near them on the map, claims it, sees the address, completes it;
the family confirms and the request becomes fulfilled."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from marketplace.demo.seed import DEMO_PASSWORD
from tests.browser.conftest import log_in

FAMILY = "family@demo.social-window.kz"  # verified household in Almaty, office ALA-01
STAFF = "staff@demo.social-window.kz"
VOLUNTEER = "volunteer@demo.social-window.kz"
TITLE = "Собрать и поставить шкаф"
ADDRESS = "Жандосова"  # part of the family's private address


def test_volunteer_claims_completes_and_family_confirms(phones):
    family = phones("family")
    log_in(family, FAMILY, DEMO_PASSWORD)
    family.goto("/family/needs/new")
    family.select_option("#category", "household_repair")
    family.fill("#title", TITLE)
    family.fill("#description", "Нужно собрать шкаф из коробок и поставить в детской, инструменты есть.")
    family.fill("#volunteer_slots", "1")
    family.fill("#volunteer_hours", "2")
    family.locator("button[name=action][value=send]").click()
    need_id = int(re.search(r"/family/needs/(\d+)", family.url).group(1))

    staff = phones("staff")
    log_in(staff, STAFF, DEMO_PASSWORD)
    staff.goto(f"/staff/needs/{need_id}")
    staff.locator(f"form[action='/staff/needs/{need_id}/transitions/verify'] button[type=submit]").click()
    expect(staff).to_have_url(re.compile(r"/staff/queue"))

    volunteer = phones("volunteer")
    log_in(volunteer, VOLUNTEER, DEMO_PASSWORD)
    volunteer.goto("/volunteer/profile")
    volunteer.fill("#birth_year", "1998")
    volunteer.fill("#place", "Алматы, ул. Абая 10")
    volunteer.select_option("#radius_km", "25")
    volunteer.locator("form[action='/volunteer/profile'] button[type=submit]").click()
    volunteer.goto("/volunteer/tasks")
    expect(volunteer.locator(".map .leaflet-marker-icon").first).to_be_visible()  # the task on the map
    expect(volunteer.locator("body")).not_to_contain_text(ADDRESS)
    volunteer.locator(f"form[action='/volunteer/tasks/{need_id}/claim'] button[type=submit]").click()
    expect(volunteer.locator("body")).to_contain_text(ADDRESS)  # revealed only now, to this volunteer
    claim_id = int(re.search(r"/volunteer/claims/(\d+)", volunteer.url).group(1))
    volunteer.fill("#hours", "2")
    volunteer.fill("#note", "Шкаф собран и поставлен.")
    volunteer.locator(f"form[action='/volunteer/claims/{claim_id}/report_done'] button[type=submit]").click()
    expect(volunteer.locator("body")).to_contain_text(ADDRESS)  # until the family confirms

    family.goto("/family/tasks/")
    family.locator(f"form[action='/family/tasks/{claim_id}/confirm'] button[type=submit]").click()
    family.goto(f"/family/needs/{need_id}")
    expect(family.locator("body")).to_contain_text(TITLE)

    volunteer.goto(f"/volunteer/claims/{claim_id}")
    expect(volunteer.locator("body")).not_to_contain_text(ADDRESS)  # hidden again after confirmation
    visitor = phones("visitor")
    response = visitor.goto(f"/needs/{need_id}")
    assert response.status == 200
    expect(visitor.locator("body")).not_to_contain_text(ADDRESS)
    api = visitor.request.get(f"/api/v1/needs/{need_id}")
    assert api.ok and api.json()["status"] == "fulfilled"  # every volunteer task confirmed
