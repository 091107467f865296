"""Seeding for bench/catalogue_scale.py: a PostgreSQL database of N open public needs, spread like a real
national catalogue, made in minutes with set-based SQL (INSERT … SELECT … generate_series).

The schema comes from the app's migrations (`flask db upgrade`) and the offices from its own importer
(`flask offices import`); families, households, needs and goods lines are then inserted in a few statements.
Every row is one the app could have written: verified households of active family users, needs verified
or in progress with their public point copied from the household (rounded to two decimals), money goals,
goods lines and volunteer slots within their CHECK constraints. Besides the N listed needs, a few thousand
must never be listed: needs in other states (draft … expired), needs hidden by moderation, and open needs
of families whose account is hidden or disabled, or whose household went back to "needs info".

Columns the schema may have gained since this was written are filled when present: `needs.listed` (true
iff the need is open and public), `needs.settlement_key` (`marketplace.needs.listing.settlement_key`,
computed once per settlement name) and `needs.has_goods` (the need has goods lines).
"""
from __future__ import annotations

import importlib
import math
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url

from marketplace.core.config import _database_url
from marketplace.geo.gazetteer import default_gazetteer

ROOT = Path(__file__).resolve().parents[1]
OFFICES_CSV = ROOT / "marketplace" / "offices" / "data" / "demo_offices.csv"
# Shares of the open needs in the three largest cities; the rest follow the population of the others.
CITY_SHARES = {"Almaty": 0.15, "Astana": 0.10, "Shymkent": 0.07}
NEEDS_PER_HOUSEHOLD = 4
KM_PER_DEGREE = 111.2
FORBIDDEN_PREFIX = "social_window_test"  # the test suite's databases

# Open and public, as `needs.services.open_needs` has it (n: needs, h: households, u: users).
LISTED_SQL = ("n.status IN ('verified', 'in_progress') AND n.hidden_at IS NULL AND h.status = 'verified' "
              "AND u.status = 'active' AND u.hidden_at IS NULL")

CATEGORIES = ("food", "clothing", "school", "medicine", "household_repair", "furniture", "transport", "tutoring",
              "documents", "psychological", "other")
TITLES = ("Продукты для семьи с детьми", "Тёплая одежда детям на зиму", "Школьные принадлежности к учебному году",
          "Лекарства по рецепту врача", "Ремонт печи в доме", "Кровать и матрас для ребёнка",
          "Поездка в областную больницу", "Репетитор по математике для школьника",
          "Помощь с оформлением документов", "Консультация психолога для подростка", "Помощь многодетной семье")
DETAILS = ("Мама одна воспитывает детей, пособия хватает только на коммунальные услуги.",
           "Отец семьи после операции временно не работает, доход семьи снизился вдвое.",
           "Семья переехала из села в город, дети пошли в новую школу.",
           "В семье ребёнок с инвалидностью, большая часть дохода уходит на лечение.")
GOODS = ("Подгузники", "Детское питание", "Крупа гречневая", "Мука", "Куртка зимняя", "Сапоги детские",
         "Рюкзак школьный", "Тетради", "Одеяло", "Матрас", "Обогреватель", "Уголь")
UNITS = ("шт", "уп", "кг", "шт", "шт", "пар", "шт", "уп", "шт", "шт", "шт", "мешок")
OTHER_STATES = ("draft", "submitted", "needs_info", "rejected", "fulfilled", "closed", "cancelled", "expired")
VERIFIED_ONCE = ("verified", "in_progress", "fulfilled", "closed", "cancelled", "expired")


@dataclass(frozen=True)
class Plan:
    """How many rows of each kind a database of `needs` listed needs gets."""

    needs: int
    households: int  # verified, of active family users: the listed needs' families
    bad_households: int  # a third each: user hidden, user disabled, household back to needs_info
    other_state_needs: int
    hidden_needs: int
    bad_household_needs: int

    @classmethod
    def for_size(cls, needs: int) -> Plan:
        bad = 200 + needs // 2000
        return cls(needs=needs, households=max(1, math.ceil(needs / NEEDS_PER_HOUSEHOLD)), bad_households=bad,
                   other_state_needs=1500 + needs // 500, hidden_needs=300 + needs // 2000,
                   bad_household_needs=3 * bad)

    @property
    def total_needs(self) -> int:
        return self.needs + self.other_state_needs + self.hidden_needs + self.bad_household_needs


@dataclass
class SeedReport:
    database: str
    plan: Plan
    seeded: bool  # False when --reuse found it already seeded
    seconds: float
    listed: int
    total: int
    new_columns: list[str]

    def as_dict(self) -> dict:
        return {"database": self.database, "needs": self.plan.needs, "seeded": self.seeded,
                "seconds": round(self.seconds, 1), "listed": self.listed, "total_needs": self.total,
                "new_columns": self.new_columns}


def database_name(url: str) -> str:
    name = make_url(url).database or ""
    if name.startswith(FORBIDDEN_PREFIX):
        raise SystemExit(f"refusing to use {name}: databases named {FORBIDDEN_PREFIX}* belong to the test suite")
    return name


def ensure_seeded(url: str, needs: int, *, reuse: bool) -> SeedReport:
    """A database at `url` holding exactly the plan for `needs`: kept if `reuse` and its counts match, else
    (re)created, migrated and seeded. Either way migrated to the current head and its new columns filled."""
    plan, name, started = Plan.for_size(needs), database_name(url), time.perf_counter()
    engine_url = _database_url(url)
    if reuse and _exists(engine_url):
        migrate(url)
        engine = create_engine(engine_url)
        try:
            listed, total = count_needs(engine)
            if (listed, total) == (plan.needs, plan.total_needs):
                columns = fill_new_columns(engine)
                return SeedReport(name, plan, False, time.perf_counter() - started, listed, total, columns)
            print(f"   {name} holds {listed:,} listed of {total:,} needs, not {plan.needs:,} of {plan.total_needs:,}:"
                  " seeding it again")
        finally:
            engine.dispose()
    _recreate(engine_url)
    migrate(url)
    subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "offices", "import", str(OFFICES_CSV)], cwd=ROOT,
                   env=_flask_env(url), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = create_engine(engine_url)
    try:
        columns = seed(engine, plan)
        vacuum_analyze(engine)
        listed, total = count_needs(engine)
    finally:
        engine.dispose()
    return SeedReport(name, plan, True, time.perf_counter() - started, listed, total, columns)


def _flask_env(url: str) -> dict[str, str]:
    return {**os.environ, "FLASK_APP": "app.py", "DATABASE_URL": url, "SOCIAL_WINDOW_ENV": "development"}


def migrate(url: str) -> None:
    subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "db", "upgrade"], cwd=ROOT, env=_flask_env(url),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _server(engine_url: str) -> Engine:
    return create_engine(make_url(engine_url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _exists(engine_url: str) -> bool:
    server = _server(engine_url)
    try:
        with server.connect() as conn:
            return bool(conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": make_url(engine_url).database}))
    finally:
        server.dispose()


def _recreate(engine_url: str) -> None:
    name = make_url(engine_url).database
    server = _server(engine_url)
    try:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()


def count_needs(engine: Engine) -> tuple[int, int]:
    """(listed needs, all needs)."""
    with engine.connect() as conn:
        listed = conn.scalar(text(f"SELECT count(*) FROM needs n JOIN households h ON h.id = n.household_id "
                                  f"JOIN users u ON u.id = h.user_id WHERE {LISTED_SQL}"))
        return int(listed or 0), int(conn.scalar(text("SELECT count(*) FROM needs")) or 0)


def _columns(conn: Connection, table: str) -> set[str]:
    return set(conn.scalars(text("SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                                 "AND table_schema = current_schema()"), {"t": table}))


def settlement_key_function():
    """`marketplace.needs.listing.settlement_key` once that module exists, else None."""
    try:
        return importlib.import_module("marketplace.needs.listing").settlement_key
    except (ImportError, AttributeError):
        return None


def fill_new_columns(engine: Engine) -> list[str]:
    """Set `needs.listed`, `needs.settlement_key` and `needs.has_goods` where the schema has them and a row
    disagrees (a database seeded before the migration that added them); returns the columns present."""
    with engine.begin() as conn:
        present = sorted({"listed", "settlement_key", "has_goods"} & _columns(conn, "needs"))
        if "has_goods" in present:
            conn.execute(text("UPDATE needs SET has_goods = x.value FROM (SELECT n.id, EXISTS (SELECT 1 FROM "
                              "need_items i WHERE i.need_id = n.id) AS value FROM needs n) x WHERE x.id = needs.id "
                              "AND needs.has_goods IS DISTINCT FROM x.value"))
        if "listed" in present:
            conn.execute(text(f"UPDATE needs SET listed = x.value FROM (SELECT n.id, ({LISTED_SQL}) AS value "
                              f"FROM needs n JOIN households h ON h.id = n.household_id JOIN users u ON u.id = h.user_id"
                              f") x WHERE x.id = needs.id AND needs.listed IS DISTINCT FROM x.value"))
        key = settlement_key_function()
        if "settlement_key" in present and key is not None:
            names = conn.scalars(text("SELECT DISTINCT settlement FROM needs WHERE settlement IS NOT NULL")).all()
            for name in names:
                conn.execute(text("UPDATE needs SET settlement_key = :key WHERE settlement = :name "
                                  "AND settlement_key IS DISTINCT FROM :key"), {"key": key(name), "name": name})
    if present:
        vacuum_analyze(engine)
    return present


def vacuum_analyze(engine: Engine) -> None:
    """Planner statistics and a visibility map, as a server that has run for a while has them."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("users", "households", "needs", "need_items"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))


# --- the rows --------------------------------------------------------------------------------------

def _places(conn: Connection) -> list[dict]:
    """Every gazetteer settlement with its share of the needs, its scatter, its nearest office and its key."""
    offices = conn.execute(text("SELECT id, latitude, longitude FROM offices WHERE is_active")).all()
    settlements = default_gazetteer().settlements
    rest = sum(s.population for s in settlements if s.name not in CITY_SHARES)
    key = settlement_key_function()
    places = []
    for s in settlements:
        share = CITY_SHARES.get(s.name, (1 - sum(CITY_SHARES.values())) * s.population / rest)
        cos = math.cos(math.radians(s.latitude))
        office = min(offices, key=lambda o: (o.latitude - s.latitude) ** 2 + ((o.longitude - s.longitude) * cos) ** 2)
        places.append({"idx": len(places) + 1, "name": s.name_ru, "region": s.region_code, "lat": s.latitude,
                       "lon": s.longitude, "share": share, "office": office.id,
                       "sigma": min(8.0, max(1.5, 0.006 * math.sqrt(s.population))),
                       "key": key(s.name_ru) if key else None})
    return places


def seed(engine: Engine, plan: Plan) -> list[str]:
    """Insert the plan's users, households, needs and goods lines; returns the new columns it filled."""
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.2026)"))
        present = sorted({"listed", "settlement_key"} & _columns(conn, "needs"))
        places = _places(conn)
        conn.execute(text("CREATE TEMP TABLE bench_places (idx int PRIMARY KEY, name text, region text, "
                          "lat float8, lon float8, sigma float8, office int, key text) ON COMMIT DROP"))
        conn.execute(text("INSERT INTO bench_places VALUES (:idx, :name, :region, :lat, :lon, :sigma, :office, :key)"),
                     places)
        bounds, running = [], 0.0
        for place in places:  # width_bucket() takes each bucket's lower bound
            bounds.append(running)
            running += place["share"]
        _households(conn, plan, bounds)
        good = (1, plan.households)
        bad = (plan.households + 1, plan.households + plan.bad_households)
        ids = 1
        for count, homes, status, hidden, listed in (
            (plan.needs, good, "CASE WHEN r.u_status < 0.85 THEN 'verified' ELSE 'in_progress' END", False, True),
            (plan.other_state_needs, good, _pick(OTHER_STATES, "r.u_status"), False, False),
            (plan.hidden_needs, good, "'verified'", True, False),
            (plan.bad_household_needs, bad, "CASE WHEN r.u_status < 0.85 THEN 'verified' ELSE 'in_progress' END",
             False, False),
        ):
            _needs(conn, ids, count, homes, status, hidden=hidden, listed=listed, columns=present)
            ids += count
        _goods(conn)
        if "has_goods" in _columns(conn, "needs"):  # the goods lines came after their needs
            conn.execute(text("UPDATE needs SET has_goods = true WHERE id IN (SELECT need_id FROM need_items)"))
            present.append("has_goods")
        for table in ("users", "households", "needs", "need_items"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    return present


def _array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def _pick(values: tuple[str, ...], uniform: str) -> str:
    """One of `values`, chosen by a uniform number in [0, 1)."""
    return f"({_array(values)})[1 + floor({uniform} * {len(values)})::int]"


def _households(conn: Connection, plan: Plan, bounds: list[float]) -> None:
    total, bad = plan.households + plan.bad_households, plan.bad_households
    first_bad = plan.households + 1
    # Each household's settlement and random draws, kept for the needs (the settlement's key) in this transaction.
    conn.execute(text(
        "CREATE TEMP TABLE bench_homes ON COMMIT DROP AS "
        "SELECT g AS id, width_bucket(random(), CAST(:bounds AS float8[])) AS place, 1 - random() AS u1, "
        "random() AS u2, random() AS u3 FROM generate_series(1, CAST(:total AS int)) g"), {"bounds": bounds, "total": total})
    conn.execute(text("ALTER TABLE bench_homes ADD PRIMARY KEY (id)"))
    conn.execute(text(
        "INSERT INTO users (id, email, password_hash, role, status, full_name, locale, created_at, password_changed_at,"
        " hidden_at, hidden_reason) "
        "SELECT g, 'family' || g || '@bench.invalid', '!', 'family', "
        "  CASE WHEN g >= :first_bad + :third AND g < :first_bad + 2 * :third THEN 'disabled' ELSE 'active' END, "
        "  'Семья ' || g, 'ru', now() - interval '400 days', now() - interval '400 days', "
        "  CASE WHEN g >= :first_bad AND g < :first_bad + :third THEN now() - interval '3 days' END, "
        "  CASE WHEN g >= :first_bad AND g < :first_bad + :third THEN 'Подозрение на повторные анкеты' END "
        "FROM generate_series(1, CAST(:total AS int)) g"), {"first_bad": first_bad, "third": bad // 3, "total": total})
    # Box–Muller: two normal draws from two uniform ones; 3% live far out, about 30 km from the settlement.
    conn.execute(text(
        "INSERT INTO households (id, user_id, office_id, status, adults, single_parent, disability, settlement, "
        " region_code, latitude, longitude, public_latitude, public_longitude, consent_given_at, consent_version, "
        " submitted_at, verified_at, created_at, updated_at) "
        "SELECT b.id, b.id, p.office, CASE WHEN b.id >= :first_bad + 2 * :third THEN 'needs_info' ELSE 'verified' END, "
        "  1 + b.id % 2, b.id % 5 = 0, b.id % 11 = 0, p.name, p.region, pt.lat, pt.lon, round(pt.lat::numeric, 2), "
        "  round(pt.lon::numeric, 2), now() - interval '390 days', '2024-1', now() - interval '390 days', "
        "  now() - interval '385 days', now() - interval '395 days', now() - interval '385 days' "
        "FROM bench_homes b JOIN bench_places p ON p.idx = b.place "
        "CROSS JOIN LATERAL (SELECT CASE WHEN b.u3 < 0.03 THEN 30.0 ELSE p.sigma END AS km, "
        "  sqrt(-2 * ln(b.u1)) AS r) s "
        "CROSS JOIN LATERAL (SELECT p.lat + s.r * cos(2 * pi() * b.u2) * s.km / :kpd AS lat, "
        "  p.lon + s.r * sin(2 * pi() * b.u2) * s.km / (:kpd * cos(radians(p.lat))) AS lon) pt"),
        {"first_bad": first_bad, "third": bad // 3, "kpd": KM_PER_DEGREE})


def _needs(conn: Connection, first_id: int, count: int, homes: tuple[int, int], status_sql: str, *, hidden: bool,
           listed: bool, columns: list[str]) -> None:
    """`count` needs from id `first_id`, each of a random household in `homes`; their kinds: money alone on
    about half, goods lines on about 30%, volunteer slots on about 25% (a few needs take two)."""
    extra_columns = "".join(f", {c}" for c in columns)
    extra_values = "".join({"listed": f", {'true' if listed else 'false'}",
                            "settlement_key": ", CASE WHEN x.verified_once THEN x.key END"}[c] for c in columns)
    verified_once = "(" + ", ".join(f"'{s}'" for s in VERIFIED_ONCE) + ")"
    conn.execute(text(
        f"INSERT INTO needs (id, household_id, office_id, status, category, title, description, urgency, urgency_rank, "
        f" deadline, money_goal, money_raised, money_reserved, volunteer_slots, volunteer_hours, slots_filled, in_home, "
        f" settlement, region_code, public_latitude, public_longitude, created_at, submitted_at, verified_at, closed_at, "
        f" hidden_at, hidden_reason, hidden_by_admin{extra_columns}) "
        f"SELECT x.id, x.household_id, x.office_id, x.status, {_pick(CATEGORIES, 'x.u_cat')}, "
        f"  {_pick(TITLES, 'x.u_cat')}, "
        f"  'Семья из ' || (3 + x.id % 6) || ' человек просит о помощи. ' || {_pick(DETAILS, 'x.u_age')} || "
        f"  ' Запрос проверен специалистом приёмной, документы семьи в порядке. Спасибо всем, кто откликнется!', "
        f"  x.urgency, CASE x.urgency WHEN 'critical' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, "
        f"  CASE WHEN x.u_dead < 0.3 THEN current_date + (10 + floor(x.u_dead * 600))::int END, "
        f"  x.money_goal, "
        f"  CASE WHEN x.money_goal IS NULL THEN 0 WHEN x.status IN ('fulfilled', 'closed') THEN x.money_goal "
        f"       WHEN x.status = 'in_progress' THEN (x.money_goal / 100 * 2 / 5) * 100 ELSE 0 END, 0, "
        f"  x.slots, CASE WHEN x.slots > 0 THEN 2 + (x.id % 3) * 1.5 END, "
        f"  CASE WHEN x.status IN ('fulfilled', 'closed') THEN x.slots WHEN x.status = 'in_progress' "
        f"       THEN least(1, x.slots) ELSE 0 END, false, "
        f"  CASE WHEN x.verified_once THEN x.settlement END, CASE WHEN x.verified_once THEN x.region_code END, "
        f"  CASE WHEN x.verified_once THEN x.public_latitude END, CASE WHEN x.verified_once THEN x.public_longitude END, "
        f"  x.created_at, CASE WHEN x.status <> 'draft' THEN x.created_at + interval '2 hours' END, "
        f"  CASE WHEN x.verified_once THEN least(now(), x.created_at + interval '1 day') END, "
        f"  CASE WHEN x.status IN ('fulfilled', 'closed', 'cancelled', 'expired', 'rejected') "
        f"       THEN least(now(), x.created_at + interval '30 days') END, "
        f"  CASE WHEN :hidden THEN least(now(), x.created_at + interval '2 days') END, "
        f"  CASE WHEN :hidden THEN 'Повтор другого запроса' END, false{extra_values} "
        f"FROM (SELECT r.*, s.status, s.status IN {verified_once} AS verified_once, h.office_id, h.settlement, "
        f"        h.region_code, h.public_latitude, h.public_longitude, p.key, "
        f"        CASE WHEN r.u_urg < 0.07 THEN 'critical' WHEN r.u_urg < 0.30 THEN 'high' ELSE 'normal' END AS urgency, "
        f"        CASE WHEN r.u_kind < 0.5 THEN (5000 + floor(r.u_amt * 295000))::int * 100 END AS money_goal, "
        f"        CASE WHEN r.u_kind >= 0.78 OR (r.u_kind < 0.5 AND r.id % 17 = 0) THEN 1 + r.id % 4 ELSE 0 END "
        f"          AS slots, "
        f"        now() - r.u_age * interval '365 days' AS created_at "
        f"      FROM (SELECT g AS id, CAST(:lo AS int) + floor(random() * :span)::int AS household_id, random() AS u_status, "
        f"              random() AS u_cat, random() AS u_urg, random() AS u_kind, random() AS u_amt, "
        f"              random() AS u_age, random() AS u_dead "
        f"            FROM generate_series(CAST(:first AS int), CAST(:last AS int)) g) r "
        f"      CROSS JOIN LATERAL (SELECT {status_sql} AS status) s "
        f"      JOIN households h ON h.id = r.household_id JOIN bench_homes b ON b.id = r.household_id "
        f"      JOIN bench_places p ON p.idx = b.place) x"),
        {"first": first_id, "last": first_id + count - 1, "lo": homes[0], "span": homes[1] - homes[0] + 1,
         "hidden": hidden})


def _goods(conn: Connection) -> None:
    """One to three goods lines for the needs that take goods: those asking neither money nor volunteers, and
    one money need in 25."""
    conn.execute(text(
        f"INSERT INTO need_items (need_id, name, quantity, quantity_pledged, quantity_received, unit) "
        f"SELECT n.id, ({_array(GOODS)})[1 + (n.id + k * 5) % {len(GOODS)}], q.quantity, "
        f"  CASE WHEN n.status IN ('fulfilled', 'closed') THEN q.quantity WHEN n.status = 'in_progress' "
        f"       THEN q.quantity / 2 ELSE 0 END, "
        f"  CASE WHEN n.status IN ('fulfilled', 'closed') THEN q.quantity ELSE 0 END, "
        f"  ({_array(UNITS)})[1 + (n.id + k * 5) % {len(UNITS)}] "
        f"FROM needs n CROSS JOIN LATERAL generate_series(1, 1 + n.id % 3) k "
        f"CROSS JOIN LATERAL (SELECT 1 + (n.id * 7 + k * 3) % 12 AS quantity) q "
        f"WHERE (n.money_goal IS NULL AND n.volunteer_slots = 0) OR (n.money_goal IS NOT NULL AND n.id % 25 = 0)"))
