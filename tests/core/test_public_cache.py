"""Anonymous catalogue views come from a cache kept for seconds, per language and query; anyone logged in, or
with a cookie or a token, gets a fresh answer; a kept answer is gone once its seconds pass."""
from __future__ import annotations

import time

import pytest

from marketplace.core.public_cache import cache
from tests.conftest import login
from tests.factories import NeedFactory, UserFactory

PAGES = ("/needs/", "/needs/?category=school&view=list", "/api/v1/needs",
         "/needs/map.json?bbox=46,40,88,56&zoom=5")


@pytest.fixture
def kept(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_CACHE_SECONDS", 30)
    cache.clear()
    yield
    cache.clear()


def fresh_client(app):
    return app.test_client(use_cookies=False)


@pytest.mark.parametrize("path", PAGES)
def test_a_visitors_second_view_comes_from_the_cache(app, db_session, kept, path):
    NeedFactory(open=True)
    db_session.commit()
    first = fresh_client(app).get(path, headers={"Accept-Language": "ru"})
    second = fresh_client(app).get(path, headers={"Accept-Language": "ru"})
    assert first.status_code == second.status_code == 200
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert second.get_data() == first.get_data() and second.content_type == first.content_type
    assert "Set-Cookie" not in second.headers


def test_each_language_and_query_is_kept_apart(app, db_session, kept):
    NeedFactory(open=True)
    db_session.commit()
    ru = fresh_client(app).get("/needs/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    kk = fresh_client(app).get("/needs/", headers={"Accept-Language": "kk"})
    assert kk.headers["X-Cache"] == "miss" and 'lang="kk"' in kk.get_data(as_text=True) and 'lang="ru"' in ru
    other = fresh_client(app).get("/needs/?category=food", headers={"Accept-Language": "ru"})
    assert other.headers["X-Cache"] == "miss"


def test_a_new_need_shows_to_visitors_once_the_kept_page_expires(app, db_session, kept, monkeypatch):
    # The cache's clock, moved by hand: a loaded machine's pauses cannot expire the page early.
    import cachelib.simple

    now = [time.time()]
    monkeypatch.setattr(cachelib.simple, "time", lambda: now[0])
    monkeypatch.setitem(app.config, "PUBLIC_CACHE_SECONDS", 30)
    NeedFactory(open=True, title="Первая просьба")
    db_session.commit()
    assert "Первая просьба" in fresh_client(app).get("/needs/").get_data(as_text=True)
    NeedFactory(open=True, title="Вторая просьба")
    db_session.commit()
    now[0] += 29
    assert "Вторая просьба" not in fresh_client(app).get("/needs/").get_data(as_text=True)  # kept
    now[0] += 2
    assert "Вторая просьба" in fresh_client(app).get("/needs/").get_data(as_text=True)


def test_someone_logged_in_always_sees_fresh_data(app, client, db_session, kept):
    NeedFactory(open=True, title="Первая просьба")
    volunteer = UserFactory(volunteer=True)
    db_session.commit()
    fresh_client(app).get("/needs/")  # a visitor's view is kept
    NeedFactory(open=True, title="Вторая просьба")
    db_session.commit()
    login(client, volunteer)
    response = client.get("/needs/")
    assert "X-Cache" not in response.headers and "Вторая просьба" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_cookie_or_a_token_is_never_served_from_the_cache(app, db_session, kept):
    NeedFactory(open=True)
    db_session.commit()
    fresh_client(app).get("/api/v1/needs")
    with_token = fresh_client(app).get("/api/v1/needs", headers={"Authorization": "Bearer not-a-token"})
    assert "X-Cache" not in with_token.headers
    with_cookie = fresh_client(app).get("/needs/", headers={"Cookie": "session=abc"})
    assert "X-Cache" not in with_cookie.headers
