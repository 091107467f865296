"""count_within() agrees with counting every row by exact geodesic distance, edges included."""
from __future__ import annotations

import random

from sqlalchemy import select

from marketplace import geo
from marketplace.needs.models import Need
from tests.factories import NeedFactory


def test_count_within_equals_brute_force(db_session):
    rng = random.Random(7)
    centre = (43.25, 76.9)
    points = [(centre[0] + rng.uniform(-0.3, 0.3), centre[1] + rng.uniform(-0.4, 0.4)) for _ in range(150)]
    # a few points right on the edge of a 10 km circle, where the cheap distance is not enough
    points += [(centre[0] + 10 / 111.13 + d, centre[1]) for d in (-0.0002, -0.00005, 0.00005, 0.0002)]
    for lat, lon in points:
        NeedFactory(open=True, public_latitude=lat, public_longitude=lon)
    stmt = select(Need.id)
    for radius in (1, 5, 10, 25, 40):
        brute = sum(1 for lat, lon in points if geo.distance_km(*centre, lat, lon) <= radius)
        assert geo.count_within(db_session, stmt, Need.public_latitude, Need.public_longitude, *centre, radius) == brute
