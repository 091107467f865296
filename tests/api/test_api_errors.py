"""The API's errors as its document says: 401 before any CSRF check, bodies checked against their schemas, every
status an operation gives documented, each error in the caller's language with a stable `code`."""
from __future__ import annotations

import pytest

from marketplace.core.roles import Role
from marketplace.volunteering.models import Claim, ClaimStatus
from tests.api.test_api_claims import bearer, claim_of, conforms
from tests.api.test_api_claims import document, helper, task  # noqa: F401  (the claims tests' fixtures)
from tests.factories import UserFactory
from tests.needs.test_catalogue import translated
from tests.volunteering.test_claims import volunteer

WRITES = [("/api/v1/needs/{need}/claims", None), ("/api/v1/claims/{claim}/release", {"reason": "Заболел"}),
          ("/api/v1/claims/{claim}/complete", {"hours": 2})]


@pytest.fixture
def production_csrf(app):
    """CSRF checked as in production (the testing config turns it off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def operation(document, path: str, method: str = "post") -> dict:
    documented = path.removeprefix("/api/v1").replace("{need}", "{need_id}").replace("{claim}", "{claim_id}")
    return document["paths"][documented][method]


# --- who is calling: 401 before CSRF ----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_a_call_without_login_is_a_401_before_any_csrf_check(app, client, db_session, helper, task, document,
                                                             production_csrf, path, body):
    claim_id = claim_of(client, bearer(helper), task)
    response = client.post(path.format(need=task.id, claim=claim_id), json=body,
                           headers={"Accept-Language": "ru"})
    assert response.status_code == 401, response.get_json()
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    error = response.get_json()["error"]
    assert error["code"] == "login_required"
    assert error["title"] == translated(app, "ru", "Please log in to see this page.")
    conforms(document, "Error", response.get_json())
    assert "WWW-Authenticate" in operation(document, path)["responses"]["401"]["headers"]
    assert db_session.get(Claim, claim_id).status is ClaimStatus.CLAIMED


def test_a_wrong_token_is_a_401_that_says_so(client, db_session, production_csrf):
    response = client.post("/api/v1/claims/1/release", headers={"Authorization": "Bearer sw_wrong"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    assert response.get_json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_a_cookie_session_without_its_csrf_token_is_a_documented_400(client, db_session, login_as, helper, task,
                                                                     document, path, body):
    claim_id = claim_of(client, bearer(helper), task)
    login_as(helper)
    client.application.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(path.format(need=task.id, claim=claim_id), json=body)
    finally:
        client.application.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    conforms(document, "Error", response.get_json())
    assert "csrf_failed" in operation(document, path)["responses"]["400"]["description"]
    assert db_session.get(Claim, claim_id).status is ClaimStatus.CLAIMED


# --- bodies as their schemas say -------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{"json": {"reason": "x" * 1001}}, {"json": {"reason": 5}}, {"json": {"reason": None}},
                                  {"json": ["Заболел"]}, {"json": "Заболел"}, {"data": {"reason": "x" * 1001}}])
def test_release_refuses_a_body_its_schema_does_not_allow(client, db_session, helper, task, document, body):
    headers = bearer(helper)
    claim_id = claim_of(client, headers, task)
    response = client.post(f"/api/v1/claims/{claim_id}/release", headers=headers, **body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "invalid_body" and response.get_json()["error"]["invalid_params"]
    conforms(document, "Error", response.get_json())
    assert db_session.get(Claim, claim_id).status is ClaimStatus.CLAIMED


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 1000}])
def test_release_takes_what_its_schema_allows(client, db_session, helper, task, body):
    headers = bearer(helper)
    claim_id = claim_of(client, headers, task)
    assert client.post(f"/api/v1/claims/{claim_id}/release", headers=headers, json=body).status_code == 200


@pytest.mark.parametrize("body", [{"hours": "2"}, {"hours": True}, {"hours": None}, {"hours": 2, "note": None},
                                  {"hours": 2, "note": " " + "x" * 2000}, [2]])
def test_complete_refuses_json_of_the_wrong_type(client, db_session, helper, task, document, body):
    headers = bearer(helper)
    claim_id = claim_of(client, headers, task)
    response = client.post(f"/api/v1/claims/{claim_id}/complete", headers=headers, json=body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "invalid_body"
    conforms(document, "Error", response.get_json())
    assert db_session.get(Claim, claim_id).status is ClaimStatus.CLAIMED


# --- every error has its code and is documented ---------------------------------------------------------------


def test_every_error_of_the_claim_operations_has_a_code_and_is_documented(client, db_session, helper, task,
                                                                          document):
    headers = bearer(helper)
    family = bearer(UserFactory(role=Role.FAMILY), "family")
    claim_id = claim_of(client, headers, task)
    others = claim_of(client, bearer(volunteer(db_session)), task)
    seen = [
        ("/needs/{need_id}/claims", client.post(f"/api/v1/needs/{task.id}/claims", headers=family), "forbidden"),
        ("/needs/{need_id}/claims", client.post("/api/v1/needs/999999/claims", headers=headers), "not_found"),
        ("/needs/{need_id}/claims", client.post(f"/api/v1/needs/{task.id}/claims", headers=headers),
         "already_yours"),
        ("/claims/{claim_id}/release", client.post(f"/api/v1/claims/{others}/release", headers=headers),
         "not_found"),
        ("/claims/{claim_id}/complete", client.post(f"/api/v1/claims/{claim_id}/complete", headers=headers,
                                                    json={}), "invalid_body"),
        ("/me/claims", client.get("/api/v1/me/claims", headers=family), "forbidden"),
    ]
    client.post(f"/api/v1/claims/{claim_id}/release", headers=headers)
    seen.append(("/claims/{claim_id}/release", client.post(f"/api/v1/claims/{claim_id}/release", headers=headers),
                 "illegal_transition"))
    for path, response, code in seen:
        method = "get" if path == "/me/claims" else "post"
        assert str(response.status_code) in document["paths"][path][method]["responses"], (path, response.status_code)
        assert response.get_json()["error"]["code"] == code, (path, response.get_json())
        conforms(document, "Error", response.get_json())
