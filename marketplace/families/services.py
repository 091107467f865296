"""Household operations: fill in, consent, verification, duplicates (export and erasure are in privacy/)."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace import geo

from marketplace.core import audit
from marketplace.core.dbtypes import utcnow
from marketplace.core.i18n import format_month
from marketplace.core.extensions import db
from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
from marketplace.families.signals import office_changed
from marketplace.families.models import Child, ConsentRecord, Household, HouseholdStatus
from marketplace.geo.names import normalise
from marketplace.offices.models import Office
from marketplace.offices.services import nearest_office
from marketplace.files.models import StoredFile

CONSENT_VERSION = "2026-11"
# How close two households' exact points must be to look like one address.
SAME_ADDRESS_KM = 0.3
SIMILAR_NAME_RATIO = 0.8
# Common signatures (one child born in 2015) match thousands: look at the most recent ones only.
DUPLICATE_CANDIDATES = 200


def consent_month(version: str | None) -> str:
    """A consent text's version ("2026-11", the month it was written) as people say it: "ноября 2026"."""
    found = re.fullmatch(r"(\d{4})-(\d{2})", version or "")
    if not found or not 1 <= int(found[2]) <= 12:
        return version or ""
    return format_month(date(int(found[1]), int(found[2]), 1))


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
                     details={"fields": changed})
        significant = {"address", "children", "adults", "office_id", "phone"} & set(changed)
        if household.status is HouseholdStatus.VERIFIED and significant:
            HOUSEHOLD_LIFECYCLE.apply(household, "reopen", actor=actor, details={"fields": sorted(significant)})
    return changed


def transfer_cases(household: Household, from_office_id: int | None, *, actor) -> None:
    """The family now belongs to another office: the domains that keep rows per office (its requests, the
    flags about it, and through the requests the claims and pledges) move them there, so that only the new
    office's staff see and decide them."""
    office_changed.send(household, from_office_id=from_office_id, office_id=household.office_id, actor=actor)


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
    audit.record("household.consent", household, actor=user, office_id=household.office_id,
                 details={"consent_version": CONSENT_VERSION})
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


def read_personal(household: Household, reader, *, purpose: str, **about: int) -> Household:
    """Hand out a household's personal data; every reader but the family itself is audited, with the purpose
    (a key of `families.audit_labels.READ_PURPOSES`) and the ids of what it was for (`claim_id=...`)."""
    if getattr(reader, "id", None) != household.user_id:
        audit.record("household.read_personal", household, actor=reader, office_id=household.office_id,
                     details={"purpose": purpose, **about})
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
