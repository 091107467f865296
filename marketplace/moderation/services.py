"""Flags and the soft hiding of users: raised by anyone logged in, handled by the office."""
from __future__ import annotations

from flask_babel import gettext as _
from marketplace.core.scopes import office_scope
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from marketplace.core import audit
from marketplace.core.roles import Role
from marketplace.accounts.models import User
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.core.lifecycle import IllegalTransition, ReasonRequired
from marketplace.moderation.lifecycle import FLAG_LIFECYCLE
from marketplace.moderation.models import Flag, FlagStatus, FlagTarget
from marketplace.families.services import household_of


class FlagError(ValueError):
    """A flag that cannot be raised, with a message for the user."""


def _office_of_target(target_type: FlagTarget, target) -> int | None:
    if target_type is FlagTarget.NEED:
        return target.office_id

    household = household_of(target) if target.role is Role.FAMILY else None
    return household.office_id if household else target.office_id


def create_flag(reporter: User, target_type: FlagTarget, target, reason: str) -> Flag:
    """Raise a flag; a user has at most one open flag per object (the database enforces it)."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise FlagError(_("Please say what is wrong (at least a few words)."))
    if target_type is FlagTarget.USER and target.id == reporter.id:
        raise FlagError(_("You cannot flag yourself."))
    flag = Flag(reporter_id=reporter.id, target_type=target_type, target_id=target.id, reason=reason[:1000],
                office_id=_office_of_target(target_type, target))
    try:
        with db.session.begin_nested():
            db.session.add(flag)
    except IntegrityError as exc:
        raise FlagError(_("You have already flagged this. The office will look at it.")) from exc
    audit.record("flag.create", flag, actor=reporter, office_id=flag.office_id, to_state=FlagStatus.OPEN,
                 details={f"{target_type.value}_id": target.id})
    return flag


def close_flag(flag: Flag, *, actor, resolution: FlagStatus, note: str | None) -> None:
    """Resolve (acted upon) or dismiss (nothing wrong) an open flag."""
    if flag.status is not FlagStatus.OPEN:
        raise FlagError(_("This flag has already been handled."))
    try:
        FLAG_LIFECYCLE.apply(flag, resolution.value, actor=actor, reason=note)
    except IllegalTransition as exc:
        raise FlagError(_("This flag has already been handled.")) from exc


def flag_scope(user, stmt: Select | None = None) -> Select:
    """Flags a user may handle: staff their office's, admins all."""
    return office_scope(user, stmt if stmt is not None else select(Flag), Flag.office_id)


def hide_user(target: User, *, actor, reason: str) -> None:
    """Take a user's needs and profile off public pages (soft, audited, reversible)."""
    if not (reason or "").strip():
        raise ReasonRequired(_("Please give a reason."))
    target.hidden_at, target.hidden_by_id, target.hidden_reason = utcnow(), actor.id, reason.strip()
    audit.record("user.hide", target, actor=actor, reason=reason, to_state="hidden")


def unhide_user(target: User, *, actor, reason: str) -> None:
    if not (reason or "").strip():
        raise ReasonRequired(_("Please give a reason."))
    target.hidden_at = target.hidden_by_id = target.hidden_reason = None
    audit.record("user.unhide", target, actor=actor, reason=reason, from_state="hidden", to_state="visible")
