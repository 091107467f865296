"""Error pages: friendly, in the visitor's language, never a stack trace; JSON under /api/."""
from __future__ import annotations

import pytest
from flask import abort
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.core.extensions import db
from marketplace.offices.models import Office
from tests.factories import PASSWORD, UserFactory

EN = {"Accept-Language": "en"}
SECRET = "secret-detail-4711"
TRACE_MARKERS = ("Traceback", 'File "', "RuntimeError", SECRET, "werkzeug", "site-packages")


def text_of(response) -> str:
    return response.get_data(as_text=True)


def assert_friendly(response, status: int, title: str) -> str:
    """The site's own error page: the status, the title, a way home, and nothing from the inside."""
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = text_of(response)
    assert f'<p class="error-code" aria-hidden="true">{status}</p>' in html
    assert f'<h1 class="page-title">{title}</h1>' in html
    assert 'href="/"' in html and 'href="/offices/"' in html  # the way home and to an office
    for marker in TRACE_MARKERS:
        assert marker not in html, marker
    return html


def translated(app, locale: str, message: str) -> str:
    with app.test_request_context(), force_locale(locale):
        return _(message)


@pytest.fixture(scope="module")
def fresh_app():
    """A new app with throwaway routes that fail, and CSRF switched on as in production."""
    from marketplace import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", WTF_CSRF_ENABLED=True)

    @app.route("/boom")
    def boom():
        raise RuntimeError(SECRET)

    @app.route("/api/v1/boom")
    def api_boom():
        raise RuntimeError(SECRET)

    @app.route("/api/v1/conflict")
    def api_conflict():
        abort(409, description="The need was pledged a moment ago.")

    @app.route("/api/v1/only-post", methods=["POST"])
    def api_only_post():
        return {"ok": True}

    yield app
    with app.app_context():
        db.engine.dispose()


# --- 404 ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_404_page_is_friendly_and_in_the_language(app, client, language):
    response = client.get("/no/such/page", headers={"Accept-Language": language})

    title = translated(app, language, "Page not found")
    if language != "en":
        assert title != "Page not found", f"no {language} translation"
    html = assert_friendly(response, 404, title)
    assert f'<html lang="{language}">' in html
    assert translated(app, language, "The page may have moved, or the link is mistyped.") in html


def test_404_for_an_unknown_office(client, db_session):
    assert_friendly(client.get("/offices/424242", headers=EN), 404, "Page not found")


# --- 403, 405, 400 ------------------------------------------------------------------------------------------


def test_403_page_for_a_forbidden_page(client, family_user, login_as):
    login_as(family_user)

    response = client.get("/admin/offices", headers=EN)

    html = assert_friendly(response, 403, "You do not have access to this page")
    assert "contact your reception office" in html


def test_405_on_a_get_to_a_post_only_route_renders_the_friendly_page(client, db_session):
    response = client.get("/logout", headers=EN)

    html = assert_friendly(response, 405, "This action is not allowed here")
    assert "Please go back and use the form on the page." in html


def test_405_still_says_which_methods_are_allowed(client, db_session):
    response = client.get("/logout", headers=EN)

    assert response.status_code == 405
    assert "POST" in response.headers.get("Allow", "")


def test_400_for_an_unknown_language(client, db_session):
    response = client.post("/language", data={"language": "xx"}, headers=EN)

    assert_friendly(response, 400, "The request could not be understood")


def test_missing_csrf_token_is_a_friendly_400(fresh_app):
    response = fresh_app.test_client().post("/language", data={"language": "kk"}, headers=EN)

    assert_friendly(response, 400, "The request could not be understood")
    assert "CSRF" not in text_of(response)


# --- 500 ----------------------------------------------------------------------------------------------------


def test_exception_in_a_view_renders_the_500_page_without_a_stack_trace(fresh_app):
    response = fresh_app.test_client().get("/boom", headers=EN)

    html = assert_friendly(response, 500, "Something went wrong on our side")
    assert "Please try again in a few minutes." in html


def test_500_page_is_in_the_language(fresh_app):
    response = fresh_app.test_client().get("/boom", headers={"Accept-Language": "kk"})

    title = translated(fresh_app, "kk", "Something went wrong on our side")
    assert title != "Something went wrong on our side", "no kk translation"
    assert_friendly(response, 500, title)


def test_exception_after_a_write_rolls_the_write_back(app, client, db_session, monkeypatch):
    def failing_view():
        db.session.add(Office(code="HALF-1", name="Полузаписанное окно", region_code="almaty-city",
                              settlement="Алматы", address="ул. Абая, 1", latitude=43.2, longitude=76.9))
        db.session.flush()
        raise RuntimeError(SECRET)

    monkeypatch.setitem(app.view_functions, "main.healthz", failing_view)

    response = client.get("/healthz", headers=EN)

    assert_friendly(response, 500, "Something went wrong on our side")
    db.session.expire_all()
    assert db.session.scalar(select(Office).where(Office.code == "HALF-1")) is None


# --- the API answers in JSON -------------------------------------------------------------------------------


def test_api_404_is_json(client, db_session):
    response = client.get("/api/v1/nope", headers=EN)

    assert response.status_code == 404
    assert response.is_json
    assert response.get_json() == {"error": {
        "status": 404, "title": "Page not found", "detail": "The page may have moved, or the link is mistyped.",
    }}


def test_api_post_to_an_unknown_path_is_json(client, db_session):
    response = client.post("/api/v1/nope", json={"x": 1}, headers=EN)

    assert response.status_code == 404 and response.is_json
    assert response.get_json()["error"]["status"] == 404


def test_api_exception_is_a_json_500_without_a_stack_trace(fresh_app):
    response = fresh_app.test_client().get("/api/v1/boom", headers=EN)

    assert response.status_code == 500 and response.is_json
    error = response.get_json()["error"]
    assert error["status"] == 500 and error["title"] == "Something went wrong on our side"
    for marker in TRACE_MARKERS:
        assert marker not in text_of(response)


def test_api_conflict_explains_itself(fresh_app):
    response = fresh_app.test_client().get("/api/v1/conflict", headers=EN)

    assert response.status_code == 409 and response.is_json
    assert response.get_json()["error"]["detail"] == "The need was pledged a moment ago."


def test_api_wrong_method_is_json(fresh_app):
    response = fresh_app.test_client().get("/api/v1/only-post", headers=EN)

    assert response.status_code == 405 and response.is_json
    assert response.get_json()["error"]["status"] == 405


# --- 429 ----------------------------------------------------------------------------------------------------


def _wrong_password(client, email: str):
    return client.post("/login", data={"email": email, "password": "not the password"}, headers=EN)


def test_too_many_logins_gives_a_friendly_429(app, client, family_user, volunteer_user):
    allowed = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for _attempt in range(allowed):
        response = _wrong_password(client, family_user.email)
        assert response.status_code == 200
        assert "The e-mail or the password is wrong." in text_of(response)

    response = _wrong_password(client, family_user.email)

    html = assert_friendly(response, 429, "Too many attempts")
    assert "Please wait a few minutes and try again." in html
    assert int(response.headers["Retry-After"]) > 0
    # The right password does not get past the lock either, and the account is not logged in.
    locked = client.post("/login", data={"email": family_user.email, "password": PASSWORD}, headers=EN)
    assert locked.status_code == 429
    assert client.get("/dashboard").status_code == 302
    # Another account from the same browser is not locked.
    other = client.post("/login", data={"email": volunteer_user.email, "password": PASSWORD}, headers=EN)
    assert other.status_code == 302


def test_the_login_lock_ignores_the_case_of_the_address(app, client, db_session):
    user = UserFactory(email="case@example.kz")
    allowed = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for attempt in range(allowed):
        _wrong_password(client, "CASE@example.kz" if attempt % 2 else " case@example.kz ")

    response = client.post("/login", data={"email": user.email, "password": PASSWORD}, headers=EN)

    assert response.status_code == 429


def test_429_page_is_in_the_language(app, client, family_user):
    allowed = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for _attempt in range(allowed + 1):
        response = client.post("/login", data={"email": family_user.email, "password": "nope nope nope"},
                               headers={"Accept-Language": "kk"})

    title = translated(app, "kk", "Too many attempts")
    assert title != "Too many attempts", "no kk translation"
    assert_friendly(response, 429, title)
