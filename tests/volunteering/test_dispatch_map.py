"""Issue 13: the dispatch map shows the open places, the free volunteers (coarse points) and each pair of the plan."""
from __future__ import annotations

import json
import re

import pytest

from marketplace.core.roles import Role
from marketplace.volunteering.dispatch_map import numbers_label
from tests.conftest import login
from tests.factories import HouseholdFactory, NeedFactory, OfficeFactory, UserFactory
from tests.volunteering.test_dispatch_pages import profile


@pytest.mark.parametrize(("numbers", "label"), [
    ([], ""), ([2], "2"), ([1, 2], "1, 2"), ([3, 1, 2], "1–3"), ([1, 4], "1, 4"), ([1, 2, 3, 5], "1–3, 5"),
    ([1, 3, 5], "1, 3…"), ([1, 1], "1"),
])
def test_numbers_on_a_marker_stay_short(numbers, label):
    assert numbers_label(numbers) == label


def page_data(html: str, element_id: str) -> list[dict]:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match is not None, f"no #{element_id} on the page"
    return json.loads(match.group(1))


def test_three_pairs_for_one_request_are_three_numbered_pairs(client, db_session):
    office = OfficeFactory()
    household = HouseholdFactory(verified=True, office=office, settlement="Алматы", public_latitude=43.25,
                                 public_longitude=76.91)
    need = NeedFactory(open=True, household=household, office=office, money_goal=None, volunteer_slots=3,
                       volunteer_hours=1)
    homes = [(43.256789, 76.912345), (43.2712, 76.9456), (43.2301, 76.8702), (43.2888, 76.9999)]
    volunteers = [profile(db_session, office, lat, lon) for lat, lon in homes]
    login(client, UserFactory(role=Role.STAFF, office=office))
    html = client.get("/staff/dispatch").get_data(as_text=True)

    points, lines = page_data(html, "dispatch-points"), page_data(html, "dispatch-lines")
    places = [p for p in points if p["kind"] == "slot"]
    assert len(places) == 1 and places[0]["label"] == "1–3" and places[0]["title"] == need.title
    assert places[0]["url"] == f"/staff/needs/{need.id}"
    assert (places[0]["lat"], places[0]["lon"]) == (43.25, 76.91)
    people = [p for p in points if p["kind"] == "volunteer"]
    assert sorted(p["label"] for p in people) == ["", "1", "2", "3"]  # three in the plan, one free beyond it
    assert len(lines) == 3 and all(line["to"] == [43.25, 76.91] for line in lines)
    # Homes only to about a kilometre, on the map and anywhere else in the page.
    assert {(p["lat"], p["lon"]) for p in people} == {(round(a, 2), round(b, 2)) for a, b in homes}
    for lat, lon in homes:
        assert str(lat) not in html and str(lon) not in html
    # The table numbers its rows as the map does.
    assert re.findall(r'<td data-label="[^"]*" class="num">(\d+)</td>', html) == ["1", "2", "3"]
    assert 'class="map-legend"' in html and 'data-label-zoom-in="Zoom in"' in html
    named = {v.user.full_name for v in volunteers}
    assert sum(any(name in item for name in named) for p in people for item in p["items"]) == 3


def test_a_place_nobody_can_take_is_still_on_the_map(client, db_session):
    office = OfficeFactory()
    household = HouseholdFactory(verified=True, office=office, settlement="Алматы", public_latitude=43.25,
                                 public_longitude=76.91)
    NeedFactory(open=True, household=household, office=office, money_goal=None, volunteer_slots=1, volunteer_hours=1)
    login(client, UserFactory(role=Role.STAFF, office=office))
    html = client.get("/staff/dispatch").get_data(as_text=True)
    points = page_data(html, "dispatch-points")
    assert [(p["kind"], p["label"]) for p in points] == [("slot", "")]
    assert page_data(html, "dispatch-lines") == []
    assert "no volunteer yet" in points[0]["items"][0]


def test_no_map_when_there_is_nothing_to_show(client, db_session):
    office = OfficeFactory()
    login(client, UserFactory(role=Role.STAFF, office=office))
    html = client.get("/staff/dispatch").get_data(as_text=True)
    assert 'id="dispatch-map"' not in html and "leaflet.js" not in html
