"""The card payment provider: Stripe Checkout through the official library, or none.

Without STRIPE_SECRET_KEY the site takes no cards: money pledges wait for a bank transfer or cash that
staff confirm by hand. STRIPE_API_BASE points the library elsewhere (the test suite's fake Stripe on
127.0.0.1); every call that creates something carries an idempotency key derived from the pledge, so a
retried request never creates a second Checkout Session or a second refund.
"""
from __future__ import annotations

from datetime import datetime

import stripe
from flask import current_app

CURRENCY = "kzt"  # Stripe counts KZT in tiyn (two decimals), as the site does


class PaymentError(Exception):
    """The provider could not be reached or refused the request; nothing was paid."""


def card_payments_enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def _client() -> stripe.StripeClient:
    config = current_app.config
    clients = current_app.extensions.setdefault("stripe_clients", {})
    key = (config["STRIPE_SECRET_KEY"], config.get("STRIPE_API_BASE") or "")
    if key not in clients:
        options = {"base_addresses": {"api": key[1]}} if key[1] else {}
        clients[key] = stripe.StripeClient(key[0], max_network_retries=2, **options)
    return clients[key]


def create_checkout(*, pledge_id: int, need_id: int, amount: int, title: str, expires_at: datetime,
                    success_url: str, cancel_url: str, email: str | None) -> stripe.checkout.Session:
    params: dict = {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": CURRENCY, "unit_amount": amount, "product_data": {"name": title[:250]}}}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": str(pledge_id),
        "metadata": {"pledge_id": str(pledge_id), "need_id": str(need_id)},
        "payment_intent_data": {"metadata": {"pledge_id": str(pledge_id), "need_id": str(need_id)}},
        "expires_at": int(expires_at.timestamp()),
    }
    if email:
        params["customer_email"] = email
    return _call(_client().v1.checkout.sessions.create, params, key=f"pledge-{pledge_id}-checkout")


def retrieve_checkout(session_id: str) -> dict:
    """The Checkout Session as a plain dict (the sweep reads it with `.get`)."""
    # Fix: since stripe-python 13 a StripeObject is no longer a dict (`.get` raises AttributeError), and
    # the services read provider objects as dicts; hand them a plain, recursive copy.
    session = _call(lambda params, options: _client().v1.checkout.sessions.retrieve(session_id, params, options), {})
    return session.to_dict()


def latest_charge(payment_intent_id: str) -> dict | None:
    """The charge of a card payment (amount, amount_refunded, payment_intent) as a plain dict."""
    intent = _call(lambda params, options: _client().v1.payment_intents.retrieve(payment_intent_id, params, options),
                   {"expand": ["latest_charge"]})
    charge = intent.to_dict().get("latest_charge")
    return charge if isinstance(charge, dict) else None


def expire_checkout(session_id: str) -> stripe.checkout.Session | None:
    """Close an open Checkout Session; None when it had already completed or expired."""
    try:
        return _client().v1.checkout.sessions.expire(session_id)
    except stripe.InvalidRequestError:
        return None
    except stripe.StripeError as exc:
        raise PaymentError(str(exc)) from exc


def refund(*, pledge_id: int, payment_intent_id: str, amount: int) -> stripe.Refund:
    params = {"payment_intent": payment_intent_id, "amount": amount, "metadata": {"pledge_id": str(pledge_id)}}
    return _call(_client().v1.refunds.create, params, key=f"pledge-{pledge_id}-refund")


def verify_event(payload: bytes, signature: str | None) -> dict:
    """The event, as a plain dict, if the signature over the raw body is Stripe's; raises ValueError or
    stripe.SignatureVerificationError otherwise."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise ValueError("no webhook secret configured")
    # Fix: a stripe.Event is no dict since stripe-python 13, and `handle_event` reads events with
    # `.get`, so every event answered 500. The signature is still checked by construct_event.
    return stripe.Webhook.construct_event(payload, signature, secret).to_dict()


def _call(method, params: dict, *, key: str | None = None):
    options = {"idempotency_key": key} if key else {}
    try:
        return method(params, options)
    except stripe.StripeError as exc:
        current_app.logger.warning("Stripe refused %s: %s", key or method, exc)
        raise PaymentError(str(exc)) from exc
