"""Engine set-up that differs between SQLite and PostgreSQL, and the ping behind /healthz."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from marketplace.core.config import INSTANCE
from marketplace.core.extensions import db


def prepare_sqlite(app: Flask) -> None:
    """Create `instance/` for the default SQLite file and let SQLite wait for a lock briefly."""
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        INSTANCE.mkdir(exist_ok=True)
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"timeout": 15})
        if uri in ("sqlite://", "sqlite:///:memory:"):
            # One shared in-memory database for every connection of the process.
            from sqlalchemy.pool import StaticPool

            options["poolclass"] = StaticPool
            options["connect_args"] = {"check_same_thread": False}
            options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def configure_engine(engine: Engine) -> None:
    """On PostgreSQL: note which transactions write (`_end_reads_with_commit`). On SQLite: enforce foreign keys
    and let SQLAlchemy own transactions (savepoints work)."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "begin", _forget_writes)
        event.listen(engine, "before_cursor_execute", _note_writes)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # pysqlite's own implicit transactions break SAVEPOINT; we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        # SQLite's own lower() folds ASCII only; searches must fold Cyrillic and Kazakh letters too.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN")


# --- reads end with COMMIT on PostgreSQL --------------------------------------------------------
# psycopg prepares a statement the fifth time a connection runs it, so PostgreSQL plans it once, and forgets
# every prepared statement at each ROLLBACK (a rolled-back transaction may have dropped what they name). A
# request that only read ended with the session's ROLLBACK, so nothing was ever prepared and a catalogue page
# planned its queries afresh each time (more than a millisecond of the database's time for a place search).
# A transaction that sent nothing but SELECTs now ends with COMMIT, which for it does the same; anything else
# (a write, a savepoint, a pending change in the session, an error) still ends with the ROLLBACK as before.

_WROTE = "social_window_wrote"


def _forget_writes(conn) -> None:
    conn.info.pop(_WROTE, None)


def _note_writes(conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        conn.info[_WROTE] = True


def end_reads_with_commit(app: Flask) -> None:
    """Before Flask-SQLAlchemy's teardown closes the request's session (registered after it, so run before it)."""

    @app.teardown_appcontext
    def _end_reads_with_commit(exc: BaseException | None) -> None:
        if exc is not None or not db.session.registry.has() or db.engine.dialect.name != "postgresql":
            return  # (a request served without the database, e.g. from the public cache, has no session)
        session = db.session()
        if not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        if session.connection().info.get(_WROTE):
            return
        # As closing the session did, the objects keep what they loaded (code after an app context may read them).
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        except Exception:  # noqa: BLE001  (nothing was written; the session's own teardown closes it as before)
            session.rollback()
        finally:
            session.expire_on_commit = expire


def ping() -> None:
    """Ask the database for `SELECT 1`; raises when it does not answer (for /healthz)."""
    db.session.execute(select(1))
