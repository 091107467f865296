"""On phones: a family posts a need with a photo, staff of its office verify it, and it appears in the
public catalogue and on the map, with no personal data of the family anywhere."""
from __future__ import annotations

import json
import re

from PIL import Image
from playwright.sync_api import expect

from marketplace.demo.seed import DEMO_PASSWORD
from tests.browser.conftest import log_in

FAMILY = "family@demo.social-window.kz"  # household verified, office ALA-01
STAFF = "staff@demo.social-window.kz"  # staff of ALA-01
PRIVATE = ["Семья Ахметовых", "+7 701 000 00 01", "7010000001", "Жандосова", FAMILY]
TITLE = "Детская кровать для младшей дочери"


def test_family_posts_staff_verify_public_sees_without_personal_data(phones, tmp_path):
    photo = tmp_path / "bed.jpg"
    Image.new("RGB", (640, 480), (200, 180, 150)).save(photo, "JPEG")

    family = phones("family")
    log_in(family, FAMILY, DEMO_PASSWORD)
    family.goto("/family/needs/new")
    family.select_option("#category", "furniture")
    family.fill("#title", TITLE)
    family.fill("#description", "Дочь спит с сестрой на одной кровати, нужна отдельная детская кровать 160×80.")
    family.select_option("#urgency", "high")
    family.fill("#money_goal", "45000")
    family.set_input_files("#evidence", str(photo))
    family.locator("button[name=action][value=send]").click()
    expect(family.locator("body")).to_contain_text(TITLE)
    need_id = int(re.search(r"/family/needs/(\d+)", family.url).group(1))

    staff = phones("staff")
    log_in(staff, STAFF, DEMO_PASSWORD)
    staff.goto("/staff/queue")
    staff.locator(f"a[href='/staff/needs/{need_id}']").first.click()
    expect(staff.locator("body")).to_contain_text(TITLE)
    expect(staff.locator("img[src^='/files/']").first).to_be_visible()  # the photo, served privately
    staff.locator(f"form[action='/staff/needs/{need_id}/transitions/verify'] button[type=submit]").click()
    expect(staff).to_have_url(re.compile(r"/staff/queue"))
    expect(staff.locator(f"a[href='/staff/needs/{need_id}']")).to_have_count(0)  # decided, off the queue

    visitor = phones("visitor")
    visitor.goto("/needs/?q=&near=Алматы")
    card = visitor.locator(f"a[href='/needs/{need_id}']").first
    expect(card).to_be_visible()
    # The map's points, as the map asks for them: coarse only.
    source = visitor.locator("[data-map-points-url]").first.get_attribute("data-map-points-url")
    points = visitor.request.get(f"{source}&bbox=46,40,88,56&zoom=5").json()
    assert points and any(abs(p["lat"] - round(p["lat"], 2)) < 1e-9 for p in points)
    for p in points:
        assert p["lat"] == round(p["lat"], 2) and p["lon"] == round(p["lon"], 2)
    card.click()
    expect(visitor.locator("h1")).to_contain_text(TITLE)
    expect(visitor.locator("progress").first).to_be_visible()
    # One pin at the coarse point, and no stray "you are here" dot (there is no origin on this page).
    expect(visitor.locator(".map .leaflet-marker-icon")).to_have_count(1)
    expect(visitor.locator(".map path.leaflet-interactive")).to_have_count(0)
    html = visitor.content()
    for value in PRIVATE:
        assert value not in html, f"{value!r} leaked on the public need page"
    assert "/files/" not in html  # evidence stays private
    assert visitor.goto("/files/1").status in (302, 403, 404) or "/login" in visitor.url
