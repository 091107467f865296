"""Office pages as people use them: the public list, search, nearest offices, the map, and the admin pages."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import func, select

from marketplace import geo
from marketplace.core.audit.models import AuditEntry
from marketplace.core.extensions import db
from marketplace.offices import csv_io
from marketplace.offices.models import Office
from tests.core.test_csv_cells import FORMULA_PAYLOADS, csv_rows, is_inert
from tests.factories import OfficeFactory, UserFactory

EN = {"Accept-Language": "en"}
# Uploads below are written without the optional name_kk and name_en columns, as files were before them.
WITHOUT_NAMES = [name for name in csv_io.CSV_COLUMNS if name not in csv_io.NAME_FIELDS]
NON_ADMIN_ROLES = ("family", "volunteer", "patron", "partner", "staff")

# Real places in Jetisu and Almaty, so that distances can be checked against the gazetteer.
TALDYKORGAN = (45.02, 78.38)  # about 0.7 km from the gazetteer's Талдыкорган
TEKELI = (44.8678, 78.72807)
ALMATY = (43.238, 76.889)


# --- helpers -------------------------------------------------------------------------------------------


def text_of(response) -> str:
    return response.get_data(as_text=True)


def listed(response) -> list[str]:
    """Office names in the result list, in page order (the map's JSON is not the list)."""
    html = text_of(response)
    match = re.search(r'<ul class="office-list">(.*?)</ul>', html, re.S)
    if match is None:
        return []
    return re.findall(r'<li class="office">\s*<h3><a href="/offices/\d+">(.*?)</a></h3>', match.group(1))


def distance_texts(response) -> list[str]:
    return re.findall(r'<p class="distance">(.*?)</p>', text_of(response))


def map_points(response) -> list[dict]:
    match = re.search(r'<script type="application/json" id="office-points">(.*?)</script>', text_of(response), re.S)
    assert match is not None, "the page has no map data"
    return json.loads(match.group(1))


def english_distance(km: float) -> str:
    """What the page should print for a distance, in English."""
    if km < 1:
        return f"{round(km * 100) * 10:,} m"
    return f"{km:,.1f} km" if km < 10 else f"{km:,.0f} km"


def office_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Office))


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def translated(app, locale: str, message: str, **variables) -> str:
    with app.test_request_context(), force_locale(locale):
        return _(message, **variables)


def form_data(**overrides) -> dict:
    data = {
        "code": "TDK-01", "name": "Окно Талдыкоргана", "region_code": "jetisu", "settlement": "Талдыкорган",
        "address": "ул. Кабанбай батыра, 26", "latitude": "45.0155", "longitude": "78.3739",
        "phone": "+7 7282 00 00 00", "email": "tdk@example.kz", "opening_hours": "Пн–Пт 9:00–18:00",
        "is_active": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def three_places(db_session):
    """An open office in Талдыкорган, Текели and Алматы, and a closed one in Талдыкорган."""
    return {
        "taldykorgan": OfficeFactory(name="Окно Талдыкорган", region_code="jetisu", settlement="Талдыкорган",
                                     latitude=TALDYKORGAN[0], longitude=TALDYKORGAN[1]),
        "tekeli": OfficeFactory(name="Окно Текели", region_code="jetisu", settlement="Текели",
                                latitude=TEKELI[0], longitude=TEKELI[1]),
        "almaty": OfficeFactory(name="Окно Алматы", latitude=ALMATY[0], longitude=ALMATY[1]),
        "closed": OfficeFactory(closed=True, name="Закрытое окно Талдыкорган", region_code="jetisu",
                                settlement="Талдыкорган", latitude=45.0156, longitude=78.3739),
    }


@pytest.fixture
def admin(db_session, client, login_as):
    """A logged-in admin who reads the pages in English."""
    user = UserFactory(admin=True, email="office-admin@example.kz", locale="en")
    login_as(user)
    return user


# --- the public list ----------------------------------------------------------------------------------------


def test_public_list_shows_open_offices_and_hides_closed_ones(client, three_places):
    response = client.get("/offices/", headers=EN)

    assert response.status_code == 200
    assert sorted(listed(response)) == ["Окно Алматы", "Окно Талдыкорган", "Окно Текели"]
    assert "Закрытое окно" not in text_of(response)
    assert "3 offices" in text_of(response)


def test_closed_office_page_is_not_public(client, three_places):
    assert client.get(f"/offices/{three_places['closed'].id}").status_code in (403, 404)
    assert client.get(f"/offices/{three_places['tekeli'].id}").status_code == 200


def test_admin_sees_closed_offices_in_the_admin_list(client, admin, three_places):
    response = client.get("/admin/offices")

    assert response.status_code == 200
    html = text_of(response)
    assert "Закрытое окно Талдыкорган" in html and "Окно Текели" in html
    assert "Closed" in html


def test_filter_by_region(client, three_places):
    response = client.get("/offices/?region=jetisu", headers=EN)

    assert response.status_code == 200
    assert sorted(listed(response)) == ["Окно Талдыкорган", "Окно Текели"]
    assert "2 offices" in text_of(response)


def test_unknown_region_lists_nothing_and_does_not_fail(client, three_places):
    response = client.get("/offices/?region=atlantis", headers=EN)

    assert response.status_code == 200
    assert listed(response) == []


@pytest.mark.parametrize("query", ["Текели", "текели", "ТЕКЕЛИ"])
def test_text_search_by_settlement(client, three_places, query):
    response = client.get("/offices/", query_string={"q": query}, headers=EN)

    assert response.status_code == 200
    assert listed(response) == ["Окно Текели"]


def test_text_search_that_matches_nothing_says_so(client, three_places):
    response = client.get("/offices/?q=zzzz", headers=EN)

    assert response.status_code == 200
    assert listed(response) == []
    assert "No office matches this search" in text_of(response)


# --- nearest offices --------------------------------------------------------------------------------------


@pytest.mark.parametrize("near", ["Талдыкорган", "Taldykorgan"])
def test_near_a_settlement_ranks_offices_nearest_first_with_distances(app, client, three_places, near):
    response = client.get("/offices/", query_string={"near": near}, headers=EN)

    assert response.status_code == 200
    assert listed(response) == ["Окно Талдыкорган", "Окно Текели", "Окно Алматы"]
    with app.app_context():
        origin = geo.geocode("Талдыкорган")
    expected = [english_distance(geo.distance_km(origin.latitude, origin.longitude, lat, lon))
                for lat, lon in (TALDYKORGAN, TEKELI, ALMATY)]
    assert distance_texts(response) == expected
    assert expected[0].endswith(" m") and expected[2].endswith(" km")
    assert "Offices nearest to" in text_of(response)


@pytest.mark.parametrize(("language", "place"), [("en", "Taldykorgan, Jetisu Region"), ("kk", "Талдықорған")])
def test_the_place_searched_from_is_named_in_the_page_language(client, three_places, language, place):
    response = client.get("/offices/?near=Taldykorgan", headers={"Accept-Language": language})

    assert response.status_code == 200
    assert place in text_of(response)


def test_my_location_ranks_offices_nearest_first(client, three_places):
    lat, lon = 44.87, 78.72  # standing in Текели
    response = client.get("/offices/", query_string={"lat": lat, "lon": lon}, headers=EN)

    assert response.status_code == 200
    assert listed(response) == ["Окно Текели", "Окно Талдыкорган", "Окно Алматы"]
    expected = [english_distance(geo.distance_km(lat, lon, *point)) for point in (TEKELI, TALDYKORGAN, ALMATY)]
    assert distance_texts(response) == expected
    assert "Offices nearest to your location" in text_of(response)


def test_nearest_offices_never_include_closed_ones(client, three_places):
    response = client.get("/offices/?near=Талдыкорган", headers=EN)

    assert "Закрытое окно" not in text_of(response)


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_unknown_place_is_a_form_error_in_the_page_language(app, client, three_places, language):
    response = client.get("/offices/?near=Qwertyzzz", headers={"Accept-Language": language})

    assert response.status_code == 200
    message = translated(app, language, "We could not find “%(place)s”. Check the spelling or type the nearest town.",
                         place="Qwertyzzz")
    if language != "en":
        assert message != translated(app, "en", "We could not find “%(place)s”. Check the spelling or type the "
                                                 "nearest town.", place="Qwertyzzz"), f"no {language} translation"
    html = text_of(response)
    assert f'class="field-error" id="near-error">{escape(message)}</p>' in html
    assert f'lang="{language}"' in html
    assert distance_texts(response) == []


@pytest.mark.parametrize("query", [
    {"lat": "abc", "lon": "76.9"},
    {"lat": "43.2", "lon": "east"},
    {"lat": "91", "lon": "76.9"},
    {"lat": "nan", "lon": "nan"},
    {"lat": "1e999", "lon": "76.9"},
])
def test_malformed_location_is_a_friendly_message(client, three_places, query):
    response = client.get("/offices/", query_string=query, headers=EN)

    assert response.status_code == 200
    assert "Your location could not be read. Type a settlement instead." in text_of(response)
    assert distance_texts(response) == []
    assert sorted(listed(response)) == ["Окно Алматы", "Окно Талдыкорган", "Окно Текели"]


@pytest.mark.parametrize("query", [{"near": "Алматы " * 500}, {"q": "%_" * 300}, {"page": "abc"}, {"page": "999"},
                                   {"region": "<script>"}, {"near": "\x00"}])
def test_odd_input_never_fails(client, three_places, query):
    response = client.get("/offices/", query_string=query, headers=EN)

    assert response.status_code == 200
    assert "<script>" not in text_of(response).split('<script type="application/json"')[0]


def test_half_a_location_does_not_fail(client, three_places):
    response = client.get("/offices/?lat=abc", headers=EN)

    assert response.status_code == 200
    assert len(listed(response)) == 3


# --- the map ----------------------------------------------------------------------------------------------


def test_map_data_has_every_listed_office(client, three_places):
    response = client.get("/offices/", headers=EN)

    points = map_points(response)
    coordinates = {(point["lat"], point["lon"]) for point in points}
    for key in ("taldykorgan", "tekeli", "almaty"):
        office = three_places[key]
        assert (office.latitude, office.longitude) in coordinates
        assert f"/offices/{office.id}" in {point["url"] for point in points}
    closed = three_places["closed"]
    assert (closed.latitude, closed.longitude) not in coordinates
    assert len(points) == 3


def test_a_long_list_is_paged(app, client, db_session):
    per_page = app.config["OFFICES_PER_PAGE"]
    for i in range(per_page + 3):
        OfficeFactory(name=f"Окно {i:03d}", settlement="Алматы")

    first = client.get("/offices/", headers=EN)
    assert first.status_code == 200
    assert len(listed(first)) == per_page and 'rel="next"' in text_of(first)
    second = client.get("/offices/?page=2", headers=EN)
    assert second.status_code == 200
    assert len(listed(second)) == 3 and 'rel="prev"' in text_of(second)
    assert set(listed(first)).isdisjoint(listed(second))


def test_map_data_covers_offices_beyond_the_first_page(app, client, db_session):
    per_page = app.config["OFFICES_PER_PAGE"]
    offices = [OfficeFactory(latitude=43.0 + i / 100, longitude=77.0) for i in range(per_page + 3)]

    response = client.get("/offices/", headers=EN)

    assert len(listed(response)) == per_page
    assert {(p["lat"], p["lon"]) for p in map_points(response)} == {(o.latitude, o.longitude) for o in offices}


def test_map_data_follows_the_filters(client, three_places):
    response = client.get("/offices/?region=jetisu", headers=EN)

    assert {point["title"] for point in map_points(response)} == {"Окно Талдыкорган", "Окно Текели"}


# --- office page --------------------------------------------------------------------------------------------


def test_office_page_shows_the_office(client, three_places):
    office = three_places["tekeli"]
    response = client.get(f"/offices/{office.id}", headers=EN)

    assert response.status_code == 200
    assert "Окно Текели" in text_of(response) and office.address in text_of(response)


def test_unknown_office_is_404(client, db_session):
    response = client.get("/offices/987654", headers=EN)

    assert response.status_code == 404
    assert "Page not found" in text_of(response)


# --- admin: add and edit ---------------------------------------------------------------------------------


def test_admin_adds_an_office_with_coordinates(client, admin):
    response = client.post("/admin/offices/new", data=form_data())

    office = db.session.scalar(select(Office).where(Office.code == "TDK-01"))
    assert office is not None, text_of(response)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/offices/{office.id}")
    assert (office.name, office.region_code, office.settlement) == ("Окно Талдыкоргана", "jetisu", "Талдыкорган")
    assert (office.latitude, office.longitude) == (45.0155, 78.3739)
    assert office.email == "tdk@example.kz" and office.is_active
    [entry] = audit_entries("office.create")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.office_id) == (admin.id, "office", office.id,
                                                                                        office.id)
    assert entry.to_state == "active"


def test_admin_adds_an_office_without_coordinates_geocoded_from_the_settlement(app, client, admin):
    response = client.post("/admin/offices/new", data=form_data(latitude="", longitude="", is_active=None))

    assert response.status_code == 302, text_of(response)
    office = db.session.scalar(select(Office).where(Office.code == "TDK-01"))
    with app.app_context():
        place = geo.geocode("Талдыкорган")
    assert geo.distance_km(office.latitude, office.longitude, place.latitude, place.longitude) < 1
    assert office.is_active is False
    [entry] = audit_entries("office.create")
    assert entry.object_id == office.id and entry.to_state == "closed"


def test_admin_unknown_settlement_without_coordinates_is_a_form_error(client, admin):
    response = client.post("/admin/offices/new", data=form_data(settlement="Qwertyzzz", latitude="", longitude=""))

    assert response.status_code == 200
    assert "We could not find “Qwertyzzz”" in text_of(response)
    assert office_count() == 0 and audit_entries("office.create") == []


def test_admin_geocoding_never_guesses_across_regions(client, admin):
    # Шалкар is a town in Aktobe Region and another in Atyrau Region; the gazetteer's first answer is Aktobe's.
    response = client.post("/admin/offices/new", data=form_data(code="ATY-09", region_code="atyrau",
                                                                settlement="Шалкар", address="ул. Достык, 1",
                                                                latitude="", longitude=""))

    office = db.session.scalar(select(Office).where(Office.code == "ATY-09"))
    # Either the form asks for coordinates, or the office is in Atyrau Region's Шалкар (48.03, 48.90).
    if office is None:
        assert response.status_code == 200
        assert 'id="settlement-error"' in text_of(response)
    else:
        assert geo.distance_km(office.latitude, office.longitude, 48.03333, 48.9) < 20


def test_admin_form_rejects_coordinates_outside_kazakhstan(client, admin):
    response = client.post("/admin/offices/new", data=form_data(latitude="12.5"))

    assert response.status_code == 200
    assert "Kazakhstan lies between 40 and 56 degrees north." in text_of(response)
    assert office_count() == 0


def test_duplicate_code_is_a_form_error(client, admin):
    OfficeFactory(code="TDK-01")

    response = client.post("/admin/offices/new", data=form_data())

    assert response.status_code == 200
    assert "An office with this code already exists." in text_of(response)
    assert office_count() == 1 and audit_entries("office.create") == []


def test_admin_edits_an_office_and_the_audit_names_the_changed_fields(client, admin):
    office = OfficeFactory(code="ALA-77", name="Старое имя", phone="+7 727 000 00 00")
    data = form_data(code="ALA-77", name="Новое имя", region_code=office.region_code, settlement=office.settlement,
                     address=office.address, latitude=str(office.latitude), longitude=str(office.longitude),
                     phone="+7 727 111 11 11", email="", opening_hours="")

    response = client.get(f"/admin/offices/{office.id}/edit")
    assert response.status_code == 200 and "Старое имя" in text_of(response)
    response = client.post(f"/admin/offices/{office.id}/edit", data=data)

    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    office = db.session.get(Office, office.id)
    assert (office.name, office.phone) == ("Новое имя", "+7 727 111 11 11")
    [entry] = audit_entries("office.update")
    assert entry.details == {"fields": ["name", "phone"]}
    assert (entry.actor_id, entry.object_id, entry.from_state, entry.to_state) == (admin.id, office.id, "active",
                                                                                      "active")


def test_closing_an_office_is_audited_as_a_state_change(client, admin):
    office = OfficeFactory(code="ALA-78", email=None, opening_hours=None)
    data = form_data(code="ALA-78", name=office.name, region_code=office.region_code, settlement=office.settlement,
                     address=office.address, latitude=str(office.latitude), longitude=str(office.longitude),
                     phone=office.phone, email="", opening_hours="", is_active=None)

    response = client.post(f"/admin/offices/{office.id}/edit", data=data)

    assert response.status_code == 302, text_of(response)
    [entry] = audit_entries("office.update")
    assert (entry.details, entry.from_state, entry.to_state) == ({"fields": ["is_active"]}, "active", "closed")


def test_saving_without_changes_writes_no_audit_entry(client, admin):
    office = OfficeFactory(code="ALA-79", email=None, opening_hours=None)
    data = form_data(code="ALA-79", name=office.name, region_code=office.region_code, settlement=office.settlement,
                     address=office.address, latitude=str(office.latitude), longitude=str(office.longitude),
                     phone=office.phone, email="", opening_hours="")

    response = client.post(f"/admin/offices/{office.id}/edit", data=data)

    assert response.status_code == 302, text_of(response)
    assert audit_entries("office.update") == []


def test_editing_to_another_offices_code_is_a_form_error(client, admin):
    OfficeFactory(code="ALA-01")
    office = OfficeFactory(code="ALA-02")

    response = client.post(f"/admin/offices/{office.id}/edit", data=form_data(code="ALA-01"))

    assert response.status_code == 200
    assert "An office with this code already exists." in text_of(response)
    db.session.expire_all()
    assert db.session.get(Office, office.id).code == "ALA-02"
    assert audit_entries("office.update") == []


# --- admin pages are for admins only ----------------------------------------------------------------------


def _as(role, users, login_as, client):
    if role != "anonymous":
        login_as(users[role])
    return client


def _refused(response, role) -> bool:
    if role == "anonymous":
        return response.status_code == 302 and "/login" in response.headers["Location"]
    return response.status_code == 403


@pytest.mark.parametrize("role", [*NON_ADMIN_ROLES, "anonymous"])
def test_non_admins_cannot_add_offices(client, users, login_as, role):
    _as(role, users, login_as, client)
    before = office_count()

    assert _refused(client.get("/admin/offices/new"), role)
    assert _refused(client.post("/admin/offices/new", data=form_data(code="HACK-1")), role)

    assert office_count() == before
    assert db.session.scalar(select(Office).where(Office.code == "HACK-1")) is None
    assert audit_entries("office.create") == []


@pytest.mark.parametrize("role", [*NON_ADMIN_ROLES, "anonymous"])
def test_non_admins_cannot_edit_import_or_export_offices(client, users, login_as, role):
    office = OfficeFactory(code="KEEP-1", name="Не трогать")
    _as(role, users, login_as, client)
    upload = f"{','.join(WITHOUT_NAMES)}\nHACK-2,Окно,almaty-city,Алматы,ул. Абая 1,43.25,76.91,,,,1\n"

    export = client.get("/admin/offices/export.csv")
    assert _refused(export, role)
    assert "KEEP-1" not in text_of(export)
    assert _refused(client.get("/admin/offices"), role)
    assert _refused(client.post(f"/admin/offices/{office.id}/edit", data=form_data(code="KEEP-1", name="Взлом")), role)
    assert _refused(client.post("/admin/offices/import", data={"file": (io.BytesIO(upload.encode()), "o.csv")},
                                content_type="multipart/form-data"), role)

    db.session.expire_all()
    assert db.session.get(Office, office.id).name == "Не трогать"
    assert db.session.scalar(select(Office).where(Office.code == "HACK-2")) is None
    assert audit_entries("office.update") == [] and audit_entries("office.create") == []


# --- admin CSV -----------------------------------------------------------------------------------------------


def test_admin_exports_csv_with_a_bom_and_the_header(client, admin, three_places):
    response = client.get("/admin/offices/export.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == csv_io.CSV_COLUMNS
    by_code = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert set(by_code) == {office.code for office in three_places.values()}  # closed offices too
    tekeli = by_code[three_places["tekeli"].code]
    assert (tekeli["name"], tekeli["settlement"], float(tekeli["latitude"])) == ("Окно Текели", "Текели", TEKELI[0])
    assert by_code[three_places["closed"].code]["is_active"] == "0"


def test_admin_export_writes_no_formula_and_reads_back_through_the_import(client, admin):
    # Each payload in every free-text column an admin can type; the e-mail is checked by the import, so not there.
    offices = [OfficeFactory(code=f"F-{n}", name=payload, name_kk=payload, name_en=payload, settlement=payload, address=payload, phone=payload,
                             opening_hours=payload, bank_recipient=payload, bank_iban="KZ86125KZT5004100100",
                             bank_name="Банк", bank_bic="HSBKKZKX")
               for n, payload in enumerate(FORMULA_PAYLOADS)]

    response = client.get("/admin/offices/export.csv")

    assert response.status_code == 200
    rows = csv_rows(response.get_data(as_text=True))
    assert all(is_inert(cell) for row in rows for cell in row)
    by_code = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    for office, payload in zip(offices, FORMULA_PAYLOADS):
        written = by_code[office.code]
        columns = ("name", "name_kk", "name_en", "settlement", "address", "phone", "opening_hours", "bank_recipient")
        assert [written[c] for c in columns] == ["'" + payload] * len(columns)

    imported = client.post("/admin/offices/import", data={"file": (io.BytesIO(response.data), "offices.csv")},
                           content_type="multipart/form-data")

    assert imported.status_code == 200
    assert "These rows were skipped" not in text_of(imported), text_of(imported)
    db.session.expire_all()
    for office, payload in zip(offices, FORMULA_PAYLOADS):
        office = db.session.get(Office, office.id)
        # The import trims every value, as it always has; the apostrophe is gone, the rest is as it was.
        assert (office.name, office.name_kk, office.phone, office.bank_recipient) == (payload.strip(),) * 4
    assert len(audit_entries("office.update")) == 2  # the two payloads that start with whitespace, trimmed


def test_admin_uploads_csv_good_rows_imported_bad_rows_listed_by_line(client, admin):
    content = "\n".join([
        ",".join(WITHOUT_NAMES),
        "UP-1,Окно один,almaty-city,Алматы,\"ул. Абая, 1\",43.25,76.91,,,,1",   # line 2
        "UP-BAD,Окно,atlantis,Алматы,\"ул. Абая, 2\",43.25,76.91,,,,1",         # line 3
        "UP-2,Окно в Текели,jetisu,Текели,\"ул. Тауелсиздик, 5\",,,,,,1",       # line 4
        "UP-3,,almaty-city,Алматы,\"ул. Абая, 4\",43.25,76.91,,,,1",            # line 5
    ]) + "\n"

    response = client.post(
        "/admin/offices/import", data={"file": (io.BytesIO(content.encode("utf-8")), "offices.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 200
    html = text_of(response)
    assert "line 3: region atlantis is unknown" in html
    assert "line 5: name is required" in html
    assert "line 2:" not in html and "line 4:" not in html
    codes = set(db.session.scalars(select(Office.code)))
    assert codes == {"UP-1", "UP-2"}
    entries = audit_entries("office.create")
    assert len(entries) == 2 and {entry.actor_id for entry in entries} == {admin.id}


def test_admin_upload_in_a_windows_encoding_is_refused_politely(client, admin):
    content = ",".join(WITHOUT_NAMES) + "\nCP-1,Окно,almaty-city,Алматы,ул. Абая 1,43.25,76.91,,,,1\n"

    response = client.post(
        "/admin/offices/import", data={"file": (io.BytesIO(content.encode("cp1251")), "offices.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422  # the offices page again, the message beside the file field
    assert 'id="file-error">The file must be a CSV saved as UTF-8.' in text_of(response)
    assert office_count() == 0


# --- admin: bank details for transfers ------------------------------------------------------------------

BANK = {"bank_recipient": "КГУ «Социальное окно»", "bank_bin": "1804 4001 2349", "bank_iban": "kz86 125k zt50 0410 0100",
        "bank_name": "АО «Народный банк Казахстана»", "bank_bic": "hsbkkzkx", "bank_kbe": "12"}


def test_admin_gives_an_office_its_bank_details(client, admin):
    response = client.post("/admin/offices/new", data=form_data(**BANK))
    office = db.session.scalar(select(Office).where(Office.code == "TDK-01"))
    assert office is not None, text_of(response)
    # Stored as the bank prints them, whatever spacing and case were typed.
    assert (office.bank_iban, office.bank_bic, office.bank_bin) == ("KZ86125KZT5004100100", "HSBKKZKX", "180440012349")
    assert office.takes_transfers and office.bank_iban_grouped == "KZ86 125K ZT50 0410 0100"
    [entry] = audit_entries("office.bank_details")
    assert entry.details == {"fields": ["bank_recipient", "bank_bin", "bank_iban", "bank_name", "bank_bic", "bank_kbe"]}
    assert entry.actor_id == admin.id


@pytest.mark.parametrize("overrides, message", [
    ({"bank_iban": "KZ86125KZT5004100101"}, "This account number is not valid"),
    ({"bank_iban": "DE89 3704 0044 0532 0130 00"}, "it starts with KZ"),
    ({"bank_bic": "HSB"}, "This BIC is not valid"),
    ({"bank_bin": "180440012340"}, "This BIN is not valid"),
    ({"bank_kbe": "1x"}, "The beneficiary code is two digits"),
    ({"bank_iban": "", "bank_bic": ""}, "Fill in all the main bank details"),
])
def test_bad_bank_details_are_refused_and_change_nothing(client, admin, overrides, message):
    office = OfficeFactory(code="ALA-80", email=None, opening_hours=None)
    data = form_data(code="ALA-80", name=office.name, region_code=office.region_code, settlement=office.settlement,
                     address=office.address, latitude=str(office.latitude), longitude=str(office.longitude),
                     phone=office.phone, email="", opening_hours="", **{**BANK, **overrides})
    response = client.post(f"/admin/offices/{office.id}/edit", data=data)
    assert response.status_code == 200
    assert message in text_of(response)
    db.session.expire_all()
    office = db.session.get(Office, office.id)
    assert office.bank_iban is None and office.bank_recipient is None
    assert audit_entries("office.bank_details") == []


def test_clearing_the_bank_details_is_audited(client, admin):
    office = OfficeFactory(code="ALA-81", email=None, opening_hours=None, bank_recipient="КГУ", bank_iban="KZ86125KZT5004100100",
                           bank_name="Банк", bank_bic="HSBKKZKX")
    data = form_data(code="ALA-81", name=office.name, region_code=office.region_code, settlement=office.settlement,
                     address=office.address, latitude=str(office.latitude), longitude=str(office.longitude),
                     phone=office.phone, email="", opening_hours="", **{name: "" for name in BANK})  # as a browser sends emptied fields
    assert "KZ86125KZT5004100100" in text_of(client.get(f"/admin/offices/{office.id}/edit"))
    assert client.post(f"/admin/offices/{office.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    office = db.session.get(Office, office.id)
    assert not office.takes_transfers and office.bank_iban is None
    [entry] = audit_entries("office.bank_details")
    assert entry.details == {"fields": ["bank_recipient", "bank_iban", "bank_name", "bank_bic"]}


@pytest.mark.parametrize("language, credit", [("ru", "© участники OpenStreetMap"),
                                              ("kk", "© OpenStreetMap қатысушылары"),
                                              ("en", "© OpenStreetMap contributors")])
def test_the_maps_credit_is_in_the_readers_language(client, three_places, language, credit):
    html = text_of(client.get("/offices/", headers={"Accept-Language": language}))
    assert f'data-tile-attribution="{credit}"' in html


def test_an_operators_own_tiles_keep_their_credit_as_configured(app, client, three_places):
    app.config["MAP_TILE_ATTRIBUTION"] = "© Картография 2ГИС"
    html = text_of(client.get("/offices/", headers={"Accept-Language": "kk"}))
    assert 'data-tile-attribution="© Картография 2ГИС"' in html and 'data-tile-attribution="© OpenStreetMap' not in html
