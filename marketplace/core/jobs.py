"""Background jobs on Redis (RQ): e-mail leaves the request, so a slow or unreachable mail server never
holds a page or a worker. Without REDIS_URL (the demo on SQLite, the tests) an e-mail is sent at once
after the commit, as before; if Redis is set but does not answer, it is sent at once too, and logged.

    flask jobs-worker            # runs the queue (a systemd service next to gunicorn)
"""
from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry, Worker

logger = logging.getLogger(__name__)

QUEUE_NAME = "social-window"
# A mail server that is down for a while: tried again after 1, 5, 15 minutes and 1 and 4 hours.
EMAIL_RETRY = Retry(max=5, interval=[60, 300, 900, 3600, 14400])
# RQ stores the job's dotted path with every queued e-mail: it must stay importable under this name.
EMAIL_JOB = "marketplace.jobs.send_email_job"


def queue() -> Queue | None:
    """The app's job queue, or None when no Redis is configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    state = current_app.extensions.setdefault("social_window_jobs", {})
    if state.get("url") != url:
        name = current_app.config.get("JOBS_QUEUE_NAME", QUEUE_NAME)
        # Short timeouts: a Redis that does not answer must not hold the request any more than SMTP would.
        connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        state.update(url=url, queue=Queue(name, connection=connection, default_timeout=120))
    return state["queue"]


def enqueue_email(payload: dict) -> str:
    """Hand one e-mail (subject, recipients, body) to the queue; returns how: "queued" or "sent"."""
    jobs = queue()
    if jobs is not None:
        try:
            # Bodies can name a family's request: nothing is kept once sent, a failed one a week at most.
            jobs.enqueue(EMAIL_JOB, payload, retry=EMAIL_RETRY, result_ttl=0, failure_ttl=7 * 86400,
                         description="e-mail: " + payload["subject"])
            return "queued"
        except RedisError:
            logger.exception("the job queue does not answer; sending the e-mail at once")
    deliver_email(payload, raise_errors=False)
    return "sent"


def deliver_email(payload: dict, *, raise_errors: bool) -> None:
    from flask_mail import Message

    from marketplace.core.extensions import mail

    app = current_app._get_current_object()
    message = Message(subject=payload["subject"], recipients=payload["recipients"], body=payload["body"])
    if app.config.get("MAIL_SUPPRESS_SEND") and not app.testing:
        if app.config.get("ENV_NAME") == "development":  # the developer reads the reset link here
            app.logger.info("e-mail (not sent, no MAIL_SERVER) to %s: %s\n%s", message.recipients,
                            message.subject, message.body)
        else:  # never copy a family's data into production logs
            app.logger.warning("e-mail not sent (no MAIL_SERVER configured): %s", message.subject)
    try:
        mail.send(message)
    except Exception:
        if raise_errors:
            raise
        app.logger.exception("could not send e-mail to %s", message.recipients)  # the change stays committed


@click.command("jobs-worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
@with_appcontext
def jobs_worker_command(burst: bool) -> None:
    """Run the background job queue (e-mail); needs REDIS_URL."""
    jobs = queue()
    if jobs is None:
        raise click.UsageError("Set REDIS_URL: without it e-mail is sent at once and there is no queue to run.")
    Worker([jobs], connection=jobs.connection).work(burst=burst, with_scheduler=True)
