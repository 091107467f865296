"""The worker's entry point for queued e-mail: RQ stores `marketplace.jobs.send_email_job` with every job,
so this path stays while the queue itself lives in `marketplace.core.jobs`."""
from __future__ import annotations

from flask import has_app_context

from marketplace import create_app
from marketplace.core.jobs import deliver_email


def send_email_job(payload: dict) -> None:
    """Run by the worker; an error makes RQ try again later (EMAIL_RETRY)."""
    if has_app_context():
        deliver_email(payload, raise_errors=True)
        return
    with create_app().app_context():
        deliver_email(payload, raise_errors=True)
