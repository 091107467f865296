"""E-mail to users in their own language, sent only after the change that caused it commits."""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Message
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.core.extensions import db
from marketplace.core.urls import absolute

_OUTBOX = "social_window_outbox"

# kind -> (subject, text with %(name)s placeholders); each domain registers its own kinds.
MESSAGES: dict[str, tuple[object, object]] = {}


def register_message(kind: str, subject, text) -> None:
    """Declare a kind of notification with its (lazy_gettext) subject and text."""
    MESSAGES[kind] = (subject, text)


def render_message(kind: str, params: dict) -> str:
    """A notification's text in the current language; a reason the site wrote itself ("the card checkout
    expired unpaid") is told in that language too, one a person typed is shown as typed."""
    from marketplace.core.audit.words import reason_words

    _subject, text = MESSAGES[kind]
    if params.get("reason"):
        params = {**params, "reason": reason_words(params["reason"])}
    return str(text) % params


def notify(user, kind: str, *, params: dict | None = None, link: str | None = None, email: bool = True):
    """Tell a user about a change that concerns them: in the app, and by e-mail after commit."""
    from marketplace.notifications.models import Notification

    params = dict(params or {})
    notification = Notification(user_id=user.id, kind=kind, params=params, link=link)
    db.session.add(notification)
    if email and user.email and not user.email.endswith(".invalid"):
        subject, _text = MESSAGES[kind]
        queue_email(user, subject, "notification", kind=kind, params=params, link=absolute(link))
    return notification


def queue_email(recipient, subject, template: str, **context) -> None:
    """Render `templates/email/<template>.txt` in the recipient's language; send after commit."""
    locale = getattr(recipient, "locale", None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        body = render_template(f"email/{template}.txt", recipient=recipient, **context)
        subject_text = str(subject)  # a lazy_gettext string, rendered in the recipient's language
    message = Message(subject=subject_text, recipients=[recipient.email], body=body)
    session = db.session()
    # Remember the (nested) transaction that queued it: a rolled-back savepoint takes its e-mails along.
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_OUTBOX, []).append((transaction, message))


def discard_queued_email() -> None:
    """Forget the e-mails queued in this transaction (demo data for made-up addresses)."""
    db.session().info.pop(_OUTBOX, None)


def _deliver(message: Message) -> None:
    """To the job queue when there is one (REDIS_URL), else sent now; never undoes the committed change."""
    from marketplace.core.jobs import enqueue_email

    enqueue_email({"subject": message.subject, "recipients": list(message.recipients), "body": message.body})


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: what it queued waits for the outer commit, which may still fail
    outbox = session.info.pop(_OUTBOX, None)
    for _transaction, message in outbox or ():
        _deliver(message)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(_OUTBOX, None)
    elif session.info.get(_OUTBOX):  # a savepoint rolled back: drop what was queued inside it
        session.info[_OUTBOX] = [
            (t, m) for t, m in session.info[_OUTBOX] if not _within(t, previous_transaction)
        ]


def _within(transaction, ancestor) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
