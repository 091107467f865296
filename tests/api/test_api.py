"""The public needs API: shapes (checked against its own OpenAPI document), filters, distance, pages, errors."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec

from marketplace import geo
from marketplace.api.schemas import LIST_PARAMETER_NAMES, LIST_PARAMETERS
from marketplace.core.extensions import db
from marketplace.needs.models import Category, NeedStatus, Urgency
from tests.factories import HouseholdFactory, NeedFactory, NeedItemFactory, OfficeFactory
from tests.needs.test_catalogue import ALMATY, ASTANA, PLACES, TALDYKORGAN, TEKELI, public_need
from marketplace.core.config import Config

PUBLIC_URL = Config.PUBLIC_URL or Config.DEVELOPMENT_PUBLIC_URL  # what the testing app builds its addresses on


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def conforms(document: dict, schema_name: str, instance) -> None:
    """Fail unless `instance` matches the named schema of the API's own OpenAPI document."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    OAS31Validator(schema).validate(instance)


def ids(response) -> list[int]:
    return [item["id"] for item in response.get_json()["items"]]


@pytest.fixture
def spread(db_session):
    return {name: public_need(name) for name in ("Астана", "Алматы", "Текели", "Талгар", "Талдыкорган")}


# --- shapes ---------------------------------------------------------------------------------------------


def test_list_item_has_every_public_field(client, db_session, document):
    office = OfficeFactory(name="Окно Жетысу")
    need = public_need("Текели", office=office, money_goal=5_000_000, money_raised=1_200_000, volunteer_slots=2,
                       slots_filled=1, volunteer_hours=3.5, category=Category.FURNITURE, urgency=Urgency.HIGH,
                       urgency_rank=1, verified_at=datetime(2026, 3, 3, 9, tzinfo=timezone.utc))
    NeedItemFactory(need=need, name="Стиральная машина", quantity=1, quantity_pledged=0, unit="шт.")
    response = client.get("/api/v1/needs")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.mimetype == "application/json"
    assert "Accept-Language" in response.headers["Vary"]
    # UTF-8 as it is, not \u escapes.
    assert "Стиральная машина".encode() in response.data
    body = response.get_json()
    conforms(document, "NeedList", body)
    assert (body["page"], body["per_page"], body["total"], body["pages"], body["next"], body["prev"]) == (
        1, 20, 1, 1, None, None)
    [item] = body["items"]
    assert item == {
        "id": need.id, "title": need.title, "description": need.description,
        "category": "furniture", "category_name": "Furniture and appliances",
        "kinds": ["money", "goods", "volunteer"],
        "urgency": "high", "urgency_name": "High", "status": "verified", "status_name": "Open for help",
        "deadline": None, "settlement": "Текели", "region": {"code": "jetisu", "name": "Jetisu Region"},
        "location": {"lat": TEKELI[0], "lon": TEKELI[1]},
        "money": {"goal": 5_000_000, "raised": 1_200_000, "missing": 3_800_000, "currency": "KZT",
                  "formatted": {"goal": "50,000\u00a0₸", "raised": "12,000\u00a0₸", "missing": "38,000\u00a0₸"}},
        "goods": [{"name": "Стиральная машина", "quantity": 1, "pledged": 0, "missing": 1, "unit": "шт."}],
        "volunteers": {"slots": 2, "filled": 1, "hours_each": 3.5},
        "verified": {"office": "Окно Жетысу", "at": "2026-03-03T09:00:00+00:00"},
        "url": f"{PUBLIC_URL}/needs/{need.id}",
    }


def test_names_and_amounts_follow_the_language(client, db_session):
    public_need("Текели", money_goal=2_500_000)
    [item] = client.get("/api/v1/needs", headers={"Accept-Language": "ru"}).get_json()["items"]
    assert item["money"]["formatted"]["goal"] == "25\u00a0000\u00a0₸"
    assert item["region"]["name"] == "Область Жетысу"


def test_detail_adds_the_office_to_contact_and_the_outcome(client, db_session, document):
    office = OfficeFactory(name="Окно Жетысу", phone="+7 7282 00 11 22", email="okno@example.kz")
    need = public_need("Талдыкорган", office=office, status=NeedStatus.FULFILLED, outcome_note="Доставлено 5 марта.")
    response = client.get(f"/api/v1/needs/{need.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    body = response.get_json()
    conforms(document, "NeedDetail", body)
    assert body["office"] == {"name": "Окно Жетысу", "names": {"ru": "Окно Жетысу", "kk": None, "en": None},
                              "settlement": office.settlement, "address": office.address,
                              "phone": "+7 7282 00 11 22", "email": "okno@example.kz", "opening_hours": None,
                              "url": f"{PUBLIC_URL}/offices/{office.id}"}
    assert body["outcome_note"] == "Доставлено 5 марта."
    assert body["status"] == "fulfilled"


@pytest.mark.parametrize("language, name", [
    ("kk", "Жетісу терезесі"), ("en", "Zhetysu window"), ("ru", "Окно Жетысу"), ("de", "Окно Жетысу"),
])
def test_the_office_is_named_in_the_requests_language(client, db_session, document, language, name):
    office = OfficeFactory(name="Окно Жетысу", name_kk="Жетісу терезесі", name_en="Zhetysu window")
    need = public_need("Талдыкорган", office=office)
    headers = {"Accept-Language": language}

    detail = client.get(f"/api/v1/needs/{need.id}", headers=headers).get_json()
    [listed] = client.get("/api/v1/needs", headers=headers).get_json()["items"]

    conforms(document, "NeedDetail", detail)
    assert detail["office"]["name"] == name
    assert detail["office"]["names"] == {"ru": "Окно Жетысу", "kk": "Жетісу терезесі", "en": "Zhetysu window"}
    assert detail["verified"]["office"] == listed["verified"]["office"] == name


def test_an_office_without_an_english_name_is_named_in_russian(client, db_session):
    need = public_need("Талдыкорган", office=OfficeFactory(name="Окно Жетысу", name_kk="Жетісу терезесі"))

    detail = client.get(f"/api/v1/needs/{need.id}", headers={"Accept-Language": "en"}).get_json()

    assert detail["office"]["name"] == detail["verified"]["office"] == "Окно Жетысу"
    assert detail["office"]["names"]["en"] is None


def test_detail_hides_the_outcome_note_until_fulfilled(client, db_session):
    need = public_need(outcome_note="черновик")
    assert client.get(f"/api/v1/needs/{need.id}").get_json()["outcome_note"] is None


def test_location_is_always_coarse(client, db_session):
    need = public_need("Алматы")
    need.public_latitude, need.public_longitude = 43.256789, 76.912345  # stored too precisely
    db.session.commit()
    [item] = client.get("/api/v1/needs").get_json()["items"]
    assert item["location"] == {"lat": 43.26, "lon": 76.91}
    assert b"43.256789" not in client.get(f"/api/v1/needs/{need.id}").data


def test_need_without_a_public_point_has_null_location(client, db_session):
    need = public_need()
    need.public_latitude = need.public_longitude = need.settlement = need.region_code = None
    db.session.commit()
    item = client.get(f"/api/v1/needs/{need.id}").get_json()
    assert (item["location"], item["region"], item["settlement"]) == (None, None, None)
    # It is listed without a place, and left out when sorting by distance (it cannot be ranked).
    assert ids(client.get("/api/v1/needs")) == [need.id]
    assert ids(client.get("/api/v1/needs?lat=43.25&lon=76.9")) == []


# --- filters, order, pages ---------------------------------------------------------------------------------


def test_only_open_public_needs_are_listed(client, db_session):
    listed = [public_need(), public_need(status=NeedStatus.IN_PROGRESS)]
    public_need(status=NeedStatus.FULFILLED)
    public_need(status=NeedStatus.SUBMITTED)
    public_need(hidden_at=datetime.now(timezone.utc))
    NeedFactory(status=NeedStatus.VERIFIED, household=HouseholdFactory(submitted=True))
    assert sorted(ids(client.get("/api/v1/needs"))) == sorted(n.id for n in listed)


def test_filters(client, db_session):
    school = public_need("Алматы", category=Category.SCHOOL, money_goal=None, volunteer_slots=2, volunteer_hours=3)
    food = public_need("Текели", category=Category.FOOD, urgency=Urgency.CRITICAL, urgency_rank=0)
    goods = public_need("Астана", category=Category.CLOTHING, money_goal=None)
    NeedItemFactory(need=goods)
    cases = {
        "category=food": [food.id], "kind=money": [food.id], "kind=goods": [goods.id],
        "kind=volunteer": [school.id], "region=astana": [goods.id], "urgency=critical": [food.id],
        "settlement=текели": [food.id], "settlement=Tekeli": [food.id], "settlement=астана": [goods.id],
        "category=food&region=astana": [],
    }
    for query, expected in cases.items():
        assert ids(client.get(f"/api/v1/needs?{query}")) == expected, query


def test_nearest_first_with_distances(client, spread):
    body = client.get("/api/v1/needs", query_string={"lat": TALDYKORGAN[0], "lon": TALDYKORGAN[1]}).get_json()
    order = ["Талдыкорган", "Текели", "Талгар", "Алматы", "Астана"]
    assert [item["id"] for item in body["items"]] == [spread[name].id for name in order]
    for item, name in zip(body["items"], order):
        expected = geo.distance_km(*TALDYKORGAN, *PLACES[name][0])
        assert item["distance_km"] == pytest.approx(expected, abs=0.06)
    assert "distance_km" not in client.get("/api/v1/needs").get_json()["items"][0]


def test_radius(client, spread):
    near = client.get("/api/v1/needs", query_string={"lat": ALMATY[0], "lon": ALMATY[1], "radius_km": 30})
    assert ids(near) == [spread["Алматы"].id, spread["Талгар"].id]
    assert near.get_json()["total"] == 2
    far = client.get("/api/v1/needs", query_string={"lat": ASTANA[0], "lon": ASTANA[1], "radius_km": 1000})
    assert ids(far)[0] == spread["Астана"].id and len(ids(far)) == 5


def test_pages_with_links(client, spread):
    first = client.get("/api/v1/needs?per_page=2&category=school").get_json()
    assert (first["total"], first["pages"], len(first["items"]), first["prev"]) == (5, 3, 2, None)
    assert first["next"].startswith(f"{PUBLIC_URL}/api/v1/needs?")  # never the request's Host
    second = client.get(first["next"]).get_json()
    assert second["page"] == 2 and "category=school" in second["next"] and "per_page=2" in second["next"]
    third = client.get(second["next"]).get_json()
    assert third["next"] is None and len(third["items"]) == 1
    assert client.get(third["prev"]).get_json()["page"] == 2
    seen = [item["id"] for body in (first, second, third) for item in body["items"]]
    assert sorted(seen) == sorted(n.id for n in spread.values())
    beyond = client.get("/api/v1/needs?per_page=2&page=9").get_json()
    assert beyond["items"] == [] and beyond["next"] is None and "page=3" in beyond["prev"]


def test_pages_nearest_first(client, spread):
    query = {"lat": TALDYKORGAN[0], "lon": TALDYKORGAN[1], "per_page": 2}
    pages = [ids(client.get("/api/v1/needs", query_string={**query, "page": p})) for p in (1, 2, 3)]
    assert pages == [[spread["Талдыкорган"].id, spread["Текели"].id], [spread["Талгар"].id, spread["Алматы"].id],
                     [spread["Астана"].id]]


def test_an_empty_settlement_means_any(client, spread):
    assert len(ids(client.get("/api/v1/needs?settlement="))) == 5
    assert len(ids(client.get("/api/v1/needs?settlement=%20%20"))) == 5


@pytest.mark.parametrize(("query", "parameter"), [
    ("region=", "region"), ("urgency=", "urgency"), ("category=", "category"), ("kind=", "kind"),
    ("lat=&lon=76.9", "lat"), ("lat=43.2&lon=", "lon"), ("page=", "page"), ("per_page=", "per_page"),
    ("region=%20jetisu", "region"), ("lat=%2043.2&lon=76.9", "lat"),
])
def test_an_empty_or_padded_value_is_a_400_as_the_document_says(client, db_session, document, query, parameter):
    """The document's enums and numbers have no empty value: `region=` is not "any region" but a mistake."""
    response = client.get(f"/api/v1/needs?{query}")
    assert response.status_code == 400, query
    error = response.get_json()["error"]
    conforms(document, "Error", response.get_json())
    assert error["code"] == "invalid_parameters"
    assert parameter in [problem["name"] for problem in error["invalid_params"]]


# --- errors ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "parameter", "words"), [
    ("colour=red", "colour", "not a parameter"),
    ("lat=abc&lon=76.9", "lat", "must be a number"),
    ("lat=43.2&lon=east", "lon", "must be a number"),
    ("lat=nan&lon=76.9", "lat", "must be a number"),
    ("lat=95&lon=76.9", "lat", "between -90 and 90"),
    ("lat=43.2", "lon", "go together"),
    ("lon=76.9", "lat", "go together"),
    ("radius_km=10", "radius_km", "needs “lat” and “lon”"),
    ("lat=43.2&lon=76.9&radius_km=0", "radius_km", "more than 0"),
    ("lat=43.2&lon=76.9&radius_km=5000", "radius_km", "at most 1000"),
    ("per_page=1000", "per_page", "between 1 and 100"),
    ("per_page=0", "per_page", "between 1 and 100"),
    ("page=0", "page", "between 1"),
    ("page=two", "page", "whole number"),
    ("page=1.5", "page", "whole number"),
    ("page=99999999999999999999", "page", "between 1 and 10000"),
    ("page=-3", "page", "between 1 and 10000"),
    ("category=weapons", "category", "must be one of"),
    ("kind=cash", "kind", "must be one of"),
    ("urgency=panic", "urgency", "must be one of"),
    ("region=mars", "region", "must be one of"),
    ("settlement=" + "я" * 200, "settlement", "at most 120 characters"),
    ("category=food&category=school", "category", "more than once"),
])
def test_unknown_or_malformed_parameters_are_a_readable_400(client, db_session, document, query, parameter, words):
    response = client.get(f"/api/v1/needs?{query}")
    assert response.status_code == 400, query
    assert response.mimetype == "application/json"
    assert "max-age" not in response.headers.get("Cache-Control", "")
    body = response.get_json()
    conforms(document, "Error", body)
    error = body["error"]
    assert error["status"] == 400 and error["title"] == "The request could not be understood"
    assert error["code"] == "invalid_parameters"
    assert f"“{parameter}”" in error["detail"] and words in error["detail"], error["detail"]
    assert parameter in [problem["name"] for problem in error["invalid_params"]]


def test_every_problem_is_reported_at_once(client, db_session):
    body = client.get("/api/v1/needs?colour=red&per_page=1000&category=weapons").get_json()
    assert {problem["name"] for problem in body["error"]["invalid_params"]} == {"colour", "per_page", "category"}


def test_errors_follow_the_requests_language(app, client, db_session):
    body = client.get("/api/v1/needs?colour=red", headers={"Accept-Language": "ru"}).get_json()
    assert body["error"]["title"] == "Не удалось разобрать запрос"
    from tests.needs.test_catalogue import translated

    expected = translated(app, "ru", "“%(name)s” is not a parameter of this endpoint. It accepts: %(names)s.",
                          name="colour", names=", ".join(LIST_PARAMETER_NAMES))
    assert body["error"]["detail"] == expected


@pytest.mark.parametrize("state", ["draft", "submitted", "needs_info", "rejected", "closed", "cancelled", "expired"])
def test_detail_is_404_unless_public(client, db_session, document, state):
    need = public_need(status=NeedStatus(state))
    response = client.get(f"/api/v1/needs/{need.id}")
    assert response.status_code == 404
    conforms(document, "Error", response.get_json())
    assert need.title.encode() not in response.data


def test_detail_is_404_for_hidden_needs_and_families(client, db_session):
    hidden = public_need(hidden_at=datetime.now(timezone.utc))
    unverified = NeedFactory(status=NeedStatus.VERIFIED, household=HouseholdFactory(rejected=True))
    hidden_user = public_need()
    hidden_user.household.user.hidden_at = datetime.now(timezone.utc)
    db.session.commit()
    answers = {client.get(f"/api/v1/needs/{need.id}").get_data() for need in (hidden, unverified, hidden_user)}
    missing = client.get("/api/v1/needs/987654")
    # Not public and not there at all look exactly the same.
    assert answers == {missing.get_data()} and missing.status_code == 404
    for path in ("/api/v1/needs/99999999999999999999", "/api/v1/needs/abc", "/api/v1/needs/0"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "application/json", path


# --- the OpenAPI document ---------------------------------------------------------------------------------------


def test_openapi_document_is_valid_3_1(client, document):
    validate_spec(document)  # raises on any structural error
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/needs", "/needs/{need_id}", "/needs/{need_id}/claims",
                                      "/claims/{claim_id}/release", "/claims/{claim_id}/complete", "/me/claims"}
    assert document["servers"] == [{"url": "/api/v1"}]
    response = client.get("/api/v1/openapi.json")
    assert response.headers["Cache-Control"] == "public, max-age=60"


def query_names(document) -> dict[str, dict]:
    """The list's query-string names and their schemas, as the document says: an exploded object parameter
    (style form) sends each of its properties as a name of its own."""
    names = {}
    for parameter in document["paths"]["/needs"]["get"]["parameters"]:
        if parameter["in"] != "query":
            continue
        if parameter["schema"]["type"] == "object":
            assert parameter["style"] == "form" and parameter["explode"] is True
            names.update(parameter["schema"]["properties"])
        else:
            names[parameter["name"]] = {**parameter["schema"], "description": parameter["description"]}
    return names


def test_documented_parameters_are_exactly_those_the_view_accepts(client, db_session, document):
    documented = query_names(document)
    assert sorted(documented) == sorted(LIST_PARAMETER_NAMES)
    for name, schema in documented.items():
        assert schema["type"] in ("string", "integer", "number") and schema["description"]
        # A value the document allows is accepted (lat and radius_km need their companions) ...
        valid = (schema["enum"][0] if "enum" in schema else schema["examples"][0] if "examples" in schema
                 else schema.get("default", schema.get("minimum", 1)))
        companions = {"lat": 43.2, "lon": 76.9} if name in ("lat", "lon", "radius_km") else {}
        query = {**companions, name: valid}
        assert client.get("/api/v1/needs", query_string=query).status_code == 200, query
        # ... and each limit the document states is the one the view enforces.
        for bad in _just_outside(schema):
            response = client.get("/api/v1/needs", query_string={**companions, name: bad})
            assert response.status_code == 400, (name, bad)
    assert client.get("/api/v1/needs?not_documented=1").status_code == 400


@pytest.mark.parametrize("sent", [set(combination) for size in range(4)
                                  for combination in itertools.combinations(("lat", "lon", "radius_km"), size)])
def test_which_origin_parameters_need_which_is_in_the_document_and_enforced(client, db_session, document, sent):
    """lat needs lon, lon needs lat, radius_km needs both: the document's `dependentRequired` is the view's rule."""
    [origin] = [p for p in document["paths"]["/needs"]["get"]["parameters"] if p["name"] == "origin"]
    requires = origin["schema"]["dependentRequired"]
    allowed = all(set(requires[name]) <= sent for name in sent)
    values = {"lat": 43.2, "lon": 76.9, "radius_km": 30}
    response = client.get("/api/v1/needs", query_string={name: values[name] for name in sent})
    assert response.status_code == (200 if allowed else 400), sent
    if not allowed:
        assert response.get_json()["error"]["code"] == "invalid_parameters"


def _just_outside(schema: dict) -> list:
    values: list = []
    if "maximum" in schema:
        values.append(schema["maximum"] + (1 if schema["type"] == "integer" else 0.001))
    if "minimum" in schema:
        values.append(schema["minimum"] - (1 if schema["type"] == "integer" else 0.001))
    if "exclusiveMinimum" in schema:
        values.append(schema["exclusiveMinimum"])
    if "enum" in schema:
        values.append("not-" + schema["enum"][0])
    if "maxLength" in schema:
        values.append("x" * (schema["maxLength"] + 1))
    if "pattern" in schema:
        values += ["", "x" + schema["examples"][0], schema["examples"][0] + "0" * 40]
    if schema["type"] in ("integer", "number"):
        values.append("abc")
    return values


def test_parameter_definitions_cover_every_limit(document):
    """Each parameter states its limits, so a client can validate before asking."""
    by_name = {p.name: p.schema() for p in LIST_PARAMETERS}
    assert by_name["per_page"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert by_name["lat"] == {"type": "number", "minimum": -90, "maximum": 90}
    assert set(by_name["category"]["enum"]) == {c.value for c in Category}
    assert by_name["kind"]["enum"] == ["money", "goods", "volunteer"]
    detail_params = document["paths"]["/needs/{need_id}"]["get"]["parameters"]
    assert detail_params[0] == {"name": "need_id", "in": "path", "required": True, "description": "The need's id",
                                "schema": {"type": "integer", "minimum": 1}}
