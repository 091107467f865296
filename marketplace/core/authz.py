"""Authorization: deny by default, one registry of policy predicates, one `authorize()`.

Each domain registers its predicates in its own `policies.py` with `@policy("domain.action")`.
A view calls `authorize("domain.action", obj)` before it changes anything; an action nobody
registered is denied. The request marks itself as authorized, so that a test (and a warning
in the log) can catch any data-changing route that forgot to ask.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from urllib.parse import urlsplit

from flask import abort, current_app, g, request, url_for
from flask_login import current_user

Predicate = Callable[[Any, Any], bool]
_POLICIES: dict[str, Predicate] = {}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def policy(action: str) -> Callable[[Predicate], Predicate]:
    """Register the predicate that decides `action`; one predicate per action."""

    def register(predicate: Predicate) -> Predicate:
        if action in _POLICIES and _POLICIES[action] is not predicate:
            raise ValueError(f"policy {action!r} registered twice")
        _POLICIES[action] = predicate
        return predicate

    return register


def can(user: Any, action: str, obj: Any = None) -> bool:
    """Whether `user` may do `action` (on `obj`); unknown actions are denied."""
    predicate = _POLICIES.get(action)
    if predicate is None:
        return False
    return bool(predicate(user, obj))


def authorize(action: str, obj: Any = None) -> None:
    """Answer 403 unless the current user may do `action`; marks the request as checked."""
    g.authorized_actions = getattr(g, "authorized_actions", []) + [action]
    if not can(current_user, action, obj):
        abort(403)


def registered_actions() -> frozenset[str]:
    """Every action that has a policy (for tests and the admin overview)."""
    return frozenset(_POLICIES)


def check_request_was_authorized(response):
    """After a data-changing request that succeeded without asking `authorize()`, complain."""
    sent_to_login = response.status_code in (301, 302, 303) and current_user.is_anonymous and (
        urlsplit(response.headers.get("Location", "")).path == url_for(current_app.login_manager.login_view)
    )
    if request.method in UNSAFE_METHODS and response.status_code < 400 and not sent_to_login and not getattr(
        g, "authorized_actions", None
    ):
        if request.endpoint not in current_app.config.get("AUTHZ_EXEMPT_ENDPOINTS", ()):
            current_app.logger.error("unauthorized data-changing request to %s", request.endpoint)
            g.unauthorized_change = True
    return response
