"""A visitor's first look at a public page sets no cookie and says no `Vary: Cookie`, so a cache in front can keep it
(core/caching.py); the session starts only on a page with a form that posts (log-in), or when the visitor picks a
language. CSRF is on here, as in production: every POST form is still checked, and logged-in pages still say
no-store."""
from __future__ import annotations

import re

import pytest

from marketplace.core.extensions import db
from tests.factories import PASSWORD, OfficeFactory
from tests.needs.test_catalogue import public_need

LANG_FORM = re.compile(r'<form class="lang-switch" method="(?P<method>\w+)" action="(?P<action>[^"]+)"')


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def public_pages(db_session, csrf_on):
    need = public_need("Алматы")
    office = OfficeFactory()
    db_session.commit()
    return ["/", "/needs/", "/needs/?near=Алматы&radius=25", f"/needs/{need.id}", "/offices/",
            f"/offices/{office.id}", "/api/v1/needs", f"/api/v1/needs/{need.id}", "/signup"]


def csrf_token_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def log_in(client, user) -> None:
    """Through the log-in form, with the token its page gave."""
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_a_visitors_first_look_at_each_public_page_sets_no_cookie(app, public_pages):
    for path in public_pages:
        client = app.test_client()
        response = client.get(path, headers={"Accept-Language": "kk"})
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        vary = [v.strip().lower() for v in response.headers.get("Vary", "").split(",")]
        assert "cookie" not in vary, (path, vary)
        assert "accept-language" in vary, path  # a cache keeps one copy per language
        assert "no-store" not in response.headers.get("Cache-Control", ""), path
        assert 'name="csrf_token"' not in response.get_data(as_text=True), path


def test_a_visitor_with_no_session_but_other_cookies_gets_none_either(app, public_pages):
    client = app.test_client()
    client.set_cookie("analytics", "1")
    response = client.get("/needs/")
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")


def test_the_log_in_page_starts_the_session_its_form_needs_and_log_in_works(app, csrf_on, family_user):
    client = app.test_client()
    page = client.get("/login")
    assert page.status_code == 200 and "session=" in page.headers["Set-Cookie"]
    token = csrf_token_of(page.get_data(as_text=True))
    refused = client.post("/login", data={"email": family_user.email, "password": PASSWORD})
    assert refused.status_code == 400  # CSRF still checked
    done = client.post("/login", data={"email": family_user.email, "password": PASSWORD, "csrf_token": token})
    assert done.status_code == 302
    response = client.get("/needs/")
    assert response.headers["Cache-Control"] == "no-store" and "Cookie" in response.headers["Vary"]


def test_a_visitor_switches_language_without_a_session_beforehand(app, public_pages):
    client = app.test_client()
    page = client.get("/needs/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    form = LANG_FORM.search(page)
    assert (form["method"], form["action"]) == ("get", "/language")
    assert 'name="next" value="/needs/?"' in page
    switched = client.get("/language", query_string={"language": "kk", "next": "/needs/?"},
                          headers={"Accept-Language": "ru"})
    assert switched.status_code == 302 and switched.headers["Location"].rstrip("?") == "/needs/"
    assert "session=" in switched.headers["Set-Cookie"]  # the cookie starts with the choice
    after = client.get("/needs/", headers={"Accept-Language": "ru"})
    assert '<html lang="kk">' in after.get_data(as_text=True)
    assert "Cookie" in after.headers["Vary"]  # this page now depends on the visitor's cookie


def test_an_unknown_language_is_refused(client, db_session):
    assert client.get("/language", query_string={"language": "xx"}).status_code == 400


def test_a_post_to_the_language_switch_still_needs_its_token(app, csrf_on, db_session):
    client = app.test_client()
    assert client.post("/language", data={"language": "kk"}).status_code == 400


def test_a_logged_in_user_switches_language_with_a_post_that_saves_it(app, csrf_on, family_user):
    client = app.test_client()
    log_in(client, family_user)
    page = client.get("/needs/").get_data(as_text=True)
    assert LANG_FORM.search(page)["method"] == "post"
    assert client.post("/language", data={"language": "kk"}).status_code == 400
    response = client.post("/language", data={"language": "kk", "next": "/needs/", "csrf_token": csrf_token_of(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/needs/"
    db.session.refresh(family_user)
    assert family_user.locale == "kk"


def test_a_need_page_offers_a_visitor_a_log_in_link_and_a_user_the_flag_forms(app, client, public_pages,
                                                                               family_user):
    path = next(p for p in public_pages if p.startswith("/needs/") and p[7:].isdigit())
    visitor = client.get(path).get_data(as_text=True)
    assert f'href="/login?next={path}"' in visitor and "/flag" not in visitor
    log_in(client, family_user)
    user_page = client.get(path)
    assert user_page.headers["Cache-Control"] == "no-store"
    html = user_page.get_data(as_text=True)
    assert f'action="{path}/flag"' in html
    assert 'name="need-csrf_token"' in html and 'name="family-csrf_token"' in html
