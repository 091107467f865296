"""Erasure: a family asks, its office carries it out. Records the law requires are kept without the family's
data; everything else is deleted. This module may touch every domain's rows: it is the one place that does."""
from __future__ import annotations

from sqlalchemy import delete, select, update

from marketplace.accounts.lifecycle import ACCOUNT_LIFECYCLE
from marketplace.core import audit
from marketplace.core.audit.models import AuditEntry
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.families.models import ConsentRecord, Household
from marketplace.families.services import get_or_start_household
from marketplace.files import delete_stored
from marketplace.files.models import StoredFile
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.models import BEFORE_FULFILLED, Need, NeedMessage
from marketplace.notifications.models import Notification
from marketplace.pledges.models import Pledge


def request_erasure(user) -> None:
    """The family asks for its account to be erased; its office carries it out (records the law
    requires are kept, the rest is removed)."""
    household = get_or_start_household(user)
    if household.erasure_requested_at is None:
        household.erasure_requested_at = utcnow()
        audit.record("household.erasure_requested", household, actor=user, office_id=household.office_id)


def _close_open_needs(household: Household, *, actor) -> None:
    """Requests not yet met are withdrawn through their lifecycle first, so that what hangs on them is
    settled as for any withdrawal: volunteers' tasks released, pending pledges cancelled, paid money
    returned or moved, every patron and volunteer told (without the family's reason)."""
    for need in db.session.scalars(select(Need).where(Need.household_id == household.id,
                                                      Need.status.in_(BEFORE_FULFILLED))).all():
        NEED_LIFECYCLE.apply(need, "cancel", actor=actor, reason="the family's data was erased")


def _patrons_gave_to(household: Household) -> bool:
    return db.session.scalar(select(Pledge.id).join(Need, Pledge.need_id == Need.id)
                             .where(Need.household_id == household.id).limit(1)) is not None


def _keep_anonymous_shell(household: Household) -> None:
    """Pledges are money records (receipts, refunds still to make by hand): their requests stay, emptied of
    everything about the family; only the title the public saw, the office and the amounts remain."""
    for field in ("other_circumstances", "children_signature", "phone", "phone_digits", "address", "latitude",
                  "longitude", "status_reason", "consent_version"):
        setattr(household, field, None)
    household.adults, household.single_parent, household.disability = 1, False, False
    household.children.clear()
    for need in db.session.scalars(select(Need).where(Need.household_id == household.id)):
        need.description = "—"
        need.status_reason = None
        db.session.execute(delete(NeedMessage).where(NeedMessage.need_id == need.id))


def erase_household(household: Household, *, actor) -> None:
    """Carry out a family's erasure request: files, household, needs and messages are deleted and
    the account is anonymised and disabled. The audit log keeps who did what, without the data."""
    user = household.user
    audit.record("household.erase", household, actor=actor, office_id=household.office_id,
                 details={"note": "erasure_requested" if household.erasure_requested_at else "erased_by_staff"})
    for stored in db.session.scalars(select(StoredFile).where(StoredFile.household_id == household.id)):
        delete_stored(stored)
    anonymous = f"erased user #{user.id}"
    db.session.execute(update(AuditEntry).where(AuditEntry.actor_id == user.id).values(actor_label=anonymous)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(ConsentRecord).where(ConsentRecord.user_id == user.id).values(ip_address=None)
                       .execution_options(synchronize_session=False))
    for notification in db.session.scalars(select(Notification).where(Notification.user_id == user.id)):
        db.session.delete(notification)
    _close_open_needs(household, actor=actor)
    if _patrons_gave_to(household):
        _keep_anonymous_shell(household)
    else:
        db.session.delete(household)
    user.email = f"erased-{user.id}@erased.invalid"
    user.full_name = "—"
    user.phone = None
    user.password_hash = "!erased"
    db.session.flush()
    ACCOUNT_LIFECYCLE.apply(user, "erase", actor=actor)  # disabled, its sessions ended
