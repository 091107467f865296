"""nearest_points() gives the places a full scan ranks nearest, with their counts, as far as the rows asked
for: near a dense city, in the steppe, within a radius and with fewer rows than asked."""
from __future__ import annotations

import random
from itertools import groupby

import pytest
from sqlalchemy import select

from marketplace import geo
from marketplace.needs.models import Need
from tests.factories import NeedFactory

CENTRE = (43.25, 76.9)


@pytest.fixture
def places(db_session):
    """Rows on coarse public points: many on a few points of a city, one each on points far out."""
    rng = random.Random(11)
    rows: list[tuple[float, float]] = []
    for _ in range(30):  # the city: up to nine rows a point
        point = geo.coarse_point(CENTRE[0] + rng.gauss(0, 0.04), CENTRE[1] + rng.gauss(0, 0.05))
        rows += [point] * rng.randint(1, 9)
    for _ in range(12):  # the steppe, hundreds of kilometres out
        rows.append(geo.coarse_point(rng.uniform(41, 55), rng.uniform(50, 87)))
    for lat, lon in rows:
        NeedFactory(open=True, public_latitude=lat, public_longitude=lon)
    NeedFactory(open=True, public_latitude=None, public_longitude=None)  # no point: never ranked
    db_session.flush()
    return rows


def full_scan(rows: list[tuple[float, float]], wanted: int, radius: float | None) -> list[tuple[float, list, int]]:
    counts: dict[tuple[float, float], int] = {}
    for point in rows:
        counts[point] = counts.get(point, 0) + 1
    ranked = sorted((geo.distance_km(*CENTRE, *point), point, count) for point, count in counts.items())
    ranked = [item for item in ranked if radius is None or item[0] <= radius]
    groups, total = [], 0
    for km, members in groupby(ranked, key=lambda item: item[0]):
        if total >= wanted:
            break
        members = list(members)
        groups.append((km, [point for _, point, _ in members], sum(count for *_, count in members)))
        total += groups[-1][2]
    return groups


@pytest.mark.parametrize("coarse", [False, True], ids=["any points", "coarse points, boxes read by latitude"])
def test_the_nearest_places_are_the_full_scans(db_session, places, coarse):
    for radius in (None, 2, 10, 25, 1000):
        for wanted in (1, 7, 40, 150, 10_000):
            found, beyond = geo.nearest_points(db_session, select(Need.id), Need.public_latitude,
                                               Need.public_longitude, *CENTRE, rows=wanted, radius_km=radius,
                                               coarse=coarse)
            assert beyond == 0
            expected = full_scan(places, wanted, radius)
            assert [(round(km, 9), sorted(points), count) for km, points, count in found] == \
                [(round(km, 9), sorted(points), count) for km, points, count in expected], (radius, wanted)
            if wanted == 10_000:  # more than there are: every row with a point, within the radius
                assert sum(count for *_, count in found) == sum(
                    1 for point in places if radius is None or geo.distance_km(*CENTRE, *point) <= radius)


def test_a_filter_narrows_the_counts(db_session, places):
    few = select(Need.id).where(Need.id % 3 == 0)
    found, _ = geo.nearest_points(db_session, few, Need.public_latitude, Need.public_longitude, *CENTRE, rows=10_000)
    every = db_session.execute(few.add_columns(Need.public_latitude).where(Need.public_latitude.is_not(None))).all()
    assert sum(count for *_, count in found) == len(every)


def test_ranking_only_the_first_rows_keeps_their_order_and_counts_the_rest(db_session, places):
    """With ranked_rows, the places of the first rows are the full scan's, and the rest are counted."""
    for radius in (None, 10, 25):
        for ranked, wanted in ((1, 150), (7, 150), (40, 10_000), (150, 150)):
            found, beyond = geo.nearest_points(db_session, select(Need.id), Need.public_latitude,
                                               Need.public_longitude, *CENTRE, rows=wanted, radius_km=radius,
                                               ranked_rows=ranked)
            expected = full_scan(places, ranked, radius)
            assert [(round(km, 9), sorted(points), count) for km, points, count in found] == \
                [(round(km, 9), sorted(points), count) for km, points, count in expected], (radius, ranked)
            inside = sum(1 for point in places if radius is None or geo.distance_km(*CENTRE, *point) <= radius)
            counted = sum(count for *_, count in found) + beyond
            assert counted >= min(wanted, inside) and counted <= inside, (radius, ranked)


def test_a_boxs_coarse_latitudes_are_every_one_a_coarse_point_can_take_there():
    from marketplace.geo.proximity import coarse_values

    rng = random.Random(5)
    for _ in range(500):
        low = rng.uniform(40, 56)
        high = low + rng.choice([0.0, 0.004, 0.01, 0.013, 0.2, 1.7])
        inside = {geo.coarse_point(rng.uniform(low, high), 0)[0] for _ in range(200)}
        inside = {value for value in inside if low <= value <= high}
        values = coarse_values(low, high)
        assert inside <= set(values), (low, high)
        assert values == sorted(values) and len(values) <= round((high - low) * 100) + 3
    assert 43.25 in coarse_values(43.25, 43.25) and 43.26 in coarse_values(43.2500001, 43.26)
