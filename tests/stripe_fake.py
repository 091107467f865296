"""A small fake of the Stripe API for tests: the real `stripe` library talks to it on 127.0.0.1.

    fake = FakeStripe(webhook_secret="whsec_test_secret").start()
    client = stripe.StripeClient("sk_test_fake", base_addresses={"api": fake.url})
    # or, module-level: stripe.api_key = "sk_test_fake"; stripe.api_base = fake.url

It serves the handful of endpoints a Stripe Checkout integration needs (checkout sessions, payment
intents, charges, refunds, events), a bare-bones hosted checkout page with "Pay" and "Cancel", and
signs webhook events exactly as Stripe does. Standard library only; nothing leaves 127.0.0.1.

Events caused by the customer or by Stripe itself (paying on the page or with `.pay()`, timing out
with `.expire_session()`) are POSTed to `.webhook_url` synchronously when it is set. Events caused
by API calls (expiring a session through the API, refunds) are only recorded in `.events`, so that
a request to the app is never re-entered by its own webhook; deliver them with `.deliver(event)` or
`.deliver_pending()`.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Self
from urllib.error import HTTPError
from urllib.parse import parse_qsl, urlsplit
from urllib.request import ProxyHandler, Request, build_opener

import pytest

EVENT_API_VERSION = "2024-06-20"
ZERO_DECIMAL_CURRENCIES = frozenset(
    ("bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf")
)
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")

# Never through a proxy, whatever the environment says: everything here is on 127.0.0.1.
_OPENER = build_opener(ProxyHandler({}))


class FakeStripeError(Exception):
    """A Stripe API error; the HTTP layer turns it into `{"error": {...}}` with `status`.

    `replayable=False` marks errors raised before the request "started executing" (bad or missing
    parameters): like Stripe, their result is not saved under the idempotency key."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",  # Stripe's name for it
        code: str | None = None,
        param: str | None = None,
        replayable: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.replayable = replayable

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        return {"error": error}


class RecordedRequest(NamedTuple):
    """One request the fake received (API calls and checkout pages alike)."""

    method: str
    path: str  # without the query string
    idempotency_key: str | None
    params: dict[str, Any]  # form body / query string, decoded into nested dicts and lists
    status: int
    replayed: bool  # answered from the idempotency store
    headers: dict[str, str]


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _snapshot(obj: Any) -> Any:
    return json.loads(json.dumps(obj))


def _missing(param: str) -> FakeStripeError:
    return FakeStripeError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param, replayable=False
    )


def _invalid(param: str, message: str, code: str = "parameter_invalid") -> FakeStripeError:
    return FakeStripeError(400, message, code=code, param=param, replayable=False)


def _int_param(value: Any, param: str, minimum: int | None = None) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise _invalid(param, f"Invalid integer: {value}", "parameter_invalid_integer") from None
    if minimum is not None and number < minimum:
        raise _invalid(
            param, f"This value must be greater than or equal to {minimum}.", "parameter_invalid_integer"
        )
    return number


def _metadata(value: Any, param: str) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise _invalid(param, "Invalid object")
    if len(value) > 50:
        raise _invalid(param, "You can specify up to 50 keys in metadata.")
    for key, item in value.items():
        if len(key) > 40:
            raise _invalid(f"{param}[{key}]", "Metadata keys can be at most 40 characters long.")
        if not isinstance(item, str):
            raise _invalid(f"{param}[{key}]", "Invalid string")
        if len(item) > 500:
            raise _invalid(f"{param}[{key}]", "Metadata values can be at most 500 characters long.")
    return {key: item for key, item in value.items() if item != ""}


def format_amount(amount: int, currency: str) -> str:
    """`1250, "eur"` -> `"12.50 EUR"`; zero-decimal currencies (JPY, ...) as they are."""
    if currency.lower() in ZERO_DECIMAL_CURRENCIES:
        return f"{amount} {currency.upper()}"
    return f"{amount // 100}.{amount % 100:02d} {currency.upper()}"


_KEY_HEAD = re.compile(r"^([^\[\]]*)((?:\[[^\[\]]*\])*)$")
_KEY_PART = re.compile(r"\[([^\[\]]*)\]")


def parse_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding back into nested data.

    `line_items[0][price_data][currency]=eur` -> `{"line_items": [{"price_data": {"currency": "eur"}}]}`.
    Dicts whose keys are all digits become lists (except under `metadata`, whose keys are free-form);
    `expand[]=a` style keys are appended. Values stay strings, as on the wire."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY_HEAD.match(key)
        parts = [match.group(1), *_KEY_PART.findall(match.group(2))] if match else [key]
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = parts[-1]
        if last == "" and len(parts) > 1:
            last = str(len(node))
        node[last] = value
    return _listify(root)


def _listify(value: Any, parent: str | None = None) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(item, key) for key, item in value.items()}
    if parent != "metadata" and converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


class FakeStripe:
    """A fake Stripe API server on 127.0.0.1; see the module docstring.

    State (read it freely in tests; take `.lock` if a request may be running concurrently):
    `sessions`, `payment_intents`, `charges`, `refunds` (dicts id -> Stripe-shaped object),
    `events` (every event, in order), `requests` (`RecordedRequest`s), `deliveries` (one dict per
    webhook POST: event_id, type, url, status -- None when the connection failed -- and error)."""

    api_version = EVENT_API_VERSION

    def __init__(self, webhook_secret: str, api_key: str = "sk_test_fake") -> None:
        self.webhook_secret = webhook_secret
        self.api_key = api_key
        self.webhook_url: str | None = None
        self.lock = threading.RLock()
        self.sessions: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[dict[str, Any]] = []
        self._line_items: dict[str, list[dict[str, Any]]] = {}
        self._payment_intent_data: dict[str, dict[str, Any]] = {}
        self._idempotency: dict[tuple[str, str], dict[str, Any]] = {}
        self._delivered: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-stripe", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- test helpers ------------------------------------------------------------------------

    def pay(self, session_id: str) -> list[dict[str, Any]]:
        """The customer pays, as with the page's Pay button: completes the session, creates the
        payment intent and charge, emits `checkout.session.completed` and `payment_intent.succeeded`,
        delivers them to `webhook_url` if set, and returns them. Raises `FakeStripeError` when the
        session is unknown or not open."""
        with self.lock:
            events = self._complete_session(session_id)
        self._deliver_all(events)
        return events

    def expire_session(self, session_id: str) -> dict[str, Any]:
        """Stripe expires the session by timeout: status "expired", `checkout.session.expired`
        emitted (and delivered to `webhook_url` if set) and returned."""
        with self.lock:
            event = self._expire(session_id, request=None)
        self._deliver_all([event])
        return event

    def session_for(self, **metadata: str) -> dict[str, Any]:
        """The newest session whose metadata contains all of `metadata` (KeyError if none)."""
        with self.lock:
            for session in reversed(list(self.sessions.values())):
                if all(session["metadata"].get(key) == value for key, value in metadata.items()):
                    return session
        raise KeyError(metadata)

    def events_of_type(self, type_: str) -> list[dict[str, Any]]:
        with self.lock:
            return [event for event in self.events if event["type"] == type_]

    def sign(self, payload: bytes | str, timestamp: int | None = None, secret: str | None = None) -> str:
        """The `Stripe-Signature` header Stripe would send with `payload`."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        ts = int(time.time()) if timestamp is None else int(timestamp)
        key = (self.webhook_secret if secret is None else secret).encode("utf-8")
        digest = hmac.new(key, f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
        return f"t={ts},v1={digest}"

    def signed(
        self, event: dict[str, Any], timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """`(body, headers)` ready to POST to a webhook endpoint, e.g. with a Flask test client:
        `client.post("/stripe/webhook", data=body, headers=headers)`."""
        body = json.dumps(event, indent=2).encode("utf-8")
        return body, {"Stripe-Signature": self.sign(body, timestamp, secret), "Content-Type": "application/json"}

    def deliver(self, event: dict[str, Any], url: str | None = None) -> int:
        """POST the signed event to `url` (default `webhook_url`); the response status, 4xx/5xx
        included. Connection errors propagate (`URLError`/`OSError`)."""
        target = url or self.webhook_url
        if not target:
            raise ValueError("no url given and webhook_url is not set")
        body, headers = self.signed(event)
        headers["User-Agent"] = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
        record: dict[str, Any] = {"event_id": event["id"], "type": event["type"], "url": target,
                                  "status": None, "error": None}
        try:
            try:
                with _OPENER.open(Request(target, data=body, headers=headers, method="POST"), timeout=30) as resp:
                    resp.read()
                    record["status"] = resp.status
            except HTTPError as exc:
                exc.read()
                record["status"] = exc.code
        except OSError as exc:
            record["error"] = repr(exc)
            raise
        finally:
            with self.lock:
                self.deliveries.append(record)
                if record["status"] is not None:
                    self._delivered.add(event["id"])
        return record["status"]

    def deliver_pending(self, url: str | None = None) -> list[int | None]:
        """Deliver, in order, every event not delivered yet (e.g. those caused by API calls)."""
        with self.lock:
            pending = [event for event in self.events if event["id"] not in self._delivered]
        return self._deliver_all(pending, url, required=True)

    def _deliver_all(
        self, events: list[dict[str, Any]], url: str | None = None, required: bool = False
    ) -> list[int | None]:
        target = url or self.webhook_url
        if not target:
            if required:
                raise ValueError("no url given and webhook_url is not set")
            return []
        statuses: list[int | None] = []
        for event in events:
            try:
                statuses.append(self.deliver(event, target))
            except OSError:
                statuses.append(None)
        return statuses

    # -- state changes (call with the lock held) ---------------------------------------------

    def _emit(
        self,
        type_: str,
        obj: dict[str, Any],
        request: dict[str, Any] | None,
        previous_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"object": _snapshot(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = _snapshot(previous_attributes)
        event = {
            "id": _new_id("evt_test"),
            "object": "event",
            "api_version": self.api_version,
            "created": int(time.time()),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1 if self.webhook_url else 0,
            "request": request or {"id": None, "idempotency_key": None},
            "type": type_,
        }
        self.events.append(event)
        return event

    def _session(self, session_id: str) -> dict[str, Any]:
        session = self.sessions.get(session_id)
        if session is None:
            raise FakeStripeError(
                404, f"No such checkout.session: '{session_id}'", code="resource_missing", param="session"
            )
        return session

    def _create_session(self, p: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        mode = p.get("mode")
        if not mode:
            raise _missing("mode")
        if mode not in ("payment", "setup", "subscription"):
            raise _invalid("mode", f"Invalid mode: must be one of payment, setup, or subscription, not {mode!r}")
        if mode != "payment":
            raise _invalid("mode", "FakeStripe only supports mode=payment.")
        if p.get("ui_mode", "hosted") != "hosted":
            raise _invalid("ui_mode", "FakeStripe only supports ui_mode=hosted.")
        success_url = p.get("success_url")
        if not success_url:
            raise _missing("success_url")
        pi_data = p.get("payment_intent_data") or {}
        if not isinstance(pi_data, dict):
            raise _invalid("payment_intent_data", "Invalid object")
        if pi_data.get("capture_method") not in (None, "automatic", "automatic_async"):
            raise _invalid("payment_intent_data[capture_method]", "FakeStripe only supports automatic capture.")
        pi_metadata = _metadata(pi_data.get("metadata"), "payment_intent_data[metadata]")
        metadata = _metadata(p.get("metadata"), "metadata")
        client_reference_id = p.get("client_reference_id")
        if client_reference_id is not None and len(client_reference_id) > 200:
            raise _invalid("client_reference_id", "client_reference_id can be at most 200 characters long.")

        line_items = p.get("line_items")
        if not line_items:
            raise _missing("line_items")
        if not isinstance(line_items, list):
            raise _invalid("line_items", "Invalid array")
        currency = (p.get("currency") or "").lower() or None
        total = 0
        items = []
        for i, item in enumerate(line_items):
            where = f"line_items[{i}]"
            if not isinstance(item, dict):
                raise _invalid(where, "Invalid object")
            if item.get("price"):
                raise FakeStripeError(
                    400, f"No such price: '{item['price']}'", code="resource_missing", param=f"{where}[price]"
                )
            price_data = item.get("price_data")
            if not isinstance(price_data, dict):
                raise _missing(f"{where}[price_data]")
            item_currency = (price_data.get("currency") or "").lower()
            if not item_currency:
                raise _missing(f"{where}[price_data][currency]")
            if "unit_amount" in price_data:
                unit_amount = _int_param(price_data["unit_amount"], f"{where}[price_data][unit_amount]", 0)
            elif "unit_amount_decimal" in price_data:
                try:
                    decimal = Decimal(price_data["unit_amount_decimal"])
                except InvalidOperation:
                    raise _invalid(f"{where}[price_data][unit_amount_decimal]", "Invalid decimal") from None
                if decimal != decimal.to_integral_value() or decimal < 0:
                    raise _invalid(
                        f"{where}[price_data][unit_amount_decimal]", "FakeStripe only supports whole unit amounts."
                    )
                unit_amount = int(decimal)
            else:
                raise _missing(f"{where}[price_data][unit_amount]")
            product_data = price_data.get("product_data")
            if isinstance(product_data, dict):
                name = product_data.get("name")
                if not name:
                    raise _missing(f"{where}[price_data][product_data][name]")
            elif price_data.get("product"):
                name = price_data["product"]
            else:
                raise _missing(f"{where}[price_data][product_data]")
            if "quantity" not in item:
                raise _missing(f"{where}[quantity]")
            quantity = _int_param(item["quantity"], f"{where}[quantity]", 1)
            if currency is not None and item_currency != currency:
                raise _invalid(
                    f"{where}[price_data][currency]",
                    "All line items in a Checkout Session must have the same currency.",
                )
            currency = item_currency
            amount = unit_amount * quantity
            total += amount
            items.append({
                "id": _new_id("li"),
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": item_currency,
                "description": name,
                "price": {
                    "id": _new_id("price"),
                    "object": "price",
                    "currency": item_currency,
                    "product": price_data.get("product") or _new_id("prod"),
                    "type": "one_time",
                    "unit_amount": unit_amount,
                },
                "quantity": quantity,
            })

        created = int(time.time())
        if p.get("expires_at") not in (None, ""):
            expires_at = _int_param(p["expires_at"], "expires_at")
            if not created + 30 * 60 - 60 <= expires_at <= created + 24 * 3600 + 60:
                raise _invalid(
                    "expires_at",
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours after Checkout Session "
                    "creation.",
                )
        else:
            expires_at = created + 24 * 3600

        session_id = _new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": p.get("cancel_url"),
            "client_reference_id": client_reference_id,
            "created": created,
            "currency": currency,
            "customer": p.get("customer"),
            "customer_details": None,
            "customer_email": p.get("customer_email"),
            "expires_at": expires_at,
            "livemode": False,
            "locale": p.get("locale"),
            "metadata": metadata,
            "mode": mode,
            "payment_intent": None,
            "payment_method_types": p.get("payment_method_types") or ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "submit_type": p.get("submit_type"),
            "success_url": success_url,
            "ui_mode": "hosted",
            "url": f"{self.url}/checkout/{session_id}",
        }
        self.sessions[session_id] = session
        self._line_items[session_id] = items
        self._payment_intent_data[session_id] = {**pi_data, "metadata": pi_metadata}
        return session

    def _expire(self, session_id: str, request: dict[str, Any] | None) -> dict[str, Any]:
        session = self._session(session_id)
        if session["status"] != "open":
            raise FakeStripeError(
                400,
                'Only Checkout Sessions with a status in ["open"] can be expired. '
                f"This Checkout Session has a status of `{session['status']}`.",
            )
        session["status"] = "expired"
        session["url"] = None
        return self._emit("checkout.session.expired", session, request)

    def _complete_session(self, session_id: str) -> list[dict[str, Any]]:
        session = self._session(session_id)
        if session["status"] != "open":
            raise FakeStripeError(400, f"This Checkout Session is no longer active (status `{session['status']}`).")
        pi_data = self._payment_intent_data.get(session_id, {})
        metadata = dict(pi_data.get("metadata") or session["metadata"])
        created = int(time.time())
        amount = session["amount_total"]
        pi_id, charge_id = _new_id("pi"), _new_id("ch")
        payment_method = _new_id("pm")
        email = session["customer_email"] or "customer@example.com"
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "captured": True,
            "created": created,
            "currency": session["currency"],
            "customer": session["customer"],
            "description": pi_data.get("description"),
            "livemode": False,
            "metadata": dict(metadata),
            "paid": True,
            "payment_intent": pi_id,
            "payment_method": payment_method,
            "receipt_email": pi_data.get("receipt_email"),
            "refunded": False,
            "status": "succeeded",
        }
        intent = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": amount,
            "capture_method": "automatic",
            "created": created,
            "currency": session["currency"],
            "customer": session["customer"],
            "description": pi_data.get("description"),
            "latest_charge": charge_id,
            "livemode": False,
            "metadata": metadata,
            "payment_method": payment_method,
            "payment_method_types": list(session["payment_method_types"]),
            "receipt_email": pi_data.get("receipt_email"),
            "status": "succeeded",
        }
        self.charges[charge_id] = charge
        self.payment_intents[pi_id] = intent
        session.update(
            status="complete",
            payment_status="paid",
            payment_intent=pi_id,
            url=None,
            customer_details={"email": email, "name": None, "phone": None, "address": None},
        )
        return [
            self._emit("checkout.session.completed", session, None),
            self._emit("payment_intent.succeeded", intent, None),
        ]

    def _create_refund(self, p: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        if p.get("payment_intent") and p.get("charge"):
            raise _invalid("charge", "You cannot specify both charge and payment_intent.")
        if p.get("payment_intent"):
            intent = self.payment_intents.get(p["payment_intent"])
            if intent is None:
                raise FakeStripeError(
                    404, f"No such payment_intent: '{p['payment_intent']}'", code="resource_missing",
                    param="payment_intent",
                )
            charge = self.charges[intent["latest_charge"]]
        elif p.get("charge"):
            charge = self.charges.get(p["charge"])
            if charge is None:
                raise FakeStripeError(404, f"No such charge: '{p['charge']}'", code="resource_missing", param="charge")
        else:
            raise _missing("payment_intent")
        reason = p.get("reason") or None
        if reason is not None and reason not in REFUND_REASONS:
            raise _invalid("reason", "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer")
        metadata = _metadata(p.get("metadata"), "metadata")
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = remaining if p.get("amount") in (None, "") else _int_param(p["amount"], "amount", 1)
        if remaining <= 0:
            raise FakeStripeError(
                400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
            )
        if amount > remaining:
            raise FakeStripeError(
                400,
                f"Refund amount ({format_amount(amount, charge['currency'])}) is greater than unrefunded amount on "
                f"charge ({format_amount(remaining, charge['currency'])})",
                code="amount_too_large",
                param="amount",
            )
        refund = {
            "id": _new_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "metadata": metadata,
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self._emit("charge.refunded", charge, request, previous)
        self._emit("refund.created", refund, request)
        return refund

    # -- HTTP API ----------------------------------------------------------------------------

    def _lookup(self, store: dict[str, dict[str, Any]], kind: str, object_id: str) -> dict[str, Any]:
        obj = store.get(object_id)
        if obj is None:
            raise FakeStripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id")
        return obj

    def _expand(self, obj: dict[str, Any], expand: Any) -> dict[str, Any]:
        """Supports `expand=["payment_intent", "payment_intent.latest_charge", "latest_charge", "charge"]`."""
        if not expand:
            return obj
        paths = expand if isinstance(expand, list) else [expand]
        out = copy.deepcopy(obj)
        stores = {"payment_intent": self.payment_intents, "latest_charge": self.charges, "charge": self.charges}
        for path in paths:
            node = out
            for field in str(path).split("."):
                if not isinstance(node, dict) or field not in node:
                    raise _invalid("expand", f"This property cannot be expanded ({path}).")
                value = node[field]
                if isinstance(value, str) and field in stores and value in stores[field]:
                    value = node[field] = copy.deepcopy(stores[field][value])
                node = value
        return out

    def _route(self, method: str, path: str, p: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "checkout", "sessions"]:
            return self._expand(self._create_session(p, request), p.get("expand"))
        if len(parts) >= 4 and parts[:3] == ["v1", "checkout", "sessions"]:
            session_id, rest = parts[3], parts[4:]
            if method == "GET" and not rest:
                return self._expand(self._session(session_id), p.get("expand"))
            if method == "POST" and rest == ["expire"]:
                self._expire(session_id, request)
                return self._expand(self.sessions[session_id], p.get("expand"))
            if method == "GET" and rest == ["line_items"]:
                self._session(session_id)
                return {
                    "object": "list",
                    "data": self._line_items[session_id],
                    "has_more": False,
                    "url": f"/v1/checkout/sessions/{session_id}/line_items",
                }
        if method == "POST" and parts == ["v1", "refunds"]:
            return self._expand(self._create_refund(p, request), p.get("expand"))
        if method == "GET" and len(parts) == 3:
            kinds = {
                "payment_intents": (self.payment_intents, "payment_intent"),
                "charges": (self.charges, "charge"),
                "refunds": (self.refunds, "refund"),
            }
            if parts[1] in kinds and parts[0] == "v1":
                store, kind = kinds[parts[1]]
                return self._expand(self._lookup(store, kind, parts[2]), p.get("expand"))
            if parts[:2] == ["v1", "events"]:
                for event in self.events:
                    if event["id"] == parts[2]:
                        return event
                raise FakeStripeError(404, f"No such event: '{parts[2]}'", code="resource_missing", param="id")
        raise FakeStripeError(
            404,
            f"Unrecognized request URL ({method}: {path}). FakeStripe only implements what the tests need.",
            replayable=False,
        )

    def _authenticate(self, headers: dict[str, str]) -> str:
        auth = headers.get("authorization", "")
        key = ""
        if auth.startswith("Bearer "):
            key = auth[len("Bearer "):].strip()
        elif auth.startswith("Basic "):
            try:
                key = base64.b64decode(auth[len("Basic "):]).decode().split(":", 1)[0]
            except ValueError:
                key = ""
        if not key:
            raise FakeStripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
                replayable=False,
            )
        if not hmac.compare_digest(key, self.api_key):
            raise FakeStripeError(
                401, f"Invalid API Key provided: {key[:8]}{'*' * max(0, len(key) - 12)}{key[-4:]}", replayable=False
            )
        return key

    def _handle_api(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str], bool]:
        """(status, JSON body, extra response headers, replayed)."""
        request_id = _new_id("req")
        key = headers.get("idempotency-key") if method == "POST" else None
        out_headers = {"Request-Id": request_id}
        with self.lock:
            try:
                api_key = self._authenticate(headers)
            except FakeStripeError as exc:
                return exc.status, exc.body(), out_headers, False
            stored = self._idempotency.get((api_key, key)) if key else None
            if stored is not None:
                if stored["method"] != method or stored["path"] != path:
                    error = FakeStripeError(
                        400,
                        "Keys for idempotent requests can only be used for the same endpoint they were first used "
                        f"for ('{stored['method']} {stored['path']}' vs '{method} {path}'). Try using a key other "
                        f"than '{key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                    return error.status, error.body(), out_headers, False
                if stored["params"] != params:
                    error = FakeStripeError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different "
                        "request.",
                        type="idempotency_error",
                    )
                    return error.status, error.body(), out_headers, False
                replay_headers = {
                    **out_headers, "Idempotent-Replayed": "true", "Original-Request": stored["request_id"]
                }
                return stored["status"], copy.deepcopy(stored["body"]), replay_headers, True
            replayable = True
            try:
                status, body = 200, self._route(method, path, params, {"id": request_id, "idempotency_key": key})
            except FakeStripeError as exc:
                status, body, replayable = exc.status, exc.body(), exc.replayable
            body = _snapshot(body)
            if key and replayable:
                self._idempotency[(api_key, key)] = {
                    "method": method, "path": path, "params": params, "status": status,
                    "body": copy.deepcopy(body), "request_id": request_id,
                }
            return status, body, out_headers, False

    # -- checkout pages ----------------------------------------------------------------------

    def _page(self, title: str, body: str) -> str:
        return (
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
        )

    def _checkout_page(self, session_id: str) -> tuple[int, str]:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                return 404, self._page("Fake Stripe Checkout", "<h1>Fake Stripe Checkout</h1><p>No such session.</p>")
            items = self._line_items.get(session_id, [])
            amount = format_amount(session["amount_total"], session["currency"])
            rows = "".join(
                f"<li>{html.escape(str(item['description']))} &times; {item['quantity']}: "
                f"{html.escape(format_amount(item['amount_total'], item['currency']))}</li>"
                for item in items
            )
            parts = [
                "<h1>Fake Stripe Checkout</h1>",
                f"<ul id=\"items\">{rows}</ul>",
                (
                    f"<p>Total: <strong id=\"amount\" data-amount=\"{session['amount_total']}\" "
                    f"data-currency=\"{html.escape(session['currency'])}\">{html.escape(amount)}</strong></p>"
                ),
            ]
            if session["status"] == "open":
                parts.append(
                    f"<form method=\"post\" action=\"/checkout/{session_id}/pay\">"
                    "<button type=\"submit\" id=\"pay\">Pay</button></form>"
                )
                if session["cancel_url"]:
                    parts.append(f"<a id=\"cancel\" href=\"/checkout/{session_id}/cancel\">Cancel</a>")
            else:
                parts.append(
                    f"<p id=\"error\">This Checkout Session is no longer active ({html.escape(session['status'])}).</p>"
                )
            return 200, self._page("Fake Stripe Checkout", "\n".join(parts))

    def _handle_page(self, method: str, path: str) -> tuple[int, str, str | None]:
        """(status, HTML, Location or None) for /checkout/<id>[/pay|/cancel]."""
        parts = path.strip("/").split("/")
        if len(parts) == 2 and method == "GET":
            status, page = self._checkout_page(parts[1])
            return status, page, None
        if len(parts) == 3 and parts[2] == "pay" and method == "POST":
            try:
                with self.lock:
                    events = self._complete_session(parts[1])
                    success_url = self.sessions[parts[1]]["success_url"]
            except FakeStripeError as exc:
                message = f"<h1>Fake Stripe Checkout</h1><p id=\"error\">{html.escape(exc.message)}</p>"
                return exc.status, self._page("Fake Stripe Checkout", message), None
            self._deliver_all(events)
            return 303, "", success_url.replace("{CHECKOUT_SESSION_ID}", parts[1])
        if len(parts) == 3 and parts[2] == "cancel" and method in ("GET", "POST"):
            with self.lock:
                session = self.sessions.get(parts[1])
                cancel_url = session and session["cancel_url"]
            if not cancel_url:
                return 404, self._page("Fake Stripe Checkout", "<p id=\"error\">Nothing to cancel to.</p>"), None
            return 303, "", cancel_url
        return 404, self._page("Fake Stripe Checkout", "<p id=\"error\">Not found.</p>"), None


class _Handler(BaseHTTPRequestHandler):
    owner: FakeStripe
    server_version = "FakeStripe/1.0"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default log on stderr."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        fake = self.owner
        path = urlsplit(self.path).path
        headers = {key.lower(): value for key, value in self.headers.items()}
        self._request = (method, path, headers, {}, False)
        self._logged = False
        try:
            params = self._params(headers)
            self._request = (method, path, headers, params, False)
            if path.startswith("/v1/"):
                status, body, extra, replayed = fake._handle_api(method, path, params, headers)
                self._request = (method, path, headers, params, replayed)
                extra.setdefault("Stripe-Version", headers.get("stripe-version", fake.api_version))
                self._send(status, json.dumps(body, indent=2).encode(), "application/json", extra)
            elif path.startswith("/checkout/"):
                status, page, location = fake._handle_page(method, path)
                extra = {"Location": location} if location else {}
                self._send(status, page.encode(), "text/html; charset=utf-8", extra)
            else:
                self._send(404, b"Not found", "text/plain", {})
        except Exception as exc:  # a bug in the fake: say so, and tell the library not to retry
            body = {"error": {"type": "api_error", "message": f"FakeStripe crashed: {exc!r}"}}
            self._send(500, json.dumps(body).encode(), "application/json", {"Stripe-Should-Retry": "false"})
            raise

    def _log(self, status: int) -> None:
        """Record the request before its answer leaves: a client that reads the log right after the
        answer must find it there."""
        if self._logged:
            return
        self._logged = True
        method, path, headers, params, replayed = self._request
        with self.owner.lock:
            self.owner.requests.append(RecordedRequest(
                method, path, headers.get("idempotency-key"), params, status, replayed, headers
            ))

    def _params(self, headers: dict[str, str]) -> dict[str, Any]:
        """Query string and form body, decoded into nested data."""
        pairs = parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
        length = int(headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = headers.get("content-type", "application/x-www-form-urlencoded")
        if raw and content_type.startswith("application/x-www-form-urlencoded"):
            pairs += parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        return parse_params(pairs)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self._log(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def fake_stripe():
    """A started `FakeStripe(webhook_secret="whsec_test_secret")`, stopped afterwards."""
    with FakeStripe(webhook_secret="whsec_test_secret") as fake:
        yield fake
