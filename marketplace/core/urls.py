"""Links that leave the app's hands: redirects after a form, links in notifications and e-mails."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative tricks."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return None
    return target


def path_for(endpoint: str, **values) -> str | None:
    """A site-relative path for an endpoint, also outside a request (jobs, CLI)."""
    try:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    except Exception:  # an endpoint missing from a stripped-down app
        return None


def absolute(path: str | None) -> str | None:
    """A site path made absolute with PUBLIC_URL, for e-mails and addresses handed to others. Never the request's
    Host: a forged one would put an attacker's site into a password-reset letter."""
    if not path:
        return None
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def external_url(endpoint: str, **values) -> str | None:
    """`url_for(..., _external=True)`, but on PUBLIC_URL, and also outside a request (jobs, CLI)."""
    return absolute(path_for(endpoint, **values))
