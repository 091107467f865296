"""The public needs catalogue and a need's page as people use them: filters, distance, pages, map, flags."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import select

from marketplace import geo
from marketplace.core.extensions import db
from marketplace.moderation.models import Flag, FlagTarget
from marketplace.needs.models import Category, NeedStatus, Urgency
from tests.factories import HouseholdFactory, NeedFactory, NeedItemFactory, OfficeFactory

# Settlements as the gazetteer places them, so distances can be checked against geo.distance_km.
TALDYKORGAN = (45.02, 78.37)
TEKELI = (44.87, 78.73)
TALGAR = (43.30, 77.24)
ALMATY = (43.25, 76.91)
ASTANA = (51.18, 71.45)

PLACES = {
    "Талдыкорган": (TALDYKORGAN, "jetisu"),
    "Текели": (TEKELI, "jetisu"),
    "Талгар": (TALGAR, "almaty"),
    "Алматы": (ALMATY, "almaty-city"),
    "Астана": (ASTANA, "astana"),
}


def public_need(settlement: str = "Алматы", *, verified_at: datetime | None = None, **overrides):
    """An open, public need of a verified household in `settlement` (its coarse point and region)."""
    (lat, lon), region = PLACES[settlement]
    household = HouseholdFactory(verified=True, settlement=settlement, region_code=region, public_latitude=lat,
                                 public_longitude=lon)
    values = dict(
        household=household, status=NeedStatus.VERIFIED, settlement=settlement, region_code=region,
        public_latitude=lat, public_longitude=lon, verified_at=verified_at or datetime.now(timezone.utc),
    )
    values.update(overrides)
    return NeedFactory(**values)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def listed_ids(response) -> list[int]:
    """Need ids in the list's order (cards only, not the map's JSON)."""
    html = text_of(response)
    match = re.search(r'<div class="stack need-list">(.*?)\n    </div>', html, re.S)
    if match is None:
        return []
    return [int(i) for i in re.findall(r'<a class="card-link" href="/needs/(\d+)">', match.group(1))]


def distance_texts(response) -> list[str]:
    return re.findall(r'<span class="distance">(.*?)</span>', text_of(response))


KAZAKHSTAN_BOX = "46.0,40.0,88.0,56.0"


def map_points(response, client, box: str = KAZAKHSTAN_BOX, zoom: int = 6) -> list[dict]:
    """What the page's map gets from the server for a box (all of Kazakhstan by default)."""
    match = re.search(r'data-map-points-url="([^"]+)"', text_of(response))
    assert match is not None, "the page has no map"
    url = match.group(1).replace("&amp;", "&")
    points = client.get(f"{url}{'&' if '?' in url else '?'}bbox={box}&zoom={zoom}")
    assert points.status_code == 200
    return points.get_json()


def translated(app, locale: str, message: str, **variables) -> str:
    with app.test_request_context(), force_locale(locale):
        return _(message, **variables)


def english_distance(km: float) -> str:
    if km < 1:
        return f"{round(km * 100) * 10:,} m"
    return f"{km:,.1f} km" if km < 10 else f"{km:,.0f} km"


# --- what is listed, and in which order --------------------------------------------------------------


def test_catalogue_lists_open_public_needs_only(client, db_session):
    open_need = public_need()
    under_way = public_need(status=NeedStatus.IN_PROGRESS)
    fulfilled = public_need(status=NeedStatus.FULFILLED)
    hidden = public_need(hidden_at=datetime.now(timezone.utc))
    submitted = public_need(status=NeedStatus.SUBMITTED)
    unverified_family = NeedFactory(status=NeedStatus.VERIFIED, household=HouseholdFactory(submitted=True))
    hidden_family = public_need()
    hidden_family.household.user.hidden_at = datetime.now(timezone.utc)
    db.session.commit()

    response = client.get("/needs/")
    assert response.status_code == 200
    ids = listed_ids(response)
    assert sorted(ids) == sorted([open_need.id, under_way.id])
    for absent in (fulfilled, hidden, submitted, unverified_family, hidden_family):
        assert f"/needs/{absent.id}\"" not in text_of(response)
    assert "2 open requests" in text_of(response)


def test_without_a_place_most_urgent_first_then_newest(client, db_session):
    old_normal = public_need(created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    new_normal = public_need(created_at=datetime(2026, 2, 1, tzinfo=timezone.utc))
    high = public_need(urgency=Urgency.HIGH, urgency_rank=1, created_at=datetime(2025, 12, 1, tzinfo=timezone.utc))
    critical = public_need(urgency=Urgency.CRITICAL, urgency_rank=0,
                           created_at=datetime(2025, 11, 1, tzinfo=timezone.utc))
    assert listed_ids(client.get("/needs/")) == [critical.id, high.id, new_normal.id, old_normal.id]


def test_card_shows_what_a_patron_needs_to_decide(client, db_session):
    office = OfficeFactory(name="Окно Медеуского района")
    need = public_need(office=office, money_goal=5_000_000, money_raised=1_200_000, volunteer_slots=3,
                       slots_filled=1, volunteer_hours=4, urgency=Urgency.CRITICAL, urgency_rank=0,
                       category=Category.FURNITURE, verified_at=datetime(2026, 3, 3, 9, tzinfo=timezone.utc))
    NeedItemFactory(need=need, name="Стиральная машина", quantity=1, quantity_pledged=0, unit="шт.")
    html = text_of(client.get("/needs/"))
    assert need.title in html
    assert "Urgency: Critical" in html and 'class="badge badge-danger"' in html
    assert "Furniture and appliances" in html
    assert "12,000\u00a0₸ of 50,000\u00a0₸" in html
    assert '<progress class="progress" max="5000000" value="1200000"' in html
    assert "1 of 3 volunteers" in html
    assert "Стиральная машина: 0 of 1 шт. pledged" in html
    assert "Verified by Окно Медеуского района on 3 March 2026" in html
    assert "Алматы" in html


# --- filters ----------------------------------------------------------------------------------------


def test_filter_by_category_kind_region_urgency(client, db_session):
    school = public_need(category=Category.SCHOOL, money_goal=None, volunteer_slots=2, volunteer_hours=3)
    food = public_need("Текели", category=Category.FOOD, urgency=Urgency.HIGH, urgency_rank=1)
    goods = public_need("Астана", category=Category.CLOTHING, money_goal=None)
    NeedItemFactory(need=goods)

    assert listed_ids(client.get("/needs/?category=food")) == [food.id]
    assert listed_ids(client.get("/needs/?kind=money")) == [food.id]
    assert listed_ids(client.get("/needs/?kind=goods")) == [goods.id]
    assert listed_ids(client.get("/needs/?kind=volunteer")) == [school.id]
    assert listed_ids(client.get("/needs/?region=jetisu")) == [food.id]
    assert listed_ids(client.get("/needs/?urgency=high")) == [food.id]
    assert listed_ids(client.get("/needs/?region=jetisu&category=school")) == []
    assert "No open request matches this search" in text_of(client.get("/needs/?region=jetisu&category=school"))


@pytest.mark.parametrize("typed", ["Алматы", "алматы", "АЛМАТЫ", "Алм", "Almaty", "almaty"])
def test_filter_by_settlement_in_any_case_and_script(client, db_session, typed):
    almaty = public_need("Алматы")
    public_need("Талгар")
    assert listed_ids(client.get("/needs/", query_string={"settlement": typed})) == [almaty.id]


def test_settlement_text_is_not_a_pattern(client, db_session):
    public_need("Алматы")
    assert listed_ids(client.get("/needs/?settlement=%25")) == []
    assert listed_ids(client.get("/needs/?settlement=_")) == []


# --- distance -----------------------------------------------------------------------------------------


@pytest.fixture
def spread(db_session):
    """One need in each of five places, created in an order unrelated to distance."""
    return {name: public_need(name) for name in ("Астана", "Алматы", "Текели", "Талгар", "Талдыкорган")}


@pytest.mark.parametrize("typed", ["Талдыкорган", "Талдықорған", "Taldykorgan", "г. Талдыкорган, ул. Абая 5"])
def test_sorted_by_distance_from_a_typed_place(client, spread, typed):
    response = client.get("/needs/", query_string={"near": typed})
    assert response.status_code == 200
    order = ["Талдыкорган", "Текели", "Талгар", "Алматы", "Астана"]
    assert listed_ids(response) == [spread[name].id for name in order]
    origin = geo.geocode(typed)
    expected = [english_distance(geo.distance_km(origin.latitude, origin.longitude, *PLACES[name][0]))
                for name in order]
    assert distance_texts(response) == expected
    assert "Nearest to Taldykorgan" in text_of(response)


def test_sorted_by_distance_from_my_location(client, spread):
    response = client.get("/needs/", query_string={"lat": "43.26", "lon": "76.93"})  # in Almaty
    assert listed_ids(response) == [spread[name].id for name in ("Алматы", "Талгар", "Талдыкорган", "Текели", "Астана")]
    assert "Nearest to your location" in text_of(response)


def test_radius_limits_the_list_and_the_map(client, spread):
    response = client.get("/needs/", query_string={"near": "Taldykorgan", "radius": "50"})
    assert listed_ids(response) == [spread["Талдыкорган"].id, spread["Текели"].id]
    assert {(p["lat"], p["lon"]) for p in map_points(response, client)} == {TALDYKORGAN, TEKELI}
    assert "2 open requests" in text_of(response)
    wide = client.get("/needs/", query_string={"near": "Taldykorgan", "radius": "100"})
    assert len(listed_ids(wide)) == 2  # Talgar is ~215 km away
    anywhere = client.get("/needs/", query_string={"near": "Taldykorgan", "radius": ""})
    assert len(listed_ids(anywhere)) == 5


def test_radius_without_a_place_changes_nothing(client, spread):
    assert len(listed_ids(client.get("/needs/?radius=5"))) == 5


# --- pages ---------------------------------------------------------------------------------------------


def test_pagination_without_and_with_a_place(app, client, spread, monkeypatch):
    monkeypatch.setitem(app.config, "NEEDS_PER_PAGE", 2)
    first = client.get("/needs/")
    assert len(listed_ids(first)) == 2 and "Page 1 of 3" in text_of(first)
    everything = listed_ids(first) + listed_ids(client.get("/needs/?page=2")) + listed_ids(client.get("/needs/?page=3"))
    assert sorted(everything) == sorted(n.id for n in spread.values())

    near = [listed_ids(client.get("/needs/", query_string={"near": "Талдыкорган", "page": p})) for p in (1, 2, 3)]
    assert near == [[spread["Талдыкорган"].id, spread["Текели"].id], [spread["Талгар"].id, spread["Алматы"].id],
                    [spread["Астана"].id]]
    page2 = text_of(client.get("/needs/", query_string={"near": "Талдыкорган", "page": 2}))
    assert 'rel="next"' in page2 and "page=3" in page2 and "near=" in page2


def test_needs_at_the_same_distance_stay_most_urgent_first_across_pages(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "NEEDS_PER_PAGE", 2)
    same_place = [public_need("Текели", urgency=urgency, urgency_rank=rank,
                              created_at=datetime(2026, 1, day, tzinfo=timezone.utc))
                  for urgency, rank, day in ((Urgency.NORMAL, 2, 1), (Urgency.CRITICAL, 0, 2), (Urgency.NORMAL, 2, 3),
                                             (Urgency.HIGH, 1, 4), (Urgency.NORMAL, 2, 5))]
    pages = [listed_ids(client.get("/needs/", query_string={"near": "Текели", "page": p})) for p in (1, 2, 3)]
    expected = [same_place[i].id for i in (1, 3, 4, 2, 0)]  # critical, high, then normal newest first
    assert [i for page in pages for i in page] == expected
    with_radius = [listed_ids(client.get("/needs/", query_string={"near": "Текели", "radius": "5", "page": p}))
                   for p in (1, 2, 3)]
    assert [i for page in with_radius for i in page] == expected


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "99999999999999999999", "", "²", "٣"])
def test_odd_page_numbers_show_the_first_page(client, spread, page):
    response = client.get("/needs/", query_string={"page": page})
    assert response.status_code == 200
    assert len(listed_ids(response)) == 5


def test_a_page_past_the_end_says_so(client, spread):
    response = client.get("/needs/?page=40")
    assert response.status_code == 200
    assert listed_ids(response) == []
    assert "There are no more requests on this page" in text_of(response)


# --- bad input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_unknown_place_is_a_form_error_in_the_users_language(app, client, spread, locale):
    response = client.get("/needs/", query_string={"near": "Москва"}, headers={"Accept-Language": locale})
    assert response.status_code == 200
    message = translated(app, locale, "We could not find “%(place)s”. Check the spelling or type the nearest town.",
                         place="Москва")
    if locale == "ru":
        assert not message.startswith("We could not")
    html = text_of(response)
    assert str(escape(message)) in html
    assert 'class="error-summary"' in html
    assert len(listed_ids(response)) == 5  # the rest of the search still works, without distances
    assert distance_texts(response) == []


@pytest.mark.parametrize("query", [
    "category=weapons", "kind=cash", "urgency=panic", "region=mars", "radius=7", "radius=abc",
    "lat=abc&lon=76", "lat=43", "lat=nan&lon=inf", "lat=²&lon=1", "lat=91&lon=76", "lat=1e999&lon=1",
    "near=" + "x" * 300, "settlement=" + "я" * 500, "view=globe", "page=%00", "category=%00",
    "colour=red", "category=school&category=food", "near=%F0%9F%98%80",
])
def test_malformed_parameters_never_break_the_page(client, spread, query):
    response = client.get(f"/needs/?{query}")
    assert response.status_code == 200, query
    assert len(listed_ids(response)) >= 1


def test_a_bad_filter_is_left_out_with_a_message(client, spread):
    response = client.get("/needs/?category=weapons&region=jetisu")
    html = text_of(response)
    assert "This value was not understood and was left out." in html
    assert sorted(listed_ids(response)) == sorted([spread["Талдыкорган"].id, spread["Текели"].id])


def test_unreadable_location_says_so(client, spread):
    html = text_of(client.get("/needs/?lat=abc&lon=76.9"))
    assert "Your location could not be read. Type a settlement instead." in html


# --- the map ---------------------------------------------------------------------------------------------


def test_map_has_only_coarse_points(client, db_session):
    need = public_need("Алматы")
    # Even a point stored with too many decimals leaves the server rounded to about a kilometre.
    need.public_latitude, need.public_longitude = 43.256789, 76.912345
    other = public_need("Алматы")
    other.public_latitude, other.public_longitude = 43.2588, 76.9087
    db.session.commit()
    response = client.get("/needs/")
    points = map_points(response, client)
    assert points == [{"lat": 43.26, "lon": 76.91, "title": "2 requests for help", "subtitle": "Алматы", "label": "2",
                       "url": "/needs/?settlement=%D0%90%D0%BB%D0%BC%D0%B0%D1%82%D1%8B&view=list"}]
    html = text_of(response) + json.dumps(points)
    assert "43.256789" not in html and "76.912345" not in html and "43.2588" not in html


def test_single_need_marker_links_to_its_page(client, db_session):
    need = public_need("Текели")
    assert map_points(client.get("/needs/"), client) == [
        {"lat": TEKELI[0], "lon": TEKELI[1], "title": need.title, "subtitle": "Текели", "url": f"/needs/{need.id}"}
    ]


def test_list_and_map_toggle_works_without_javascript(client, spread):
    both = text_of(client.get("/needs/"))
    assert 'data-map-points-url' in both and 'class="stack need-list"' in both
    only_list = text_of(client.get("/needs/?view=list&category=school"))
    assert 'data-map-points-url' not in only_list and 'class="stack need-list"' in only_list
    only_map = text_of(client.get("/needs/?view=map"))
    assert 'data-map-points-url' in only_map and 'class="stack need-list"' not in only_map
    assert 'href="/needs/?category=school"' in only_list  # "List and map" keeps the filters
    assert 'href="/needs/?category=school&amp;view=map"' in only_list


# --- a need's page -------------------------------------------------------------------------------------------


def test_need_page_shows_progress_verification_and_how_to_help(client, db_session):
    office = OfficeFactory(name="Окно Жетысу", phone="+7 7282 00 11 22", address="ул. Кабанбай батыра, 26",
                           settlement="Талдыкорган", email="okno@example.kz")
    need = public_need("Талдыкорган", office=office, money_goal=5_000_000, money_raised=1_200_000,
                       volunteer_slots=3, slots_filled=1, volunteer_hours=4, deadline=date(2027, 9, 1),
                       verified_at=datetime(2026, 3, 3, 9, tzinfo=timezone.utc))
    NeedItemFactory(need=need, name="Рюкзак", quantity=3, quantity_pledged=1, unit="шт.")
    response = client.get(f"/needs/{need.id}")
    assert response.status_code == 200
    html = text_of(response)
    assert need.title in html and need.description in html
    assert '<progress class="progress" max="5000000" value="1200000"' in html
    assert "12,000\u00a0₸ of 50,000\u00a0₸" in html
    assert "Still missing: 38,000\u00a0₸" in html
    row = (r'<td>Рюкзак.*?</td>\s*<td data-label="Needed" class="num">3</td>\s*<td data-label="Pledged" class="num">1</td>'
           r'\s*<td data-label="Missing" class="num">2</td>')
    assert re.search(row, html, re.S)  # needed, pledged, still missing
    assert "1 of 3 volunteers" in html and "About 4 hours for each volunteer." in html
    assert "1 September 2027" in html
    assert "Verified by Окно Жетысу on 3 March 2026" in html
    # How to help: the office's contact, not a promise.
    assert 'href="tel:+77282001122"' in html and "ул. Кабанбай батыра, 26" in html and "okno@example.kz" in html
    assert "soon" not in html.lower()
    point = json.loads(re.search(r'id="need-point">(.*?)</script>', html, re.S).group(1))
    assert point == [{"lat": 45.02, "lon": 78.37, "title": "Талдыкорган", "subtitle": "Approximate area", "url": ""}]
    assert "Outcome" not in html
    # Anonymous visitors are invited to log in to report a problem.
    assert f"/login?next=/needs/{need.id}" in html or f"/login?next=%2Fneeds%2F{need.id}" in html


def test_fulfilled_need_shows_the_office_outcome(client, db_session):
    need = public_need(status=NeedStatus.FULFILLED, outcome_note="Стиральную машину доставили 5 марта.")
    html = text_of(client.get(f"/needs/{need.id}"))
    assert "Outcome" in html and "Стиральную машину доставили 5 марта." in html
    assert "This request has been met" in html
    assert listed_ids(client.get("/needs/")) == []  # no longer in the catalogue of open needs


def test_outcome_note_is_not_shown_before_fulfilment(client, db_session):
    need = public_need(outcome_note="черновик заметки офиса")
    assert "черновик заметки офиса" not in text_of(client.get(f"/needs/{need.id}"))


@pytest.mark.parametrize("state", ["draft", "submitted", "needs_info", "rejected", "closed", "cancelled", "expired"])
def test_need_page_is_404_unless_public(client, db_session, state):
    need = public_need(status=NeedStatus(state))
    response = client.get(f"/needs/{need.id}")
    assert response.status_code == 404
    assert need.title not in text_of(response)


def test_need_page_is_404_for_hidden_and_unverified_families(client, db_session):
    hidden = public_need(hidden_at=datetime.now(timezone.utc))
    unverified = NeedFactory(status=NeedStatus.VERIFIED, household=HouseholdFactory(needs_info=True))
    hidden_user = public_need()
    hidden_user.household.user.hidden_at = datetime.now(timezone.utc)
    db.session.commit()
    for need in (hidden, unverified, hidden_user):
        assert client.get(f"/needs/{need.id}").status_code == 404
    assert client.get("/needs/999999").status_code == 404
    assert client.get("/needs/99999999999999999999").status_code == 404


# --- flags ---------------------------------------------------------------------------------------------


def flags() -> list[Flag]:
    return list(db.session.scalars(select(Flag).order_by(Flag.id)))


def test_flag_a_need_once_then_refused(client, db_session, login_as, volunteer_user):
    need = public_need()
    login_as(volunteer_user)
    response = client.post(f"/needs/{need.id}/flag", data={"need-reason": "Та же просьба размещена дважды"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/needs/{need.id}")
    assert "The office will look into it" in text_of(client.get(f"/needs/{need.id}"))
    [flag] = flags()
    assert (flag.target_type, flag.target_id, flag.reporter_id, flag.office_id) == (
        FlagTarget.NEED, need.id, volunteer_user.id, need.office_id)

    again = client.post(f"/needs/{need.id}/flag", data={"need-reason": "Ещё раз: та же просьба"}, follow_redirects=True)
    assert "You have already flagged this. The office will look at it." in text_of(again)
    assert len(flags()) == 1


def test_flag_the_family_through_its_need(client, db_session, login_as, patron_user):
    need = public_need()
    login_as(patron_user)
    response = client.post(f"/needs/{need.id}/flag-family", data={"family-reason": "Просит деньги в личных сообщениях"})
    assert response.status_code == 303
    [flag] = flags()
    assert (flag.target_type, flag.target_id) == (FlagTarget.USER, need.household.user_id)
    # The family's account id itself never appears on the page.
    html = text_of(client.get(f"/needs/{need.id}"))
    assert f"/users/{need.household.user_id}" not in html


def test_flag_needs_a_reason(client, db_session, login_as, volunteer_user):
    need = public_need()
    login_as(volunteer_user)
    response = client.post(f"/needs/{need.id}/flag", data={"need-reason": "  "})
    assert response.status_code == 400
    assert "Please say what is wrong." in text_of(response)
    assert flags() == []


def test_anonymous_cannot_flag(client, db_session):
    need = public_need()
    for path in (f"/needs/{need.id}/flag", f"/needs/{need.id}/flag-family"):
        response = client.post(path, data={"need-reason": "что-то не так", "family-reason": "что-то не так"})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert flags() == []


def test_cannot_flag_a_need_that_is_not_public(client, db_session, login_as, volunteer_user):
    need = public_need(status=NeedStatus.SUBMITTED)
    login_as(volunteer_user)
    assert client.post(f"/needs/{need.id}/flag", data={"need-reason": "что-то не так"}).status_code == 404
    assert client.post(f"/needs/{need.id}/flag-family", data={"family-reason": "что-то не так"}).status_code == 404
    assert flags() == []


def test_report_forms_are_shown_to_logged_in_users(client, db_session, login_as, volunteer_user):
    need = public_need()
    login_as(volunteer_user)
    html = text_of(client.get(f"/needs/{need.id}"))
    assert f'action="/needs/{need.id}/flag"' in html and f'action="/needs/{need.id}/flag-family"' in html


def test_catalogue_in_russian_and_kazakh(client, spread):
    for locale in ("ru", "kk"):
        response = client.get("/needs/", headers={"Accept-Language": locale})
        assert response.status_code == 200
        assert f'<html lang="{locale}">' in text_of(response)
