"""The Stripe webhook: the only way a card pledge becomes paid."""
from __future__ import annotations

import stripe
from flask import Blueprint, jsonify, request

from marketplace.core.authz import authorize
from marketplace.core.extensions import csrf, db
from marketplace.payments import gateway
from marketplace.pledges.payment_events import handle_event

bp = Blueprint("payments", __name__, url_prefix="/payments")
csrf.exempt(bp)  # Stripe signs its requests instead


@bp.post("/stripe/webhook")
def stripe_webhook():
    """Verify the signature over the raw body, then apply the event once; a bad signature writes nothing."""
    payload = request.get_data(cache=False)
    try:
        event = gateway.verify_event(payload, request.headers.get("Stripe-Signature"))
    except (ValueError, stripe.SignatureVerificationError):
        return jsonify(error="bad signature"), 400
    authorize("payment.webhook", event)
    outcome = handle_event(event)
    db.session.commit()
    return jsonify(received=True, outcome=outcome)
