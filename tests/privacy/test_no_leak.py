"""No public page or API response carries a family's personal data.

A family with a distinctive name, e-mail, phone, address, exact point, circumstances, files and
conversation with its office gets needs in every state (and hidden ones, and needs of an unverified and
of a hidden family). Every public page and API response is then fetched as an anonymous visitor, a
volunteer and a patron, and each body and header is searched for every distinctive value, also after
undoing HTML, JSON and URL escaping. Needs that are not public must be absent everywhere, and every
public point must be rounded to two decimals (about a kilometre).
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, unquote

import pytest

from marketplace.core.roles import Role
from marketplace.core.extensions import db
from marketplace.needs.models import Category, NeedStatus, Urgency
from tests.needs.test_catalogue import map_points
from tests.conftest import login
from tests.factories import (
    ConsentRecordFactory, HouseholdFactory, NeedFactory, NeedItemFactory, NeedMessageFactory, OfficeFactory,
    StoredFileFactory, UserFactory,
)

EXACT_LAT, EXACT_LON = 43.123456, 76.987654
COARSE_LAT, COARSE_LON = 43.12, 76.99

# Everything here is private; none of it may reach a public page, in any spelling.
SECRETS = {
    "family name": ["Тлеубердиева", "Зейнегуль", "Tleuberdieva"],
    "family e-mail": ["zeinegul.tleu.secret@example.kz", "zeinegul.tleu.secret"],
    "phone": ["+7 705 918 27 36", "7059182736", "918 27 36", "9182736", "+7 705 918", "+77059182736"],
    "account phone": ["+7 701 555 44 91", "7015554491"],
    "address": ["мкр. Сайран-Секрет", "Сайран-Секрет", "д. 777, кв. 88", "кв. 88"],
    "exact point": ["43.123456", "76.987654", "43.1234", "76.9876", "43.123", "76.987", "76.988"],
    "circumstances": ["Обстоятельства-ТАЙНА-5521"],
    "household reason": ["Причина-домохозяйства-ТАЙНА-7788"],
    "evidence file": ["svidetelstvo_Tleuberdieva_LEAK.pdf", "svidetelstvo_Tleuberdieva_LEAK",
                      "c0ffee5eed5a1e0f4b1d6e8a9c7d3f21", "d1e2a3d4b5e6e7f8"],
    "conversation": ["Вопрос-офиса-ТАЙНА-3141", "Ответ-семьи-ТАЙНА-2718"],
    "need reasons": ["Причина-отказа-ТАЙНА-1618", "Причина-скрытия-ТАЙНА-1414", "Причина-отмены-ТАЙНА-1732"],
    "consent record": ["203.0.113.77"],
    "verifying staff": ["Сотрудник-Проверяющий-Секретов", "verifier.secret@example.kz"],
    "other families": ["Неподтверждённая-Семья-ТАЙНА", "unverified.family.secret@example.kz", "+7 777 000 99 11",
                       "Скрытая-Семья-ТАЙНА", "hidden.family.secret@example.kz", "+7 777 000 88 22"],
}
PUBLIC_STATES = (NeedStatus.VERIFIED, NeedStatus.IN_PROGRESS, NeedStatus.FULFILLED)
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def readings(text: str) -> list[str]:
    """The text as a reader or a script would see it: raw, HTML-unescaped, JSON-unescaped, URL-decoded."""
    unescaped = html.unescape(text)
    unjsoned = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), unescaped)
    return [text, unescaped, unjsoned, unquote(unjsoned), unquote(unjsoned).replace("+", " ")]


def leaks_in(text: str) -> list[str]:
    """Which secrets appear in the text (case-insensitive, in any of its readings)."""
    found = []
    lowered = [reading.casefold() for reading in readings(text)]
    for kind, needles in SECRETS.items():
        for needle in needles:
            if any(needle.casefold() in reading for reading in lowered):
                found.append(f"{kind}: {needle}")
    return found


@dataclass
class World:
    family_needs: dict  # name → Need of the distinctive family
    public: list  # the needs the public may see
    private: list  # every other need
    office: object


@pytest.fixture
def world(db_session) -> World:
    office = OfficeFactory(name="Окно Медеуского района", settlement="Алматы", address="пр. Достык, 85")
    staff = UserFactory(role=Role.STAFF, office=office, full_name="Сотрудник-Проверяющий-Секретов",
                        email="verifier.secret@example.kz")
    family = UserFactory(role=Role.FAMILY, full_name="Зейнегуль Кенжебаевна Тлеубердиева (Tleuberdieva)",
                         email="zeinegul.tleu.secret@example.kz", phone="+7 701 555 44 91")
    household = HouseholdFactory(
        user=family, office=office, verified=True, phone="+7 705 918 27 36", phone_digits="7059182736",
        address="Алматы, мкр. Сайран-Секрет, д. 777, кв. 88", latitude=EXACT_LAT, longitude=EXACT_LON,
        settlement="Алматы", region_code="almaty-city", public_latitude=COARSE_LAT, public_longitude=COARSE_LON,
        other_circumstances="Обстоятельства-ТАЙНА-5521", status_reason="Причина-домохозяйства-ТАЙНА-7788",
        verified_by_id=staff.id, verified_at=datetime(2026, 3, 1, tzinfo=timezone.utc),
    )
    ConsentRecordFactory(user=family, version="2026-11", text_shown="…", locale="ru", ip_address="203.0.113.77")
    public_place = dict(settlement="Алматы", region_code="almaty-city", public_latitude=COARSE_LAT,
                        public_longitude=COARSE_LON, verified_by_id=staff.id,
                        verified_at=datetime(2026, 3, 3, tzinfo=timezone.utc))
    needs = {}
    for status in NeedStatus:
        needs[status.value] = NeedFactory(
            household=household, office=office, status=status, title=f"Просьба-{status.value}-семьи",
            category=Category.FURNITURE, urgency=Urgency.HIGH, urgency_rank=1, money_goal=5_000_000,
            money_raised=1_000_000, volunteer_slots=2, slots_filled=1, volunteer_hours=3, **public_place,
        )
    needs["rejected"].status_reason = "Причина-отказа-ТАЙНА-1618"
    needs["cancelled"].status_reason = "Причина-отмены-ТАЙНА-1732"
    needs["hidden"] = NeedFactory(household=household, office=office, status=NeedStatus.VERIFIED,
                                  title="Просьба-скрытая-семьи", hidden_at=datetime.now(timezone.utc),
                                  hidden_by_id=staff.id, hidden_reason="Причина-скрытия-ТАЙНА-1414", **public_place)
    for need in needs.values():
        NeedItemFactory(need=need, name="Стиральная машина", quantity=1)
        NeedMessageFactory(need=need, question=True, body="Вопрос-офиса-ТАЙНА-3141", author=staff)
        NeedMessageFactory(need=need, answer=True, body="Ответ-семьи-ТАЙНА-2718", author=family)
        StoredFileFactory(
            need_photo=True, pdf=True, need=need, stored_name=f"c0ffee5eed5a1e0f4b1d6e8a9c7d3f21{need.id:04d}",
            original_name="svidetelstvo_Tleuberdieva_LEAK.pdf", size=2048, sha256="d1e2a3d4b5e6e7f8" * 4,
            uploaded_by_id=family.id,
        )
    StoredFileFactory(
        evidence=True, pdf=True, household=household, stored_name="c0ffee5eed5a1e0f4b1d6e8a9c7d3f21",
        original_name="svidetelstvo_Tleuberdieva_LEAK.pdf", size=2048, sha256="d1e2a3d4b5e6e7f8" * 4,
    )
    # A family the office has not verified yet, whose need somehow says "verified": still not public.
    unverified = HouseholdFactory(
        submitted=True, office=office, phone="+7 777 000 99 11", latitude=EXACT_LAT, longitude=EXACT_LON,
        user=UserFactory(role=Role.FAMILY, full_name="Неподтверждённая-Семья-ТАЙНА",
                         email="unverified.family.secret@example.kz"),
    )
    needs["unverified household"] = NeedFactory(household=unverified, office=office, status=NeedStatus.VERIFIED,
                                                title="Просьба-неподтверждённой-семьи", **public_place)
    # A family that staff hid (its account is hidden): its verified need leaves public pages too.
    hidden_user = UserFactory(role=Role.FAMILY, full_name="Скрытая-Семья-ТАЙНА",
                              email="hidden.family.secret@example.kz", hidden_at=datetime.now(timezone.utc))
    hidden_family = HouseholdFactory(verified=True, office=office, user=hidden_user, phone="+7 777 000 88 22",
                                     latitude=EXACT_LAT, longitude=EXACT_LON)
    needs["hidden family"] = NeedFactory(household=hidden_family, office=office, status=NeedStatus.VERIFIED,
                                         title="Просьба-скрытой-семьи", **public_place)
    db.session.commit()
    public = [needs[s.value] for s in PUBLIC_STATES]
    private = [need for need in needs.values() if need not in public]
    return World(family_needs=needs, public=public, private=private, office=office)


def public_paths(world: World) -> list[str]:
    """Every public page and API response, with every filter and way of choosing a place."""
    everything = world.public + world.private
    pages = [
        "/", "/offices/", f"/offices/{world.office.id}", "/offices/?near=Алматы", "/offices/?lat=43.2&lon=76.9",
        "/needs/", "/needs/?view=map", "/needs/?view=list", "/needs/?page=2",
        "/needs/?category=furniture", "/needs/?kind=money", "/needs/?kind=goods", "/needs/?kind=volunteer",
        "/needs/?urgency=high", "/needs/?region=almaty-city", f"/needs/?settlement={quote('Алматы')}",
        "/needs/?settlement=Almaty", f"/needs/?near={quote('Алматы')}", "/needs/?near=Almaty&radius=50",
        "/needs/?near=Almaty&radius=5", "/needs/?lat=43.2&lon=76.9", "/needs/?lat=43.2&lon=76.9&radius=25&view=map",
        "/needs/?category=weapons&lat=abc", f"/needs/?near={quote('Москва')}",
        "/api/v1/needs", "/api/v1/needs?lat=43.2&lon=76.9", "/api/v1/needs?lat=43.2&lon=76.9&radius_km=50",
        "/api/v1/needs?category=furniture", "/api/v1/needs?kind=money", "/api/v1/needs?kind=goods",
        "/api/v1/needs?kind=volunteer", "/api/v1/needs?region=almaty-city", "/api/v1/needs?settlement=Almaty",
        f"/api/v1/needs?settlement={quote('Алматы')}", "/api/v1/needs?urgency=high",
        "/api/v1/needs?page=1&per_page=100", "/api/v1/needs?colour=red", "/api/v1/openapi.json",
    ]
    for need in everything:
        pages += [f"/needs/{need.id}", f"/api/v1/needs/{need.id}"]
    return pages


@pytest.fixture
def visitors(app, db_session):
    """An anonymous visitor, a volunteer and a patron, each on their own device."""
    clients = {}
    for role in ("anonymous", "volunteer", "patron"):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
        if role != "anonymous":
            user = UserFactory(role=Role(role), **({"patron": True} if role == "patron" else {}))
            assert login(client, user).status_code == 302
        clients[role] = client
    return clients


def test_the_detector_finds_each_secret_in_every_escaping():
    """The search below can fail: every secret is found raw, HTML-escaped, JSON-escaped and URL-encoded."""
    for needles in SECRETS.values():
        for needle in needles:
            for disguised in (needle, html.escape(needle), json.dumps(needle), quote(needle),
                              json.dumps(needle, ensure_ascii=True), f"<a href='/x?q={quote(needle)}'>",
                              needle.upper()):
                assert leaks_in(f"…{disguised}…"), (needle, disguised)
    assert leaks_in("Алматы, 43.12, 76.99, Окно Медеуского района") == []


def test_no_public_page_or_api_response_leaks_personal_data(world, visitors):
    failures = []
    public_titles = {need.title for need in world.public}
    private_titles = {need.title for need in world.private}
    seen_public_titles = set()
    for role, client in visitors.items():
        for path in public_paths(world):
            response = client.get(path)
            if response.status_code not in (200, 400, 404):
                failures.append(f"{role} {path}: status {response.status_code}")
            body = response.get_data(as_text=True)
            headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
            for leak in leaks_in(body) + leaks_in(headers):
                failures.append(f"{role} {path}: {leak}")
            for title in private_titles:
                if any(title in reading for reading in readings(body)):
                    failures.append(f"{role} {path}: shows the non-public need “{title}”")
            seen_public_titles |= {title for title in public_titles if any(title in r for r in readings(body))}
    assert failures == [], "\n".join(failures)
    # The check is not empty: the family's public needs were on the pages searched.
    assert seen_public_titles == public_titles


def test_only_public_needs_have_pages(world, visitors):
    for role, client in visitors.items():
        for need in world.public:
            assert client.get(f"/needs/{need.id}").status_code == 200, (role, need.status)
            assert client.get(f"/api/v1/needs/{need.id}").status_code == 200, (role, need.status)
        for need in world.private:
            assert client.get(f"/needs/{need.id}").status_code == 404, (role, need.title)
            assert client.get(f"/api/v1/needs/{need.id}").status_code == 404, (role, need.title)


def test_lists_show_only_open_public_needs(world, visitors):
    open_ids = {world.family_needs["verified"].id, world.family_needs["in_progress"].id}
    for client in visitors.values():
        listed = {item["id"] for item in client.get("/api/v1/needs?per_page=100").get_json()["items"]}
        assert listed == open_ids
        page = client.get("/needs/?view=list").get_data(as_text=True)
        assert set(map(int, re.findall(r'class="card-link" href="/needs/(\d+)"', page))) == open_ids


def _decimals(value: float) -> int:
    text = repr(float(value))
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def test_every_public_point_is_rounded_to_about_a_kilometre(world, visitors):
    # Even if a stored public point were too precise, what leaves the server is rounded.
    world.family_needs["verified"].public_latitude = EXACT_LAT
    world.family_needs["verified"].public_longitude = EXACT_LON
    db.session.commit()
    client = visitors["anonymous"]
    points = []
    for path in ("/needs/", "/needs/?near=Almaty", "/needs/?view=map&lat=43.2&lon=76.9"):
        points += map_points(client.get(path), client)
    for need in world.public:
        page = client.get(f"/needs/{need.id}").get_data(as_text=True)
        points += json.loads(re.search(r'id="need-point">(.*?)</script>', page, re.S).group(1))
        points.append(client.get(f"/api/v1/needs/{need.id}").get_json()["location"])
    points += [item["location"] for item in client.get("/api/v1/needs").get_json()["items"]]
    assert len(points) >= 9
    for point in points:
        assert _decimals(point["lat"]) <= 2 and _decimals(point["lon"]) <= 2, point
        assert (point["lat"], point["lon"]) == (COARSE_LAT, COARSE_LON)


def test_a_patrons_own_pledge_pages_show_nothing_of_the_family(world, visitors, db_session):
    """The patron's pledge form, pledge page, receipt, dashboard, CSV and notices name the request, never the
    family: money paid by transfer (confirmed, with its receipt) and goods received."""
    from marketplace.notifications.models import Notification
    from marketplace.pledges import services
    from marketplace.pledges.models import GoodsDelivery

    need = world.family_needs["verified"]
    staff = UserFactory(role=Role.STAFF, office=world.office)
    patron = UserFactory(role=Role.PATRON, patron=True)
    money = services.pledge_money(need, patron, amount=500_000, card=False)
    services.change_pledge(money, "confirm_transfer", actor=staff)
    goods = services.pledge_goods(need, patron, item_id=need.items[0].id, quantity=1, delivery=GoodsDelivery.OFFICE)
    services.change_pledge(goods, "deliver", actor=staff)
    db_session.commit()
    client = visitors["anonymous"]
    assert login(client, patron).status_code == 302
    failures = []
    for path in (f"/needs/{need.id}/pledge", f"/pledges/{money.id}", f"/pledges/{money.id}/receipt",
                 f"/pledges/{goods.id}", "/patron/", "/patron/pledges.csv", "/notifications/"):
        response = client.get(path)
        if response.status_code != 200:
            failures.append(f"{path}: status {response.status_code}")
        failures += [f"{path}: {leak}" for leak in leaks_in(response.get_data(as_text=True))]
    for notice in db_session.query(Notification).filter_by(user_id=patron.id):
        failures += [f"notice {notice.kind}: {leak}" for leak in leaks_in(json.dumps(notice.params, ensure_ascii=False))]
    assert failures == [], "\n".join(failures)
