"""What the audit log calls a pledge, its actions and states, a patron's home area, and the notes recorded."""
from __future__ import annotations

import re

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from marketplace.core.audit import labels
from marketplace.core.extensions import db
from marketplace.core.roles import Role, has_role
from marketplace.pledges.labels import STATUS_LABELS
from marketplace.pledges.lifecycle import PLEDGE_LIFECYCLE
from marketplace.pledges.models import Pledge, PledgeStatus as S, pledge_number

PLEDGE = PLEDGE_LIFECYCLE.logged_as
PLACE = _l("Place on the map")


def pledge_numbers(ids) -> dict[int, str]:
    """The pledges' numbers (SW-2026-0000005), by id: how patrons, receipts and staff name a pledge."""
    rows = db.session.execute(select(Pledge.id, Pledge.created_at).where(Pledge.id.in_([int(i) for i in ids])))
    return {row.id: pledge_number(row.id, row.created_at.year) for row in rows}


def _pledge_url(pledge_id: int, reader) -> str | None:
    # The audit log is read by staff (their office's entries) and admins, who may open the pledge's page.
    return url_for("pledges.detail", pledge_id=pledge_id) if has_role(reader, Role.STAFF, Role.ADMIN) else None


def _moved_from(details) -> str:
    pledge = details.get("from_pledge")
    if pledge is not None and str(pledge).isdigit():
        pledge = pledge_numbers([pledge]).get(int(pledge), pledge)
    if details.get("from_need"):
        return _("Moved from pledge %(pledge)s of request №%(need)s", pledge=pledge, need=details["from_need"])
    return _("Moved from pledge %(pledge)s", pledge=pledge)


def _no_transfer(details) -> str:
    days = int(details.get("days") or 0)
    return ngettext("No transfer arrived within %(num)d day", "No transfer arrived within %(num)d days", days)


labels.register_object_type(PLEDGE, _l("Pledge"), url=_pledge_url, numbers=pledge_numbers)
labels.register_object_type("patron_profile", _l("Patron's home area"))
# Pending and delivered mean different things for money and goods: the log says what both share.
labels.register_state_labels(PLEDGE, {**STATUS_LABELS, S.PENDING: _l("Not paid or brought yet"),
                                      S.DELIVERED: _l("Delivered")})
labels.register_field_labels("patron_profile", {"place": _l("Place"), "latitude": PLACE, "longitude": PLACE,
                                                "radius_km": _l("How far")})
labels.register_actions({
    "pledge.create": _l("Pledge made"),
    "pledge.pay": _l("Paid by card"),
    "pledge.confirm_transfer": _l("Transfer received"),
    "pledge.deliver": _l("Pledge delivered"),
    "pledge.cancel": _l("Pledge cancelled"),
    "pledge.refund": _l("Money to be returned"),
    "pledge.refund_late_payment": _l("A late payment to be returned"),
    "pledge.refunded": _l("Money returned to the patron"),
    "pledge.redirect": _l("Money moved to a similar request"),
    "pledge.receive_redirect": _l("Moved money arrived"),
    "pledge.redirected_in": _l("Pledge moved here from another request"),
    "patron.profile_save": _l("Patron's home area saved"),
})
labels.register_note("moved_from_pledge", _moved_from)
labels.register_note("no_transfer", _no_transfer)
NOTES = {
    "the card checkout expired unpaid": _l("The card payment was not finished in time"),
    "the request was met": _l("The request was met already"),
    "the card payment service could not be reached": _l("The card payment service could not be reached"),
    "withdrawn by the patron": _l("Withdrawn by the patron"),
    "cancelled by the office": _l("Cancelled by the office"),
    "the request expired": _l("Request past its deadline"),
    "paid after the pledge was cancelled": _l("Paid after the pledge was cancelled"),
    "refunded by card": _l("Returned to the card"),
    "the request was fulfilled": _l("The request was fulfilled"),
}
# The code writes these as reasons (the patron is told them too); the log tells them in the reader's words.
for text, words in NOTES.items():
    labels.register_note(text, words)
    labels.register_machine_reason(text, {"note": text})
labels.register_machine_reason(re.compile(r"no transfer arrived within (?P<days>\d+) days"),
                               lambda groups: {"note": "no_transfer", **groups})
# The demo's pledges (flask seed-demo).
for text in ("bank transfer received (demo)", "brought to the office (demo)"):
    labels.register_machine_reason(text, {"note": "demo_data"})

# Reasons written as text before the log kept details.
labels.register_machine_reason(
    re.compile(r"need #(?P<need>\d+): (?P<amount>\d+) tiyn"),
    lambda groups: {"need_id": int(groups["need"]), "amount": int(groups["amount"]), "currency": "KZT"},
    actions=["pledge.create"])
labels.register_machine_reason(
    re.compile(r"need #(?P<need>\d+): (?P<quantity>\d+) × (?P<item>.+)"),
    lambda groups: {"need_id": int(groups["need"]), "quantity": int(groups["quantity"]), "item": groups["item"]},
    actions=["pledge.create"])
labels.register_machine_reason(
    re.compile(r"(moved )?from pledge #(?P<from_pledge>\d+)( on need #(?P<from_need>\d+))?"),
    lambda groups: {"note": "moved_from_pledge", **{k: v for k, v in groups.items() if v}},
    actions=["pledge.redirected_in", "pledge.receive_redirect"])
labels.register_action_group("patron", _l("Patron"))
