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
    """On SQLite: enforce foreign keys and let SQLAlchemy own transactions (savepoints work)."""
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


def ping() -> None:
    """Ask the database for `SELECT 1`; raises when it does not answer (for /healthz)."""
    db.session.execute(select(1))
