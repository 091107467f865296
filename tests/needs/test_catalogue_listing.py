"""The catalogue reads its listed needs from the need's own row: every page it shows, through the page links
and the API's, is exactly what a full scan with the visibility rule's joins gives, for every filter; the
`listed` flag follows every change it depends on; the count stops at a bound and says so."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from marketplace import geo
from marketplace.accounts.models import AccountStatus
from marketplace.core.extensions import db
from marketplace.families.models import HouseholdStatus
from marketplace.needs import catalogue, map_points
from marketplace.needs.models import OPEN_STATES, Category, Need, NeedItem, NeedStatus, Urgency
from marketplace.needs.services import public_needs
from tests.factories import HouseholdFactory, NeedFactory, NeedItemFactory, UserFactory
from tests.needs.test_catalogue import PLACES, listed_ids

PER_PAGE = 4
PAGES = 3
ALMATY = PLACES["Алматы"][0]
CATEGORIES = [Category.SCHOOL, Category.FOOD, Category.MEDICINE]
URGENCIES = [Urgency.CRITICAL, Urgency.HIGH, Urgency.NORMAL]
RANK = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}


@pytest.fixture
def spread(app, db_session, monkeypatch):
    """Forty open needs over five places, three categories and urgencies and every kind, many created at the
    same moment (the order breaks ties by id); and needs the catalogue must never list."""
    monkeypatch.setitem(app.config, "NEEDS_PER_PAGE", PER_PAGE)
    start = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
    households = {name: HouseholdFactory(verified=True, settlement=name, region_code=region, public_latitude=point[0],
                                         public_longitude=point[1])
                  for name, (point, region) in PLACES.items()}
    names = list(PLACES)
    for i in range(40):
        name = names[i % len(names)]
        (lat, lon), region = PLACES[name]
        urgency = URGENCIES[(i // 2) % 3]
        need = NeedFactory(
            household=households[name], status=NeedStatus.IN_PROGRESS if i % 7 == 0 else NeedStatus.VERIFIED,
            settlement=name, region_code=region, public_latitude=lat, public_longitude=lon,
            category=CATEGORIES[i % 3], urgency=urgency, urgency_rank=RANK[urgency],
            money_goal=5_000_000 if i % 2 == 0 else None, volunteer_slots=1 if i % 3 == 0 else 0,
            created_at=start + timedelta(hours=i // 4))  # four at each moment
        if i % 4 == 1:
            NeedItemFactory(need=need)
    # Never listed: a draft, a submitted one, a hidden one, a fulfilled one, one of an unverified household,
    # of a hidden account, of a disabled account.
    home = households["Алматы"]
    for status in (NeedStatus.DRAFT, NeedStatus.SUBMITTED, NeedStatus.FULFILLED):
        NeedFactory(household=home, status=status, settlement="Алматы", region_code="almaty-city",
                    public_latitude=ALMATY[0], public_longitude=ALMATY[1])
    NeedFactory(household=home, status=NeedStatus.VERIFIED, hidden_at=start, settlement="Алматы",
                region_code="almaty-city", public_latitude=ALMATY[0], public_longitude=ALMATY[1])
    for household in (HouseholdFactory(status=HouseholdStatus.SUBMITTED),
                      HouseholdFactory(verified=True, user=UserFactory(family=True, hidden_at=start)),
                      HouseholdFactory(verified=True, user=UserFactory(family=True, disabled=True))):
        NeedFactory(household=household, status=NeedStatus.VERIFIED, settlement="Алматы",
                    region_code="almaty-city", public_latitude=ALMATY[0], public_longitude=ALMATY[1])
    db_session.commit()


def by_the_rule() -> list[Need]:
    """Every need the public may see and help, by the rule's own joins, in no order."""
    return list(db.session.scalars(public_needs(select(Need)).where(Need.status.in_(OPEN_STATES))))


def matches(need: Need, filters: dict) -> bool:
    has_goods = db.session.scalar(select(NeedItem.id).where(NeedItem.need_id == need.id).limit(1)) is not None
    return all([
        "category" not in filters or need.category.value == filters["category"],
        "urgency" not in filters or need.urgency.value == filters["urgency"],
        "region" not in filters or need.region_code == filters["region"],
        "settlement" not in filters or need.settlement == SETTLEMENT_MEANS.get(filters["settlement"]),
        filters.get("kind") != "money" or bool(need.money_goal),
        filters.get("kind") != "goods" or has_goods,
        filters.get("kind") != "volunteer" or need.volunteer_slots > 0,
    ])


SETTLEMENT_MEANS = {"Талгар": "Талгар", "almaty": "Алматы", "ТЕКЕЛИ": "Текели", "Семей": None}


def brute_force(filters: dict, origin: tuple[float, float] | None = None, radius: float | None = None) -> list[int]:
    """The ids a full scan gives, in the catalogue's order: most urgent, newest, highest id first; or nearest
    first, then in that order."""
    needs = [need for need in by_the_rule() if matches(need, filters)]
    ordered = sorted(needs, key=lambda n: (n.urgency_rank, -n.created_at.timestamp(), -n.id))
    if origin is None:
        return [need.id for need in ordered]
    km = {need.id: geo.distance_km(*origin, need.public_latitude, need.public_longitude) for need in ordered}
    nearest = sorted((need for need in ordered if radius is None or km[need.id] <= radius),
                     key=lambda n: km[n.id])  # a stable sort: the same distance keeps the catalogue's order
    return [need.id for need in nearest]


FILTERS = [{}, {"category": "food"}, {"category": "medicine"}, {"kind": "money"}, {"kind": "goods"},
           {"kind": "volunteer"}, {"urgency": "critical"}, {"urgency": "normal"}, {"region": "jetisu"},
           {"region": "almaty-city"}, {"settlement": "Талгар"}, {"settlement": "almaty"}, {"settlement": "ТЕКЕЛИ"},
           {"settlement": "Семей"}, {"category": "school", "kind": "money", "region": "almaty"}]


def next_link(html: str) -> str | None:
    found = re.search(r'<a class="btn btn-secondary" href="([^"]+)" rel="next">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def catalogue_pages(client, query: str) -> list[list[int]]:
    """The first PAGES pages of the catalogue, each reached by the previous one's "Next" link."""
    pages, url = [], f"/needs/?view=list&{query}"
    for _ in range(PAGES):
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(listed_ids(response))
        url = next_link(response.get_data(as_text=True))
        if url is None:
            break
    return pages


def api_pages(client, params: dict) -> list[list[int]]:
    pages, body = [], client.get("/api/v1/needs", query_string={**params, "per_page": PER_PAGE}).get_json()
    for _ in range(PAGES):
        pages.append([item["id"] for item in body["items"]])
        if body["next"] is None:
            break
        body = client.get(body["next"]).get_json()
    return pages


def first_pages(ids: list[int]) -> list[list[int]]:
    chunks = [ids[i:i + PER_PAGE] for i in range(0, min(len(ids), PER_PAGE * PAGES), PER_PAGE)]
    return chunks or [[]]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "default")
def test_every_filters_first_pages_are_the_full_scans(client, spread, filters):
    expected = first_pages(brute_force(filters))
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    assert catalogue_pages(client, query) == expected
    assert api_pages(client, filters) == expected


@pytest.mark.parametrize("radius", [None, 25, 100])  # the form's choices
@pytest.mark.parametrize("filters", [{}, {"kind": "money"}, {"urgency": "high"}])
def test_a_place_searchs_first_pages_are_the_full_scans_nearest_first(client, spread, filters, radius):
    expected = first_pages(brute_force(filters, ALMATY, radius))
    query = "&".join(f"{key}={value}" for key, value in {**filters, "near": "Алматы",
                                                          **({"radius": radius} if radius else {})}.items())
    assert catalogue_pages(client, query) == expected
    origin = {"lat": ALMATY[0], "lon": ALMATY[1], **({"radius_km": radius} if radius else {})}
    assert api_pages(client, {**filters, **origin}) == expected


def test_pages_after_and_before_meet_again(client, spread):
    """Next, next, then previous twice comes back to the first page, through the cursors of the links."""
    body = client.get("/api/v1/needs", query_string={"per_page": PER_PAGE}).get_json()
    first = [item["id"] for item in body["items"]]
    second = client.get(body["next"]).get_json()
    third = client.get(second["next"]).get_json()
    assert "after=" in second["next"] and "before=" in third["prev"]
    back = client.get(third["prev"]).get_json()
    assert [item["id"] for item in back["items"]] == [item["id"] for item in second["items"]]
    assert [item["id"] for item in client.get(back["prev"]).get_json()["items"]] == first


def test_a_cursor_no_link_could_have_written_is_a_clear_400_and_the_page_ignores_it(client, spread):
    response = client.get("/api/v1/needs?after=9-abc-1", headers={"Accept-Language": "ru"})
    assert response.status_code == 400 and "after" in response.get_json()["error"]["detail"]
    page = client.get("/needs/?after=9-abc-1&view=list")
    assert page.status_code == 200 and listed_ids(page) == brute_force({})[:PER_PAGE]


def test_the_count_stops_at_its_bound_and_says_so(client, spread, monkeypatch):
    monkeypatch.setattr(catalogue, "COUNT_CAP", 7)
    body = client.get("/api/v1/needs", query_string={"per_page": PER_PAGE}).get_json()
    assert (body["total"], body["total_exact"], body["pages"]) == (7, False, None)
    html = client.get("/needs/?view=list", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Более 7 открытых просьб" in html and "Страница 1" in html and "из" not in html.split("Страница 1")[1][:5]
    # Past the bound, "next" still goes on in order to the last need.
    seen, url = [], body
    while True:
        seen += [item["id"] for item in url["items"]]
        if url["next"] is None:
            break
        url = client.get(url["next"]).get_json()
    assert seen == brute_force({})
    few = {"region": "astana", "category": "food"}
    exact = client.get("/api/v1/needs", query_string=few).get_json()
    assert exact["total_exact"] is True and exact["total"] == len(brute_force(few)) <= 7


def test_the_public_listing_reads_only_the_needs_table_and_the_cards_own_rows(app, client, spread):
    statements: list[str] = []

    def keep(_conn, _cursor, statement, *_args):
        statements.append(statement.lower())

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        for url in ("/api/v1/needs", "/api/v1/needs?category=food&region=almaty-city", "/needs/?view=list",
                    "/api/v1/needs?lat=43.25&lon=76.91", "/api/v1/needs?lat=43.25&lon=76.91&radius_km=25"):
            assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    listing = [s for s in statements if "from needs" in s]
    assert listing and not [s for s in listing if "households" in s or "users" in s]
    # No exact count over the table: every count reads at most the bound plus one, or (nearest first) counts the
    # needs per place in boxes growing from the point until they hold the bound plus one (the whole country's,
    # as here, only when it holds fewer).
    counts = [s for s in statements if "count(" in s]
    assert counts and all("limit" in s or "group by needs.public_latitude, needs.public_longitude" in s
                          for s in counts)
    # Nearest first reads the needs of the places its page covers only, never the box's rows.
    rows = [s for s in statements if s.startswith("select needs.id") and "public_latitude between" in s]
    assert not rows


def flags_agree() -> None:
    db.session.flush()
    rule = {need.id for need in by_the_rule()}
    flags = {need_id for need_id, listed in db.session.execute(select(Need.id, Need.listed)) if listed}
    assert flags == rule


def test_the_flag_follows_everything_it_depends_on(db_session, spread):
    flags_agree()
    need = db.session.scalars(select(Need).where(Need.listed == True)).first()  # noqa: E712
    household, user = need.household, need.household.user
    for change, undo in [
        (lambda: setattr(need, "hidden_at", datetime.now(timezone.utc)), lambda: setattr(need, "hidden_at", None)),
        (lambda: setattr(need, "status", NeedStatus.FULFILLED), lambda: setattr(need, "status", NeedStatus.VERIFIED)),
        (lambda: setattr(household, "status", HouseholdStatus.NEEDS_INFO),
         lambda: setattr(household, "status", HouseholdStatus.VERIFIED)),
        (lambda: setattr(user, "hidden_at", datetime.now(timezone.utc)), lambda: setattr(user, "hidden_at", None)),
        (lambda: setattr(user, "status", AccountStatus.DISABLED), lambda: setattr(user, "status", AccountStatus.ACTIVE)),
        (lambda: setattr(need, "household", HouseholdFactory(status=HouseholdStatus.SUBMITTED)),
         lambda: setattr(need, "household", household)),
    ]:
        change()
        flags_agree()
        assert need.listed is False
        undo()
        flags_agree()
        assert need.listed is True
    db_session.commit()
    flags_agree()


def goods_agree() -> None:
    db.session.flush()
    with_lines = set(db.session.scalars(select(NeedItem.need_id)))
    flags = {need_id for need_id, has in db.session.execute(select(Need.id, Need.has_goods)) if has}
    assert flags == with_lines


def test_a_need_has_goods_while_it_has_a_goods_line(db_session, spread):
    goods_agree()
    need = db.session.scalars(select(Need).where(Need.has_goods == False)).first()  # noqa: E712
    other = db.session.scalars(select(Need).where(Need.has_goods == False, Need.id != need.id)).first()  # noqa: E712
    first, second = NeedItemFactory(need=need), NeedItemFactory(need=need)
    goods_agree()
    assert need.has_goods is True
    db.session.delete(first)
    goods_agree()
    assert need.has_goods is True  # one line left
    second.need = other  # moved to another need
    goods_agree()
    assert need.has_goods is False and other.has_goods is True
    db.session.delete(second)
    goods_agree()
    assert other.has_goods is False
    db_session.commit()
    goods_agree()


def test_a_rolled_back_change_rolls_its_flag_back(db_session, spread):
    need = db.session.scalars(select(Need).where(Need.listed == True)).first()  # noqa: E712
    user_id = need.household.user_id
    need.household.user.status = AccountStatus.DISABLED
    db_session.flush()
    assert need.listed is False
    db_session.rollback()
    assert db.session.get(Need, need.id).listed is True
    assert db.session.get(type(need.household.user), user_id).status is AccountStatus.ACTIVE


# --- the map's points, asked for the box it shows ------------------------------------------------------


def points(client, box="46.0,40.0,88.0,56.0", zoom=6, **args):
    response = client.get("/needs/map.json", query_string={"bbox": box, "zoom": zoom, **args})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_the_map_gets_one_point_per_place_with_its_count_and_may_be_cached(client, spread):
    response = points(client)
    counts = {(p["lat"], p["lon"]): int(p["label"]) for p in response.get_json()}
    expected: dict = {}
    for need in by_the_rule():
        key = geo.coarse_point(need.public_latitude, need.public_longitude)
        expected[key] = expected.get(key, 0) + 1
    assert counts == expected
    assert response.headers["Cache-Control"] in ("public, max-age=60", "max-age=60, public")
    assert "Set-Cookie" not in response.headers


def test_the_map_follows_the_filters_the_box_and_the_radius(client, spread):
    food = {(p["lat"], p["lon"]): int(p.get("label", 1)) for p in points(client, category="food").get_json()}
    assert sum(food.values()) == len(brute_force({"category": "food"}))
    # A box around Almaty and Talgar only.
    near = {(p["lat"], p["lon"]) for p in points(client, box="76.5,43.0,77.5,43.5", zoom=10).get_json()}
    assert near == {PLACES["Алматы"][0], PLACES["Талгар"][0]}
    within = {(p["lat"], p["lon"]) for p in points(client, near="Алматы", radius="5").get_json()}
    assert within == {PLACES["Алматы"][0]}


def test_many_places_are_merged_into_cells_that_zoom_in(client, spread, monkeypatch):
    monkeypatch.setattr(map_points, "MAP_POINTS_LIMIT", 2)
    cells = points(client, zoom=4).get_json()
    assert sum(int(p["label"]) for p in cells) == len(by_the_rule())
    assert any(p.get("zoom") for p in cells) and len(cells) < len(PLACES)
    for cell in cells:
        assert cell["lat"] == round(cell["lat"], 2) and cell["lon"] == round(cell["lon"], 2)


@pytest.mark.parametrize("args", [{"bbox": "1,2,3"}, {"bbox": "a,b,c,d", "zoom": 5}, {"bbox": "10,50,5,40", "zoom": 5},
                                  {"bbox": "46,40,88,56", "zoom": 40}, {"bbox": "46,40,88,56"}, {}])
def test_a_box_or_zoom_the_map_could_not_have_sent_is_a_clear_400(client, spread, args):
    response = client.get("/needs/map.json", query_string=args, headers={"Accept-Language": "kk"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "Картаның аумағы немесе масштабы оқылмады. Бетті жаңартыңыз."


def test_the_catalogue_page_itself_reads_no_map_points(app, client, spread):
    statements: list[str] = []

    def keep(_conn, _cursor, statement, *_args):
        statements.append(statement.lower())

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        assert client.get("/needs/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert statements and not [s for s in statements if "group by" in s]


def test_the_flag_follows_the_state_machines_own_updates(app, db_session, spread):
    """A transition changes a status by its own compare-and-set UPDATE, which the ORM does not see."""
    from marketplace.accounts.lifecycle import ACCOUNT_LIFECYCLE
    from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
    from marketplace.needs.lifecycle import NEED_LIFECYCLE

    admin = UserFactory(admin=True)
    staff = UserFactory(staff=True)
    with app.test_request_context():
        submitted = db.session.scalars(select(Need).where(Need.status == NeedStatus.SUBMITTED)).first()
        staff.office_id = submitted.office_id
        NEED_LIFECYCLE.apply(submitted, "verify", actor=staff)
        flags_agree()
        assert submitted.listed is True
        NEED_LIFECYCLE.apply(submitted, "fulfil", actor=staff, reason="Передали.")
        flags_agree()
        assert submitted.listed is False

        household = HouseholdFactory(verified=True)
        need = NeedFactory(household=household, status=NeedStatus.VERIFIED)
        office_staff = UserFactory(staff=True, office=household.office)
        flags_agree()
        assert need.listed is True
        HOUSEHOLD_LIFECYCLE.apply(household, "reopen", actor=household.user)  # the family changed its address
        flags_agree()
        assert need.listed is False
        HOUSEHOLD_LIFECYCLE.apply(household, "verify", actor=office_staff)
        flags_agree()
        assert need.listed is True
        ACCOUNT_LIFECYCLE.apply(household.user, "disable", actor=admin, reason="Проверка")
        flags_agree()
        assert need.listed is False
    db_session.commit()
    flags_agree()
