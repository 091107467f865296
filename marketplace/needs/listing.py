"""Whether a need is listed in the public catalogue, kept on the need itself so that listings read one table.

A need is listed when it is open (verified or under way), not hidden, and its family's household is verified
and its account active and not hidden: the same rule `services.public_needs()` spells out with two joins. The
catalogue and the API read `Need.listed` through partial indexes instead, so a page costs what its twenty rows
cost however many needs there are. The flag follows every change of what it depends on: after each flush, the
needs whose status or hiding changed, and every need of a household or an account whose state changed, are
set again from the database's own rows in one UPDATE, inside the same transaction — a rolled-back change rolls
its flag back too, and no code path has to remember to call anything.

`settlement_key` is the need's settlement as one value to match and index: the gazetteer's id of the place its
name names in any language ("Алматы", "Almaty" and "Алма-Ата" are one place), else the name in lower case.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, event, exists, inspect, or_, select, update
from sqlalchemy.orm import Session, object_session

from marketplace import geo
from marketplace.accounts.lifecycle import ACCOUNT_LIFECYCLE
from marketplace.accounts.models import AccountStatus, User
from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
from marketplace.families.models import Household, HouseholdStatus
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.models import OPEN_STATES, Need, NeedItem

# The attributes the flag depends on, by the class that holds them.
_NEED_INPUTS = ("status", "hidden_at", "household_id")
_HOUSEHOLD_INPUTS = ("status", "user_id")
_USER_INPUTS = ("status", "hidden_at")


def listed_now():
    """The rule, as SQL over a need's row and its family's: what `Need.listed` must equal."""
    family_visible = exists(
        select(Household.id).join(User, Household.user_id == User.id).where(
            Household.id == Need.household_id, Household.status == HouseholdStatus.VERIFIED,
            User.hidden_at.is_(None), User.status == AccountStatus.ACTIVE))
    return and_(Need.status.in_(OPEN_STATES), Need.hidden_at.is_(None), family_visible)


def settlement_key(name: str | None) -> str | None:
    """The key a settlement's name is matched by: the gazetteer's id of the place (any of its names, in any
    letter case, gives the same id), else the name folded to lower case."""
    name = (name or "").strip()
    if not name:
        return None
    found = geo.gazetteer().find_settlement(name)
    return f"g{found.geonameid}" if found is not None else name.casefold()[:40]


def refresh(session: Session, *, need_ids: Iterable[int] = (), household_ids: Iterable[int] = (),
            user_ids: Iterable[int] = ()) -> None:
    """Set `listed` again, from the rows as they are now in this transaction, for the given needs and every
    need of the given households and accounts."""
    need_ids, household_ids, user_ids = set(need_ids), set(household_ids), set(user_ids)
    which = []
    if need_ids:
        which.append(Need.id.in_(sorted(need_ids)))
    if household_ids:
        which.append(Need.household_id.in_(sorted(household_ids)))
    if user_ids:
        which.append(Need.household_id.in_(select(Household.id).where(Household.user_id.in_(sorted(user_ids)))))
    if not which:
        return
    session.connection().execute(
        update(Need).where(or_(*which)).values(listed=listed_now()).execution_options(synchronize_session=False))


def _changed(obj, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def _note_where_goods_lines_leave(session: Session, _context, _instances) -> None:
    """A goods line moved to another need: the need it leaves is read from the database before the flush (the
    ORM need not know the old value)."""
    moved = [obj.id for obj in session.dirty
             if isinstance(obj, NeedItem) and obj.id is not None and _changed(obj, ("need_id", "need"))]
    if moved:
        session.info.setdefault("goods_moved_from", set()).update(session.connection().scalars(
            select(NeedItem.need_id).where(NeedItem.id.in_(moved))))


@event.listens_for(Session, "before_flush")
def _keep_settlement_keys(session: Session, _context, _instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Need) and (obj in session.new or _changed(obj, ("settlement",))):
            obj.settlement_key = settlement_key(obj.settlement)


def refresh_goods(session: Session, need_ids: Iterable[int]) -> None:
    """Set `has_goods` again, from the goods lines as they are now in this transaction."""
    session.connection().execute(
        update(Need).where(Need.id.in_(sorted(set(need_ids))))
        .values(has_goods=exists().where(NeedItem.need_id == Need.id)).execution_options(synchronize_session=False))


@event.listens_for(Session, "after_flush")
def _follow_the_goods_lines(session: Session, _context) -> None:
    """A need has goods while it has a goods line: set again for every need whose lines were added, moved or
    deleted in this flush."""
    touched = set()
    for obj in list(session.new) + list(session.deleted):
        if isinstance(obj, NeedItem):
            touched.add(obj.need_id if obj.need_id is not None else getattr(obj.need, "id", None))
    for obj in session.dirty:
        if isinstance(obj, NeedItem) and _changed(obj, ("need_id", "need")):
            touched.add(obj.need_id)
    touched |= session.info.pop("goods_moved_from", set())
    touched.discard(None)
    if not touched:
        return
    refresh_goods(session, touched)
    stale = session.info.setdefault("needs_goods_stale", set())
    stale.update(touched)


@event.listens_for(Session, "after_flush")
def _follow_what_the_flag_depends_on(session: Session, _context) -> None:
    # The new, dirty and deleted sets still hold what this flush wrote, with each attribute's history.
    needs, households, users = set(), set(), set()
    for obj in session.new:
        if isinstance(obj, Need):
            needs.add(obj)
    for obj in session.dirty:
        if isinstance(obj, Need) and _changed(obj, _NEED_INPUTS):
            needs.add(obj)
        elif isinstance(obj, Household) and _changed(obj, _HOUSEHOLD_INPUTS):
            households.add(obj.id)
        elif isinstance(obj, User) and _changed(obj, _USER_INPUTS):
            users.add(obj.id)
    if not (needs or households or users):
        return
    refresh(session, need_ids={need.id for need in needs}, household_ids=households, user_ids=users)
    session.info.setdefault("needs_listed_stale", set()).update(needs)
    if households or users:
        session.info["needs_listed_all_stale"] = True


def _after_a_transition(obj, **_signal) -> None:
    session = object_session(obj)
    if session is None or obj.id is None:
        return  # not stored yet: its flush sets the flag
    if isinstance(obj, Need):
        refresh(session, need_ids=[obj.id])
        session.expire(obj, ["listed"])
        return
    refresh(session, **({"household_ids": [obj.id]} if isinstance(obj, Household) else {"user_ids": [obj.id]}))
    for loaded in [o for o in session.identity_map.values() if isinstance(o, Need)]:
        session.expire(loaded, ["listed"])


NEED_LIFECYCLE.signal.connect(_after_a_transition)
HOUSEHOLD_LIFECYCLE.signal.connect(_after_a_transition)
ACCOUNT_LIFECYCLE.signal.connect(_after_a_transition)


@event.listens_for(Session, "after_flush_postexec")
def _forget_the_old_flags(session: Session, _context) -> None:
    """The UPDATE ran under the ORM: what a loaded need says of `listed` is read again when next asked."""
    for need_id in session.info.pop("needs_goods_stale", set()):
        need = session.identity_map.get(inspect(Need).identity_key_from_primary_key((need_id,)))
        if need is not None and not inspect(need).deleted:
            session.expire(need, ["has_goods"])
    stale = session.info.pop("needs_listed_stale", set())
    if session.info.pop("needs_listed_all_stale", False):
        stale |= {obj for obj in session.identity_map.values() if isinstance(obj, Need)}
    for need in stale:
        if need in session and not inspect(need).deleted:
            session.expire(need, ["listed"])
