"""The fake Stripe server, driven by the real `stripe` library (never the internet)."""
from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, ProxyHandler, Request, build_opener

import pytest
import stripe

from tests import stripe_fake as stripe_fake_module
from tests.stripe_fake import FakeStripe, FakeStripeError, parse_params

fake_stripe = stripe_fake_module.fake_stripe  # the module's fixture, under its own name

SECRET = "whsec_test_secret"


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = build_opener(ProxyHandler({}), _NoRedirect)


def http(method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None):
    """(status, headers, body text) without following redirects or using proxies."""
    request = Request(url, data=data, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=10) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Fail the test if anything (the stripe library included) tries to reach a non-loopback host."""
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def is_loopback(host: object) -> bool:
        if host in ("localhost", None):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            attempts.append(address)
            raise OSError(f"test tried to reach {address}")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not is_loopback(host):
            attempts.append(host)
            raise socket.gaierror(f"test tried to resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    assert attempts == []


@pytest.fixture
def client(fake_stripe):
    return stripe.StripeClient(fake_stripe.api_key, base_addresses={"api": fake_stripe.url})


class WebhookReceiver:
    """A local endpoint that verifies webhooks with the stripe library, as the app will."""

    def __init__(self, secret: str = SECRET, status: int = 200):
        self.secret = secret
        self.status = status
        self.events: list[stripe.Event] = []
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append(body)
                try:
                    event = stripe.Webhook.construct_event(body, self.headers.get("Stripe-Signature"), receiver.secret)
                except (stripe.SignatureVerificationError, ValueError):
                    status = 400
                else:
                    receiver.events.append(event)
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def session_params(**overrides):
    params = {
        "mode": "payment",
        "line_items": [
            {"price_data": {"currency": "EUR", "unit_amount": 1000, "product_data": {"name": "Pledge"}}, "quantity": 2},
            {"price_data": {"currency": "eur", "unit_amount": 250, "product_data": {"name": "Fee"}}, "quantity": 1},
        ],
        "metadata": {"pledge_id": "42"},
        "client_reference_id": "pledge-42",
        "success_url": "http://127.0.0.1:9/done?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://127.0.0.1:9/cancelled",
    }
    params.update(overrides)
    return params


def paid_session(client, fake, **overrides):
    session = client.v1.checkout.sessions.create(session_params(**overrides))
    fake.pay(session.id)
    return client.v1.checkout.sessions.retrieve(session.id)


# -- checkout sessions ------------------------------------------------------------------------


def test_create_session_is_shaped_like_stripes(client, fake_stripe):
    before = int(time.time())
    session = client.v1.checkout.sessions.create(session_params())

    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert (session.amount_total, session.currency) == (2250, "eur")
    assert session.metadata.to_dict() == {"pledge_id": "42"}
    assert session.client_reference_id == "pledge-42"
    assert session.payment_intent is None
    assert session.url == f"{fake_stripe.url}/checkout/{session.id}"
    assert before + 24 * 3600 <= session.expires_at <= int(time.time()) + 24 * 3600
    assert fake_stripe.sessions[session.id]["amount_total"] == 2250

    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [(item.description, item.quantity, item.amount_total) for item in items.data] == [
        ("Pledge", 2, 2000), ("Fee", 1, 250)
    ]


def test_create_session_validates_like_stripe(client, fake_stripe):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.create({**session_params(), "success_url": None})
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "success_url")

    soon = int(time.time()) + 60
    with pytest.raises(stripe.InvalidRequestError) as too_soon:
        client.v1.checkout.sessions.create(session_params(expires_at=soon))
    assert too_soon.value.param == "expires_at"

    later = int(time.time()) + 3600
    assert client.v1.checkout.sessions.create(session_params(expires_at=later)).expires_at == later
    assert len(fake_stripe.sessions) == 1


def test_idempotency_key_replays_the_original_response(client, fake_stripe):
    options = {"idempotency_key": "pledge-42-checkout"}
    first = client.v1.checkout.sessions.create(session_params(), options)
    second = client.v1.checkout.sessions.create(session_params(), options)

    assert second.id == first.id
    assert list(fake_stripe.sessions) == [first.id]
    created = [r for r in fake_stripe.requests if r.method == "POST" and r.path == "/v1/checkout/sessions"]
    assert [(r.idempotency_key, r.status, r.replayed) for r in created] == [
        ("pledge-42-checkout", 200, False), ("pledge-42-checkout", 200, True)
    ]
    assert created[0].params["line_items"][0]["price_data"]["product_data"]["name"] == "Pledge"


def test_idempotency_key_with_other_params_is_an_idempotency_error(client, fake_stripe):
    options = {"idempotency_key": "pledge-42-checkout"}
    client.v1.checkout.sessions.create(session_params(), options)

    with pytest.raises(stripe.IdempotencyError) as changed:
        client.v1.checkout.sessions.create(session_params(client_reference_id="pledge-43"), options)
    assert changed.value.http_status == 400
    assert changed.value.json_body["error"]["type"] == "idempotency_error"

    with pytest.raises(stripe.IdempotencyError):
        client.v1.refunds.create({"payment_intent": "pi_nope"}, options)
    assert len(fake_stripe.sessions) == 1


def test_the_library_sends_an_idempotency_key_on_every_post(client, fake_stripe):
    client.v1.checkout.sessions.create(session_params())
    client.v1.checkout.sessions.create(session_params())
    keys = [r.idempotency_key for r in fake_stripe.requests]
    assert len(set(keys)) == 2 and all(keys)
    assert len(fake_stripe.sessions) == 2


def test_retrieve_and_unknown_ids(client, fake_stripe):
    session = client.v1.checkout.sessions.create(session_params())
    assert client.v1.checkout.sessions.retrieve(session.id).id == session.id

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert (unknown.value.http_status, unknown.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.retrieve("pi_nope")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"payment_intent": "pi_nope"})


def test_expire_through_the_api(client, fake_stripe):
    session = client.v1.checkout.sessions.create(session_params())
    expired = client.v1.checkout.sessions.expire(session.id, options={"idempotency_key": "expire-42"})

    assert (expired.status, expired.url) == ("expired", None)
    [event] = fake_stripe.events
    assert event["type"] == "checkout.session.expired"
    assert event["data"]["object"]["id"] == session.id
    assert event["request"]["idempotency_key"] == "expire-42"

    with pytest.raises(stripe.InvalidRequestError, match="can be expired"):
        client.v1.checkout.sessions.expire(session.id)
    assert len(fake_stripe.events) == 1


def test_expire_by_timeout_then_paying_fails(fake_stripe, receiver):
    fake_stripe.webhook_url = receiver.url
    session = fake_stripe._create_session(session_params(), {"id": None, "idempotency_key": None})
    event = fake_stripe.expire_session(session["id"])

    assert event["type"] == "checkout.session.expired"
    assert [e.type for e in receiver.events] == ["checkout.session.expired"]
    with pytest.raises(FakeStripeError):
        fake_stripe.pay(session["id"])
    status, _, page = http("POST", f"{fake_stripe.url}/checkout/{session['id']}/pay", b"")
    assert status == 400 and "no longer active" in page
    assert fake_stripe.sessions[session["id"]]["status"] == "expired"
    assert len(fake_stripe.events) == 1 and fake_stripe.payment_intents == {}


# -- the checkout page ------------------------------------------------------------------------


def test_pay_through_the_page(client, fake_stripe, receiver):
    fake_stripe.webhook_url = receiver.url
    session = client.v1.checkout.sessions.create(
        session_params(payment_intent_data={"metadata": {"pledge_id": "42", "kind": "pledge"}})
    )

    status, _, page = http("GET", session.url)
    assert status == 200
    assert "<title>Fake Stripe Checkout</title>" in page
    assert "22.50 EUR" in page and 'id="pay"' in page and 'id="cancel"' in page

    status, headers, _ = http("POST", f"{fake_stripe.url}/checkout/{session.id}/pay", b"")
    assert status == 303
    assert headers["Location"] == f"http://127.0.0.1:9/done?session_id={session.id}"

    assert [e["type"] for e in fake_stripe.events] == ["checkout.session.completed", "payment_intent.succeeded"]
    assert [e.type for e in receiver.events] == ["checkout.session.completed", "payment_intent.succeeded"]
    assert [d["status"] for d in fake_stripe.deliveries] == [200, 200]
    completed = receiver.events[0].data.object
    assert (completed.id, completed.status, completed.payment_status) == (session.id, "complete", "paid")

    paid = client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    intent = paid.payment_intent
    assert intent.id.startswith("pi_") and intent.status == "succeeded"
    assert (intent.amount, intent.currency) == (2250, "eur")
    assert intent.metadata.to_dict() == {"pledge_id": "42", "kind": "pledge"}
    assert intent.latest_charge.startswith("ch_")

    status, _, page = http("POST", f"{fake_stripe.url}/checkout/{session.id}/pay", b"")
    assert status == 400 and "no longer active" in page
    assert len(fake_stripe.events) == 2 and len(fake_stripe.payment_intents) == 1


def test_cancel_through_the_page(client, fake_stripe):
    session = client.v1.checkout.sessions.create(session_params())
    status, headers, _ = http("GET", f"{fake_stripe.url}/checkout/{session.id}/cancel")
    assert (status, headers["Location"]) == (303, "http://127.0.0.1:9/cancelled")
    assert fake_stripe.sessions[session.id]["status"] == "open"
    assert fake_stripe.events == []


def test_failed_webhook_delivery_is_recorded_and_ignored(client, fake_stripe, receiver):
    receiver.status = 500
    fake_stripe.webhook_url = receiver.url
    session = client.v1.checkout.sessions.create(session_params())
    status, _, _ = http("POST", f"{fake_stripe.url}/checkout/{session.id}/pay", b"")
    assert status == 303
    assert [d["status"] for d in fake_stripe.deliveries] == [500, 500]

    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        fake_stripe.webhook_url = f"http://127.0.0.1:{unused.getsockname()[1]}/"
        events = paid_and_events(client, fake_stripe)
    assert len(events) == 2
    assert [d["status"] for d in fake_stripe.deliveries[2:]] == [None, None]


def paid_and_events(client, fake):
    session = client.v1.checkout.sessions.create(session_params())
    return fake.pay(session.id)


# -- payment intents and refunds --------------------------------------------------------------


def test_payment_intent_carries_session_metadata_by_default(client, fake_stripe):
    session = paid_session(client, fake_stripe)
    intent = client.v1.payment_intents.retrieve(session.payment_intent)
    assert intent.object == "payment_intent"
    assert intent.metadata.to_dict() == {"pledge_id": "42"}
    assert fake_stripe.charges[intent.latest_charge]["metadata"] == {"pledge_id": "42"}


def test_partial_then_full_refund(client, fake_stripe):
    session = paid_session(client, fake_stripe)
    pi = session.payment_intent
    fake_stripe.events.clear()

    partial = client.v1.refunds.create(
        {"payment_intent": pi, "amount": 500, "metadata": {"pledge_id": "42"}, "reason": "requested_by_customer"},
        {"idempotency_key": "refund-42-1"},
    )
    again = client.v1.refunds.create(
        {"payment_intent": pi, "amount": 500, "metadata": {"pledge_id": "42"}, "reason": "requested_by_customer"},
        {"idempotency_key": "refund-42-1"},
    )
    assert partial.object == "refund" and partial.status == "succeeded"
    assert (partial.amount, partial.payment_intent, partial.reason) == (500, pi, "requested_by_customer")
    assert again.id == partial.id and len(fake_stripe.refunds) == 1

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create({"payment_intent": pi, "amount": 2000})
    assert too_much.value.code == "amount_too_large"

    rest = client.v1.refunds.create({"payment_intent": pi})
    assert rest.amount == 1750
    with pytest.raises(stripe.InvalidRequestError) as done:
        client.v1.refunds.create({"payment_intent": pi})
    assert done.value.code == "charge_already_refunded"

    assert [e["type"] for e in fake_stripe.events] == ["charge.refunded", "refund.created"] * 2
    refunded = [e["data"]["object"] for e in fake_stripe.events if e["type"] == "charge.refunded"]
    assert [(c["amount_refunded"], c["refunded"]) for c in refunded] == [(500, False), (2250, True)]
    assert all(c["payment_intent"] == pi and c["metadata"] == {"pledge_id": "42"} for c in refunded)
    assert refunded[0]["object"] == "charge" and refunded[0]["amount"] == 2250
    assert fake_stripe.events[0]["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    assert fake_stripe.events[0]["request"]["idempotency_key"] == "refund-42-1"


def test_api_events_are_delivered_on_demand(client, fake_stripe, receiver):
    session = paid_session(client, fake_stripe)
    fake_stripe.webhook_url = receiver.url
    client.v1.refunds.create({"payment_intent": session.payment_intent})
    assert receiver.events == []
    assert fake_stripe.deliver_pending() == [200] * 4
    assert [e.type for e in receiver.events][-2:] == ["charge.refunded", "refund.created"]
    assert fake_stripe.deliver_pending() == []


# -- signatures -------------------------------------------------------------------------------


def test_signed_events_verify_with_the_stripe_library(client, fake_stripe):
    session = client.v1.checkout.sessions.create(session_params())
    completed, _ = fake_stripe.pay(session.id)
    body, headers = fake_stripe.signed(completed)
    assert headers["Content-Type"] == "application/json"

    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET)
    assert event.type == "checkout.session.completed"
    assert event.data.object.metadata["pledge_id"] == "42"

    tampered = body.replace(b'"paid"', b'"unpaid"')
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, headers["Stripe-Signature"], SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_other")
    _, wrong = fake_stripe.signed(completed, secret="whsec_other")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, wrong["Stripe-Signature"], SECRET)
    _, stale = fake_stripe.signed(completed, timestamp=int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, stale["Stripe-Signature"], SECRET)


def test_sign_matches_the_library(fake_stripe):
    payload = '{"id": "evt_1"}'
    expected = stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=1700000000)
    assert fake_stripe.sign(payload.encode(), timestamp=1700000000) == expected


def test_event_shape(client, fake_stripe):
    session = client.v1.checkout.sessions.create(session_params())
    for event in fake_stripe.pay(session.id):
        assert event["id"].startswith("evt_") and event["object"] == "event"
        assert event["livemode"] is False and event["api_version"] == "2024-06-20"
        assert isinstance(event["created"], int)
    assert client.v1.events.retrieve(fake_stripe.events[0]["id"]).type == "checkout.session.completed"


# -- authentication, plumbing -----------------------------------------------------------------


def test_wrong_or_missing_api_key_is_401(fake_stripe):
    wrong = stripe.StripeClient("sk_test_wrong", base_addresses={"api": fake_stripe.url})
    with pytest.raises(stripe.AuthenticationError):
        wrong.v1.checkout.sessions.create(session_params())

    status, _, body = http("GET", f"{fake_stripe.url}/v1/checkout/sessions/cs_test_x")
    assert status == 401
    assert json.loads(body)["error"]["type"] == "invalid_request_error"
    assert fake_stripe.sessions == {}


def test_unrecognized_url(client, fake_stripe):
    status, _, body = http("GET", f"{fake_stripe.url}/v1/customers", headers={"Authorization": "Bearer sk_test_fake"})
    assert status == 404 and "Unrecognized request URL" in json.loads(body)["error"]["message"]


def test_module_level_configuration(fake_stripe, monkeypatch):
    monkeypatch.setattr(stripe, "api_key", fake_stripe.api_key)
    monkeypatch.setattr(stripe, "api_base", fake_stripe.url)
    session = stripe.checkout.Session.create(**session_params(), idempotency_key="module-level")
    assert stripe.checkout.Session.retrieve(session.id).amount_total == 2250
    assert stripe.checkout.Session.expire(session.id).status == "expired"
    assert fake_stripe.requests[0].idempotency_key == "module-level"
    assert urlsplit(fake_stripe.url).hostname == "127.0.0.1"


def test_parse_params():
    pairs = [
        ("line_items[0][price_data][currency]", "eur"),
        ("line_items[0][quantity]", "1"),
        ("line_items[1][quantity]", "2"),
        ("metadata[0]", "digit key"),
        ("payment_intent_data[metadata][x]", "y"),
        ("expand[]", "a"),
        ("expand[]", "b"),
        ("mode", "payment"),
    ]
    assert parse_params(pairs) == {
        "line_items": [{"price_data": {"currency": "eur"}, "quantity": "1"}, {"quantity": "2"}],
        "metadata": {"0": "digit key"},
        "payment_intent_data": {"metadata": {"x": "y"}},
        "expand": ["a", "b"],
        "mode": "payment",
    }


def test_context_manager_stops_the_server():
    with FakeStripe(webhook_secret=SECRET) as fake:
        url = fake.url
        assert http("GET", f"{url}/checkout/cs_test_nope")[0] == 404
    with pytest.raises(OSError):
        http("GET", f"{url}/checkout/cs_test_nope")
