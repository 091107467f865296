"""Who may pledge, see pledges, and act on them; and who, having given, may see a need's proof of delivery."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.core.authz import policy
from marketplace.core.extensions import db
from marketplace.core.roles import Role, has_role, is_admin, is_authenticated, works_for
from marketplace.needs.models import Need
from marketplace.pledges.models import Pledge
from marketplace.pledges.queries import reached_need


@policy("pledge.create")
def can_pledge(user, need) -> bool:
    """Patrons pledge; the pledge service checks the need is open and what is still missing."""
    return need is not None and has_role(user, Role.PATRON)


@policy("pledge.view")
def can_view_pledge(user, pledge) -> bool:
    """The patron, the office's staff and admins; the family sees goods pledged to it on its own pages."""
    return pledge is not None and is_authenticated(user) and (
        pledge.patron_id == user.id or works_for(user, pledge.office_id))


@policy("pledge.cancel")
def can_cancel_pledge(user, pledge) -> bool:
    return pledge is not None and is_authenticated(user) and (
        pledge.patron_id == user.id or works_for(user, pledge.office_id))


@policy("pledge.staff")
def can_handle_pledges(user, office_id) -> bool:
    """Confirm transfers, goods received and refunds for one office."""
    return works_for(user, office_id)


@policy("pledge.confirm_goods")
def can_confirm_goods(user, pledge) -> bool:
    """The office, or the family that received the goods."""
    if pledge is None:
        return False
    family = is_authenticated(user) and pledge.need.household.user_id == user.id
    return family or works_for(user, pledge.office_id)


@policy("payment.webhook")
def signed_by_provider(_user, event) -> bool:
    """Stripe is no user: a webhook is allowed once its signature over the raw body checked out."""
    return event is not None


@policy("patron.profile")
def can_keep_patron_profile(user, profile=None) -> bool:
    """A patron keeps their own home point (`profile` None: the one they are about to make); admins too."""
    own = profile is None or profile.user_id == getattr(user, "id", None)
    return (has_role(user, Role.PATRON) and own) or is_admin(user)


@policy("file.read_outcome")
def can_read_outcome_photo(user, stored) -> bool:
    """A need's proof of delivery, and only that file of it, for the patrons whose gift reached the need:
    money paid (spent on it, or moved on to a similar request after it was paid) or goods received. A
    pledge still open, cancelled or given back does not open it; evidence never does."""
    if stored is None or stored.need_id is None or not is_authenticated(user):
        return False
    need = db.session.get(Need, stored.need_id)
    if need is None or need.outcome_photo_id != stored.id:
        return False
    return db.session.scalar(
        select(Pledge.id).where(Pledge.need_id == need.id, Pledge.patron_id == user.id, reached_need()).limit(1)
    ) is not None
