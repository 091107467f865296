"""Household operations: fill in, consent, verification, duplicates, export and erasure."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from marketplace import geo

from marketplace.core import audit
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
from marketplace.core.lifecycle import signals
from marketplace.families.models import Child, ConsentRecord, Household, HouseholdStatus
from marketplace.geo.names import normalise
from marketplace.offices.models import Office

CONSENT_VERSION = "2026-11"
needs_transferred = signals.signal("household.needs_transferred")
# How close two households' exact points must be to look like one address.
SAME_ADDRESS_KM = 0.3
SIMILAR_NAME_RATIO = 0.8
# Common signatures (one child born in 2015) match thousands: look at the most recent ones only.
DUPLICATE_CANDIDATES = 200


class HouseholdError(ValueError):
    """Something the family must fix, with a message in its language."""


def household_of(user) -> Household | None:
    return db.session.scalar(select(Household).where(Household.user_id == user.id))


def get_or_start_household(user) -> Household:
    """The family's household, started as a draft the first time."""
    household = household_of(user)
    if household is None:
        household = Household(user_id=user.id, status=HouseholdStatus.DRAFT, phone=user.phone,
                               phone_digits=phone_digits(user.phone))
        db.session.add(household)
        db.session.flush()
        audit.record("household.create", household, actor=user, to_state=HouseholdStatus.DRAFT)
    return household


def phone_digits(phone: str | None) -> str | None:
    """The last ten digits of a phone number (+7 701 … and 8 701 … are the same number)."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 10 else (digits or None)


@dataclass
class HouseholdData:
    adults: int
    children_birth_years: list[int]
    single_parent: bool
    disability: bool
    other_circumstances: str | None
    phone: str
    address: str
    office_id: int | None = None  # None: the nearest office


def nearest_office(latitude: float, longitude: float) -> Office | None:
    """The nearest open office to a point."""
    found = geo.nearby(db.session, select(Office).where(Office.is_active.is_(True)), Office.latitude,
                       Office.longitude, latitude, longitude, limit=1)
    return found[0][0] if found else None


def save_household(household: Household, data: HouseholdData, *, actor) -> list[str]:
    """Store the family's answers; geocodes the address (private) and derives the coarse public point.

    A verified household whose address or members change goes back to the office for verification.
    """
    place = geo.geocode(data.address)
    if place is None:
        raise HouseholdError(_("We could not find this address. Write the settlement first, e.g. “Талгар, ул. Абая 5”."))
    this_year = date.today().year
    for year in data.children_birth_years:
        if not (this_year - 30 <= year <= this_year):
            raise HouseholdError(_("A birth year must be between %(a)d and %(b)d.", a=this_year - 30, b=this_year))
    office_id = data.office_id
    if office_id is None:
        office = nearest_office(place.latitude, place.longitude)
        office_id = office.id if office else None
    elif db.session.get(Office, office_id) is None:
        raise HouseholdError(_("Please choose an office from the list."))
    public_lat, public_lon = geo.coarse_point(place.latitude, place.longitude)
    signature = ",".join(str(y) for y in sorted(data.children_birth_years)) or None
    new_values = {
        "adults": data.adults, "single_parent": data.single_parent, "disability": data.disability,
        "other_circumstances": (data.other_circumstances or "").strip() or None, "phone": data.phone.strip(),
        "phone_digits": phone_digits(data.phone), "address": data.address.strip(), "latitude": place.latitude,
        "longitude": place.longitude, "settlement": place.settlement, "region_code": place.region_code,
        "public_latitude": public_lat, "public_longitude": public_lon, "office_id": office_id,
        "children_signature": signature,
    }
    changed = [name for name, value in new_values.items() if getattr(household, name) != value]
    previous_office_id = household.office_id
    for name in changed:
        setattr(household, name, new_values[name])
    if "office_id" in changed and household.id is not None:
        transfer_cases(household, previous_office_id, actor=actor)
    if sorted(c.birth_year for c in household.children) != sorted(data.children_birth_years):
        household.children = [Child(birth_year=year) for year in sorted(data.children_birth_years)]
        changed.append("children")
    if changed:
        # Field names only: the log must not become a second copy of the family's data.
        audit.record("household.update", household, actor=actor, office_id=household.office_id,
                     reason="changed: " + ", ".join(changed))
        significant = {"address", "children", "adults", "office_id", "phone"} & set(changed)
        if household.status is HouseholdStatus.VERIFIED and significant:
            HOUSEHOLD_LIFECYCLE.apply(household, "reopen", actor=actor, reason="changed: " + ", ".join(sorted(significant)))
    return changed


def transfer_cases(household: Household, from_office_id: int | None, *, actor) -> None:
    """The family now belongs to another office: its unfinished requests and the open flags about
    it move there too, so that only the new office's staff see and decide them."""
    from marketplace.moderation.models import Flag, FlagStatus, FlagTarget
    from marketplace.needs.models import Need, NeedStatus

    finished = (NeedStatus.CLOSED, NeedStatus.CANCELLED, NeedStatus.EXPIRED, NeedStatus.REJECTED)
    needs = db.session.scalars(
        select(Need).where(Need.household_id == household.id, Need.status.not_in(finished))
    ).all()
    for need in needs:
        need.office_id = household.office_id
        audit.record("need.transfer", need, actor=actor, office_id=household.office_id,
                     from_state=str(from_office_id) if from_office_id else None, to_state=str(household.office_id),
                     reason="the family changed its office")
    need_ids = list(db.session.scalars(select(Need.id).where(Need.household_id == household.id)))
    flags = db.session.scalars(select(Flag).where(Flag.status == FlagStatus.OPEN, (
        ((Flag.target_type == FlagTarget.USER) & (Flag.target_id == household.user_id))
        | ((Flag.target_type == FlagTarget.NEED) & Flag.target_id.in_(need_ids or [-1]))
    ))).all()
    for flag in flags:
        flag.office_id = household.office_id
    # Other domains (volunteer claims, pledges) move what they keep per office.
    needs_transferred.send(household, needs=needs, office_id=household.office_id)


def record_consent(user, *, text_shown: str, locale: str) -> ConsentRecord:
    """Write down the family's consent to the processing of its personal data."""
    record = ConsentRecord(
        user_id=user.id, version=CONSENT_VERSION, text_shown=text_shown, locale=locale,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(record)
    household = get_or_start_household(user)
    household.consent_given_at, household.consent_version = utcnow(), CONSENT_VERSION
    db.session.flush()
    audit.record("household.consent", household, actor=user, office_id=household.office_id, reason=CONSENT_VERSION)
    return record


def missing_before_submit(household: Household) -> list[str]:
    """What the family still has to do before the office can verify it (in its language)."""
    missing = []
    if household.consent_given_at is None:
        missing.append(_("Give your consent to the processing of personal data."))
    if not household.address or household.latitude is None:
        missing.append(_("Fill in your address."))
    if not household.phone:
        missing.append(_("Fill in a phone number."))
    if not household.children:
        missing.append(_("Add your children's birth years."))
    if household.office_id is None:
        missing.append(_("Choose the office that serves you."))
    from marketplace.files.models import StoredFile

    has_evidence = db.session.scalar(
        select(StoredFile.id).where(StoredFile.household_id == household.id, StoredFile.need_id.is_(None)).limit(1)
    )
    if not has_evidence:
        missing.append(_("Upload a document that proves your situation (e.g. a large-family certificate)."))
    return missing


def submit_household(household: Household, *, actor) -> None:
    """Send the household to its office for verification (first time, after a question, or after changes)."""
    missing = missing_before_submit(household)
    if missing:
        raise HouseholdError(" ".join(missing))
    name = "resubmit" if household.status is HouseholdStatus.NEEDS_INFO else "submit"
    HOUSEHOLD_LIFECYCLE.apply(household, name, actor=actor)


def read_personal(household: Household, reader, *, purpose: str) -> Household:
    """Hand out a household's personal data; every reader but the family itself is audited."""
    if getattr(reader, "id", None) != household.user_id:
        audit.record("household.read_personal", household, actor=reader, office_id=household.office_id,
                     reason=purpose)
    return household


@dataclass(frozen=True)
class PossibleDuplicate:
    household: Household
    reasons: tuple[str, ...]


def _similar(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    a, b = normalise(a), normalise(b)
    return difflib.SequenceMatcher(None, a, b).ratio() >= SIMILAR_NAME_RATIO


def possible_duplicates(household: Household) -> list[PossibleDuplicate]:
    """Households in any office that may be this one: the same phone, or the same children's birth
    years with a similar name or a nearby address. Each candidate query uses an index."""
    found: dict[int, set[str]] = {}
    if household.phone_digits:
        for other in db.session.scalars(
            select(Household).where(Household.phone_digits == household.phone_digits, Household.id != household.id)
        ):
            found.setdefault(other.id, set()).add("phone")
    if household.children_signature:
        for other in db.session.scalars(
            select(Household).options(joinedload(Household.user))
            .where(Household.children_signature == household.children_signature, Household.id != household.id)
            .limit(DUPLICATE_CANDIDATES)
        ):
            if _similar(other.user.full_name, household.user.full_name):
                found.setdefault(other.id, set()).add("children_and_name")
            if (household.latitude is not None and other.latitude is not None and geo.distance_km(
                    household.latitude, household.longitude, other.latitude, other.longitude) <= SAME_ADDRESS_KM):
                found.setdefault(other.id, set()).add("children_and_address")
    households = {h.id: h for h in db.session.scalars(
        select(Household).options(joinedload(Household.user), joinedload(Household.office))
        .where(Household.id.in_(found)))} if found else {}
    return [PossibleDuplicate(households[i], tuple(sorted(r))) for i, r in sorted(found.items())]


def export_data(user) -> dict[str, Any]:
    """Everything the site holds about a family account, for its own download."""
    from marketplace.files.models import StoredFile
    from marketplace.needs.models import Need

    household = household_of(user)
    data: dict[str, Any] = {
        "account": {"email": user.email, "full_name": user.full_name, "phone": user.phone, "locale": user.locale,
                    "created_at": user.created_at.isoformat()},
        "consents": [
            {"version": c.version, "given_at": c.given_at.isoformat(), "locale": c.locale, "text": c.text_shown}
            for c in db.session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == user.id))
        ],
        "household": None,
        "needs": [],
        "files": [],
    }
    if household is not None:
        data["household"] = {
            "status": household.status.value, "adults": household.adults,
            "children_birth_years": [c.birth_year for c in household.children],
            "single_parent": household.single_parent, "disability": household.disability,
            "other_circumstances": household.other_circumstances, "phone": household.phone,
            "address": household.address, "latitude": household.latitude, "longitude": household.longitude,
            "settlement": household.settlement, "office": household.office.name if household.office else None,
        }
        for need in db.session.scalars(select(Need).where(Need.household_id == household.id).order_by(Need.id)):
            data["needs"].append({
                "id": need.id, "status": need.status.value, "category": need.category.value, "title": need.title,
                "description": need.description, "created_at": need.created_at.isoformat(),
                "money_goal_kzt": (need.money_goal or 0) / 100 or None,
                "items": [{"name": i.name, "quantity": i.quantity} for i in need.items],
                "volunteer_slots": need.volunteer_slots,
                "messages": [{"kind": m.kind.value, "body": m.body, "at": m.created_at.isoformat()}
                             for m in need.messages],
            })
        data["files"] = [
            {"name": f.original_name, "type": f.content_type, "size": f.size, "uploaded_at": f.created_at.isoformat()}
            for f in db.session.scalars(select(StoredFile).where(StoredFile.household_id == household.id))
        ]
    audit.record("household.export", household or user, actor=user,
                 office_id=household.office_id if household else None)
    return data


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
    from marketplace.needs.lifecycle import NEED_LIFECYCLE
    from marketplace.needs.models import BEFORE_FULFILLED
    from marketplace.needs.models import Need

    for need in db.session.scalars(select(Need).where(Need.household_id == household.id,
                                                      Need.status.in_(BEFORE_FULFILLED))).all():
        NEED_LIFECYCLE.apply(need, "cancel", actor=actor, reason="the family's data was erased")


def _patrons_gave_to(household: Household) -> bool:
    from marketplace.needs.models import Need
    from marketplace.pledges.models import Pledge

    return db.session.scalar(select(Pledge.id).join(Need, Pledge.need_id == Need.id)
                             .where(Need.household_id == household.id).limit(1)) is not None


def _keep_anonymous_shell(household: Household) -> None:
    """Pledges are money records (receipts, refunds still to make by hand): their requests stay, emptied of
    everything about the family; only the title the public saw, the office and the amounts remain."""
    from marketplace.needs.models import Need, NeedMessage

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
    from marketplace.accounts.models import AccountStatus
    from marketplace.accounts.sessions import revoke_all_sessions
    from marketplace.files import delete_stored
    from marketplace.files.models import StoredFile

    user = household.user
    audit.record("household.erase", household, actor=actor, office_id=household.office_id,
                 reason="erasure requested" if household.erasure_requested_at else "erased by staff")
    for stored in db.session.scalars(select(StoredFile).where(StoredFile.household_id == household.id)):
        delete_stored(stored)
    from marketplace.core.audit.models import AuditEntry
    from marketplace.notifications.models import Notification

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
    revoke_all_sessions(user)
    user.email = f"erased-{user.id}@erased.invalid"
    user.full_name = "—"
    user.phone = None
    user.password_hash = "!erased"
    user.status = AccountStatus.DISABLED
    user.status_reason = "erased"
    db.session.flush()
