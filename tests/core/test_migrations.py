"""The schema comes only from migrations: empty → head matches the models, and head → base is clean."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Index, inspect, text
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql.elements import TextClause

from marketplace import create_app
from marketplace.core.extensions import db
from tests.conftest import ON_POSTGRES, drop_database, fresh_database, sqlalchemy_url


def test_upgrade_from_empty_matches_the_models_and_downgrades_to_base():
    url = fresh_database("migrations")
    try:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=sqlalchemy_url(url))
        with app.app_context():
            engine = db.engine
            assert engine.dialect.name == ("postgresql" if ON_POSTGRES else "sqlite")
            assert inspect(engine).get_table_names() == []

            upgrade()
            tables = set(inspect(engine).get_table_names())
            assert {"users", "user_sessions", "offices", "audit_entries", "alembic_version"} <= tables
            ordered = ordered_indexes()
            with engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn, opts={
                    "compare_type": True, "include_object": lambda obj, name, kind, *_: name not in ordered}),
                    db.metadata)
                assert diff == [], f"models and migrations disagree: {diff}"
                # Alembic cannot compare an index with a column in descending order: compare what was created.
                assert ordered and {name: created_index(conn, name) for name in ordered} == {
                    name: normalised(str(CreateIndex(index).compile(dialect=engine.dialect)))
                    for name, index in ordered.items()}

            downgrade(revision="base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

            upgrade()  # and back up again, as a deploy after a rollback would
            assert "users" in inspect(engine).get_table_names()
            engine.dispose()
    finally:
        drop_database(url)


def ordered_indexes() -> dict[str, Index]:
    """The models' indexes with a column in descending order (written as text)."""
    return {index.name: index for table in db.metadata.tables.values() for index in table.indexes
            if any(isinstance(element, TextClause) for element in index.expressions)}


def normalised(ddl: str) -> str:
    return " ".join(ddl.replace("public.", "").replace("USING btree ", "").split())


def created_index(conn, name: str) -> str:
    """The index's definition as the database keeps it."""
    if conn.dialect.name == "postgresql":
        found = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": name})
    else:
        found = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"),
                             {"name": name})
    return normalised(found.scalar_one())


def test_status_columns_have_check_constraints(app, db_session):
    """A bad role string is refused by the database itself, not only by Python."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with db_session.begin_nested():
            db_session.execute(text(
                "INSERT INTO users (email, password_hash, role, status, full_name, created_at, password_changed_at) "
                "VALUES ('x@example.kz', 'x', 'superhero', 'active', 'X', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ))
