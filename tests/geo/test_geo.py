"""Geo package: gazetteer matching, regions, geocoder selection, bounding boxes and nearby()."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from geopy.distance import geodesic
from geopy.exc import GeocoderUnavailable
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point
from sqlalchemy import Float, Index, String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

import marketplace.geo as geo
from marketplace.geo.gazetteer import Gazetteer, default_gazetteer
from marketplace.geo.geocoding import FallbackGeocoder
from marketplace.geo.regions import REGION_CODES

DATA_FILE = Path(geo.__file__).parent / "data" / "kz_settlements.tsv"


class Base(DeclarativeBase):
    pass


class Spot(Base):
    __tablename__ = "spots"
    __table_args__ = (Index("ix_spots_lat_lon", "latitude", "longitude"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test instead of reaching out."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("geo tests must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def random_spots(rng: random.Random, count: int) -> list[Spot]:
    """Spots across Kazakhstan, a dense cluster around Almaty, and a few abroad."""
    spots = []
    for i in range(count):
        if i % 4 == 0:
            lat, lon = 43.25 + rng.uniform(-0.3, 0.3), 76.91 + rng.uniform(-0.4, 0.4)
        else:
            lat, lon = rng.uniform(40.6, 55.4), rng.uniform(46.5, 87.3)
        spots.append(Spot(kind=rng.choice(["office", "need"]), latitude=lat, longitude=lon))
    spots += [
        Spot(kind="need", latitude=-33.9, longitude=18.4),
        Spot(kind="need", latitude=64.1, longitude=-21.9),
        Spot(kind="need", latitude=None, longitude=None),
    ]
    return spots


@pytest.fixture
def spots(session: Session) -> list[Spot]:
    rows = random_spots(random.Random(20240501), 400)
    session.add_all(rows)
    session.flush()
    return rows


def brute_force(
    rows: list[Spot], lat: float, lon: float, radius_km: float | None, limit: int | None, kind: str | None = None
) -> list[tuple[int, float]]:
    ranked = sorted(
        (
            (row.id, geo.distance_km(lat, lon, row.latitude, row.longitude))
            for row in rows
            if row.latitude is not None and (kind is None or row.kind == kind)
        ),
        key=lambda item: item[1],
    )
    if radius_km is not None:
        ranked = [item for item in ranked if item[1] <= radius_km]
    return ranked[:limit]


def one(found: Location | list[Location] | None) -> Location:
    """The single Location a geocoder returned with exactly_one."""
    assert isinstance(found, Location), found
    return found


CENTRES = [(43.24, 76.95), (51.17, 71.43), (47.1, 51.9), (49.0, 60.0), (45.0, 87.0)]


# Gazetteer


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Алматы", "Almaty"),
        ("Almaty", "Almaty"),
        ("алма-ата", "Almaty"),
        ("АЛМА АТА", "Almaty"),
        ("Шымкент", "Shymkent"),
        ("Shymkent", "Shymkent"),
        ("Өскемен", "Ust-Kamenogorsk"),
        ("Оскемен", "Ust-Kamenogorsk"),
        ("Усть-Каменогорск", "Ust-Kamenogorsk"),
        ("Oskemen", "Ust-Kamenogorsk"),
        ("Нур-Султан", "Astana"),
        ("Астана", "Astana"),
        ("Astana", "Astana"),
        ("Қарағанды", "Karagandy"),
        ("Семей", "Semey"),
        ("Уральск", "Oral"),
        ("Петропавловск", "Petropavl"),
        ("Щучинск", "Shchuchinsk"),
        ("Талдыкорган", "Taldykorgan"),
        ("Талдықорған", "Taldykorgan"),
        ("г. Караганда, ул. Ерубаева 12", "Karagandy"),
        ("Kazakhstan, Taraz, Tole bi 5", "Taraz"),
        ("ул. Абая 5, Караганда", "Karagandy"),
        ("ул. Шу 5, Тараз", "Taraz"),
        ("Алматы облысы, Талгар", "Talghar"),
        ("Алматинская обл., Талгарский р-н, г. Талгар", "Talghar"),
        ("Республика Казахстан, г. Актобе, пр. Абилкайыр хана 40", "Aktobe"),
    ],
)
def test_gazetteer_finds_settlement(query: str, expected: str) -> None:
    assert one(default_gazetteer().geocode(query)).raw["name"] == expected


@pytest.mark.parametrize("query", ["", "   ", "Москва", "qwerty uiop", "Kazakhstan", "ул. Достык 5", "Абай облысы"])
def test_gazetteer_unknown_text_is_none(query: str) -> None:
    assert default_gazetteer().geocode(query) is None


def test_gazetteer_is_a_geopy_geocoder_returning_locations() -> None:
    gazetteer = default_gazetteer()
    assert isinstance(gazetteer, Geocoder)
    location = one(gazetteer.geocode("Караганда", language="en"))
    assert location.address == "Karagandy, Karaganda Region, Kazakhstan"
    assert location.latitude == pytest.approx(49.80, abs=0.05)
    assert location.longitude == pytest.approx(73.10, abs=0.05)
    assert location.raw["region"] == "karaganda"
    assert location.raw["settlement"] == "Karagandy"
    assert isinstance(location.raw["geonameid"], int)
    assert gazetteer.geocode("Караганда", language="kk").raw["settlement"] == "Қарағанды"
    assert gazetteer.geocode("Алматы", language="ru").address == "Алматы, Казахстан"


def test_gazetteer_prefers_bigger_place_of_same_name() -> None:
    everything = default_gazetteer().geocode("Aksu", exactly_one=False)
    assert isinstance(everything, list) and len(everything) >= 2
    populations = [location.raw["population"] for location in everything]
    assert populations == sorted(populations, reverse=True)


def test_gazetteer_search_and_regions() -> None:
    gazetteer = default_gazetteer()
    assert gazetteer.search("Алм")[0].name == "Almaty"
    assert gazetteer.search("oske")[0].name == "Ust-Kamenogorsk"
    assert gazetteer.search("каменог")[0].name == "Ust-Kamenogorsk"
    assert len(gazetteer.search("а", limit=5)) == 5
    assert gazetteer.search("") == []
    ulytau = gazetteer.settlements_in_region("ulytau")
    assert ulytau[0].name == "Zhezqazghan"
    assert {s.region_code for s in ulytau} == {"ulytau"}
    with pytest.raises(KeyError):
        gazetteer.settlements_in_region("atlantis")


def test_gazetteer_data_covers_every_region() -> None:
    gazetteer = default_gazetteer()
    assert len(gazetteer.settlements) >= 340
    assert DATA_FILE.stat().st_size < 150_000
    assert {s.region_code for s in gazetteer.settlements} == set(REGION_CODES)
    for settlement in gazetteer.settlements:
        assert 40.0 < settlement.latitude < 56.0 and 46.0 < settlement.longitude < 88.0
        assert settlement.name and settlement.name_ru and settlement.name_kk
    assert {s.region_code for s in gazetteer.settlements if s.name in ("Semey", "Taldykorgan", "Satpayev")} == {
        "abai", "jetisu", "ulytau",
    }


def test_gazetteer_reverse_names_nearest_settlement() -> None:
    gazetteer = default_gazetteer()
    assert one(gazetteer.reverse((43.26, 76.93))).raw["name"] == "Almaty"
    assert gazetteer.reverse(Point(0, 0)) is None
    point = geo.reverse_geocode(49.81, 73.09, "ru")
    assert point == geo.GeoPoint(49.81, 73.09, "Караганда, Карагандинская область, Казахстан", "Караганда", "karaganda")


def test_gazetteer_accepts_its_own_data() -> None:
    settlement = default_gazetteer().settlements[0]
    small = Gazetteer([settlement])
    assert one(small.geocode(settlement.name)).raw["geonameid"] == settlement.geonameid
    with pytest.raises(ValueError):
        Gazetteer([type(settlement)(1, "X", "Икс", "Икс", 0.0, 0.0, 1, "atlantis")])


# Regions


def test_regions_list_twenty_units_with_three_names() -> None:
    assert len(geo.REGIONS) == 20
    assert len({region.code for region in geo.REGIONS}) == 20
    assert sum(region.is_city for region in geo.REGIONS) == 3
    for region in geo.REGIONS:
        assert region.ru and region.kk and region.en
    assert {"abai", "jetisu", "ulytau", "astana", "almaty-city", "shymkent"} <= set(REGION_CODES)


def test_region_names_by_locale() -> None:
    assert geo.region_name("karaganda", "ru") == "Карагандинская область"
    assert geo.region_name("karaganda", "kk") == "Қарағанды облысы"
    assert geo.region_name("karaganda", "kk_KZ") == "Қарағанды облысы"
    assert geo.region_name("karaganda", "en") == "Karaganda Region"
    assert geo.region_name("karaganda", "de") == "Карагандинская область"
    assert geo.region_name("karaganda") == "Карагандинская область"
    choices = geo.region_choices("en")
    assert len(choices) == 20 and choices[0] == ("astana", "Astana")
    with pytest.raises(KeyError):
        geo.region_name("atlantis", "ru")


# Geocoder selection and the public geocode()


def make_app(**config: object) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    geo.init_app(app)
    return app


def test_offline_geocoder_is_the_default() -> None:
    app = make_app()
    assert isinstance(app.extensions["geo"], Gazetteer)
    with app.app_context():
        point = geo.geocode("г. Караганда, ул. Ерубаева 12")
        assert point is not None
        assert point.settlement == "Караганда" and point.region_code == "karaganda"
        assert geo.geocode_or_raise("Өскемен", language="kk").label == "Өскемен, Шығыс Қазақстан облысы, Қазақстан"
        assert geo.geocode("") is None
        assert geo.geocode(None) is None
        assert geo.geocode("Москва") is None
        with pytest.raises(geo.UnknownPlace):
            geo.geocode_or_raise("Москва")
        assert geo.geocode_or_raise("Shymkent").region_code == "shymkent"


def test_unknown_geocoder_setting_is_refused() -> None:
    with pytest.raises(ValueError):
        make_app(GEOCODER="google")
    with pytest.raises(ValueError):
        make_app(GEOCODER="nominatim", NOMINATIM_USER_AGENT="")


@pytest.fixture
def nominatim_app(monkeypatch: pytest.MonkeyPatch) -> Flask:
    app = make_app(GEOCODER="nominatim", NOMINATIM_USER_AGENT="social-window-tests", NOMINATIM_DOMAIN="nominatim.test")
    geocoder = app.extensions["geo"]
    assert isinstance(geocoder, FallbackGeocoder)
    assert isinstance(geocoder.online, Nominatim) and geocoder.online.domain == "nominatim.test"
    assert isinstance(geocoder.rate_limited, RateLimiter) and geocoder.rate_limited.min_delay_seconds == 1
    monkeypatch.setattr(geocoder.rate_limited, "min_delay_seconds", 0)  # keep the test fast
    return app


def test_nominatim_failure_falls_back_to_gazetteer(nominatim_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def unavailable(query: str, **kwargs: object) -> None:
        calls.append(query)
        raise GeocoderUnavailable("down")

    monkeypatch.setattr(nominatim_app.extensions["geo"].online, "geocode", unavailable)
    with nominatim_app.app_context():
        point = geo.geocode("Шымкент, ул. Байтурсынова 7")
        assert point is not None and point.region_code == "shymkent"
        assert geo.geocode("Москва") is None
    assert calls == ["Шымкент, ул. Байтурсынова 7", "Москва"]


def test_nominatim_empty_answer_falls_back(nominatim_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nominatim_app.extensions["geo"].online, "geocode", lambda query, **kwargs: None)
    with nominatim_app.app_context():
        assert geo.geocode_or_raise("Taraz").region_code == "jambyl"


def test_nominatim_answer_gets_region_from_gazetteer(nominatim_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def found(query: str, **kwargs: object) -> Location:
        seen.update(kwargs)
        raw = {"address": {"road": "улица Ерубаева", "city": "Караганда"}}
        return Location("12, улица Ерубаева, Караганда", (49.8047, 73.1094), raw)

    monkeypatch.setattr(nominatim_app.extensions["geo"].online, "geocode", found)
    with nominatim_app.app_context():
        point = geo.geocode("Караганда, Ерубаева 12", language="ru")
    assert point == geo.GeoPoint(49.8047, 73.1094, "12, улица Ерубаева, Караганда", "Караганда", "karaganda")
    assert seen["country_codes"] == "kz" and seen["language"] == "ru"


# Distances and boxes


def test_distance_km_is_geodesic() -> None:
    assert geo.distance_km(43.2567, 76.9286, 51.1801, 71.446) == pytest.approx(971, abs=5)
    assert geo.distance_km(50.0, 70.0, 50.0, 70.0) == 0


def test_distance_km_agrees_with_geopy_to_a_micrometre() -> None:
    # The same algorithm (Karney's) in C instead of geopy's pure Python: across Kazakhstan and beyond,
    # near and far, the two never differ by more than a micrometre.
    rng = random.Random(7)
    pairs = [(rng.uniform(40, 56), rng.uniform(46, 88), rng.uniform(40, 56), rng.uniform(46, 88)) for _ in range(2000)]
    pairs += [(lat, lon, lat + rng.uniform(-0.02, 0.02), lon + rng.uniform(-0.02, 0.02)) for lat, lon, _, _ in pairs[:500]]
    pairs += [(0.0, 0.0, 0.5, 179.7), (89.9, 10.0, -89.9, -170.0), (-33.9, 18.4, 40.7, -74.0)]
    for lat1, lon1, lat2, lon2 in pairs:
        assert geo.distance_km(lat1, lon1, lat2, lon2) == pytest.approx(
            geodesic((lat1, lon1), (lat2, lon2)).km, abs=1e-9)


def test_coarse_point_rounds_to_about_a_kilometre() -> None:
    assert geo.coarse_point(43.256789, 76.928612) == (43.26, 76.93)
    lat, lon = geo.coarse_point(49.801234, 73.104567)
    assert geo.distance_km(49.801234, 73.104567, lat, lon) < 1.0


def test_bounding_box_contains_every_point_within_radius() -> None:
    rng = random.Random(7)
    centres = [(rng.uniform(-89.9, 89.9), rng.uniform(-180, 180)) for _ in range(150)]
    centres += [(89.5, 10.0), (-89.7, -120.0), (0.0, 179.9), (10.0, -179.95), (48.0, 68.0)]
    for lat, lon in centres:
        radius = rng.choice([0.5, 5.0, 25.0, 100.0, 800.0, 3000.0])
        min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, radius)
        assert -90 <= min_lat <= lat <= max_lat <= 90
        for _ in range(40):
            far = geodesic(kilometers=radius * rng.uniform(0.0, 1.0) ** 0.5).destination(
                Point(lat, lon), rng.uniform(0, 360)
            )
            assert min_lat <= far.latitude <= max_lat, (lat, lon, radius, far)
            assert min_lon <= far.longitude <= max_lon, (lat, lon, radius, far)
        # The very edge of the circle, in the four directions where the box is tightest.
        for bearing in (0, 90, 180, 270):
            edge = geodesic(kilometers=radius).destination(Point(lat, lon), bearing)
            assert min_lat <= edge.latitude <= max_lat and min_lon <= edge.longitude <= max_lon


def test_bounding_box_is_not_wastefully_large() -> None:
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(50.0, 70.0, 10.0)
    assert max_lat - min_lat == pytest.approx(0.18, abs=0.005)
    assert max_lon - min_lon == pytest.approx(0.28, abs=0.01)  # a degree of longitude is ~72 km at 50°N
    with pytest.raises(ValueError):
        geo.bounding_box(50.0, 70.0, -1.0)


# nearby()


@pytest.mark.parametrize("limit", [1, 10, 60])
def test_nearby_without_radius_matches_brute_force(session: Session, spots: list[Spot], limit: int) -> None:
    for lat, lon in CENTRES:
        found = geo.nearby(session, select(Spot), Spot.latitude, Spot.longitude, lat, lon, limit=limit)
        assert [(spot.id, km) for spot, km in found] == brute_force(spots, lat, lon, None, limit)


@pytest.mark.parametrize(("radius", "limit"), [(5.0, 10), (50.0, 10), (300.0, None), (1500.0, 25)])
def test_nearby_with_radius_matches_brute_force(
    session: Session, spots: list[Spot], radius: float, limit: int | None
) -> None:
    for lat, lon in CENTRES:
        found = geo.nearby(
            session, select(Spot), Spot.latitude, Spot.longitude, lat, lon, radius_km=radius, limit=limit
        )
        assert [(spot.id, km) for spot, km in found] == brute_force(spots, lat, lon, radius, limit)
        assert all(km <= radius for _, km in found)


def test_nearby_does_not_trust_the_corners_of_its_box(session: Session) -> None:
    lat, lon = 48.0, 68.0
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, 25.0)
    corner_lat, corner_lon = max_lat - 0.001, max_lon - 0.001  # inside the first box, ~35 km away
    corner = Spot(kind="need", latitude=corner_lat, longitude=corner_lon)
    north = geodesic(kilometers=30).destination(Point(lat, lon), 0)  # outside the first box, but nearer
    session.add_all([corner, Spot(kind="need", latitude=north.latitude, longitude=north.longitude)])
    session.flush()
    assert geo.distance_km(lat, lon, corner_lat, corner_lon) > 30
    (nearest, km), = geo.nearby(session, select(Spot), Spot.latitude, Spot.longitude, lat, lon, limit=1)
    assert nearest is not corner and km == pytest.approx(30, abs=0.01)


def test_nearby_ranks_by_geodesic_not_by_a_sphere(session: Session) -> None:
    # On the equator a sphere of mean radius overstates north-south distances by about 0.5% and
    # understates east-west ones, so the cheaper ordering disagrees with the exact one here.
    centre = Point(0.0, 30.0)
    north = geodesic(kilometers=99.8).destination(centre, 0)
    east = geodesic(kilometers=100.3).destination(centre, 90)
    session.add_all([Spot(id=1, kind="need", latitude=east.latitude, longitude=east.longitude),
                     Spot(id=2, kind="need", latitude=north.latitude, longitude=north.longitude)])
    session.flush()
    stmt = select(Spot)
    (first, km), = geo.nearby(session, stmt, Spot.latitude, Spot.longitude, 0.0, 30.0, limit=1)
    assert first.id == 2 and km == pytest.approx(99.8)
    found = geo.nearby(session, stmt, Spot.latitude, Spot.longitude, 0.0, 30.0, radius_km=100.0, limit=None)
    assert [spot.id for spot, _ in found] == [2]


def test_nearby_keeps_the_callers_filter_and_finds_rows_abroad(session: Session, spots: list[Spot]) -> None:
    stmt = select(Spot).where(Spot.kind == "office")
    found = geo.nearby(session, stmt, Spot.latitude, Spot.longitude, 43.24, 76.95, limit=15)
    assert [(s.id, km) for s, km in found] == brute_force(spots, 43.24, 76.95, None, 15, kind="office")
    # More rows asked for than the table has: every row with coordinates, ranked, including abroad.
    found = geo.nearby(session, select(Spot), Spot.latitude, Spot.longitude, 43.24, 76.95, limit=10_000)
    assert [(s.id, km) for s, km in found] == brute_force(spots, 43.24, 76.95, None, None)
    assert len(found) == len(spots) - 1
    assert geo.nearby(session, select(Spot), Spot.latitude, Spot.longitude, 43.24, 76.95, limit=0) == []


def test_nearby_returns_tuples_when_several_columns_are_selected(session: Session, spots: list[Spot]) -> None:
    found = geo.nearby(session, select(Spot.id, Spot.kind), Spot.latitude, Spot.longitude, 51.17, 71.43, limit=3)
    assert [(row[0], km) for row, km in found] == brute_force(spots, 51.17, 71.43, None, 3)
    assert all(len(row) == 2 for row, _ in found)


def test_nearby_filters_on_the_coordinate_columns_in_sql(session: Session, spots: list[Spot]) -> None:
    statements: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        geo.nearby(session, select(Spot), Spot.latitude, Spot.longitude, 43.24, 76.95, limit=10)
        geo.nearby(session, select(Spot), Spot.latitude, Spot.longitude, 49.0, 60.0, limit=5)
        geo.nearby(session, select(Spot), Spot.latitude, Spot.longitude, 47.0, 70.0, radius_km=200)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert selects
    assert len(selects) <= 3 + 8 + 3  # a handful of widening steps at most, never one per row
    # The boxes read only (key, latitude, longitude); each search then loads its winners by key, once.
    by_key = [s for s in selects if "SPOTS.ID IN" in s.upper()]
    assert len(by_key) == 3
    for statement in selects:
        where = statement.upper().split("WHERE", 1)
        assert len(where) == 2, statement
        if statement in by_key:
            continue
        assert where[0].split("FROM")[0].count(",") == 2, statement  # spots.id, latitude, longitude
        assert "SPOTS.LATITUDE BETWEEN" in where[1] and "SPOTS.LONGITUDE BETWEEN" in where[1], statement
