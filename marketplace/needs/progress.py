"""Whether a need's help is fully promised, read from the database, and the need's status kept in step:
everything promised (money paid, goods pledged, every volunteer place taken) → in progress; something
free again (a pledge cancelled, a place given back) → open again."""
from __future__ import annotations

from sqlalchemy import func, select

from marketplace.core.extensions import db
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.models import Need, NeedItem, NeedStatus


def is_covered(need: Need) -> bool:
    """Money raised up to the goal, every goods line pledged in full, every volunteer place taken."""
    money, slots, filled = db.session.execute(
        select(Need.money_raised >= func.coalesce(Need.money_goal, 0),
               Need.volunteer_slots, Need.slots_filled).where(Need.id == need.id)).one()
    goods_missing = db.session.scalar(
        select(func.count()).select_from(NeedItem)
        .where(NeedItem.need_id == need.id, NeedItem.quantity_pledged < NeedItem.quantity))
    return bool(money) and filled >= slots and not goods_missing


def sync_progress(need: Need) -> None:
    """Start or reopen the need to match what is promised; a need asking for nothing stays as it is."""
    if not (need.money_goal or need.volunteer_slots or need.items):
        return
    # Two requests completing the last two parts at once would each see the other's part missing and
    # neither would start the need: the need's row lock makes the second read after the first commits.
    db.session.execute(select(Need.id).where(Need.id == need.id).with_for_update(key_share=True))
    if need.status is NeedStatus.VERIFIED and is_covered(need):
        NEED_LIFECYCLE.apply(need, "start", actor=None, reason="everything asked for is promised")
    elif need.status is NeedStatus.IN_PROGRESS and not is_covered(need):
        NEED_LIFECYCLE.apply(need, "reopen", actor=None, reason="part of the help is free again")
