"""`flask seed-demo`: demo families and requests in every state, made through the real lifecycle, twice-safe."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.core.roles import Role

from marketplace.accounts.models import User
from marketplace.core.audit.models import AuditEntry
from marketplace.demo.seed import DEMO_STAFF, seed_demo, seed_demo_command
from marketplace.demo.families import FAMILIES
from marketplace.core.extensions import db
from marketplace.families.models import Household, HouseholdStatus
from marketplace.files import path_of
from marketplace.files.models import StoredFile
from marketplace.needs.models import MessageKind, Need, NeedStatus
from marketplace.needs.services import public_needs
from marketplace.notifications.models import Notification

AFTER_VERIFICATION = {NeedStatus.VERIFIED, NeedStatus.IN_PROGRESS, NeedStatus.FULFILLED, NeedStatus.CLOSED}
STAFF_DECISIONS = ("need.verify", "need.reject", "need.ask_info", "need.start", "need.fulfil",
                   "household.verify", "household.reject", "household.ask_info")


@pytest.fixture
def upload_folder(app, tmp_path):
    """Evidence goes to a throwaway folder, never the developer's instance/uploads."""
    original = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = original


@pytest.fixture
def seeded(db_session, upload_folder, outbox):
    counts = seed_demo()
    return counts


def demo_households() -> list[Household]:
    emails = [f.email for f in FAMILIES]
    return list(db.session.scalars(select(Household).join(User, Household.user_id == User.id)
                                   .where(User.email.in_(emails))))


def demo_needs() -> list[Need]:
    ids = [h.id for h in demo_households()]
    return list(db.session.scalars(select(Need).where(Need.household_id.in_(ids))))


def table_sizes() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Household, Need, StoredFile, AuditEntry, Notification)}


def test_seeding_twice_adds_nothing_the_second_time(seeded):
    assert seeded["households"] == len(FAMILIES) == 13
    assert seeded["needs"] >= 30
    assert seeded["files"] > len(FAMILIES)
    before = table_sizes()

    again = seed_demo()

    assert {k: v for k, v in again.items() if k != "lines"} == {
        "offices": 0, "users": 0, "households": 0, "needs": 0, "files": 0}
    assert table_sizes() == before


def test_every_household_status_and_every_need_status_appears(seeded):
    assert {h.status for h in demo_households()} == set(HouseholdStatus)
    assert {n.status for n in demo_needs()} == set(NeedStatus)


def test_requests_carry_what_their_state_means(seeded):
    needs = demo_needs()
    for need in needs:
        if need.status in AFTER_VERIFICATION or need.verified_at is not None:
            assert need.household.status is HouseholdStatus.VERIFIED, need.title
            assert need.verified_by.role is Role.STAFF and need.verified_by.office_id == need.office_id
            assert need.settlement and need.public_latitude is not None
        if need.status is NeedStatus.NEEDS_INFO:
            assert need.status_reason and any(m.kind is MessageKind.QUESTION for m in need.messages)
        if need.status in (NeedStatus.REJECTED, NeedStatus.CANCELLED, NeedStatus.EXPIRED):
            assert need.status_reason, need.title
        if need.status in (NeedStatus.FULFILLED, NeedStatus.CLOSED):
            assert need.outcome_note, need.title
        if need.status is NeedStatus.EXPIRED:
            assert need.deadline < date.today()
    kinds = {kind for need in needs for kind in need.kinds}
    assert kinds == {"money", "goods", "volunteer"}
    assert len({n.category for n in needs}) >= 9 and len({n.urgency for n in needs}) == 3
    assert any(len(n.kinds) > 1 for n in needs), "a mix: the money or the machine, and a volunteer to bring it"
    answered = [n for n in needs if any(m.kind is MessageKind.ANSWER for m in n.messages)]
    assert answered and all(n.status is not NeedStatus.NEEDS_INFO for n in answered)


def test_the_public_catalogue_shows_the_verified_demo_requests(seeded):
    public = set(db.session.scalars(public_needs()))
    shown = {n for n in demo_needs() if n.status in (NeedStatus.VERIFIED, NeedStatus.IN_PROGRESS, NeedStatus.FULFILLED)}
    assert shown and shown <= public


def test_households_are_filled_in_with_consent_and_evidence(seeded, upload_folder):
    households = demo_households()
    assert len({h.office_id for h in households}) == len(DEMO_STAFF) == 5
    for household in households:
        assert household.consent_given_at is not None and household.latitude is not None
        assert household.is_large_family, household.user.full_name
    stored = list(db.session.scalars(select(StoredFile)))
    assert stored and any(s.need_id for s in stored)
    assert {s.content_type for s in stored} == {"image/png", "application/pdf"}
    for file in stored:
        path = path_of(file)
        assert path.parent == upload_folder and path.is_file()
        assert path.stat().st_size == file.size < 30 * 1024
        assert file.stored_name != file.original_name and Path(file.stored_name).stem not in file.original_name
    with_evidence = {s.household_id for s in stored if s.need_id is None}
    for household in households:
        if household.status is not HouseholdStatus.DRAFT:
            assert household.id in with_evidence, "a household goes to the office only with a document"


def test_the_audit_log_has_each_transition_with_the_right_actor(seeded):
    households = {h.id: h for h in demo_households()}
    needs = {n.id: n for n in demo_needs()}
    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type.in_(("need", "household")),
        AuditEntry.object_id.in_(list(needs) + list(households)))))
    decisions = [e for e in entries if e.action in STAFF_DECISIONS]
    assert {e.action for e in decisions} == set(STAFF_DECISIONS)
    for entry in decisions:
        assert entry.actor.role is Role.STAFF, entry.action
        assert entry.actor.email == DEMO_STAFF[entry.actor.office.code]
        assert entry.office_id == entry.actor.office_id, "staff act only for their own office"
        assert entry.from_state and entry.to_state
    for entry in entries:
        if entry.action in ("need.submit", "need.resubmit", "need.close"):
            assert entry.actor_id == needs[entry.object_id].household.user_id
        if entry.action == "household.submit":
            assert entry.actor_id == households[entry.object_id].user_id
    [expired] = [e for e in entries if e.action == "need.expire"]
    assert expired.actor_id is None and expired.actor_label == "system"
    for need in needs.values():
        if need.status is not NeedStatus.DRAFT:
            assert any(e.object_type == "need" and e.object_id == need.id and e.to_state == need.status.value
                       for e in entries), need.title


def test_families_are_told_in_the_app_but_no_email_goes_to_made_up_addresses(seeded, outbox):
    family = db.session.scalar(select(User).where(User.email == "family@demo.social-window.kz"))
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.user_id == family.id)))
    assert {"household.verify", "need.verify", "need.fulfil"} <= kinds
    assert outbox == []


def test_the_command_prints_what_it_added(app, db_session, upload_folder):
    runner = app.test_cli_runner()
    first = runner.invoke(seed_demo_command)
    assert first.exit_code == 0, first.output
    assert "13 households" in first.output and "expired 1" in first.output
    second = runner.invoke(seed_demo_command)
    assert second.exit_code == 0, second.output
    assert "0 offices and 0 accounts added" in second.output and "nothing to add" in second.output


def test_the_family_registered_twice_is_found_by_the_duplicate_finder(seeded):
    from marketplace.families.services import possible_duplicates

    by_email = {h.user.email: h for h in demo_households()}
    [duplicate] = possible_duplicates(by_email["family3@demo.social-window.kz"])
    assert duplicate.household is by_email["family12@demo.social-window.kz"]
    assert "phone" in duplicate.reasons and duplicate.household.status is HouseholdStatus.REJECTED


def test_demo_volunteers_make_the_dispatch_plan_show_something(app, db_session, tmp_path):
    from sqlalchemy import func, select

    from marketplace.demo.seed import seed_demo
    from marketplace.offices.models import Office
    from marketplace.volunteering.matching import build_plan
    from marketplace.volunteering.models import VolunteerProfile

    folder = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    try:
        with app.test_request_context():
            seed_demo()
            seed_demo()  # safe twice
            assert db_session.scalar(select(func.count()).select_from(VolunteerProfile)) == 5
            office = db_session.scalar(select(Office).where(Office.code == "ALA-01"))
            plan, _needs, _profiles = build_plan(office)
    finally:
        app.config["UPLOAD_FOLDER"] = folder
    assert plan.assignments, "the demo office has open volunteer places and volunteers who can take them"
