"""Pages of the notifications domain: my notifications, opening one, marking them all as read."""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.urls import safe_next
from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.notifications import render_message, services
from marketplace.notifications.models import Notification
from marketplace.notifications.queries import notifications_of, unread_count

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PER_PAGE = 20


@bp.app_context_processor
def notification_helpers() -> dict:
    """`unread_notifications(current_user)` in every template (the header badge); it queries only when called."""
    return {"unread_notifications": unread_count, "render_message": render_message}


def notification_text(notification: Notification) -> str:
    """The notification in the reader's language; a kind this build no longer knows still shows something."""
    try:
        return render_message(notification.kind, notification.params or {})
    except (KeyError, TypeError, ValueError):
        current_app.logger.warning("cannot render notification %s of kind %r", notification.id, notification.kind)
        return _("There is an update on Social Window.")


def local_target(link: str | None) -> str | None:
    """Where opening a notification may lead: a path on this site, never another site.

    Links are stored as paths; an absolute one (an older row) is accepted only for this site's host (PUBLIC_URL
    or the request's) and followed as a path, the rest must pass `safe_next`.
    """
    if not link:
        return None
    parts = urlsplit(link.strip())
    if parts.scheme or parts.netloc:
        own_hosts = {request.host, current_app.config.get("SERVER_NAME"),
                     urlsplit(current_app.config["PUBLIC_URL"]).netloc} - {None, ""}
        if parts.scheme not in ("http", "https") or parts.netloc not in own_hosts:
            return None
        link = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return safe_next(link)


@bp.route("/")
@login_required
def index():
    """My notifications, newest first, each in the language of the page."""
    page = db.paginate(notifications_of(current_user), per_page=PER_PAGE, error_out=False)
    items = [(n, notification_text(n)) for n in page.items]
    return render_template("notifications/index.html", page=page, items=items, unread=unread_count(current_user))


@bp.route("/<int:notification_id>", endpoint="open")
@login_required
def open_notification(notification_id: int):
    """Mark a notification as read and go to what it is about (a GET, so that it works as a plain link)."""
    notification = db.session.get(Notification, notification_id) or abort(404)
    authorize("notification.read_own", notification)
    if services.mark_read(notification):
        db.session.commit()
    return redirect(local_target(notification.link) or url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read():
    """Mark every one of my unread notifications as read."""
    authorize("notification.read_own", None)
    marked = services.mark_all_read(current_user)
    db.session.commit()
    if marked:
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))
