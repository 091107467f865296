"""UTCDateTime reads every stored timestamp back timezone-aware in UTC, on either database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import String, cast, literal, literal_column, select, type_coerce

from marketplace.core.dbtypes import UTCDateTime
from marketplace.core.extensions import db

UTC = timezone.utc


def read_back(stored: str) -> datetime | None:
    """The value as a UTCDateTime column would return it had `stored` been written there."""
    if db.engine.dialect.name == "sqlite":
        # SQLite keeps the text as written, and the column's result processor parses it.
        return db.session.scalar(select(type_coerce(literal_column(f"'{stored}'"), UTCDateTime())))
    return db.session.scalar(select(cast(literal(stored, String), UTCDateTime())))


@pytest.mark.parametrize("stored, expected", [
    ("2024-01-02 03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("2024-01-02 03:04:05.123456", datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
    ("2024-01-02 03:04:05.123", datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)),
])
def test_naive_text_is_utc(db_session, stored, expected) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL stores timestamptz, never naive text")
    value = read_back(stored)
    assert value == expected
    assert value.utcoffset() == timedelta(0)


def test_text_with_an_offset_is_converted_not_relabelled(db_session) -> None:
    # Written by another tool with Astana's offset: 03:04 at +05:00 is 22:04 UTC the day before.
    value = read_back("2024-01-02 03:04:05+05:00")
    assert value == datetime(2024, 1, 1, 22, 4, 5, tzinfo=UTC)
    assert value.utcoffset() == timedelta(0)


def test_null_stays_null(db_session) -> None:
    assert db.session.scalar(select(type_coerce(literal_column("NULL"), UTCDateTime()))) is None


def test_a_round_trip_keeps_the_instant(db_session) -> None:
    from tests.factories import NeedFactory

    moment = datetime(2026, 11, 25, 16, 31, 38, 123456, tzinfo=timezone(timedelta(hours=5)))
    need = NeedFactory(created_at=moment)
    db.session.flush()
    db.session.expire(need)
    assert need.created_at == moment
    assert need.created_at.utcoffset() == timedelta(0)
