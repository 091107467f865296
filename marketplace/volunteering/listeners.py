"""Volunteering reacts to needs: a cancelled or expired need gives its volunteers' tasks back."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.volunteering.models import Claim, ClaimStatus

LIVE = (ClaimStatus.INVITED, ClaimStatus.CLAIMED, ClaimStatus.IN_PROGRESS, ClaimStatus.DONE)


@NEED_LIFECYCLE.signal.connect
def end_claims_of_closed_need(need, *, transition, actor, reason, before) -> None:
    if transition.name not in ("cancel", "expire"):
        return
    from marketplace.volunteering.services import change_claim

    for claim in db.session.scalars(select(Claim).where(Claim.need_id == need.id, Claim.status.in_(LIVE))):
        change_claim(claim, "revoke", actor=None, reason=f"the request was {transition.target.value}")
