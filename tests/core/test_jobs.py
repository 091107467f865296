"""With REDIS_URL set, e-mail goes through the RQ queue: the request only enqueues (after commit), a
worker delivers, a mail server that fails is tried again later, and a Redis that does not answer
makes the e-mail go out at once instead of being lost. Real Redis (TEST_REDIS_URL, which CI sets)."""
from __future__ import annotations

import os
import uuid

import pytest
from rq import SimpleWorker
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry

from marketplace.core import jobs
from marketplace.needs.services import change_status
from tests.notifications.test_notifications import submitted_need  # noqa: F401  (the fixture)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="set TEST_REDIS_URL (CI does) to test the job queue")


@pytest.fixture
def job_queue(app, monkeypatch):
    """The app on Redis, with a queue of its own for this test (removed afterwards)."""
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "JOBS_QUEUE_NAME", f"sw-test-{uuid.uuid4().hex[:8]}")
    app.extensions.pop("social_window_jobs", None)
    with app.app_context():
        queue = jobs.queue()
        yield queue
        scheduled = ScheduledJobRegistry(queue=queue)
        for job_id in scheduled.get_job_ids():
            scheduled.remove(job_id, delete_job=True)
        queue.delete(delete_jobs=True)
        for key in queue.connection.scan_iter(f"rq:*:{queue.name}"):  # its registries
            queue.connection.delete(key)
    app.extensions.pop("social_window_jobs", None)


def run_worker(queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_the_request_enqueues_after_commit_and_the_worker_delivers(db_session, outbox, job_queue, submitted_need,
                                                                     staff_user, family_user):
    change_status(submitted_need, "verify", actor=staff_user)
    assert job_queue.count == 0, "nothing leaves before the commit"
    db_session.commit()
    assert job_queue.count == 1 and outbox == [], "the request only enqueues; no SMTP inside it"
    run_worker(job_queue)
    [email] = outbox
    assert email.recipients == [family_user.email] and "Зимние куртки" in email.body
    assert job_queue.count == 0


def test_a_rolled_back_change_enqueues_nothing(db_session, outbox, job_queue, submitted_need, staff_user):
    change_status(submitted_need, "verify", actor=staff_user)
    db_session.rollback()
    db_session.commit()
    assert job_queue.count == 0 and outbox == []


def test_a_failing_mail_server_is_tried_again_later(db_session, outbox, job_queue, submitted_need, staff_user,
                                                   monkeypatch):
    from marketplace.core.extensions import mail

    change_status(submitted_need, "verify", actor=staff_user)
    db_session.commit()
    [job] = job_queue.get_jobs()

    def down(message):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(mail, "send", down)
    run_worker(job_queue)
    job.refresh()
    assert job.get_status() == JobStatus.SCHEDULED  # waits for its next try (a minute later)
    assert job.retries_left == jobs.EMAIL_RETRY.max - 1
    assert job.id in ScheduledJobRegistry(queue=job_queue).get_job_ids()
    assert outbox == []


def test_without_an_answer_from_redis_the_email_goes_out_at_once(app, db_session, outbox, submitted_need,
                                                                  staff_user, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    app.extensions.pop("social_window_jobs", None)
    try:
        change_status(submitted_need, "verify", actor=staff_user)
        db_session.commit()
    finally:
        app.extensions.pop("social_window_jobs", None)
    assert len(outbox) == 1


def test_the_worker_command_refuses_to_run_without_redis(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    result = app.test_cli_runner().invoke(args=["jobs-worker", "--burst"])
    assert result.exit_code != 0 and "Set REDIS_URL" in result.output
