"""On PostgreSQL a request that only read ends with COMMIT, so that psycopg keeps the statements it prepared
(it forgets them all at a ROLLBACK); a request that wrote anything it did not commit still loses it."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from marketplace.core.extensions import db
from marketplace.offices.models import Office
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="psycopg's prepared statements: PostgreSQL only")


@pytest.fixture
def office(race_app):
    with race_app.app_context():
        office = Office(code="RC-001", name="Окно чтения", region_code="almaty-city", settlement="Алматы",
                        address="ул. Абая, 1", latitude=43.238, longitude=76.889, notes="as it was")
        db.session.add(office)
        db.session.commit()
        yield office.id
        db.session.execute(text("DELETE FROM offices WHERE id = :id"), {"id": office.id})
        db.session.commit()


def notes_of(app, office_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(Office.notes).where(Office.id == office_id))


def prepared_statements(app) -> int:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()


def test_pages_that_only_read_keep_their_prepared_statements(race_app, office):
    client = race_app.test_client()
    for _ in range(7):  # psycopg prepares a statement the fifth time a connection runs it
        assert client.get("/needs/").status_code == 200
    assert prepared_statements(race_app) > 0


@pytest.mark.parametrize("change", ["sql update", "flushed change", "pending change"])
def test_what_a_request_wrote_and_did_not_commit_is_still_lost(race_app, office, change):
    with race_app.test_request_context("/"):
        if change == "sql update":
            db.session.execute(update(Office).where(Office.id == office).values(notes="written, never committed"))
        else:
            db.session.get(Office, office).notes = "written, never committed"
            if change == "flushed change":
                db.session.flush()
        db.session.execute(select(Office.id)).all()  # and a read after it
    assert notes_of(race_app, office) == "as it was"


def test_a_request_that_failed_commits_nothing(race_app, office):
    with pytest.raises(RuntimeError):
        with race_app.test_request_context("/"):
            db.session.get(Office, office).notes = "written, then the view failed"
            db.session.flush()
            raise RuntimeError("the view failed")
    assert notes_of(race_app, office) == "as it was"
