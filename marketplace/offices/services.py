"""Office operations and searches; operations flush and audit, the caller commits."""
from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import Select, func, or_, select

from marketplace import audit, geo
from marketplace.extensions import db
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
            reason="changed: " + ", ".join(changed),
        )
    return changed


BANK_FIELDS = ("bank_recipient", "bank_bin", "bank_iban", "bank_name", "bank_bic", "bank_kbe")


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
                     reason="changed: " + ", ".join(changed))
    return changed


def find_by_code(code: str) -> Office | None:
    return db.session.scalar(select(Office).where(Office.code == code))


def search_stmt(stmt: Select, *, region_code: str | None = None, text: str | None = None) -> Select:
    """Narrow an office query by region and by a word in the settlement, name or address."""
    if region_code:
        stmt = stmt.where(Office.region_code == region_code)
    if text:
        pattern = f"%{text.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(Office.settlement).like(pattern), func.lower(Office.name).like(pattern),
                func.lower(Office.address).like(pattern))
        )
    return stmt


def nearest_offices(stmt: Select, latitude: float, longitude: float, *, limit: int = 5) -> list[tuple[Office, float]]:
    """The offices of `stmt` nearest to a point, with distances in km."""
    return geo.nearby(db.session, stmt, Office.latitude, Office.longitude, latitude, longitude, limit=limit)
