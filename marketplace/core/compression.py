"""Responses compressed with brotli or gzip when the browser accepts them (Flask-Compress, set up in config.py):
pages, JSON, CSS, JavaScript and SVG of at least COMPRESS_MIN_SIZE bytes. Streamed answers (file downloads) and
media that are compressed already (photos, PDFs) pass as they are.

One exception keeps compression from leaking secrets (BREACH): a page's compressed length depends on how much of
it repeats, so a site that can make a logged-in browser ask for pages with text of its choosing (a search
reflected on the page) could learn a CSRF token or an address a byte at a time from the lengths alone. So a
request that carries the session cookie is compressed only when the browser says it did not come from another
site (`Sec-Fetch-Site: same-origin` or `none`, typed or bookmarked); a request without that header, or from
another site, is answered uncompressed. A visitor without a session cookie has no secret in the page to leak.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_compress import Compress

OWN_REQUESTS = frozenset({"same-origin", "none"})


def _could_leak_a_secret() -> bool:
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return False
    return request.headers.get("Sec-Fetch-Site", "").lower() not in OWN_REQUESTS


class SiteCompress(Compress):
    """Flask-Compress, but never for a cookie-carrying request another site could have made."""

    def after_request(self, response: Response | None) -> Response:
        if response is not None and _could_leak_a_secret():
            response.vary.add("Accept-Encoding")
            return response
        return super().after_request(response)


def register_compression(app: Flask) -> None:
    """Registered before every other step's after-request hook, so it runs last, on the final body. One instance
    per app, not an unbound one in extensions.py: Flask-Compress keeps the app's types and algorithms on itself."""
    app.extensions["compress"] = SiteCompress(app)
