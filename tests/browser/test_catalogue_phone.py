"""Issue 13 on a 360×740 phone: the catalogue's results come first, its filters fold into one line, the map (and
Leaflet) only on demand; every map's markers are thumb-sized and its controls speak the page's language; the
dispatch map shows the open places, the free volunteers and the plan's numbered pairs."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from marketplace.demo.seed import DEMO_PASSWORD
from tests.browser.conftest import PHONE, _offline, axe_violations, log_in

STAFF = "staff@demo.social-window.kz"  # staff of ALA-01, whose demo plan has two pairs and four free volunteers
SCREEN_HEIGHT = PHONE["viewport"]["height"]
MIN_MARKER_PX = 32
# What the page must say, in its own language (not Leaflet's English "Zoom in").
WORDS = {
    "ru-RU": {"filters": "Фильтры: все просьбы", "km": "25 км", "zoom_in": "Приблизить", "zoom_out": "Отдалить",
              "leaflet": "Leaflet — библиотека, которая рисует эту карту", "map": "Карта", "list": "Список"},
    "kk-KZ": {"filters": "Сүзгілер: барлық сұраулар", "km": "25 км", "zoom_in": "Жақындату", "zoom_out": "Алыстату",
              "leaflet": "Leaflet — осы картаны салатын кітапхана", "map": "Карта", "list": "Тізім"},
}


def leaflet_requests(urls: list[str]) -> list[str]:
    return [url for url in urls if "/vendor/leaflet/" in url]


def first_card_top(page) -> float:
    """The first result's top in px from the top of the page (not of the scrolled viewport)."""
    return page.evaluate("() => document.querySelector('.need-card').getBoundingClientRect().top + window.scrollY")


def assert_big_markers(page, selector: str = ".map .leaflet-marker-icon") -> None:
    expect(page.locator(selector).first).to_be_visible()
    sizes = [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]
    small = [box for box in sizes if box["width"] < MIN_MARKER_PX or box["height"] < MIN_MARKER_PX]
    assert sizes and not small, f"markers under {MIN_MARKER_PX} px: {small}"


def assert_controls_in(page, words: dict) -> None:
    expect(page.locator(".map .leaflet-control-zoom-in")).to_have_attribute("title", words["zoom_in"])
    expect(page.locator(".map .leaflet-control-zoom-in")).to_have_attribute("aria-label", words["zoom_in"])
    expect(page.locator(".map .leaflet-control-zoom-out")).to_have_attribute("title", words["zoom_out"])
    expect(page.locator(".map .leaflet-control-attribution a[href='https://leafletjs.com']")).to_have_attribute(
        "title", words["leaflet"])
    assert "Zoom" not in page.locator(".map .leaflet-control-container").inner_html()


@pytest.mark.parametrize("locale", ["ru-RU", "kk-KZ"])
def test_catalogue_list_first_filters_folded_map_on_demand(phones, locale):
    words = WORDS[locale]
    page = phones(locale[:2], locale=locale)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/needs/", wait_until="networkidle")

    assert first_card_top(page) < SCREEN_HEIGHT, "the first result is below the first screen"
    summary = page.locator(".catalogue-filters > summary")
    expect(summary).to_have_text(words["filters"])
    expect(page.locator("#near")).to_be_hidden()  # folded
    assert leaflet_requests(requested) == [], "the list view downloaded Leaflet"
    assert axe_violations(page) == []

    # The filters line opens the form, and the search works; the line then names the search in words.
    summary.click()
    page.fill("#near", "Алматы")
    page.select_option("#radius", "25")
    page.locator(".catalogue-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"near=.*radius=25"))
    expect(summary).to_contain_text("Алматы")
    expect(summary).to_contain_text(words["km"])
    expect(page.locator(".need-card").first).to_be_visible()
    assert first_card_top(page) < SCREEN_HEIGHT
    page.wait_for_load_state("networkidle")
    assert leaflet_requests(requested) == []

    # The map on demand: Leaflet comes only now, markers are thumb-sized, the controls in the page's language.
    page.get_by_role("link", name=words["map"], exact=True).click()
    expect(page).to_have_url(re.compile(r"view=map"))
    assert_big_markers(page)
    assert any(re.search(r"/leaflet\.[0-9a-f]{12}\.js$", url) for url in requested)  # named by its bytes
    assert any(re.search(r"/leaflet\.[0-9a-f]{12}\.css$", url) for url in requested)
    expect(page.locator(".need-list")).to_be_hidden()
    assert_controls_in(page, words)
    expect(page.locator(".map-fallback")).to_be_visible()  # no tiles offline: said so, markers still there
    assert axe_violations(page) == []

    # Back: the list again, without a new page.
    page.go_back()
    expect(page.locator(".need-list")).to_be_visible()
    expect(page.locator("#catalogue-map")).to_be_hidden()
    expect(page.get_by_role("link", name=words["list"], exact=True)).to_have_attribute("aria-current", "page")


def test_map_page_from_the_server_and_a_marker_opens(phones):
    page = phones()
    page.goto("/needs/?view=map")
    assert_big_markers(page)
    assert_controls_in(page, WORDS["ru-RU"])
    page.locator(".map .leaflet-marker-icon").first.click()
    expect(page.locator(".leaflet-popup-content a").first).to_be_visible()
    expect(page.locator(".leaflet-popup-close-button")).to_have_attribute("aria-label", "Закрыть описание")


def test_filters_and_map_without_javascript(browser, live_server):
    context = browser.new_context(**PHONE, locale="ru-RU", base_url=live_server, java_script_enabled=False)
    context.route("**/*", _offline)
    page = context.new_page()
    try:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto("/needs/", wait_until="networkidle")
        assert leaflet_requests(requested) == []
        page.locator(".catalogue-filters > summary").click()
        page.select_option("#category", "food")
        page.locator(".catalogue-filters button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"category=food"))
        expect(page.locator(".catalogue-filters > summary")).to_have_text("Фильтры: Продукты")
        expect(page.locator(".need-card").first).to_be_visible()
        page.get_by_role("link", name="Карта", exact=True).click()
        expect(page).to_have_url(re.compile(r"category=food.*&view=map"))
        # <noscript> is drawn but is no element to Playwright's selectors, so its text is read from the page.
        assert "Для карты нужен JavaScript." in page.content()
        expect(page.get_by_role("link", name="Список", exact=True)).to_be_visible()
    finally:
        context.close()


def test_every_public_map_has_big_markers_and_translated_controls(phones):
    page = phones("kk", locale="kk-KZ")
    for path in ("/offices/", "/offices/1"):
        page.goto(path)
        assert_big_markers(page)
        assert_controls_in(page, WORDS["kk-KZ"])


def test_dispatch_map_shows_places_volunteers_and_numbered_pairs(phones):
    page = phones("staff")
    log_in(page, STAFF, DEMO_PASSWORD)
    page.goto("/staff/dispatch")
    rows = page.locator("table tbody tr")
    pairs = rows.count()
    assert pairs >= 1, "the demo office ALA-01 has no pair to plan any more"
    expect(page.locator(".map .leaflet-marker-icon.map-pin-slot").first).to_be_visible()
    expect(page.locator(".map .leaflet-marker-icon.map-pin-volunteer").first).to_be_visible()
    # One line per pair of the plan, and each pair's number on a place and on a volunteer.
    expect(page.locator(".map .leaflet-overlay-pane path")).to_have_count(pairs)
    for number in range(1, pairs + 1):
        expect(rows.nth(number - 1).locator("td").first).to_have_text(str(number))
        for kind in ("slot", "volunteer"):
            labels = page.locator(f".map .map-pin-{kind} .map-pin-label").all_text_contents()
            assert any(str(number) in re.split(r"[,–…\s]+", label) for label in labels), (kind, number, labels)
    # The free volunteers who are not in the plan are on the map too.
    volunteers = json.loads(page.locator("#dispatch-points").text_content())
    assert any(p["kind"] == "volunteer" and not p["label"] for p in volunteers)
    # Coarse points only, and the map works without tiles (offline here): the legend explains the shapes.
    for point in volunteers:
        assert point["lat"] == round(point["lat"], 2) and point["lon"] == round(point["lon"], 2)
    expect(page.locator(".map-legend")).to_be_visible()
    expect(page.locator(".map-fallback")).to_be_visible()
    assert_big_markers(page)
    assert_controls_in(page, WORDS["ru-RU"])
    assert axe_violations(page) == []
