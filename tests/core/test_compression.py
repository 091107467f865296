"""Answers are compressed with brotli or gzip when the browser accepts them (core/compression.py): the same bytes
once decoded, with a right Content-Length and ETag; small answers, images, CSV exports and streamed answers are
sent as they are; and a cookie-carrying request another site could have made is never compressed (BREACH)."""
from __future__ import annotations

import gzip

import brotli
import pytest
from flask import Response

from marketplace.core.extensions import db
from tests.needs.test_catalogue import public_need

DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


@pytest.fixture
def catalogue(db_session):
    """A catalogue page long enough to be worth compressing."""
    for settlement in ("Алматы", "Текели", "Алматы"):
        public_need(settlement)
    db_session.commit()
    return "/needs/"


def _get(client, path, encoding=None, **headers):
    if encoding:
        headers["Accept-Encoding"] = encoding
    return client.get(path, headers=headers)


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_page_is_compressed_and_decodes_to_the_same_html(client, catalogue, encoding):
    plain = _get(client, catalogue)
    packed = _get(client, catalogue, encoding)
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 2
    assert DECODE[encoding](packed.data) == plain.data
    assert "Accept-Encoding" in packed.headers["Vary"]


def test_brotli_is_chosen_when_the_browser_takes_both(client, catalogue):
    assert _get(client, catalogue, "gzip, deflate, br, zstd").headers["Content-Encoding"] == "br"
    assert _get(client, catalogue, "br;q=0.5, gzip").headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in _get(client, catalogue, "identity").headers


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_the_api_is_compressed_too(client, catalogue, encoding):
    plain = _get(client, "/api/v1/needs")
    packed = _get(client, "/api/v1/needs", encoding)
    assert packed.headers["Content-Encoding"] == encoding and packed.headers["Cache-Control"] == "public, max-age=60"
    assert DECODE[encoding](packed.data) == plain.data


def test_a_small_answer_is_sent_as_it_is(app, client, db_session):
    response = _get(client, "/healthz", "gzip, br")
    assert response.status_code == 200 and len(response.data) < app.config["COMPRESS_MIN_SIZE"]
    assert "Content-Encoding" not in response.headers and response.get_json() == {"status": "ok"}


def test_an_image_is_not_compressed_again(client, db_session):
    response = _get(client, "/static/vendor/leaflet/images/layers-2x.png", "gzip, br")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"\x89PNG")


def test_a_csv_export_is_sent_as_it_is(client, login_as, admin_user):
    login_as(admin_user)
    response = _get(client, "/admin/offices/export.csv", "gzip, br", **{"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "Content-Encoding" not in response.headers
    assert response.get_data(as_text=True).startswith("\ufeffcode,name")


@pytest.fixture(scope="module")
def streaming_app():
    """A new app with a throwaway route that streams a long page."""
    from marketplace import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")

    @app.route("/streamed")
    def streamed():
        return Response((f"<p>line {n}</p>\n" for n in range(2000)), mimetype="text/html")

    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_streamed_answer_is_not_compressed_and_arrives_whole(streaming_app):
    response = streaming_app.test_client().get("/streamed", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200 and response.is_streamed
    assert "Content-Encoding" not in response.headers
    body = response.get_data(as_text=True)
    assert body.startswith("<p>line 0</p>") and body.endswith("<p>line 1999</p>\n")


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_compressed_static_file_keeps_a_validator_of_its_own(client, db_session, encoding):
    """The ETag of the compressed bytes differs from the plain one's, and asking with it again gives a 304."""
    page = _get(client, "/").get_data(as_text=True)
    css = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    plain = _get(client, css)
    packed = _get(client, css, encoding)
    assert packed.headers["Content-Encoding"] == encoding
    assert DECODE[encoding](packed.data) == plain.data
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + f':{encoding}"'
    again = _get(client, css, encoding, **{"If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert _get(client, css, **{"If-None-Match": plain.headers["ETag"]}).status_code == 304


# --- BREACH: no compression for a logged-in request another site may have made --------------------------------


@pytest.mark.parametrize(("fetch_site", "compressed"), [
    ("same-origin", True),  # a link or a form on the site itself
    ("none", True),  # typed, bookmarked, reloaded
    ("cross-site", False),  # another site's link, form, frame or script
    ("same-site", False),  # another host under the same domain
    (None, False),  # a browser that does not say
])
def test_a_logged_in_page_is_compressed_only_for_the_sites_own_requests(client, catalogue, login_as, family_user,
                                                                        fetch_site, compressed):
    login_as(family_user)
    headers = {"Sec-Fetch-Site": fetch_site} if fetch_site else {}
    response = _get(client, catalogue, "gzip, br", **headers)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert (response.headers.get("Content-Encoding") == "br") is compressed
    assert "Accept-Encoding" in response.headers["Vary"]
    if not compressed:
        assert "Social Window" in response.get_data(as_text=True)


def test_a_visitor_without_a_session_gets_compressed_pages_from_anywhere(client, catalogue):
    response = _get(client, catalogue, "gzip", **{"Sec-Fetch-Site": "cross-site"})
    assert response.headers["Content-Encoding"] == "gzip"
