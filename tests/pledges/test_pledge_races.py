"""Pledges and payment events at the same moment, with real threads on a database whose requests really
commit (`race_app`). On PostgreSQL this is the real race: row locks and the conditional UPDATEs decide.
On SQLite writers queue up, and a writer whose snapshot went stale is refused ("database is locked",
a 409 in the app); callers then retry, as a browser or Stripe would.

* 100 patrons pledge random amounts against one goal: paid + reserved never above the goal, every
  refused patron told why, and no refused pledge would have fitted after all.
* goods: never more pledged than the missing quantity.
* every webhook event delivered ten times, shuffled, from 8 threads over real HTTP: one state change
  per event, one stored row per event id, counters that add up.
* the sweep racing the webhook for the same payments.
* two requests interleaved on purpose (one commits while the other holds what it read): the second
  must not move the counters by what it read before.
"""
from __future__ import annotations

import json
import queue
import random
import re
import threading
import time
from collections import Counter, defaultdict
from urllib.error import HTTPError
from urllib.request import ProxyHandler, Request, build_opener

import pytest
import stripe
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests.conftest import ON_POSTGRES
from tests.pledges.test_pledge_support import (  # noqa: F401  (fixtures)
    WEBHOOK, audits, card_pledge, expected_counters, fake_stripe, notifications, open_need, patron, requests_to,
    wire_stripe,
)

_OPENER = build_opener(ProxyHandler({}))


def run_threads(count: int, work) -> None:
    """`work(i)` in `count` threads released together; every thread must finish."""
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"


def busy(exc: Exception) -> bool:
    """SQLite's "a writer is ahead of you" (the app answers it with a 409; the caller retries)."""
    return not ON_POSTGRES and isinstance(exc, OperationalError) and "database is locked" in str(exc)


def in_own_request(app, work, retries: list[int], i: int):
    """Run `work()` in its own app context and session and commit, retrying SQLite's busy refusals the
    way a user or Stripe retries a 409. Whatever `work` raises otherwise is returned, not raised."""
    from marketplace.core.extensions import db

    jitter = random.Random(i)
    for _attempt in range(200):
        with app.app_context(), force_locale("en"):
            try:
                result = work()
                db.session.commit()
                return result
            except Exception as exc:  # noqa: BLE001  (sorted out by the caller)
                db.session.rollback()
                if busy(exc):
                    retries[i] += 1
                    time.sleep(jitter.uniform(0.001, 0.02))
                    continue
                return exc
    return RuntimeError("still busy after 200 attempts")


def tenge(text: str) -> int:
    """'1,234.56 ₸' (English format) back to tiyn."""
    number = text.replace("\u00a0₸", "").replace(",", "")
    return round(float(number) * 100)


# --- 100 patrons, one goal --------------------------------------------------------------------------

PATRONS = 100
GOAL = 2_000_000  # 20 000 ₸; the pledges below ask for about 55 000 ₸ in all
OVER = re.compile(r"^Only (.+) is still missing; please pledge at most that\.$")
COVERED = "Thank you, but this request is already fully covered."


def test_hundred_patrons_pledge_random_amounts_at_once(race_app, capsys):
    from marketplace.accounts.models import User
    from marketplace.core.audit.models import AuditEntry
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need
    from marketplace.pledges import services
    from marketplace.pledges.models import Pledge, PledgeStatus as S

    rng = random.Random(20261125)
    amounts = [rng.randrange(100_00, 1_000_00 + 1) for _ in range(PATRONS)]  # 100 – 1 000 ₸, to the tiyn
    with race_app.app_context():
        need_id = open_need(money_goal=GOAL).id
        patron_ids = [patron().id for _ in range(PATRONS)]
    results: list = [None] * PATRONS
    retries = [0] * PATRONS

    def pledge(i: int) -> None:
        def work():
            need, who = db.session.get(Need, need_id), db.session.get(User, patron_ids[i])
            return services.pledge_money(need, who, amount=amounts[i]).id
        results[i] = in_own_request(race_app, work, retries, i)

    run_threads(PATRONS, pledge)

    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, services.PledgeRefused)]
    assert errors == []
    accepted = {i: r for i, r in enumerate(results) if isinstance(r, int)}
    refusals = {i: r for i, r in enumerate(results) if isinstance(r, services.PledgeRefused)}
    assert len(accepted) + len(refusals) == PATRONS
    for i, refusal in refusals.items():  # every refused patron is told why, with the amount still open
        if refusal.code == "over_goal":
            missing = tenge(OVER.match(refusal.message).group(1))
            assert 0 < missing < amounts[i], (refusal.message, amounts[i])
        else:
            assert (refusal.code, refusal.message) == ("fully_covered", COVERED)

    with race_app.app_context():
        need = db.session.get(Need, need_id)
        pledged = db.session.scalars(select(Pledge).where(Pledge.need_id == need_id)).all()
        assert sorted(p.id for p in pledged) == sorted(accepted.values())
        assert all(p.status is S.AWAITING_TRANSFER for p in pledged)
        assert sum(p.amount for p in pledged) == sum(amounts[i] for i in accepted) == need.money_reserved
        assert need.money_raised + need.money_reserved <= need.money_goal
        created = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.action == "pledge.create"))
        assert created == len(accepted)
        # Nobody was refused for nothing: every refused amount is still too big for what is left.
        left = need.money_open
        assert all(amounts[i] > left for i in refusals)
        reserved = need.money_reserved

        # The last tiyn: what is left can be pledged exactly, and then the request is covered.
        with force_locale("en"):
            if left < services.MIN_AMOUNT:  # less than the smallest pledge is left: even that is refused
                with pytest.raises(services.PledgeRefused) as small:
                    services.pledge_money(need, db.session.get(User, patron_ids[0]), amount=services.MIN_AMOUNT)
                # Nothing left at all: "already fully covered"; a few tiyn left: "at most what is missing".
                assert small.value.code == ("fully_covered" if left == 0 else "over_goal")
                db.session.rollback()
                need.money_goal += services.MIN_AMOUNT  # the office adds a little to the goal
                db.session.commit()
                left += services.MIN_AMOUNT
            services.pledge_money(need, db.session.get(User, patron_ids[0]), amount=left)
            db.session.commit()
            with pytest.raises(services.PledgeRefused) as full:
                services.pledge_money(need, db.session.get(User, patron_ids[1]), amount=services.MIN_AMOUNT)
            assert (full.value.code, full.value.message) == ("fully_covered", COVERED)
            db.session.rollback()
            assert need.money_reserved == need.money_goal

    codes = Counter(r.code for r in refusals.values())
    with capsys.disabled():
        print(f"\n[{'postgresql' if ON_POSTGRES else 'sqlite'}] {PATRONS} threads: {len(accepted)} accepted "
              f"({reserved} of {GOAL} tiyn reserved, {GOAL - reserved} left), {len(refusals)} refused "
              f"({dict(codes)}), {sum(retries)} busy retries")
    if ON_POSTGRES:
        assert sum(retries) == 0  # PostgreSQL queues on the row lock: nobody is ever told "busy"


def test_hundred_patrons_pledge_through_the_pledge_form_at_once(race_app, capsys):
    """The same race through HTTP: 100 logged-in patrons post the pledge form (whole tenge) at once.
    Accepted pledges are sent on (303); refused ones get the form back (409) saying why. On SQLite a
    patron may be told the site was busy (409 without that message) and simply sends the form again."""
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need
    from marketplace.pledges.models import Pledge
    from tests.conftest import login

    rng = random.Random(1)
    amounts = [rng.randrange(100, 1_001) for _ in range(PATRONS)]  # tenge, as typed into the form
    with race_app.app_context():
        need_id = open_need(money_goal=GOAL).id
        emails = [patron().email for _ in range(PATRONS)]
    clients = []
    for email in emails:
        client = race_app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert login(client, type("Login", (), {"email": email})()).status_code == 302
        clients.append(client)
    answers: list = [None] * PATRONS
    busy_retries = [0] * PATRONS

    def pledge(i: int) -> None:
        for _attempt in range(200):
            response = clients[i].post(f"/needs/{need_id}/pledge", data={"kind": "money", "amount": str(amounts[i])})
            page = response.get_data(as_text=True)
            said = re.search(r"Only (.+?) is still missing; please pledge at most that\.", page)
            covered = "already fully covered" in page
            if response.status_code == 409 and not (said or covered) and not ON_POSTGRES:
                busy_retries[i] += 1  # "busy, try again": the patron sends the form again
                time.sleep(random.Random(i).uniform(0.001, 0.02))
                continue
            answers[i] = (response.status_code, tenge(said.group(1)) if said else None, covered)
            return

    run_threads(PATRONS, pledge)
    codes = Counter(code for code, _, _ in answers)
    assert set(codes) <= {303, 409}, codes
    for i, (code, missing, covered) in enumerate(answers):
        if code == 409:  # told why: what is still missing (less than asked), or that nothing is
            assert covered or 0 < missing < amounts[i] * 100, (answers[i], amounts[i])
    accepted = [i for i, (code, _, _) in enumerate(answers) if code == 303]
    with race_app.app_context():
        need = db.session.get(Need, need_id)
        total = db.session.scalar(select(func.sum(Pledge.amount)).where(Pledge.need_id == need_id))
        assert total == sum(amounts[i] * 100 for i in accepted) == need.money_reserved
        assert need.money_raised + need.money_reserved <= need.money_goal
        assert all(amounts[i] * 100 > need.money_open for i, (code, _, _) in enumerate(answers) if code == 409)
        reserved = need.money_reserved
    with capsys.disabled():
        print(f"\n[{'postgresql' if ON_POSTGRES else 'sqlite'}] HTTP: {PATRONS} patrons, {len(accepted)} accepted "
              f"({reserved} of {GOAL} tiyn reserved), {codes[409]} refused with the reason, "
              f"{sum(busy_retries)} busy retries")


def test_patrons_pledging_and_withdrawing_at_once_keep_the_counters_exact(race_app):
    """Half the threads withdraw a pledge while the other half pledge into the room it frees."""
    from marketplace.accounts.models import User
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need
    from marketplace.pledges import services
    from marketplace.pledges.models import Pledge, PledgeStatus as S

    threads = 40
    with race_app.app_context():
        need = open_need(money_goal=1_000_000)
        people = [patron() for _ in range(threads)]
        mine = [services.pledge_money(need, people[i], amount=50_000).id for i in range(threads // 2)]
        db.session.commit()  # 20 × 500 ₸ = the whole goal reserved
        need_id, people_ids = need.id, [p.id for p in people]
    results: list = [None] * threads
    retries = [0] * threads

    def act(i: int) -> None:
        def work():
            if i < threads // 2:
                pledge = db.session.get(Pledge, mine[i])
                return services.change_pledge(pledge, "cancel", actor=pledge.patron, reason="changed my mind").id
            return services.pledge_money(db.session.get(Need, need_id), db.session.get(User, people_ids[i]),
                                         amount=40_000 + i * 1_000).id
        results[i] = in_own_request(race_app, work, retries, i)

    run_threads(threads, act)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, services.PledgeRefused)]
    assert all(isinstance(r, int) for r in results[:threads // 2])  # withdrawing always works
    with race_app.app_context():
        need = db.session.get(Need, need_id)
        live = db.session.scalars(select(Pledge).where(Pledge.need_id == need_id,
                                                       Pledge.status == S.AWAITING_TRANSFER)).all()
        assert need.money_reserved == sum(p.amount for p in live) <= need.money_goal
        assert (need.money_reserved, need.money_raised) == expected_counters(need_id)


# --- goods --------------------------------------------------------------------------------------------

def test_goods_pledged_at_once_never_exceed_the_missing_quantity(race_app, capsys):
    from marketplace.accounts.models import User
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need, NeedItem
    from marketplace.pledges import services
    from marketplace.pledges.models import GoodsDelivery, Pledge
    from tests.factories import NeedItemFactory

    threads, wanted = 40, 50
    rng = random.Random(5)
    quantities = [rng.randint(1, 4) for _ in range(threads)]
    with race_app.app_context():
        need = open_need(money_goal=None)
        item = NeedItemFactory(need=need, name="Тетрадь", quantity=wanted)
        need_id, item_id, people = need.id, item.id, [patron().id for _ in range(threads)]
    results: list = [None] * threads
    retries = [0] * threads

    def pledge(i: int) -> None:
        def work():
            return services.pledge_goods(db.session.get(Need, need_id), db.session.get(User, people[i]),
                                         item_id=item_id, quantity=quantities[i],
                                         delivery=GoodsDelivery.VOLUNTEER if i % 3 == 0 else GoodsDelivery.OFFICE).id
        results[i] = in_own_request(race_app, work, retries, i)

    run_threads(threads, pledge)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, services.PledgeRefused)]
    accepted = [i for i, r in enumerate(results) if isinstance(r, int)]
    refused = {i: r for i, r in enumerate(results) if isinstance(r, services.PledgeRefused)}
    for i, refusal in refused.items():
        if refusal.code == "over_goal":
            n = int(re.match(r"^Only (\d+) of “Тетрадь” are still missing", refusal.message).group(1))
            assert 0 < n < quantities[i]
        else:
            assert refusal.code == "fully_covered" and "already pledged" in refusal.message
    with race_app.app_context():
        item = db.session.get(NeedItem, item_id)
        need = db.session.get(Need, need_id)
        pledges = db.session.scalars(select(Pledge).where(Pledge.item_id == item_id)).all()
        assert item.quantity_pledged == sum(p.quantity for p in pledges) == sum(quantities[i] for i in accepted)
        assert item.quantity_pledged <= item.quantity
        assert all(quantities[i] > item.missing for i in refused)  # no refusal for nothing
        # One volunteer place per goods pledge delivered by a volunteer, and no more.
        assert need.volunteer_slots == sum(1 for i in accepted if i % 3 == 0)
    with capsys.disabled():
        print(f"\n[{'postgresql' if ON_POSTGRES else 'sqlite'}] goods: {threads} threads, {len(accepted)} accepted "
              f"({item.quantity_pledged} of {wanted} pledged), {len(refused)} refused, {sum(retries)} busy retries")


# --- the webhook, ten times each, shuffled, from 8 threads -----------------------------------------

class LiveServer:
    """The app on a loopback port, as Stripe would reach it."""

    def __init__(self, app) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def deliver(fake, event: dict, url: str) -> tuple[int, dict]:
    """POST the signed event; (status, JSON answer)."""
    body, headers = fake.signed(event)
    try:
        with _OPENER.open(Request(url, data=body, headers=headers, method="POST"), timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}") if exc.headers.get_content_type() == "application/json" else {}


def test_every_event_ten_times_in_shuffled_order_changes_each_pledge_once(race_app, fake_stripe, capsys):
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need
    from marketplace.pledges.models import PaymentEvent, Pledge, PledgeStatus as S

    fake = fake_stripe
    wire_stripe(race_app, fake)
    dashboard = stripe.StripeClient(fake.api_key, base_addresses={"api": fake.url})
    with race_app.app_context():
        need = open_need(money_goal=5_000_000)
        who = {name: patron() for name in "ABCDEFG"}
        amounts = dict(A=300_000, B=450_000, C=120_000, D=200_000, E=500_000, F=600_000, G=150_000)
        pledges = {name: card_pledge(need, who[name], amounts[name]) for name in "ABCDEFG"}
        ids = {name: p.id for name, p in pledges.items()}
        sessions = {name: p.checkout_session_id for name, p in pledges.items()}
        patrons = {name: u.id for name, u in who.items()}
        need_id = need.id
    for name in "ABCEF":
        fake.pay(sessions[name])
    fake.expire_session(sessions["D"])  # D walked away; G's checkout is still open
    intent = {name: fake.sessions[sessions[name]]["payment_intent"] for name in "EF"}
    dashboard.v1.refunds.create({"payment_intent": intent["E"]})  # E refunded in full from the dashboard
    dashboard.v1.refunds.create({"payment_intent": intent["F"], "amount": 100_000})  # F: twice, in part
    dashboard.v1.refunds.create({"payment_intent": intent["F"], "amount": 50_000})
    events = list(fake.events)
    assert len(events) == 5 * 2 + 1 + 3 * 2

    deliveries = [event for event in events for _copy in range(10)]
    random.Random(1125).shuffle(deliveries)
    todo: queue.Queue = queue.Queue()
    for event in deliveries:
        todo.put(event)
    answers: dict[str, list] = defaultdict(list)
    lock = threading.Lock()

    with LiveServer(race_app) as live:
        url = live.url + WEBHOOK

        def worker(_i: int) -> None:
            while True:
                try:
                    event = todo.get_nowait()
                except queue.Empty:
                    return
                status, body = deliver(fake, event, url)
                with lock:
                    answers[event["id"]].append((status, body.get("outcome")))

        run_threads(8, worker)
        first_round = Counter(status for replies in answers.values() for status, _ in replies)
        # Stripe retries what was not answered 2xx (on SQLite a writer may have been told "busy": 409).
        for event in events:
            for _attempt in range(20):
                if any(status == 200 for status, _ in answers[event["id"]]):
                    break
                status, body = deliver(fake, event, url)
                answers[event["id"]].append((status, body.get("outcome")))

    assert set(first_round) <= {200, 409}, first_round
    if ON_POSTGRES:
        assert first_round == {200: len(deliveries)}
    for event in events:  # each event took effect exactly once; every other copy was a duplicate
        applied = [outcome for status, outcome in answers[event["id"]] if status == 200 and outcome != "duplicate"]
        assert len(applied) == 1, (event["type"], answers[event["id"]])

    with race_app.app_context():
        stored = db.session.execute(select(PaymentEvent.event_id, func.count()).group_by(PaymentEvent.event_id)).all()
        assert sorted(stored) == sorted((event["id"], 1) for event in events)
        status = {name: db.session.get(Pledge, ids[name]) for name in ids}
        assert {name: p.status for name, p in status.items()} == dict(
            A=S.PAID, B=S.PAID, C=S.PAID, D=S.CANCELLED, E=S.REFUNDED, F=S.PAID, G=S.PENDING)
        assert (status["E"].amount_refunded, status["F"].amount_refunded) == (500_000, 150_000)
        for name in ids:
            pays = audits(ids[name], "pledge.pay")
            assert len(pays) == (1 if name in "ABCEF" else 0), name
            assert len(audits(ids[name], "pledge.cancel")) == (1 if name == "D" else 0)
            assert len(audits(ids[name], "pledge.refunded")) == (1 if name == "E" else 0)
            assert len(notifications(patrons[name], "pledge.paid")) == (1 if name in "ABCEF" else 0)
        assert len(notifications(patrons["E"], "pledge.refunded")) == 1
        need = db.session.get(Need, need_id)
        raised = amounts["A"] + amounts["B"] + amounts["C"] + amounts["F"] - 150_000
        assert (need.money_reserved, need.money_raised) == (amounts["G"], raised) == expected_counters(need_id)

    with capsys.disabled():
        print(f"\n[{'postgresql' if ON_POSTGRES else 'sqlite'}] webhook: {len(events)} events × 10 = "
              f"{len(deliveries)} deliveries from 8 threads, first round {dict(first_round)}, "
              f"{sum(len(r) for r in answers.values()) - len(deliveries)} redeliveries")


def test_the_sweep_racing_the_webhook_pays_each_pledge_once(race_app, fake_stripe):
    """Payments whose webhooks were slow: two cron sweeps and six webhook workers (one request per event,
    each worker in its own shuffled order) settle the same pledges at the same moment."""
    from datetime import timedelta

    from marketplace.core.dbtypes import utcnow
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need
    from marketplace.pledges import payment_events, sweep
    from marketplace.pledges.models import Pledge, PledgeStatus as S

    fake, count = fake_stripe, 16
    wire_stripe(race_app, fake)
    with race_app.app_context():
        need = open_need()
        pledges = [card_pledge(need, patron(), 100_000 + i) for i in range(count)]
        ids, need_id = [p.id for p in pledges], need.id
        sessions = [p.checkout_session_id for p in pledges]
    events = [event for session in sessions for event in fake.pay(session)]
    retries = [0] * 8
    outcomes: list = [None] * 8

    def act(i: int) -> None:
        if i < 2:  # two cron runs at the same moment, long after the checkouts' expiry
            outcomes[i] = in_own_request(race_app, lambda: sweep.sweep(now=utcnow() + timedelta(hours=1)),
                                         retries, i)
        else:
            mine = random.Random(i).sample(events, len(events))
            answers = [in_own_request(race_app, lambda event=event: payment_events.handle_event(event), retries, i)
                       for event in mine]
            outcomes[i] = next((a for a in answers if isinstance(a, Exception)), answers)

    run_threads(8, act)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    with race_app.app_context():
        assert all(db.session.get(Pledge, pid).status is S.PAID for pid in ids)
        assert [len(audits(pid, "pledge.pay")) for pid in ids] == [1] * count
        need = db.session.get(Need, need_id)
        assert (need.money_reserved, need.money_raised) == (0, sum(100_000 + i for i in range(count)))


def test_the_office_cancelling_a_need_while_its_payments_arrive(race_app, fake_stripe):
    """Twelve patrons pay at the moment the office cancels the need; six webhook workers deliver the
    payments (one request per event) while the cancel settles the pledges. Whichever comes first, every
    payment ends refunded exactly once, and nothing is left on the need."""
    from marketplace.core.roles import Role
    from marketplace.accounts.models import User
    from marketplace.core.extensions import db
    from marketplace.needs.lifecycle import NEED_LIFECYCLE
    from marketplace.needs.models import Need, NeedStatus
    from marketplace.pledges import payment_events
    from marketplace.pledges.models import Pledge, PledgeStatus as S
    from tests.factories import UserFactory

    fake, count = fake_stripe, 12
    wire_stripe(race_app, fake)
    with race_app.app_context():
        need = open_need()
        staff_id = UserFactory(role=Role.STAFF, office_id=need.office_id).id
        pledges = [card_pledge(need, patron(), 100_000 + i) for i in range(count)]
        ids, need_id = [p.id for p in pledges], need.id
        sessions = [p.checkout_session_id for p in pledges]
    events = [event for session in sessions for event in fake.pay(session)]
    retries = [0] * 7
    outcomes: list = [None] * 7

    def act(i: int) -> None:
        if i == 0:
            def cancel():
                NEED_LIFECYCLE.apply(db.session.get(Need, need_id), "cancel", actor=db.session.get(User, staff_id),
                                     reason="the family moved away")
            outcomes[i] = in_own_request(race_app, cancel, retries, i)
        else:
            mine = random.Random(i).sample(events, len(events))
            answers = [in_own_request(race_app, lambda event=event: payment_events.handle_event(event), retries, i)
                       for event in mine]
            outcomes[i] = next((a for a in answers if isinstance(a, Exception)), answers)

    run_threads(7, act)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    with race_app.app_context():
        assert db.session.get(Need, need_id).status is NeedStatus.CANCELLED
        assert [db.session.get(Pledge, pid).status for pid in ids] == [S.REFUND_PENDING] * count
        need = db.session.get(Need, need_id)
        assert (need.money_reserved, need.money_raised) == (0, 0)
    refunds = sorted(int(r["metadata"]["pledge_id"]) for r in fake.refunds.values())
    assert refunds == sorted(ids)  # each payment given back once
    with race_app.app_context():
        for event in fake.events_of_type("charge.refunded"):
            payment_events.handle_event(event)
        db.session.commit()
        assert [db.session.get(Pledge, pid).status for pid in ids] == [S.REFUNDED] * count


# --- two requests interleaved on purpose ------------------------------------------------------------

def _paid_pledge(race_app, fake, amount: int, **kwargs):
    from marketplace.core.extensions import db
    from marketplace.pledges import payment_events

    with race_app.app_context():
        need = open_need(**kwargs)
        pledge = card_pledge(need, patron(), amount)
        for event in fake.pay(pledge.checkout_session_id):
            payment_events.handle_event(event)
        db.session.commit()
        return need.id, pledge.id, pledge.payment_intent_id


def _interleaved(race_app, early, meanwhile, late):
    """Request 1 runs `early()` (reading the pledge), request 2 runs `meanwhile()` and commits, then
    request 1 goes on with `late()` and commits. On SQLite the first request's snapshot is stale by
    then and it is refused as busy (a 409: its caller retries from scratch); True if refused."""
    from marketplace.core.extensions import db

    with race_app.app_context():
        early()
        with race_app.app_context():
            meanwhile()
            db.session.commit()
        try:
            late()
            db.session.commit()
        except OperationalError as exc:
            db.session.rollback()
            if busy(exc):
                return True
            raise
    return False


def test_two_partial_refunds_reported_at_once_are_both_counted_once(race_app, fake_stripe):
    """charge.refunded carries the running total. If the second report read the pledge before the first
    one committed, it must still move the need's money by the difference only."""
    from marketplace.core.extensions import db
    from marketplace.needs.models import Need
    from marketplace.pledges import payment_events
    from marketplace.pledges.models import Pledge

    fake = fake_stripe
    wire_stripe(race_app, fake)
    need_id, pledge_id, intent = _paid_pledge(race_app, fake, 600_000)
    dashboard = stripe.StripeClient(fake.api_key, base_addresses={"api": fake.url})
    dashboard.v1.refunds.create({"payment_intent": intent, "amount": 100_000})
    dashboard.v1.refunds.create({"payment_intent": intent, "amount": 50_000})
    first, second = fake.events_of_type("charge.refunded")

    held = []

    def early():  # request 1 has read the pledge (and holds it: the identity map keeps only what is referenced)
        held.append(db.session.get(Pledge, pledge_id))
        assert held[0].amount_refunded == 0

    refused = _interleaved(race_app, early, meanwhile=lambda: payment_events.handle_event(first),
                           late=lambda: payment_events.handle_event(second))
    if refused:  # SQLite: Stripe retries the refused one
        with race_app.app_context():
            payment_events.handle_event(second)
            db.session.commit()
    with race_app.app_context():
        need, pledge = db.session.get(Need, need_id), db.session.get(Pledge, pledge_id)
        assert pledge.amount_refunded == 150_000
        assert (need.money_reserved, need.money_raised) == (0, 450_000) == expected_counters(need_id)


def test_a_refund_racing_the_need_cancel_refunds_only_what_is_left(race_app, fake_stripe):
    """The office cancels the need while a partial dashboard refund is being reported: the cancel must
    ask Stripe for the rest only, and the counters end at zero, not below."""
    from marketplace.core.roles import Role
    from marketplace.core.extensions import db
    from marketplace.needs.lifecycle import NEED_LIFECYCLE
    from marketplace.needs.models import Need
    from marketplace.pledges import payment_events
    from marketplace.pledges.models import Pledge, PledgeStatus as S
    from tests.factories import UserFactory

    fake = fake_stripe
    wire_stripe(race_app, fake)
    need_id, pledge_id, intent = _paid_pledge(race_app, fake, 400_000)
    with race_app.app_context():
        need = db.session.get(Need, need_id)
        staff_id = UserFactory(role=Role.STAFF, office_id=need.office_id).id
    stripe.StripeClient(fake.api_key, base_addresses={"api": fake.url}).v1.refunds.create(
        {"payment_intent": intent, "amount": 100_000})
    [partial] = fake.events_of_type("charge.refunded")
    held = {}

    def early():
        held["need"] = db.session.get(Need, need_id)
        held["pledge"] = db.session.get(Pledge, pledge_id)  # the cancel request has read the pledge
        held["pledge"].amount_refunded

    def late():
        from marketplace.accounts.models import User

        NEED_LIFECYCLE.apply(held["need"], "cancel", actor=db.session.get(User, staff_id), reason="moved away")

    refused = _interleaved(race_app, early, lambda: payment_events.handle_event(partial), late)
    if refused:  # SQLite: the office clicks again
        with race_app.app_context():
            from marketplace.accounts.models import User

            NEED_LIFECYCLE.apply(db.session.get(Need, need_id), "cancel", actor=db.session.get(User, staff_id),
                                 reason="moved away")
            db.session.commit()
    with race_app.app_context():
        need, pledge = db.session.get(Need, need_id), db.session.get(Pledge, pledge_id)
        assert pledge.status is S.REFUND_PENDING
        assert (need.money_reserved, need.money_raised) == (0, 0) == expected_counters(need_id)
    asked = [r.params.get("amount") for r in requests_to(fake, "/v1/refunds", 2) if r.status == 200]
    assert asked == ["100000", "300000"]  # the dashboard's part, then only the rest
