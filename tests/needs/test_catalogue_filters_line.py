"""Issue 13: the catalogue's folded filters line says the search in words, and Leaflet is sent only with the map."""
from __future__ import annotations

import re

import pytest

from marketplace.needs.models import Category, Urgency
from tests.needs.test_catalogue import public_need, text_of

LEAFLET = re.compile(r'(src|href)="/static/vendor/leaflet/')
HASH = r"\.[0-9a-f]{12}"  # static files are named by their bytes (core/static_files.py)


def summary_of(response) -> str:
    match = re.search(r'<details class="catalogue-filters"[^>]*>\s*<summary>(.*?)</summary>', text_of(response), re.S)
    assert match is not None, "the page has no filters line"
    return match.group(1).strip()


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Filters: all requests"), ("ru", "Фильтры: все просьбы"), ("kk", "Сүзгілер: барлық сұраулар"),
])
def test_no_filter_says_all_requests(client, db_session, language, expected):
    public_need("Алматы")
    assert summary_of(client.get("/needs/", headers={"Accept-Language": language})) == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("ru", "Фильтры: Алматы, 25 км, Лекарства, Срочность: Высокая"),
    ("kk", "Сүзгілер: Алматы, 25 км, Дәрі-дәрмек, Шұғылдығы: Жоғары"),
])
def test_the_line_names_place_radius_and_filters(client, db_session, language, expected):
    public_need("Алматы", category=Category.MEDICINE, urgency=Urgency.HIGH)
    response = client.get("/needs/", headers={"Accept-Language": language}, query_string={
        "near": "Алматы", "radius": "25", "category": "medicine", "urgency": "high"})
    assert summary_of(response) == expected
    assert "<details class=\"catalogue-filters\">" in text_of(response)  # folded: the results come first


def test_region_kind_and_settlement_in_words(client, db_session):
    public_need("Текели")
    response = client.get("/needs/", headers={"Accept-Language": "ru"},
                          query_string={"region": "jetisu", "kind": "money", "settlement": "Текели"})
    assert summary_of(response) == "Фильтры: Деньги, Область Жетысу, Текели"


def test_a_radius_without_a_place_is_not_named(client, db_session):
    public_need("Алматы")
    assert summary_of(client.get("/needs/", query_string={"radius": "25"})) == "Filters: all requests"


def test_the_form_opens_by_itself_when_something_is_wrong(client, db_session):
    html = text_of(client.get("/needs/", query_string={"near": "Nowhere-at-all-xyz"}))
    assert '<details class="catalogue-filters" open>' in html


def test_leaflet_is_sent_only_with_the_map(client, db_session):
    public_need("Алматы")
    default = text_of(client.get("/needs/"))
    assert not LEAFLET.search(default)
    assert re.search(rf'src="/static/js/catalogue-map{HASH}\.js"', default)  # which loads it when the map is chosen
    assert re.search(rf'data-leaflet-js="/static/vendor/leaflet/leaflet{HASH}\.js"', default)
    assert re.search(r'<div class="catalogue-map" id="catalogue-map" data-map-panel hidden', default)
    only_list = text_of(client.get("/needs/?view=list"))
    assert not LEAFLET.search(only_list) and "catalogue-map." not in only_list
    on_map = text_of(client.get("/needs/?view=map"))
    assert re.search(rf'href="/static/vendor/leaflet/leaflet{HASH}\.css"', on_map)
    assert re.search(rf'src="/static/vendor/leaflet/leaflet{HASH}\.js"', on_map)


def test_results_come_before_the_map_and_the_note(client, db_session):
    need = public_need("Алматы")
    html = text_of(client.get("/needs/"))
    assert html.index('class="catalogue-filters"') < html.index(f'href="/needs/{need.id}"') < html.index("catalogue-note")
    assert html.index('<h1 class="page-title">') < html.index('class="catalogue-filters"')


def test_map_controls_are_in_the_page_language(client, db_session):
    public_need("Алматы")
    html = text_of(client.get("/needs/?view=map", headers={"Accept-Language": "kk"}))
    assert 'data-label-zoom-in="Жақындату"' in html and 'data-label-zoom-out="Алыстату"' in html
