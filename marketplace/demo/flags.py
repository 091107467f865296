"""A demo flag: a patron reported a request of the Almaty office, so that staff@ find something under Flags."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.core.extensions import db
from marketplace.moderation.models import Flag, FlagTarget
from marketplace.moderation.services import create_flag
from marketplace.needs.models import Need, NeedStatus
from marketplace.offices.models import Office

REPORTER, OFFICE = "patron@demo.social-window.kz", "ALA-01"


def seed_demo_flags() -> int:
    """One open flag on an open request of the Almaty office (skipped once any flag exists); returns how many."""
    if db.session.scalar(select(Flag.id).limit(1)) is not None:
        return 0
    reporter = db.session.scalar(select(User).where(User.email == REPORTER))
    need = db.session.scalar(select(Need).join(Office, Need.office_id == Office.id).where(
        Office.code == OFFICE, Need.status == NeedStatus.VERIFIED, Need.hidden_at.is_(None)).order_by(Need.id))
    if reporter is None or need is None:
        return 0
    create_flag(reporter, FlagTarget.NEED, need,
                "В описании, кажется, названа школа детей — может быть, её лучше убрать со страницы?")
    return 1
