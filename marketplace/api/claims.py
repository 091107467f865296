"""JSON endpoints for volunteers' claims (the phone app); the rules live in volunteering.services.

Authentication is the cookie session or a personal API token (marketplace.api.auth)."""
from __future__ import annotations

import math

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.api.auth import require_login
from marketplace.api.views import _json, bp
from marketplace.core.authz import authorize
from marketplace.core.extensions import db
from marketplace.core.lifecycle import IllegalTransition
from marketplace.needs.models import Need
from marketplace.volunteering import services as volunteering
from marketplace.volunteering.models import Claim

MIN_HOURS, MAX_HOURS = 0.5, 24.0
MAX_NOTE = 2000
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


def _error(status: int, title: str, detail: str, **extra):
    return _json({"error": {"status": status, "title": title, "detail": detail, **extra}}, status, cache=False)


def _own_claim(claim_id: int) -> Claim:
    """The caller's claim; any other claim is answered like one that does not exist."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or claim.volunteer_id != current_user.id:
        abort(404)
    authorize("claim.act", claim)
    return claim


def _change(claim: Claim, transition: str, *, reason: str | None = None, **fields):
    """Apply a lifecycle transition (plus the report's fields) and commit; 409 when it is not allowed now."""
    try:
        volunteering.change_claim(claim, transition, actor=current_user, reason=reason)
    except IllegalTransition as refused:
        db.session.rollback()
        return _error(409, _("This cannot be done right now"), str(refused), code="illegal_transition")
    for name, value in fields.items():
        setattr(claim, name, value)
    db.session.commit()
    return _json({"claim": claim_json(claim)}, cache=False)


def _body() -> dict:
    """The request's fields, from a JSON body or a form."""
    if request.is_json:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}
    return request.form.to_dict()


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
    reason = str(_body().get("reason") or "").strip()[:1000] or None
    return _change(claim, "release", reason=reason)


def _parse_report(data: dict) -> tuple[float | None, str | None, list[tuple[str, str]]]:
    problems = []
    hours = None
    try:
        hours = float(data.get("hours"))
    except (TypeError, ValueError):
        problems.append(("hours", _("Give the hours spent as a number, e.g. 2.5.")))
    else:
        if not math.isfinite(hours) or not MIN_HOURS <= hours <= MAX_HOURS:
            problems.append(("hours", _("Hours must be between %(low)s and %(high)s.", low=MIN_HOURS, high=MAX_HOURS)))
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        problems.append(("note", _("The note must be text.")))
        note = None
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        problems.append(("note", _("The note is too long (at most %(max)s characters).", max=MAX_NOTE)))
    return hours, note, problems


@bp.route("/claims/<int:claim_id>/complete", methods=["POST"])
def complete_claim(claim_id: int):
    """Report the task done with the hours spent and a note; the family or the office then confirms it."""
    if (refusal := require_login()) is not None:
        return refusal
    claim = _own_claim(claim_id)
    hours, note, problems = _parse_report(_body())
    if problems:
        return _error(400, _("The request could not be understood"), "; ".join(reason for _n, reason in problems),
                      invalid_params=[{"name": name, "reason": reason} for name, reason in problems])
    return _change(claim, "report_done", hours=hours, report_note=note)


@bp.route("/me/claims")
def my_claims():
    """The caller's claims, newest first; the family's address and phone only while a claim is live."""
    if (refusal := require_login()) is not None:
        return refusal
    authorize("claim.list_own")
    claims = db.session.scalars(
        select(Claim).where(Claim.volunteer_id == current_user.id)
        .order_by(Claim.created_at.desc(), Claim.id.desc()).limit(MY_CLAIMS_LIMIT)).all()
    items = [my_claim_json(claim, volunteering.family_contact_for(claim, current_user)) for claim in claims]
    db.session.commit()  # every reveal of an address was audited
    return _json({"items": items}, cache=False)
