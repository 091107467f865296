"""JSON endpoints for volunteers' claims (the phone app); the rules live in volunteering.services.

Authentication is the cookie session or a personal API token (marketplace.api.auth)."""
from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.api import bodies
from marketplace.api.auth import require_login
from marketplace.api.blueprint import _bad_request, _error, _json, bp
from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.lifecycle import IllegalTransition
from marketplace.needs.models import Need
from marketplace.volunteering import services as volunteering
from marketplace.volunteering.models import Claim
from marketplace.volunteering.queries import claims_of
from marketplace.volunteering.reports import ReportInvalid

MY_CLAIMS_LIMIT = 200


def claim_json(claim: Claim) -> dict:
    return {"id": claim.id, "need_id": claim.need_id, "status": claim.status.value,
            "created_at": claim.created_at.isoformat()}


def my_claim_json(claim: Claim, contact: dict | None) -> dict:
    return {
        **claim_json(claim),
        "need_title": claim.need.title,
        "settlement": claim.need.settlement,
        "done_at": claim.done_at.isoformat() if claim.done_at else None,
        "confirmed_at": claim.confirmed_at.isoformat() if claim.confirmed_at else None,
        "hours": claim.hours,
        "report_note": claim.report_note,
        "contact": contact,
    }


def _own_claim(claim_id: int) -> Claim:
    """The caller's claim; any other claim is answered like one that does not exist."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or claim.volunteer_id != current_user.id:
        abort(404)
    authorize("claim.act", claim)
    return claim


def _not_now(refused: IllegalTransition):
    """409 for a move the claim's current state does not allow."""
    db.session.rollback()
    return _error(409, _("This cannot be done right now"), str(refused), code="illegal_transition")


@bp.route("/needs/<int:need_id>/claims", methods=["POST"])
def create_claim(need_id: int):
    """Take a volunteer slot of a need: 201, or 409 with the reason when it is taken or not allowed."""
    if (refusal := require_login()) is not None:
        return refusal
    need = db.session.get(Need, need_id)
    if need is None:
        abort(404)
    authorize("claim.create", need)
    try:
        claim = volunteering.claim_slot(need, current_user)
    except volunteering.ClaimRefused as refused:
        db.session.rollback()
        return _error(409, str(refused), str(refused), code=refused.code)
    db.session.commit()
    return _json({"claim": claim_json(claim)}, 201, cache=False)


@bp.route("/claims/<int:claim_id>/release", methods=["POST"])
def release_claim(claim_id: int):
    """Give the task back; its slot is free again for another volunteer."""
    if (refusal := require_login()) is not None:
        return refusal
    claim = _own_claim(claim_id)
    try:
        reason = bodies.release_reason()
    except bodies.BodyInvalid as invalid:
        return _bad_request(str(invalid), invalid.problems, code="invalid_body")
    try:
        volunteering.change_claim(claim, "release", actor=current_user, reason=reason)
    except IllegalTransition as refused:
        return _not_now(refused)
    db.session.commit()
    return _json({"claim": claim_json(claim)}, cache=False)


@bp.route("/claims/<int:claim_id>/complete", methods=["POST"])
def complete_claim(claim_id: int):
    """Report the task done with the hours spent and a note; the family or the office then confirms it."""
    if (refusal := require_login()) is not None:
        return refusal
    claim = _own_claim(claim_id)
    try:
        hours, note = bodies.report()
        volunteering.report_done(claim, actor=current_user, hours=hours, note=note)
    except (bodies.BodyInvalid, ReportInvalid) as invalid:
        return _bad_request(str(invalid), invalid.problems, code="invalid_body")
    except IllegalTransition as refused:
        return _not_now(refused)
    db.session.commit()
    return _json({"claim": claim_json(claim)}, cache=False)


@bp.route("/me/claims")
def my_claims():
    """The caller's claims, newest first; the family's address and phone only while a claim is live."""
    if (refusal := require_login()) is not None:
        return refusal
    authorize("claim.list_own")
    claims = claims_of(current_user, limit=MY_CLAIMS_LIMIT)
    items = [my_claim_json(claim, volunteering.family_contact_for(claim, current_user)) for claim in claims]
    db.session.commit()  # every reveal of an address was audited
    return _json({"items": items}, cache=False)
