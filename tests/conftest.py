"""Fixtures: the app on a migrated database, a session rolled back per test, clients, users."""
from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from marketplace.core.roles import Role
from tests.factories import PASSWORD, OfficeFactory, UserFactory

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgres")


def sqlalchemy_url(url: str) -> str:
    from marketplace.core.config import _database_url

    return _database_url(url)


def fresh_database(label: str) -> str:
    """A new, empty database for this run: a temp SQLite file, or a new PostgreSQL database."""
    if not ON_POSTGRES:
        folder = Path(tempfile.mkdtemp(prefix=f"sw-{label}-"))
        return f"sqlite:///{folder / 'test.sqlite3'}"
    base = make_url(sqlalchemy_url(TEST_DATABASE_URL))
    name = f"{base.database}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Remove a database made by `fresh_database`."""
    if url.startswith("sqlite"):
        Path(make_url(url).database).unlink(missing_ok=True)
        return
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (and so its own `g`), as in production, even though
    the test itself runs inside an app context."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_app(database_url: str, **overrides):
    """A testing app on `database_url`, upgraded to the newest migration."""
    from flask_migrate import upgrade

    from marketplace import create_app

    overrides.setdefault("UPLOAD_FOLDER", tempfile.mkdtemp(prefix="sw-uploads-"))  # never the repo's instance/
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=sqlalchemy_url(database_url), **overrides)
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def database_url():
    url = fresh_database("suite")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def app(database_url):
    app = make_app(database_url)
    yield app
    from marketplace.core.extensions import db

    with app.app_context():
        db.engine.dispose()


class TestSession(scoped_session):
    """The test's session, shared by the requests it makes: a request's end does not close it,
    so that objects the test holds stay usable; the fixture rolls everything back at the end."""

    def remove(self) -> None:
        # As at the end of a real request: what the request did not commit is lost.
        self().rollback()
        self().expire_all()

    def really_remove(self) -> None:
        super().remove()


@pytest.fixture
def db_session(app):
    """Every test runs inside one outer transaction that is rolled back at the end."""
    from marketplace.core.extensions import db, limiter

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = TestSession(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        limiter.reset()
        limiter.enabled = True
        try:
            yield db.session
        finally:
            db.session.really_remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app, db_session):
    """A browser-like client that asks for English pages (i18n tests set their own language)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def other_client(app, db_session):
    """A second device."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def outbox(app):
    """E-mails sent during the test."""
    from marketplace.core.extensions import mail

    with mail.record_messages() as messages:
        yield messages


@pytest.fixture
def office(db_session):
    return OfficeFactory()


@pytest.fixture
def family_user(db_session):
    return UserFactory(family=True, email="family@example.kz")


@pytest.fixture
def volunteer_user(db_session):
    return UserFactory(volunteer=True, email="volunteer@example.kz")


@pytest.fixture
def patron_user(db_session):
    return UserFactory(patron=True, email="patron@example.kz")


@pytest.fixture
def partner_user(db_session):
    return UserFactory(partner=True, email="partner@example.kz")


@pytest.fixture
def staff_user(db_session, office):
    return UserFactory(role=Role.STAFF, office=office, email="staff@example.kz")


@pytest.fixture
def admin_user(db_session):
    return UserFactory(admin=True, email="admin@example.kz")


@pytest.fixture
def users(family_user, volunteer_user, patron_user, partner_user, staff_user, admin_user):
    """One user of each role, by role name."""
    return {
        "family": family_user, "volunteer": volunteer_user, "patron": patron_user,
        "partner": partner_user, "staff": staff_user, "admin": admin_user,
    }


def login(client, user, password: str = PASSWORD):
    """Log `user` in through the real form; returns the response."""
    return client.post("/login", data={"email": user.email, "password": password})


@pytest.fixture
def login_as(client):
    def do(user, password: str = PASSWORD):
        response = login(client, user, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do


@pytest.fixture
def race_app():
    """An app on its own fresh database whose requests really commit: for tests with real threads."""
    url = fresh_database("race")
    app = make_app(url, RATELIMIT_ENABLED=False)
    yield app
    from marketplace.core.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database(url)
