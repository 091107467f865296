"""The API answers as its OpenAPI document says: schemathesis runs every operation of /api/v1 with all its checks.

The same engine as `schemathesis run --checks all` (examples, coverage, fuzzing and stateful phases), in
process against the WSGI app (no network), with CSRF on as in production, on a database of its own seeded
with needs and claims: once as an anonymous caller, once as a volunteer with a personal API token. The run
is bounded (examples per operation, steps per stateful scenario) and deterministic (a fixed seed, one
worker, derandomized generation, no Hypothesis example database, and Hypothesis' other caches in a temporary
folder, so nothing is written into the repo).
Every check is on; none is excluded.

The engine is driven directly rather than through schemathesis' pytest plugin, whose fixture-based loader
does not run on pytest 9.2 (it sets `Node._nodeid`, which pytest no longer has).
"""
from __future__ import annotations

import traceback
from collections import defaultdict

import pytest
import schemathesis
from hypothesis import configuration
from schemathesis.engine import events
from schemathesis.engine.statistic import Statistic
from schemathesis.transport.wsgi import WSGITransport

from marketplace.accounts import tokens
from marketplace.core.extensions import db
from tests.conftest import drop_database, fresh_database, make_app
from tests.factories import ClaimFactory, NeedFactory
from tests.volunteering.test_claims import volunteer

SEED = 20261125
MAX_EXAMPLES = 25  # per operation in the fuzzing phase
MAX_STEPS = 8  # per scenario in the stateful phase
CLAIM_OPERATIONS = ("POST /needs/{need_id}/claims", "POST /claims/{claim_id}/release",
                    "POST /claims/{claim_id}/complete", "GET /me/claims")
PUBLIC_OPERATIONS = ("GET /needs", "GET /needs/{need_id}")


@pytest.fixture(autouse=True)
def hypothesis_home(tmp_path):
    """Hypothesis caches constants and Unicode tables in its home, `.hypothesis/` in the working directory by
    default, even without an example database: keep them out of the repository."""
    configuration.set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    configuration.set_hypothesis_home_dir(None)


@pytest.fixture
def conformance_app():
    """The app as production runs it (CSRF checked) on a fresh database whose requests really commit."""
    url = fresh_database("conformance")
    app = make_app(url, WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    drop_database(url)


@pytest.fixture
def in_process_probes(monkeypatch):
    """Work around schemathesis 4.32.5: the `ignored_auth` check re-sends a request without its token through the
    WSGI transport with the network-only options (max_redirects, verify, cert), which werkzeug's client refuses
    with a TypeError; drop them, as that transport already does for a requests session."""
    send = WSGITransport.send

    def send_in_process(self, case, *, session=None, **kwargs):
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", send_in_process)


@pytest.fixture
def seeded(conformance_app):
    """Open tasks (two the volunteer has not taken), a need that is not public, and the volunteer's claims in
    several states next to somebody else's."""
    helper = volunteer(db.session)
    tasks = [NeedFactory(open=True, money_goal=None, volunteer_slots=3, volunteer_hours=2) for _ in range(5)]
    hidden = NeedFactory(submitted=True, money_goal=None, volunteer_slots=1)
    claims = [ClaimFactory(need=tasks[0], volunteer=helper, claimed=True),
              ClaimFactory(need=tasks[1], volunteer=helper, in_progress=True),
              ClaimFactory(need=tasks[2], volunteer=helper, done=True),
              ClaimFactory(need=tasks[2])]
    _token, raw = tokens.create_token(helper, "schemathesis")
    db.session.commit()
    seeded = {"token": raw, "need_ids": [need.id for need in (*tasks, hidden)],
              "claim_ids": [claim.id for claim in claims]}
    db.session.remove()
    return seeded


def run_schemathesis(app, seeded: dict, headers: dict | None = None) -> tuple[list[str], dict[str, set[int]]]:
    """Every failure and error the run finds (one readable block each), and the statuses each operation got."""
    config = schemathesis.Config.from_dict({
        "seed": SEED,
        "workers": 1,
        # Its in-process transport hands back the body as sent and, unlike an HTTP client, does not undo a
        # Content-Encoding: ask for none (tests/core/test_compression.py checks the compressed answers).
        "headers": {"Accept-Encoding": "identity", **(headers or {})},
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"max-steps": MAX_STEPS}},
        # Half of the ids are ones that exist, so that the operations are exercised beyond their 404.
        "dictionaries": {"needs": {"values": seeded["need_ids"]}, "claims": {"values": seeded["claim_ids"]}},
        "parameters": {"path.need_id": {"dictionary": "needs", "probability": 0.5},
                       "path.claim_id": {"dictionary": "claims", "probability": 0.5}},
    })
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    statistic = Statistic()
    problems: list[str] = []
    statuses: dict[str, set[int]] = defaultdict(set)
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            statistic.on_scenario_finished(event.recorder)
            for case_id, node in event.recorder.cases.items():
                interaction = event.recorder.interactions.get(case_id)
                if interaction is not None and interaction.response is not None:
                    statuses[node.value.operation.label].add(interaction.response.status_code)
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            problems.append("error: " + "".join(traceback.format_exception(event.value)))
    for label, grouped in statistic.failures.items():
        for group in grouped.values():
            problems.extend(f"{label}: {failure.code} {failure}\n{group.code_sample}" for failure in group.failures)
    return problems, statuses


def test_anonymous_callers_get_what_the_document_says(conformance_app, seeded):
    problems, statuses = run_schemathesis(conformance_app, seeded)
    assert not problems, f"{len(problems)} failures:\n\n" + "\n\n".join(problems)
    for label in PUBLIC_OPERATIONS:
        assert 200 in statuses[label], (label, statuses[label])
    for label in CLAIM_OPERATIONS:
        assert 401 in statuses[label] and not any(200 <= status < 300 for status in statuses[label]), label


def test_a_volunteer_with_a_token_gets_what_the_document_says(conformance_app, seeded, in_process_probes):
    problems, statuses = run_schemathesis(conformance_app, seeded, {"Authorization": f"Bearer {seeded['token']}"})
    assert not problems, f"{len(problems)} failures:\n\n" + "\n\n".join(problems)
    for label in (*PUBLIC_OPERATIONS, *CLAIM_OPERATIONS):  # the token got past the login to a success
        assert any(200 <= status < 300 for status in statuses[label]), (label, statuses[label])
