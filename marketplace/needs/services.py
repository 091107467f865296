"""Need operations and the scopes every list of needs goes through."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, select

from marketplace.core import audit
from marketplace.core.roles import Role
from marketplace.core.scopes import office_scope
from marketplace.accounts.models import AccountStatus, User
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.files import RejectedFile, sniff, store_upload
from marketplace.families.models import Household, HouseholdStatus
from marketplace.core.lifecycle import IllegalTransition, ReasonRequired  # noqa: F401  (re-exported for views)
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.models import (
    OPEN_STATES, PUBLIC_STATES, URGENCY_RANK, Category, MessageKind, Need, NeedItem, NeedMessage, NeedStatus, Urgency,
)
from marketplace.core.roles import has_role, is_admin


class NeedError(ValueError):
    """Something the family must fix in its request, with a message in its language."""


@dataclass
class GoodsLine:
    name: str
    quantity: int
    unit: str | None = None


@dataclass
class NeedData:
    category: Category
    title: str
    description: str
    urgency: Urgency
    deadline: date | None
    money_goal: int | None = None  # KZT minor units
    goods: list[GoodsLine] = field(default_factory=list)
    volunteer_slots: int = 0
    volunteer_hours: float | None = None
    in_home: bool = False  # the volunteer works inside the family's home: vetted adults only


def _check(data: NeedData) -> None:
    if not (data.money_goal or data.goods or data.volunteer_slots):
        raise NeedError(_("Say what it takes: an amount of money, goods, volunteers, or a mix."))
    if data.deadline is not None and data.deadline < date.today():
        raise NeedError(_("The deadline cannot be in the past."))
    if data.volunteer_slots and not data.volunteer_hours:
        raise NeedError(_("Estimate how many hours each volunteer is needed for."))


def create_need(household: Household, data: NeedData, *, actor, form_token: str | None = None) -> Need:
    """A new need of this household, as a draft until the family sends it. A form token already used
    raises IntegrityError at the flush: that form has made its request (see need_from_form)."""
    _check(data)
    need = Need(household=household, office_id=household.office_id, status=NeedStatus.DRAFT, form_token=form_token)
    _apply(need, data)
    db.session.add(need)
    db.session.flush()
    audit.record("need.create", need, actor=actor, to_state=NeedStatus.DRAFT, office_id=need.office_id)
    return need


def need_from_form(household: Household, form_token: str | None) -> Need | None:
    """The request this household's new-request form already made, if it was sent before."""
    if not form_token:
        return None
    return db.session.scalar(select(Need).where(Need.form_token == form_token, Need.household_id == household.id))


def update_need(need: Need, data: NeedData, *, actor) -> None:
    """The family edits its request (only before it is verified)."""
    if need.status not in (NeedStatus.DRAFT, NeedStatus.NEEDS_INFO, NeedStatus.SUBMITTED):
        raise IllegalTransition(_("A verified request cannot be changed. Cancel it and post a new one."),
                                transition="edit", state=need.status)
    _check(data)
    _apply(need, data)
    audit.record("need.update", need, actor=actor, office_id=need.office_id, from_state=need.status,
                 to_state=need.status)


def _apply(need: Need, data: NeedData) -> None:
    need.category, need.title, need.description = data.category, data.title.strip(), data.description.strip()
    need.urgency, need.urgency_rank, need.deadline = data.urgency, URGENCY_RANK[data.urgency], data.deadline
    need.money_goal = data.money_goal or None
    need.volunteer_slots, need.volunteer_hours = data.volunteer_slots or 0, data.volunteer_hours
    need.in_home = bool(data.in_home and need.volunteer_slots)
    need.items = [NeedItem(name=line.name.strip(), quantity=line.quantity, unit=line.unit) for line in data.goods]


def change_status(need: Need, transition: str, *, actor, reason: str | None = None) -> Need:
    """Move a need through its lifecycle; a question or an outcome is kept in its conversation too."""
    NEED_LIFECYCLE.apply(need, transition, actor=actor, reason=reason)
    if transition == "ask_info":
        add_message(need, MessageKind.QUESTION, reason or "", author=actor)
    elif transition == "fulfil":
        add_message(need, MessageKind.NOTE, reason or "", author=actor)
    return need


def add_message(need: Need, kind: MessageKind, body: str, *, author) -> NeedMessage:
    message = NeedMessage(need=need, kind=kind, body=body.strip(), author_id=getattr(author, "id", None))
    db.session.add(message)
    db.session.flush()
    return message


def answer_question(need: Need, body: str, *, actor) -> None:
    """The family answers the office's question and sends the request back."""
    if not body.strip():
        raise NeedError(_("Please write your answer."))
    add_message(need, MessageKind.ANSWER, body, author=actor)
    NEED_LIFECYCLE.apply(need, "resubmit", actor=actor)


def hide_need(need: Need, *, actor, reason: str) -> None:
    """Take a need off public pages (soft, audited, reversible)."""
    if not (reason or "").strip():
        raise ReasonRequired(_("Please give a reason."))
    need.hidden_at, need.hidden_by_id, need.hidden_reason = utcnow(), actor.id, reason.strip()
    need.hidden_by_admin = is_admin(actor)
    audit.record("need.hide", need, actor=actor, office_id=need.office_id, reason=reason, to_state="hidden")


def unhide_need(need: Need, *, actor, reason: str) -> None:
    if not (reason or "").strip():
        raise ReasonRequired(_("Please give a reason."))
    need.hidden_at = need.hidden_by_id = need.hidden_reason = None
    need.hidden_by_admin = False
    audit.record("need.unhide", need, actor=actor, office_id=need.office_id, reason=reason, from_state="hidden",
                 to_state="visible")


# --- scopes: every list of needs goes through one of these ---------------------------------------



def public_needs(stmt: Select | None = None) -> Select:
    """Needs anyone may see: verified (open, under way or fulfilled) needs of verified households,
    not hidden, of families that are not hidden."""
    stmt = stmt if stmt is not None else select(Need)
    return (
        stmt.join(Household, Need.household_id == Household.id)
        .join(User, Household.user_id == User.id)
        .where(Need.status.in_(PUBLIC_STATES), Need.hidden_at.is_(None),
               Household.status == HouseholdStatus.VERIFIED, User.hidden_at.is_(None),
               User.status == AccountStatus.ACTIVE)
    )


def open_needs(stmt: Select | None = None) -> Select:
    """Public needs still waiting for help (the catalogue's default): the needs listed, read from the need's own
    row (`Need.listed`, which needs/listing.py keeps equal to `public_needs()` narrowed to the open states)."""
    stmt = stmt if stmt is not None else select(Need)
    return stmt.where(Need.listed == True)  # noqa: E712  (as written, the term the partial indexes name)


def attach_outcome_photo(need: Need, upload, *, actor) -> None:
    """Keep the photo of what was delivered (re-encoded, location data stripped) as the need's proof for
    the patrons who gave; raises RejectedFile for anything that is not a photo."""
    head = upload.stream.read(16)
    upload.stream.seek(0)
    found = sniff(head)
    if found is None or not found[0].startswith("image/"):
        raise RejectedFile(_("Only a photo (JPEG, PNG or WebP) can be shown as proof of delivery."))
    stored = store_upload(upload, household_id=need.household_id, office_id=need.household.office_id, need_id=need.id,
                          uploaded_by=actor)
    need.outcome_photo_id = stored.id
    audit.record("need.outcome_photo", need, actor=actor, office_id=need.office_id, details={"file_id": stored.id})


def is_public(need: Need) -> bool:
    return bool(
        need.status in PUBLIC_STATES and need.hidden_at is None and need.household.is_verified
        and need.household.user.hidden_at is None and need.household.user.status is AccountStatus.ACTIVE
    )


def needs_visible_to(user, stmt: Select | None = None) -> Select:
    """Every need a user may see in full: a family its own, staff their office's, admins all, others the public ones."""
    def own(stmt: Select) -> Select:
        if has_role(user, Role.FAMILY):
            return stmt.join(Household, Need.household_id == Household.id).where(Household.user_id == user.id)
        return public_needs(stmt)

    return office_scope(user, stmt if stmt is not None else select(Need), Need.office_id, own=own)


def set_task_requirements(need: Need, *, skills, in_home: bool, actor) -> Need:
    """Staff say what the need's volunteer task asks: skills (values the caller checked) and whether it is
    inside the home; audited with the values before and after."""
    skills = sorted(set(skills))
    before = {"skills_before": (need.required_skills or "").split(",") if need.required_skills else [],
              "in_home_before": bool(need.in_home)}
    need.required_skills, need.in_home = ",".join(skills) or None, in_home
    audit.record("need.task_requirements", need, actor=actor, office_id=need.office_id,
                 details={"skills": skills, "in_home": bool(in_home), **before})
    db.session.flush()
    return need
