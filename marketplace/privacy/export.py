"""A family's own copy of everything the site holds about it."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.core import audit
from marketplace.core.extensions import db
from marketplace.core.money import MINOR_PER_MAJOR
from marketplace.families.models import ConsentRecord
from marketplace.families.services import household_of
from marketplace.files.models import StoredFile
from marketplace.needs.models import Need


def export_data(user) -> dict[str, Any]:
    """Everything the site holds about a family account, for its own download."""
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
            "settlement": household.settlement, "office": household.office.display_name if household.office else None,
        }
        for need in db.session.scalars(select(Need).where(Need.household_id == household.id).order_by(Need.id)):
            data["needs"].append({
                "id": need.id, "status": need.status.value, "category": need.category.value, "title": need.title,
                "description": need.description, "created_at": need.created_at.isoformat(),
                "money_goal_kzt": (need.money_goal or 0) / MINOR_PER_MAJOR or None,
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
