"""The volunteers' phone-app API: claim, release, complete, my claims; by API token or by session."""
from __future__ import annotations

import re

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import func, select

import marketplace.accounts.token_views  # noqa: F401  (the token pages, before the app registers the blueprint)
from marketplace.accounts import tokens
from marketplace.core.roles import Role
from marketplace.core.audit.models import AuditEntry
from marketplace.core.extensions import db
from marketplace.needs.models import NeedStatus
from marketplace.volunteering import services
from marketplace.volunteering.models import Claim, ClaimStatus
from tests.factories import NeedFactory, UserFactory
from tests.volunteering.test_claims import volunteer

CLAIM_PATHS = {"/needs/{need_id}/claims", "/claims/{claim_id}/release", "/claims/{claim_id}/complete",
               "/me/claims"}


def bearer(user, name="phone") -> dict:
    _token, raw = tokens.create_token(user, name)
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def helper(db_session):
    return volunteer(db_session)


@pytest.fixture
def task(db_session):
    return NeedFactory(open=True, money_goal=None, volunteer_slots=2, volunteer_hours=2)


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def conforms(document: dict, schema_name: str, instance) -> None:
    OAS31Validator({"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}).validate(
        instance)


def reveals(helper) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "household.read_personal", AuditEntry.actor_id == helper.id))


def claim_of(client, headers, need) -> int:
    response = client.post(f"/api/v1/needs/{need.id}/claims", headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["claim"]["id"]


# --- flows, by API token -------------------------------------------------------------------------------------


def test_claim_complete_and_confirm_with_a_token(client, db_session, helper, task, document):
    headers = bearer(helper)
    response = client.post(f"/api/v1/needs/{task.id}/claims", headers=headers)
    assert response.status_code == 201 and "Set-Cookie" not in response.headers
    conforms(document, "ClaimResult", response.get_json())
    claim_id = response.get_json()["claim"]["id"]
    assert response.get_json()["claim"]["status"] == "claimed"

    listed = client.get("/api/v1/me/claims", headers=headers)
    assert listed.status_code == 200
    conforms(document, "MyClaimList", listed.get_json())
    [item] = listed.get_json()["items"]
    assert item["id"] == claim_id and item["need_title"] == task.title and item["status"] == "claimed"
    assert item["contact"] == {"address": task.household.address, "phone": task.household.phone,
                               "settlement": task.household.settlement}
    assert reveals(helper) == 1  # the reveal was audited (and committed by the request)

    done = client.post(f"/api/v1/claims/{claim_id}/complete", headers=headers,
                       json={"hours": 2.5, "note": "Собрали шкаф"})
    assert done.status_code == 200 and done.get_json()["claim"]["status"] == "done"
    claim = db_session.get(Claim, claim_id)
    db_session.refresh(claim)
    assert (claim.status, claim.hours, claim.report_note) == (ClaimStatus.DONE, 2.5, "Собрали шкаф")
    assert claim.done_at is not None
    [item] = client.get("/api/v1/me/claims", headers=headers).get_json()["items"]
    assert item["status"] == "done" and item["contact"]["address"] == task.household.address  # still live
    assert reveals(helper) == 2

    # Confirmed by the family: the address is no longer sent, and no longer audited.
    with client.application.test_request_context():
        services.change_claim(claim, "confirm", actor=task.household.user)
    db_session.commit()
    [item] = client.get("/api/v1/me/claims", headers=headers).get_json()["items"]
    assert item["status"] == "confirmed" and item["contact"] is None and item["hours"] == 2.5
    assert reveals(helper) == 2  # no reveal after confirmation


def test_release_with_a_token_frees_the_slot(client, db_session, helper, task):
    headers = bearer(helper)
    claim_id = claim_of(client, headers, task)
    response = client.post(f"/api/v1/claims/{claim_id}/release", headers=headers, json={"reason": "Заболел"})
    assert response.status_code == 200 and response.get_json()["claim"]["status"] == "released"
    db_session.refresh(task)
    assert task.slots_filled == 0 and task.status is NeedStatus.VERIFIED
    assert db_session.get(Claim, claim_id).status_reason == "Заболел"
    [item] = client.get("/api/v1/me/claims", headers=headers).get_json()["items"]
    assert item["status"] == "released" and item["contact"] is None
    assert reveals(helper) == 0


def test_complete_accepts_a_form_body(client, db_session, helper, task):
    headers = bearer(helper)
    claim_id = claim_of(client, headers, task)
    response = client.post(f"/api/v1/claims/{claim_id}/complete", headers=headers, data={"hours": "0.5"})
    assert response.status_code == 200
    claim = db_session.get(Claim, claim_id)
    db_session.refresh(claim)
    assert claim.hours == 0.5 and claim.report_note is None


@pytest.mark.parametrize("body", [{}, {"hours": 0.25}, {"hours": 24.5}, {"hours": "two"}, {"hours": "nan"},
                                  {"hours": 2, "note": "x" * 2001}, {"hours": 2, "note": 5}])
def test_complete_refuses_bad_reports(client, db_session, helper, task, body):
    headers = bearer(helper)
    claim_id = claim_of(client, headers, task)
    response = client.post(f"/api/v1/claims/{claim_id}/complete", headers=headers, json=body)
    assert response.status_code == 400 and response.get_json()["error"]["invalid_params"]
    assert db_session.get(Claim, claim_id).status is ClaimStatus.CLAIMED


def test_an_illegal_transition_is_a_409(client, db_session, helper, task):
    headers = bearer(helper)
    claim_id = claim_of(client, headers, task)
    assert client.post(f"/api/v1/claims/{claim_id}/complete", headers=headers, json={"hours": 1}).status_code == 200
    for action, body in (("release", {}), ("complete", {"hours": 1})):
        response = client.post(f"/api/v1/claims/{claim_id}/{action}", headers=headers, json=body)
        assert response.status_code == 409, action
        error = response.get_json()["error"]
        assert error["code"] == "illegal_transition" and error["detail"]
    assert db_session.get(Claim, claim_id).status is ClaimStatus.DONE


def test_a_refused_claim_is_a_409_with_its_code(client, db_session, helper):
    full = NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=1)
    claim_of(client, bearer(volunteer(db_session)), full)
    response = client.post(f"/api/v1/needs/{full.id}/claims", headers=bearer(helper))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "already_taken"


def test_another_volunteers_claim_is_not_found(client, db_session, helper, task):
    owner = volunteer(db_session)
    claim_id = claim_of(client, bearer(owner), task)
    headers = bearer(helper)
    for action, body in (("release", {}), ("complete", {"hours": 1})):
        assert client.post(f"/api/v1/claims/{claim_id}/{action}", headers=headers, json=body).status_code == 404
    assert client.post("/api/v1/claims/999999/release", headers=headers).status_code == 404
    assert client.get("/api/v1/me/claims", headers=headers).get_json()["items"] == []
    assert db_session.get(Claim, claim_id).status is ClaimStatus.CLAIMED


def test_only_volunteers_list_claims(client, db_session, login_as, family_user):
    login_as(family_user)
    assert client.get("/api/v1/me/claims").status_code == 403


# --- authentication -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path", [
    ("post", "/api/v1/needs/{need}/claims"), ("post", "/api/v1/claims/{claim}/release"),
    ("post", "/api/v1/claims/{claim}/complete"), ("get", "/api/v1/me/claims"),
])
@pytest.mark.parametrize("authorization", [None, "Bearer sw_wrong", "Bearer ", "Basic dXNlcjpwYXNz", "sw_token"])
def test_without_a_valid_token_every_endpoint_is_a_401(client, db_session, helper, task, method, path,
                                                       authorization):
    claim_id = claim_of(client, bearer(helper), task)
    headers = {"Authorization": authorization} if authorization else {}
    response = getattr(client, method)(path.format(need=task.id, claim=claim_id), headers=headers,
                                       json={"hours": 1} if method == "post" else None)
    assert response.status_code == 401 and response.mimetype == "application/json"
    assert response.get_json()["error"]["status"] == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert db_session.get(Claim, claim_id).status is ClaimStatus.CLAIMED


def test_a_revoked_token_never_falls_back_to_the_cookie_session(client, db_session, login_as, helper, task):
    login_as(helper)
    assert client.get("/api/v1/me/claims").status_code == 200  # the cookie session works on its own
    token, raw = tokens.create_token(helper, "lost phone")
    tokens.revoke_token(token, helper)
    db_session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/me/claims", headers=headers).status_code == 401
    assert client.post(f"/api/v1/needs/{task.id}/claims", headers=headers).status_code == 401
    assert client.post(f"/api/v1/needs/{task.id}/claims", headers={"Authorization": "Bearer sw_x"}).status_code == 401
    assert db_session.scalar(select(Claim)) is None


def test_a_token_wins_over_the_cookie_session(client, db_session, login_as, helper, task):
    other = volunteer(db_session)
    login_as(helper)
    claim_of(client, bearer(other), task)  # made as `other`, though the cookie belongs to `helper`
    assert db_session.scalar(select(Claim)).volunteer_id == other.id


def test_a_token_works_only_on_the_api(client, db_session, helper):
    response = client.get("/account/tokens", headers=bearer(helper))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_last_used_is_recorded(client, db_session, helper):
    headers = bearer(helper)
    assert client.get("/api/v1/me/claims", headers=headers).status_code == 200
    assert db_session.scalar(select(tokens.ApiToken)).last_used_at is not None


# --- CSRF: cookie sessions need it, tokens do not -------------------------------------------------------------


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_cookie_session_needs_a_csrf_token_and_a_bearer_token_does_not(client, db_session, login_as, helper,
                                                                          task, csrf_on):
    app = client.application
    app.config["WTF_CSRF_ENABLED"] = False
    login_as(helper)  # the login form itself is not what is tested here
    headers = bearer(helper)
    app.config["WTF_CSRF_ENABLED"] = True

    refused = client.post(f"/api/v1/needs/{task.id}/claims")
    assert refused.status_code == 400 and refused.mimetype == "application/json"
    assert db_session.scalar(select(Claim)) is None

    page = client.get("/account/tokens").get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    accepted = client.post(f"/api/v1/needs/{task.id}/claims", headers={"X-CSRFToken": csrf_token})
    assert accepted.status_code == 201

    # A token request carries no cookie and no CSRF token, and is accepted.
    phone = client.application.test_client()
    second = NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=1)
    assert phone.post(f"/api/v1/needs/{second.id}/claims", headers=headers).status_code == 201
    # Even with the victim's cookie, a forged request without the CSRF token is refused.
    claim_id = accepted.get_json()["claim"]["id"]
    assert client.post(f"/api/v1/claims/{claim_id}/release").status_code == 400
    assert db_session.get(Claim, claim_id).status is ClaimStatus.CLAIMED


# --- the OpenAPI document -------------------------------------------------------------------------------------


def test_openapi_documents_the_claim_endpoints(document):
    validate_spec(document)
    assert CLAIM_PATHS <= set(document["paths"])
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    for path in CLAIM_PATHS:
        for operation in document["paths"][path].values():
            assert {"bearerAuth": []} in operation["security"] and "401" in operation["responses"]
    assert "requestBody" in document["paths"]["/claims/{claim_id}/complete"]["post"]


def test_the_error_answers_match_the_document(client, db_session, helper, task, document):
    headers = bearer(helper)
    conforms(document, "Error", client.get("/api/v1/me/claims").get_json())
    claim_id = claim_of(client, headers, task)
    conforms(document, "Error", client.post(f"/api/v1/claims/{claim_id}/complete", headers=headers, json={}).get_json())
    client.post(f"/api/v1/claims/{claim_id}/release", headers=headers)
    conforms(document, "Error", client.post(f"/api/v1/claims/{claim_id}/release", headers=headers).get_json())
    conforms(document, "Error", client.post(f"/api/v1/needs/{task.id}/claims",
                                            headers=bearer(UserFactory(role=Role.FAMILY), "x")).get_json())
