"""JSON endpoints for volunteers' claims (the phone app); the rules live in volunteering.services."""
from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.api.views import _json, bp
from marketplace.authz import authorize
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.volunteering import services as volunteering


def claim_json(claim) -> dict:
    return {"id": claim.id, "need_id": claim.need_id, "status": claim.status.value,
            "created_at": claim.created_at.isoformat()}


@bp.route("/needs/<int:need_id>/claims", methods=["POST"])
def create_claim(need_id: int):
    """Take a volunteer slot of a need: 201, or 409 with the reason when it is taken or not allowed."""
    if not current_user.is_authenticated:
        return _json({"error": {"status": 401, "title": _("Please log in to see this page.")}}, 401, cache=False)
    need = db.session.get(Need, need_id)
    if need is None:
        abort(404)
    authorize("claim.create", need)
    try:
        claim = volunteering.claim_slot(need, current_user)
    except volunteering.ClaimRefused as refused:
        db.session.rollback()
        return _json({"error": {"status": 409, "code": refused.code, "title": str(refused)}}, 409, cache=False)
    db.session.commit()
    return _json({"claim": claim_json(claim)}, 201, cache=False)
