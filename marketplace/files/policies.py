"""Who may open a stored file beyond its household's readers ("file.read": the family, its office, admins)."""
from __future__ import annotations

from sqlalchemy import and_, or_, select

from marketplace.core.authz import policy
from marketplace.core.extensions import db
from marketplace.core.roles import is_authenticated


@policy("file.read_outcome")
def can_read_outcome_photo(user, stored) -> bool:
    """A need's proof of delivery, and only that file of it, for the patrons whose gift reached the need:
    money paid (spent on it, or moved on to a similar request after it was paid) or goods received. A
    pledge still open, cancelled or given back does not open it; evidence never does."""
    if stored is None or stored.need_id is None or not is_authenticated(user):
        return False
    from marketplace.needs.models import Need
    from marketplace.pledges.models import Pledge, PledgeKind, PledgeStatus as S

    need = db.session.get(Need, stored.need_id)
    if need is None or need.outcome_photo_id != stored.id:
        return False
    gave = or_(and_(Pledge.kind == PledgeKind.MONEY, Pledge.status.in_((S.PAID, S.DELIVERED, S.REDIRECTED))),
               and_(Pledge.kind == PledgeKind.GOODS, Pledge.status == S.DELIVERED))
    return db.session.scalar(
        select(Pledge.id).where(Pledge.need_id == need.id, Pledge.patron_id == user.id, gave).limit(1)
    ) is not None
