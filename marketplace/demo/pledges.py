"""Demo pledges: the two demo patrons have given to a few open requests near Almaty, in several states,
so that the dashboard, the receipt and the staff's pledge list show something. Without a Stripe key (the
demo) money is pledged as a transfer that staff confirm."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.core.extensions import db
from marketplace.needs.models import Need, NeedStatus
from marketplace.pledges.models import GoodsDelivery, PatronProfile, Pledge
from marketplace.pledges.services import PledgeRefused, change_pledge, pledge_goods, pledge_money

PATRON, COMPANY, STAFF = ("patron@demo.social-window.kz", "company@demo.social-window.kz",
                          "staff@demo.social-window.kz")


def seed_demo_pledges() -> int:
    """Pledges for the demo patrons (skipped once they have any); returns how many were added."""
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_((PATRON, COMPANY, STAFF))))}
    patron, company, staff = users.get(PATRON), users.get(COMPANY), users.get(STAFF)
    if patron is None or company is None or staff is None:
        return 0
    if db.session.scalar(select(Pledge.id).where(Pledge.patron_id.in_((patron.id, company.id))).limit(1)):
        return 0
    for user in (patron, company):
        if db.session.scalar(select(PatronProfile.id).where(PatronProfile.user_id == user.id)) is None:
            db.session.add(PatronProfile(user_id=user.id, place="Алматы", latitude=43.2567, longitude=76.9286,
                                         radius_km=25))
    needs = db.session.scalars(select(Need).where(
        Need.status == NeedStatus.VERIFIED, Need.office_id == staff.office_id, Need.hidden_at.is_(None))
        .order_by(Need.id)).all()
    added = 0
    money = [n for n in needs if n.money_goal]
    goods = [n for n in needs if n.items]
    try:
        if money:
            need = money[0]
            paid = pledge_money(need, company, amount=min(need.money_open, 30_000_00), allow_redirect=True, card=False)
            change_pledge(paid, "confirm_transfer", actor=staff, reason="bank transfer received (demo)")
            added += 1
            if need.money_open >= 10_000_00:
                pledge_money(need, patron, amount=10_000_00, anonymous=True, card=False)  # awaiting transfer
                added += 1
        if goods:
            need = goods[0]
            item = next(i for i in need.items if i.missing > 0)
            delivered = pledge_goods(need, patron, item_id=item.id, quantity=1, delivery=GoodsDelivery.OFFICE)
            change_pledge(delivered, "deliver", actor=staff, reason="brought to the office (demo)")
            added += 1
            other = next((i for n in goods for i in n.items if i.missing > 0), None)
            if other is not None:
                pledge_goods(other.need, company, item_id=other.id, quantity=other.missing,
                             delivery=GoodsDelivery.VOLUNTEER)
                added += 1
    except PledgeRefused:
        pass  # the demo requests changed since: what was added stays
    return added
