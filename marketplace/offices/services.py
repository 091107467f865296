"""Office operations and searches; operations flush and audit, the caller commits."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from stdnum import bic, iban

from marketplace import geo

from marketplace.core import audit
from marketplace.accounts.services import is_valid_bin
from marketplace.core.extensions import db
from marketplace.offices.models import Office


@dataclass
class OfficeData:
    """The editable fields of an office, as a form or a CSV row gives them."""

    code: str
    name: str
    region_code: str
    settlement: str
    address: str
    latitude: float
    longitude: float
    phone: str | None = None
    email: str | None = None
    opening_hours: str | None = None
    is_active: bool = True
    name_kk: str | None = None  # None: the Russian name shows on Kazakh pages
    name_en: str | None = None

    def apply_to(self, office: Office) -> list[str]:
        """Copy the values onto `office`; returns the names of the fields that changed."""
        changed = []
        for f in fields(self):
            value = getattr(self, f.name)
            if getattr(office, f.name) != value:
                setattr(office, f.name, value)
                changed.append(f.name)
        return changed


def create_office(data: OfficeData, *, actor=None) -> Office:
    """Add an office and record who added it."""
    office = Office()
    data.apply_to(office)
    db.session.add(office)
    db.session.flush()
    audit.record("office.create", office, actor=actor, to_state="active" if office.is_active else "closed",
                 office_id=office.id)
    return office


def update_office(office: Office, data: OfficeData, *, actor=None) -> list[str]:
    """Change an office; the audit entry lists the changed fields and any open/closed change."""
    was_active = office.is_active
    changed = data.apply_to(office)
    if changed:
        db.session.flush()
        audit.record(
            "office.update", office, actor=actor, office_id=office.id,
            from_state="active" if was_active else "closed", to_state="active" if office.is_active else "closed",
            details={"fields": changed},
        )
    return changed


BANK_FIELDS = ("bank_recipient", "bank_bin", "bank_iban", "bank_name", "bank_bic", "bank_kbe")


MAIN_BANK_FIELDS = ("bank_recipient", "bank_iban", "bank_name", "bank_bic")
BANK_LENGTHS = {"bank_recipient": 200, "bank_name": 200}


def clean_bank_details(raw: Mapping[str, str | None]) -> tuple[dict[str, str | None], dict[str, str]]:
    """Bank details as typed on the admin form or in a CSV row: normalised (the IBAN and BIC without
    spaces and in capitals), and what is wrong with them, by field. All the main ones, or none."""
    typed = {name: " ".join((raw.get(name) or "").split()) for name in BANK_FIELDS}
    details: dict[str, str | None] = {name: value or None for name, value in typed.items()}
    problems: dict[str, str] = {}
    for name, limit in BANK_LENGTHS.items():
        if len(typed[name]) > limit:
            problems[name] = _("At most %(limit)d characters.", limit=limit)
    if typed["bank_iban"]:
        value = iban.compact(typed["bank_iban"])
        if not value.startswith("KZ"):
            problems["bank_iban"] = _("Enter the office's Kazakh account number: it starts with KZ.")
        elif not iban.is_valid(value):
            problems["bank_iban"] = _("This account number is not valid: check every character (it has 20).")
        details["bank_iban"] = value
    if typed["bank_bic"]:
        details["bank_bic"] = value = bic.compact(typed["bank_bic"])
        if not bic.is_valid(value):
            problems["bank_bic"] = _("This BIC is not valid: it has 8 or 11 letters and digits, e.g. HSBKKZKX.")
    if typed["bank_bin"]:
        details["bank_bin"] = value = typed["bank_bin"].replace(" ", "")
        if not is_valid_bin(value):
            problems["bank_bin"] = _("This BIN is not valid: it must be 12 digits with a correct control digit.")
    kbe = typed["bank_kbe"]
    if kbe and not (len(kbe) == 2 and kbe.isascii() and kbe.isdigit()):
        problems["bank_kbe"] = _("The beneficiary code is two digits, e.g. 18.")
    if any(typed.values()):
        for name in MAIN_BANK_FIELDS:
            if not typed[name] and name not in problems:
                problems[name] = _("Fill in all the main bank details, or leave them all empty.")
    return details, problems


def set_bank_details(office: Office, details: dict[str, str | None], *, actor=None) -> list[str]:
    """Set (or clear) the bank details patrons transfer money to; audited with the fields that changed."""
    changed = []
    for name in BANK_FIELDS:
        value = details.get(name) or None
        if getattr(office, name) != value:
            setattr(office, name, value)
            changed.append(name)
    if changed:
        db.session.flush()
        audit.record("office.bank_details", office, actor=actor, office_id=office.id,
                     details={"fields": changed})
    return changed


def find_by_code(code: str) -> Office | None:
    return db.session.scalar(select(Office).where(Office.code == code))


def search_stmt(stmt: Select, *, region_code: str | None = None, text: str | None = None) -> Select:
    """Narrow an office query by region and by a word in the settlement, a name (any language) or address."""
    if region_code:
        stmt = stmt.where(Office.region_code == region_code)
    if text:
        pattern = f"%{text.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(Office.settlement).like(pattern), func.lower(Office.name).like(pattern),
                func.lower(Office.name_kk).like(pattern), func.lower(Office.name_en).like(pattern),
                func.lower(Office.address).like(pattern))
        )
    return stmt


def nearest_offices(stmt: Select, latitude: float, longitude: float, *, limit: int = 5) -> list[tuple[Office, float]]:
    """The offices of `stmt` nearest to a point, with distances in km."""
    return geo.nearby(db.session, stmt, Office.latitude, Office.longitude, latitude, longitude, limit=limit)


def nearest_office(latitude: float, longitude: float) -> Office | None:
    """The nearest open office to a point."""
    found = geo.nearby(db.session, select(Office).where(Office.is_active.is_(True)), Office.latitude,
                       Office.longitude, latitude, longitude, limit=1)
    return found[0][0] if found else None
