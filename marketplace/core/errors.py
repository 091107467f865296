"""Friendly error pages (and JSON errors for the API), never a stack trace."""
from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("The request could not be understood"), _("Please check what you entered and try again.")),
        403: (_("You do not have access to this page"), _("If you think this is a mistake, contact your reception office.")),
        404: (_("Page not found"), _("The page may have moved, or the link is mistyped.")),
        405: (_("This action is not allowed here"), _("Please go back and use the form on the page.")),
        409: (_("This cannot be done right now"), _("Someone may have changed it a moment ago. Reload the page and try again.")),
        413: (_("The file is too large"), _("Please choose a smaller file.")),
        429: (_("Too many attempts"), _("Please wait a few minutes and try again.")),
        500: (_("Something went wrong on our side"), _("We have been told about it. Please try again in a few minutes.")),
    }


def render_error(code: int, detail: str | None = None):
    """Render the error page (or JSON under /api/) for an HTTP status."""
    title, advice = _messages().get(code, _messages()[500 if code >= 500 else 400])
    if request.path.startswith("/api/"):
        return jsonify(error={"status": code, "title": title, "detail": detail or advice}), code
    if _request_ctx_has_no_urls():
        # A Host header outside TRUSTED_HOSTS: no URL can be built for it, so the page has no links.
        return f"<!doctype html><title>{code}</title><h1>{escape(title)}</h1><p>{escape(advice)}</p>", code
    return render_template("errors/error.html", code=code, title=title, advice=advice, detail=detail), code


def _request_ctx_has_no_urls() -> bool:
    from flask.globals import request_ctx

    return request_ctx.url_adapter is None


def register_errorhandlers(app: Flask) -> None:
    """Route every HTTP error and any unexpected exception to the friendly page."""

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        code = exc.code or 500
        if code in (301, 302, 303, 307, 308):
            return exc
        detail = exc.description if code == 409 and isinstance(exc.description, str) else None
        response = make_response(render_error(code, detail))
        for name, value in exc.get_headers():  # keep Allow (405), Retry-After (429) and the like
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return handle_http(exc)
        if _is_busy_database(exc):
            # SQLite refuses a second writer at the same moment: the same answer as any conflict.
            from marketplace.core.extensions import db

            db.session.rollback()
            return render_error(409)
        app.logger.exception("unhandled error on %s", request.path)
        from marketplace.core.extensions import db

        db.session.rollback()
        if app.config.get("PROPAGATE_UNEXPECTED_ERRORS"):
            raise exc
        return render_error(InternalServerError.code)


def _is_busy_database(exc: Exception) -> bool:
    from sqlalchemy.exc import OperationalError

    return isinstance(exc, OperationalError) and "database is locked" in str(exc)
