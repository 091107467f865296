"""The need and household lifecycles as permission tables: every state × transition × role.

The expected tables are written from DESIGN.md ("Need lifecycle") and issue 3, not read off the code:

    draft → submitted → (needs_info ⇄ submitted) → verified/open | rejected → in_progress (claimed or
    fully pledged) → fulfilled (proof recorded) → closed (family or staff confirmed). Cancelled or
    expired from any state before fulfilled. Staff act only within their own office.

Where DESIGN.md names no actor, the choice is stated beside the row.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.core.roles import Role
from marketplace.core.audit.models import AuditEntry
from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
from marketplace.families.models import HouseholdStatus as H
from marketplace.core.lifecycle import IllegalTransition
from marketplace.needs.lifecycle import NEED_LIFECYCLE
from marketplace.needs.models import NeedStatus as N
from tests.conftest import login
from tests.factories import HouseholdFactory, NeedFactory, OfficeFactory, UserFactory

ROLES = ("owner", "other_family", "volunteer", "patron", "partner", "staff_own", "staff_other", "admin", "system")
OWNER = frozenset({"owner"})
OFFICE = frozenset({"staff_own", "admin"})  # staff of the object's office, and the council acting for any office
SYSTEM = frozenset({"system"})  # jobs and other domains' reactions (a claim taken, a pledge paid, a deadline)
BEFORE_FULFILLED = (N.DRAFT, N.SUBMITTED, N.NEEDS_INFO, N.VERIFIED, N.IN_PROGRESS)

# transition → {state it may start from: roles that may make it}; every other cell is "no".
NEED_TABLE: dict[str, dict[N, frozenset[str]]] = {
    "submit": {N.DRAFT: OWNER},
    "ask_info": {N.SUBMITTED: OFFICE},
    "resubmit": {N.NEEDS_INFO: OWNER},
    # Only when the household is verified too (see test_no_need_is_verified_before_its_household).
    "verify": {N.SUBMITTED: OFFICE},
    "reject": {N.SUBMITTED: OFFICE, N.NEEDS_INFO: OFFICE},
    # Help gets under way when a claim is taken or the goal fully pledged (the system), or staff say so.
    "start": {N.VERIFIED: OFFICE | SYSTEM},
    # A released claim or a cancelled pledge puts the need back in front of helpers.
    "reopen": {N.IN_PROGRESS: OFFICE | SYSTEM},
    # Proof recorded: by the reaction to a confirmed claim or delivered pledge, or by the office (an NGO
    # partner fulfilling a need as an organisation does not pass through claims or pledges).
    "fulfil": {N.VERIFIED: OFFICE | SYSTEM, N.IN_PROGRESS: OFFICE | SYSTEM},
    "close": {N.FULFILLED: OWNER | OFFICE},
    # Staff cancel at any state before fulfilled; the family may withdraw until help is under way
    # (after that, claims and pledges must be unwound by the office).
    "cancel": {N.DRAFT: OWNER | OFFICE, N.SUBMITTED: OWNER | OFFICE, N.NEEDS_INFO: OWNER | OFFICE,
               N.VERIFIED: OWNER | OFFICE, N.IN_PROGRESS: OFFICE},
    "expire": {state: SYSTEM for state in BEFORE_FULFILLED},
}

# Cells where the code does not (yet) do what DESIGN.md says; each has an xfail(strict) test below, so
# that fixing the code, or deciding DESIGN.md is wrong, forces someone to update this list.
KNOWN_GAPS = {
}

HOUSEHOLD_TABLE: dict[str, dict[H, frozenset[str]]] = {
    # A rejected family may correct its household and apply again.
    "submit": {H.DRAFT: OWNER, H.REJECTED: OWNER},
    "ask_info": {H.SUBMITTED: OFFICE},
    "resubmit": {H.NEEDS_INFO: OWNER},
    "verify": {H.SUBMITTED: OFFICE},
    "reject": {H.SUBMITTED: OFFICE, H.NEEDS_INFO: OFFICE},
    # A verified family that changes its address or members is checked again.
    "reopen": {H.VERIFIED: OWNER},
}


def test_the_tables_name_every_transition():
    assert set(NEED_TABLE) == set(NEED_LIFECYCLE.transitions)
    assert set(HOUSEHOLD_TABLE) == set(HOUSEHOLD_LIFECYCLE.transitions)


def actors_for(owner, office) -> dict:
    """One actor per role, relative to an object of `owner` handled by `office`."""
    return {
        "owner": owner,
        "other_family": HouseholdFactory(verified=True, office=office, children=[2001]).user,
        "volunteer": UserFactory(volunteer=True),
        "patron": UserFactory(patron=True),
        "partner": UserFactory(partner=True),
        "staff_own": UserFactory(role=Role.STAFF, office=office),
        "staff_other": UserFactory(role=Role.STAFF, office=OfficeFactory()),
        "admin": UserFactory(admin=True),
        "system": None,
    }


def mismatches(machine, table, obj, actors, skip=frozenset()) -> list[str]:
    found = []
    for name in machine.transitions:
        for role in ROLES:
            if (obj.status, name, role) in skip:
                continue
            expected = role in table[name].get(obj.status, frozenset())
            if machine.can(actors[role], obj, name) is not expected:
                found.append(f"{obj.status.value} --{name}--> as {role}: expected {'yes' if expected else 'no'}")
    return found


@pytest.mark.parametrize("state", list(N), ids=lambda s: s.value)
def test_need_lifecycle_table(db_session, app, state):
    need = NeedFactory(status=state, household=HouseholdFactory(verified=True, children=[2003]))
    actors = actors_for(need.household.user, need.office)
    with app.test_request_context():
        assert mismatches(NEED_LIFECYCLE, NEED_TABLE, need, actors, skip=KNOWN_GAPS) == []


@pytest.mark.parametrize("household_state", [H.DRAFT, H.SUBMITTED, H.NEEDS_INFO, H.REJECTED], ids=lambda s: s.value)
def test_no_need_is_verified_before_its_household(db_session, app, household_state):
    """With the household not verified, the table is the same except that nobody may verify."""
    need = NeedFactory(submitted=True, household=HouseholdFactory(status=household_state, children=[2003]))
    actors = actors_for(need.household.user, need.office)
    with app.test_request_context():
        assert [role for role in ROLES if NEED_LIFECYCLE.can(actors[role], need, "verify")] == []
        assert mismatches(NEED_LIFECYCLE, {**NEED_TABLE, "verify": {}}, need, actors) == []


@pytest.mark.parametrize("state", list(H), ids=lambda s: s.value)
def test_household_lifecycle_table(db_session, app, state):
    household = HouseholdFactory(status=state, children=[2004])
    actors = actors_for(household.user, household.office)
    with app.test_request_context():
        assert mismatches(HOUSEHOLD_LIFECYCLE, HOUSEHOLD_TABLE, household, actors) == []


def audit_count(db_session) -> int:
    return db_session.scalar(select(func.count(AuditEntry.id)))


@pytest.mark.parametrize("who, name, state", [
    ("volunteer", "verify", N.SUBMITTED),  # the wrong role
    ("staff_other", "verify", N.SUBMITTED),  # the wrong office
    ("staff_own", "verify", N.DRAFT),  # the wrong state
    ("owner", "cancel", N.IN_PROGRESS),  # too late for the family
    ("staff_own", "jump", N.SUBMITTED),  # no such transition
])
def test_a_disallowed_transition_raises_and_changes_nothing(db_session, app, who, name, state):
    need = NeedFactory(status=state, household=HouseholdFactory(verified=True, children=[2003]))
    actors = actors_for(need.household.user, need.office)
    before = audit_count(db_session)
    with app.test_request_context(), pytest.raises(IllegalTransition) as raised:
        NEED_LIFECYCLE.apply(need, name, actor=actors[who], reason="because")
    assert str(raised.value)
    assert need.status is state and need.status_reason is None and need.closed_at is None
    assert audit_count(db_session) == before


def test_an_allowed_transition_is_audited_with_actor_states_and_reason(db_session, app):
    need = NeedFactory(submitted=True, household=HouseholdFactory(verified=True, children=[2003]))
    staff = UserFactory(role=Role.STAFF, office=need.office)
    with app.test_request_context():
        NEED_LIFECYCLE.apply(need, "reject", actor=staff, reason="  Дубликат заявки №12  ")
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "need.reject")).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (staff.id, "need", need.id)
    assert (entry.from_state, entry.to_state, entry.reason) == ("submitted", "rejected", "Дубликат заявки №12")
    assert entry.office_id == need.office_id and entry.created_at is not None
    assert need.status is N.REJECTED and need.status_reason == "Дубликат заявки №12"


def test_a_household_transition_is_audited_and_a_disallowed_one_is_not(db_session, app):
    household = HouseholdFactory(submitted=True, children=[2004])
    staff = UserFactory(role=Role.STAFF, office=household.office)
    before = audit_count(db_session)
    with app.test_request_context():
        with pytest.raises(IllegalTransition):
            HOUSEHOLD_LIFECYCLE.apply(household, "verify", actor=household.user)  # a family cannot verify itself
        assert household.status is H.SUBMITTED and audit_count(db_session) == before
        HOUSEHOLD_LIFECYCLE.apply(household, "ask_info", actor=staff, reason="Приложите справку")
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "household.ask_info")).one()
    assert (entry.actor_id, entry.object_id, entry.from_state, entry.to_state, entry.reason) == (
        staff.id, household.id, "submitted", "needs_info", "Приложите справку")


def test_an_illegal_transition_over_http_is_a_409_with_the_message(client, db_session):
    """A stale page: the need was verified in another tab, the staff member clicks "Reject" again."""
    need = NeedFactory(open=True)
    staff = UserFactory(role=Role.STAFF, office=need.office)
    assert login(client, staff).status_code == 302
    response = client.post(f"/staff/needs/{need.id}/transitions/reject", data={"reject-reason": "Дубликат"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "This cannot be done now: the request has already moved on. Reload the page." in page
    assert need.title in page  # the need's own screen, not a bare error page
    db_session.refresh(need)
    assert need.status is N.VERIFIED and need.status_reason is None
