"""Benchmark: "needs near me" at national scale, on SQLite and (when given) PostgreSQL.

Seeds 100,000 open needs across Kazakhstan, spread like the population (a gazetteer settlement picked
in proportion to its population, scattered a few km around it, a few percent farther out into the
steppe), into a fresh database migrated to the app's real schema. Then, in the same run, it measures the
near-me query (the 50 nearest open needs within 25 km) from a dense city and a sparse town, both through
the API's own path (`catalogue.search`) and through the bare `geo.nearby()` over the public scope,
against fetching one need by primary key through the same path, and against a full scan that ranks
every open need by exact distance in Python. Prints figures only (medians of several runs; each
near-me query alternates with a pk fetch, so both are measured under the same conditions).

    .venv/bin/python bench/geo_nearby.py [--needs 100000] [--runs 41] [--scan-runs 3]
                                          [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

PostgreSQL is also used when BENCH_DATABASE_URL is set; a throwaway database is created on that server
and dropped afterwards.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from marketplace import create_app, geo  # noqa: E402
from marketplace.core.roles import Role  # noqa: E402
from marketplace.accounts.models import AccountStatus, User  # noqa: E402
from marketplace.core.config import _database_url  # noqa: E402
from marketplace.core.extensions import db  # noqa: E402
from marketplace.families.models import Household, HouseholdStatus  # noqa: E402
from marketplace.geo.gazetteer import default_gazetteer  # noqa: E402
from marketplace.needs import catalogue  # noqa: E402
from marketplace.needs.models import URGENCY_RANK, Category, Need, NeedStatus, Urgency  # noqa: E402
from marketplace.needs.services import open_needs  # noqa: E402

RADIUS_KM = 25.0
LIMIT = 50
HOUSEHOLDS = 2_000
BATCH = 5_000
KM_PER_DEGREE = 111.2
DENSE_PLACE, SPARSE_PLACE = "Almaty", "Aral"
INDEX_NAME = "ix_needs_listed_point"  # the listed needs' points (models.Need)


# --- data ------------------------------------------------------------------------------------------

def population_points(rng: random.Random, count: int) -> list[tuple[float, float, object]]:
    """(lat, lon, settlement) spread like the population, rounded to the coarse public point."""
    settlements = default_gazetteer().settlements
    picks = rng.choices(settlements, weights=[s.population for s in settlements], k=count)
    points = []
    for s in picks:
        # Cities spread over ~20 km, towns over a couple; 3% live out in the steppe, tens of km away.
        sigma_km = 30.0 if rng.random() < 0.03 else min(8.0, max(1.5, 0.006 * math.sqrt(s.population)))
        lat = s.latitude + rng.gauss(0, sigma_km) / KM_PER_DEGREE
        lon = s.longitude + rng.gauss(0, sigma_km) / (KM_PER_DEGREE * math.cos(math.radians(s.latitude)))
        points.append((*geo.coarse_point(lat, lon), s))
    return points


def seed(rng: random.Random, n_needs: int) -> None:
    """Active family users, verified households and open needs, inserted in bulk through the ORM."""
    now = datetime.now(UTC)
    homes = population_points(rng, HOUSEHOLDS)
    db.session.execute(insert(User), [
        {"id": i, "email": f"family{i}@bench.invalid", "password_hash": "!", "role": Role.FAMILY,
         "status": AccountStatus.ACTIVE, "full_name": f"Family {i}"} for i in range(1, HOUSEHOLDS + 1)])
    db.session.execute(insert(Household), [
        {"id": i, "user_id": i, "status": HouseholdStatus.VERIFIED, "settlement": s.name_ru,
         "region_code": s.region_code, "public_latitude": lat, "public_longitude": lon}
        for i, (lat, lon, s) in enumerate(homes, start=1)])
    categories, urgencies = list(Category), list(Urgency)
    points = population_points(rng, n_needs)
    for start in range(0, n_needs, BATCH):
        rows = []
        for offset, (lat, lon, s) in enumerate(points[start:start + BATCH]):
            need_id = start + offset + 1
            urgency = rng.choices(urgencies, (1, 3, 10))[0]
            rows.append({
                "id": need_id, "household_id": rng.randint(1, HOUSEHOLDS),
                "status": NeedStatus.VERIFIED if rng.random() < 0.9 else NeedStatus.IN_PROGRESS,
                "category": rng.choice(categories), "title": f"Need {need_id}",
                "description": "Seeded by bench/geo_nearby.py", "urgency": urgency,
                "urgency_rank": URGENCY_RANK[urgency], "volunteer_slots": rng.choice((0, 0, 1, 2)),
                "settlement": s.name_ru, "region_code": s.region_code,
                "public_latitude": lat, "public_longitude": lon,
                "created_at": now - timedelta(seconds=rng.randint(0, 90 * 86400)), "verified_at": now,
            })
        db.session.execute(insert(Need), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Explicit ids leave the sequences behind; and a fresh table has no planner statistics until
        # autovacuum comes round, which a long-running server would have done long ago.
        for table in ("users", "households", "needs"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
        db.session.execute(text("ANALYZE"))
        db.session.commit()


# --- the measured operations -----------------------------------------------------------------------

def near_me_api(lat: float, lon: float) -> list[int]:
    """What GET /api/v1/needs?lat=…&lon=…&radius_km=25&per_page=50 runs; needs' ids, nearest first."""
    results = catalogue.search(catalogue.Filters(), catalogue.Origin(lat, lon, RADIUS_KM), per_page=LIMIT)
    return [need.id for need in results.items]


def pk_api(need_id: int) -> int | None:
    """What GET /api/v1/needs/<id> runs."""
    need = catalogue.public_need(need_id)
    return need.id if need else None


def near_me_scope(lat: float, lon: float) -> list[tuple[int, float]]:
    """geo.nearby() over the public open-needs scope: the 50 nearest within 25 km, (id, km)."""
    found = geo.nearby(db.session, open_needs(select(Need)), Need.public_latitude, Need.public_longitude,
                       lat, lon, radius_km=RADIUS_KM, limit=LIMIT)
    return [(need.id, km) for need, km in found]


def pk_scope(need_id: int) -> int | None:
    """The same scoped select, narrowed to one primary key."""
    need = db.session.scalars(open_needs(select(Need)).where(Need.id == need_id)).first()
    return need.id if need else None


def full_scan(lat: float, lon: float) -> tuple[list[tuple], float]:
    """Every open need's point loaded and ranked by exact distance in Python; also the load time alone."""
    start = time.perf_counter()
    rows = db.session.execute(open_needs(select(
        Need.id, Need.public_latitude, Need.public_longitude, Need.urgency_rank, Need.created_at))).all()
    loaded = time.perf_counter() - start
    ranked = [(geo.distance_km(lat, lon, r[1], r[2]), r[3], -r[4].timestamp(), -r[0], r[0]) for r in rows
              if r[1] is not None and r[2] is not None]
    ranked.sort()
    return ranked, loaded


def timed(fn, *args) -> tuple[float, object]:
    db.session.expunge_all()  # no run may be answered from the identity map of an earlier one
    start = time.perf_counter()
    result = fn(*args)
    elapsed = time.perf_counter() - start
    db.session.rollback()
    return elapsed, result


def interleaved(runs: int, query: tuple, pk: tuple) -> tuple[tuple[float, object], tuple[float, object]]:
    """Medians of the query and of a pk fetch (a different id each time) run alternately: a ratio of two
    figures taken under the same conditions, which a drift of the machine's speed between two blocks of
    runs would otherwise skew."""
    fn, *args = query
    fetch, ids = pk
    query_times, pk_times, result, fetched = [], [], None, None
    for need_id in ids[:runs]:
        elapsed, result = timed(fn, *args)
        query_times.append(elapsed)
        elapsed, fetched = timed(fetch, need_id)
        pk_times.append(elapsed)
    return (statistics.median(query_times), result), (statistics.median(pk_times), fetched)


def median_time(runs: int, fn, *args) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        elapsed, result = timed(fn, *args)
        times.append(elapsed)
    return statistics.median(times), result


# --- checks ----------------------------------------------------------------------------------------

def same_as_scan_up_to_ties(found: list[tuple[int, float]], scan: list[tuple]) -> bool:
    """Same distances rank by rank and the same needs, where needs at one point may swap places."""
    within = [row for row in scan if row[0] <= RADIUS_KM][:LIMIT]
    if [round(km, 9) for _, km in found] != [round(row[0], 9) for row in within]:
        return False
    last_km = within[-1][0] if within else None
    inner_found = {i for i, km in found if km != last_km}
    inner_scan = {row[4] for row in within if row[0] != last_km}
    # At the 50th place several needs may share the distance; any of them is a right answer.
    tied = {row[4] for row in scan if row[0] == last_km}
    return inner_found == inner_scan and {i for i, km in found if km == last_km} <= tied


def explain(lat: float, lon: float) -> list[str]:
    """The query plan of the near-me box query, as geo.nearby() builds it, one line per step."""
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, RADIUS_KM)
    stmt = (open_needs(select(Need.id)).add_columns(Need.public_latitude, Need.public_longitude)
            .where(Need.public_latitude.between(min_lat, max_lat), Need.public_longitude.between(min_lon, max_lon)))
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        return [str(row[-1]) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql))]
    return [row[0] for row in db.session.execute(text("EXPLAIN " + sql))]


# --- one database ----------------------------------------------------------------------------------

def place(name: str) -> tuple[float, float]:
    settlement = next(s for s in default_gazetteer().settlements if s.name == name)
    return settlement.latitude, settlement.longitude


def run(label: str, url: str, args: argparse.Namespace) -> None:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=tempfile.mkdtemp(prefix="sw-bench-"))
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        start = time.perf_counter()
        seed(random.Random(args.seed), args.needs)
        print(f"\n== {label}: seeded {args.needs:,} open needs of {HOUSEHOLDS:,} households "
              f"in {time.perf_counter() - start:.1f} s ==")
        scans: dict[str, tuple] = {}
        if db.engine.dialect.name == "sqlite":
            # SQLite keeps no statistics until `flask analyze-db` (nightly, and after `make run` seeds)
            # runs ANALYZE: measure a database that has never had it, then one that has.
            measure("SQLite before its first `flask analyze-db`", args, scans)
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            measure("SQLite after `flask analyze-db` (ANALYZE)", args, scans)
        else:
            measure("PostgreSQL, analysed", args, scans)
        db.session.remove()
        db.engine.dispose()


def measure(title: str, args: argparse.Namespace, scans: dict[str, tuple]) -> None:
    """Every figure for the dense and the sparse place; the full scan is run once per place and reused."""
    print(f"-- {title} --")
    rng = random.Random(args.seed + 1)
    for kind, name in (("dense", DENSE_PLACE), ("sparse", SPARSE_PLACE)):
        lat, lon = place(name)
        plan = explain(lat, lon)
        if name not in scans:
            scans[name] = median_time(args.scan_runs, full_scan, lat, lon)
        scan_s, (scan, load_s) = scans[name]
        within = sum(1 for row in scan if row[0] <= RADIUS_KM)
        # Different needs for each pass, so neither pk fetch reads pages the other has just warmed.
        api_ids_to_fetch = [rng.randint(1, args.needs) for _ in range(args.runs)]
        scope_ids_to_fetch = [rng.randint(1, args.needs) for _ in range(args.runs)]
        (api_s, api_ids), (pk_api_s, _) = interleaved(args.runs, (near_me_api, lat, lon), (pk_api, api_ids_to_fetch))
        (scope_s, scope_found), (pk_scope_s, _) = interleaved(args.runs, (near_me_scope, lat, lon),
                                                              (pk_scope, scope_ids_to_fetch))
        scan_api_order = [row[4] for row in scan if row[0] <= RADIUS_KM][:LIMIT]

        print(f"{name} ({kind}; {lat:.4f}, {lon:.4f}): {within:,} open needs within {RADIUS_KM:g} km")
        print(f"   near-me box query uses {INDEX_NAME}: {'yes' if any(INDEX_NAME in s for s in plan) else 'no'}")
        for step in plan:
            print(f"     plan: {step}")
        print(f"   API      catalogue.search (radius 25 km, 50 per page, counts the total): {ms(api_s)}   "
              f"pk fetch catalogue.public_need: {ms(pk_api_s)}")
        print(f"   scope    geo.nearby(open_needs(...), limit=50) as tasks near me: {ms(scope_s)}   "
              f"pk fetch open_needs(...) by id:  {ms(pk_scope_s)}")
        print(f"   full scan: load {len(scan):,} rows {ms(load_s)}, with exact ranking {ms(scan_s)} "
              f"(median of {args.scan_runs})")
        print(f"   near-me / pk-fetch:  scope {scope_s / pk_scope_s:7.1f}×  (target ≤ 5×)   "
              f"API with its total {api_s / pk_api_s:7.1f}×")
        print(f"   full-scan / near-me: scope {scan_s / scope_s:7.1f}×  API {scan_s / api_s:7.1f}×  "
              f"(target ≥ 20×; loading alone / scope: {load_s / scope_s:.1f}×)")
        print(f"   identical to the full scan: API {'yes' if api_ids == scan_api_order else 'no'} (same ids, same "
              f"order)  scope {yes(same_as_scan_up_to_ties(scope_found, scan))} (same km rank by rank; needs "
              f"sharing one point may swap)")


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def postgres_database(server_url: str) -> tuple[str, Callable[[], None]]:
    """A new database on the server and a function that drops it."""
    base = make_url(_database_url(server_url))
    name = f"sw_bench_geo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=41, help="runs of each fast query (median)")
    parser.add_argument("--scan-runs", type=int, default=3, help="runs of the full scan (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL server URL (default: $BENCH_DATABASE_URL; none: SQLite only)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()

    if not args.skip_sqlite:
        folder = Path(tempfile.mkdtemp(prefix="sw-bench-geo-"))
        try:
            run("SQLite", f"sqlite:///{folder / 'bench.sqlite3'}", args)
        finally:
            (folder / "bench.sqlite3").unlink(missing_ok=True)
    if args.postgres:
        url, drop = postgres_database(args.postgres)
        try:
            run("PostgreSQL", url, args)
        finally:
            drop()


if __name__ == "__main__":
    main()
