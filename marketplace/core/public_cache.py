"""Anonymous views of the public catalogue kept for a few seconds on the server.

A visitor without a session and without a token sees what every such visitor sees: the catalogue's page, its
map's points, the API's list. Those answers are kept for PUBLIC_CACHE_SECONDS (30 by default, so a change to
a need shows within a minute), keyed by the path, the query and the reader's language, in Redis when the site
has one (shared by every worker and machine) and in the process otherwise. Anyone logged in, or sending a
cookie or an Authorization header, always gets a fresh answer; an answer that would start a session, set a
cookie or flash a message is never kept. A cache that fails is skipped, never an error.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, make_response, request, session
from flask_babel import get_locale
from flask_caching import Cache

cache = Cache()

# What a kept answer carries besides its body.
KEPT_HEADERS = ("Content-Type", "Cache-Control", "Vary", "Content-Language", "Link")


def init_app(app: Flask) -> None:
    app.config.setdefault("PUBLIC_CACHE_SECONDS", 30)
    if app.config.get("REDIS_URL") and not app.config.get("CACHE_TYPE"):
        app.config["CACHE_TYPE"] = "RedisCache"
        app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
        app.config.setdefault("CACHE_OPTIONS", {"socket_timeout": 0.5, "socket_connect_timeout": 0.5})
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    app.config.setdefault("CACHE_KEY_PREFIX", "sw-public:")
    cache.init_app(app)


def _a_visitor() -> bool:
    """Nobody is or could be logged in: no cookie of ours, no token."""
    return (request.method == "GET" and not request.headers.get("Authorization")
            and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
            and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") not in request.cookies)


def _key() -> str:
    query = "&".join(f"{k}={v}" for k, v in sorted(request.args.items(multi=True)))
    return f"{request.path}?{query}|{get_locale() or ''}"


def kept_for_visitors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve a public GET view to visitors from the cache, and keep its answer for PUBLIC_CACHE_SECONDS."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        seconds = current_app.config["PUBLIC_CACHE_SECONDS"]
        if not seconds or not _a_visitor():
            return view(*args, **kwargs)
        key = _key()
        try:
            kept = cache.get(key)
        except Exception:  # noqa: BLE001  (a cache away is a slower page, not an error)
            current_app.logger.warning("the public cache could not be read", exc_info=True)
            kept = None
        if kept is not None:
            status, headers, body = kept
            response = Response(body, status=status)
            for name, value in headers:
                response.headers[name] = value
            response.headers["X-Cache"] = "hit"
            return response
        response = make_response(view(*args, **kwargs))
        # Kept only when nothing in it is anyone's: no session begun (no flash, no form token), no cookie.
        if (response.status_code == 200 and not response.direct_passthrough and not session.modified
                and not dict(session) and "Set-Cookie" not in response.headers):
            try:
                cache.set(key, (response.status_code, [(name, response.headers[name]) for name in KEPT_HEADERS
                                                       if name in response.headers], response.get_data()),
                          timeout=seconds)
            except Exception:  # noqa: BLE001
                current_app.logger.warning("the public cache could not be written", exc_info=True)
        response.headers["X-Cache"] = "miss"
        return response

    return wrapper
