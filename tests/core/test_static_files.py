"""Static files are named by their bytes and kept for a year (core/static_files.py); their plain names still work,
revalidated; a changed file gets a new name; and a static file is the same for everyone (no cookie, no no-store)."""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from marketplace.core.static_files import IMMUTABLE, StaticFiles
from tests.needs.test_catalogue import public_need

STATIC_URL = re.compile(r'(?:src|href|data-[a-z-]+)="(/static/[^"]+)"')
HASHED = re.compile(r"^/static/(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<suffix>\.[a-z]+)$")


def static_urls(html: str) -> list[str]:
    return sorted(set(STATIC_URL.findall(html)))


def on_disk(app, url: str) -> Path:
    match = HASHED.match(url)
    return Path(app.static_folder) / (match["stem"] + match["suffix"])


@pytest.fixture
def pages(client, db_session):
    """The home page, the catalogue (which names Leaflet for its map) and its map view."""
    public_need("Алматы")
    db_session.commit()
    return {path: client.get(path).get_data(as_text=True) for path in ("/", "/needs/", "/needs/?view=map")}


def test_every_static_url_on_the_pages_is_named_by_its_bytes(app, pages):
    urls = {url for html in pages.values() for url in static_urls(html)}
    assert {"css/site", "js/page-parts", "favicon", "vendor/leaflet/leaflet"} <= {
        HASHED.match(url)["stem"] for url in urls if HASHED.match(url)}
    for url in urls:
        match = HASHED.match(url)
        assert match, f"{url} is not hashed"
        assert match["digest"] == hashlib.sha256(on_disk(app, url).read_bytes()).hexdigest()[:12]


def test_a_hashed_file_is_its_bytes_kept_for_a_year(app, client, pages):
    for url in static_urls(pages["/needs/?view=map"]):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
        assert response.data == on_disk(app, url).read_bytes()
        assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    css = next(url for url in static_urls(pages["/"]) if url.endswith(".css"))
    assert client.get(css).headers["Content-Type"] == "text/css; charset=utf-8"


def test_the_plain_name_still_works_and_is_revalidated(app, client, db_session):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert response.data == (Path(app.static_folder) / "css/site.css").read_bytes()
    again = client.get("/static/css/site.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_leaflets_images_named_relatively_in_its_stylesheet_are_found(client, pages):
    css = next(url for url in static_urls(pages["/needs/?view=map"]) if "leaflet" in url and url.endswith(".css"))
    text = client.get(css).get_data(as_text=True)
    images = re.findall(r"url\((images/[^)]+)\)", text)
    assert {"images/layers.png", "images/layers-2x.png", "images/marker-icon.png"} <= set(images)
    for image in images:
        response = client.get(urljoin(css, image))
        assert response.status_code == 200 and response.mimetype == "image/png", image


def test_a_stale_or_made_up_hash_gets_todays_bytes_but_is_not_kept(app, client, db_session):
    response = client.get("/static/css/site.0123456789ab.css")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert response.data == (Path(app.static_folder) / "css/site.css").read_bytes()


@pytest.mark.parametrize("path", ["/static/css/nothing.css", "/static/css/nothing.0123456789ab.css",
                                  "/static/../pyproject.toml", "/static/%2e%2e/pyproject.toml", "/static/css"])
def test_no_file_is_a_404(client, db_session, path):
    assert client.get(path).status_code == 404


def test_a_logged_in_user_gets_static_files_as_everyone_does(client, login_as, family_user, pages):
    login_as(family_user)
    url = static_urls(pages["/"])[0]
    response = client.get(url)
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")


def test_a_changed_file_gets_a_new_name(tmp_path):
    (tmp_path / "css").mkdir()
    path = tmp_path / "css" / "site.css"
    path.write_text("body { color: black }")
    files = StaticFiles(tmp_path)
    first = files.url_name("css/site.css")
    assert first == f"css/site.{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}.css"
    assert files.url_name("css/site.css") == first
    path.write_text("body { color: navy }")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    second = files.url_name("css/site.css")
    assert second != first and second.startswith("css/site.") and second.endswith(".css")
    asset, immutable = files.resolve(second)
    assert immutable and asset.data == b"body { color: navy }"
    asset, immutable = files.resolve(first)  # a page from before the change gets today's file, not kept
    assert not immutable and asset.data == b"body { color: navy }"


def test_names_without_a_file_stay_as_they_are(tmp_path):
    (tmp_path / "favicon").write_bytes(b"x")
    files = StaticFiles(tmp_path)
    assert files.url_name("missing.css") == "missing.css"
    assert files.url_name("../outside.css") == "../outside.css"
    assert files.url_name("favicon") == "favicon"  # a hash goes before a suffix: without one, none
    assert files.resolve("favicon") == (files.asset("favicon"), False)
