"""`flask analyze-db` gives the query planner statistics on either database."""
from __future__ import annotations

from sqlalchemy import text

from marketplace.core.extensions import db
from tests.factories import NeedFactory


def test_analyze_db_records_statistics(race_app) -> None:
    with race_app.app_context():
        NeedFactory.create_batch(3)
        db.session.commit()
        db.session.remove()
    result = race_app.test_cli_runner().invoke(args=["analyze-db"])
    assert result.exit_code == 0, result.output
    assert "Planner statistics refreshed" in result.output
    with race_app.app_context(), db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            tables = {row[0] for row in connection.execute(text("SELECT tbl FROM sqlite_stat1"))}
        else:
            tables = {row[0] for row in connection.execute(text(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"))}
    assert {"needs", "households", "users"} <= tables
