"""The family's household as the family uses it: the guided form, consent, sending it to the office,
downloading its data and asking for erasure."""
from __future__ import annotations

import io
import json
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace import geo
from marketplace.core.audit.models import AuditEntry
from marketplace.core.extensions import db
from marketplace.families.models import Child, ConsentRecord, Household, HouseholdStatus
from marketplace.families.services import CONSENT_VERSION, household_of
from tests.factories import HouseholdFactory, NeedFactory, OfficeFactory, StoredFileFactory

TALGAR = (43.30235, 77.23811)  # the gazetteer's point for Талгар


def text_of(response) -> str:
    return response.get_data(as_text=True)


def audit_actions(obj=None, action: str | None = None) -> list[str]:
    stmt = select(AuditEntry.action).order_by(AuditEntry.id)
    if obj is not None:
        stmt = stmt.where(AuditEntry.object_id == obj.id, AuditEntry.object_type == obj.__tablename__.rstrip("s"))
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt))


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    """Uploads go to a throwaway folder, never the instance folder."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


@pytest.fixture
def offices(db_session):
    almaty = OfficeFactory(name="Алматы, окно №1")
    talgar = OfficeFactory(name="Талгар, окно", settlement="Талгар", region_code="almaty",
                           latitude=TALGAR[0] + 0.001, longitude=TALGAR[1] + 0.001)
    return {"almaty": almaty, "talgar": talgar}


def household_form(**overrides) -> dict:
    data = {
        "adults": "2", "children_years": "2012, 2014 2016,2019", "single_parent": "", "disability": "y",
        "other_circumstances": "", "phone": "+7 701 555 12 34", "address": "Талгар, ул. Абая 5", "office_id": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


# --- the household form ------------------------------------------------------------------------------------


def test_a_family_fills_in_its_household_and_the_nearest_office_is_picked(client, login_as, family_user, offices):
    login_as(family_user)
    response = client.post("/family/household", data=household_form())
    assert response.status_code == 302, text_of(response)[:2000]
    household = household_of(family_user)
    assert household.status is HouseholdStatus.DRAFT
    assert (household.latitude, household.longitude) == TALGAR  # geocoded, kept private
    assert household.settlement == "Талгар"
    assert (household.public_latitude, household.public_longitude) == (43.3, 77.24)  # about a kilometre
    assert household.office_id == offices["talgar"].id
    assert [c.birth_year for c in household.children] == [2012, 2014, 2016, 2019]
    assert set(Child.__table__.columns.keys()) == {"id", "household_id", "birth_year"}  # no names, no dates
    assert household.disability and not household.single_parent
    assert household.phone == "+7 701 555 12 34"
    assert "household.update" in audit_actions(household)

    page = text_of(client.get("/family/household"))
    assert "Saved." in page
    assert "Талгар, окно" in page
    assert "Large family" in page
    assert "What is missing before verification" in page
    assert "Give your consent to the processing of personal data." in page
    assert "Upload a document that proves your situation" in page


def test_the_family_may_choose_another_office(client, login_as, family_user, offices):
    login_as(family_user)
    response = client.post("/family/household", data=household_form(office_id=str(offices["almaty"].id)))
    assert response.status_code == 302
    assert household_of(family_user).office_id == offices["almaty"].id
    page = text_of(client.get("/family/household"))
    assert f'<option selected value="{offices["almaty"].id}">' in page


def test_a_closed_office_cannot_be_chosen(client, login_as, family_user, offices):
    closed = OfficeFactory(closed=True, name="Закрытое окно")
    login_as(family_user)
    page = text_of(client.get("/family/household"))
    assert "Закрытое окно" not in page
    response = client.post("/family/household", data=household_form(office_id=str(closed.id)))
    assert response.status_code == 200
    assert "Not a valid choice" in text_of(response)
    assert household_of(family_user) is None


@pytest.mark.parametrize("overrides, message", [
    ({"address": "Qwertyzzz 123"}, "We could not find this address"),
    ({"children_years": "2012, 1950"}, "A birth year must be between"),
    ({"children_years": f"2012, {date.today().year + 1}"}, "A birth year must be between"),
    ({"children_years": "two kids"}, "Write birth years as four digits"),
    ({"phone": ""}, "Please enter a phone number the office can call."),
    ({"phone": "call me"}, "Enter a phone number like +7 701 234 56 78."),
    ({"adults": "0"}, "Enter a number from 1 to 20."),
])
def test_bad_answers_get_a_clear_message_and_change_nothing(client, login_as, offices, overrides, message):
    household = HouseholdFactory(office=offices["almaty"], children=[2010, 2013])
    before = (household.address, household.phone, household.latitude, household.adults, household.children_signature)
    login_as(household.user)
    entries = len(audit_actions())
    response = client.post("/family/household", data=household_form(**overrides))
    assert response.status_code == 200
    page = text_of(response)
    assert message in page
    assert "Please correct the following:" in page
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert (household.address, household.phone, household.latitude, household.adults,
            household.children_signature) == before
    assert [c.birth_year for c in household.children] == [2010, 2013]
    assert len(audit_actions()) == entries


def test_an_unknown_address_does_not_even_start_a_household(client, login_as, family_user, offices):
    login_as(family_user)
    response = client.post("/family/household", data=household_form(address="Nowhere-on-earth 1"))
    assert "We could not find this address" in text_of(response)
    assert household_of(family_user) is None


def test_only_a_family_has_a_household_page(client, login_as, users):
    assert client.get("/family/household").status_code == 302  # to the log-in page
    login_as(users["volunteer"])
    assert client.get("/family/household").status_code == 403
    assert client.post("/family/household", data=household_form()).status_code == 403


# --- status in words ------------------------------------------------------------------------------------


def test_the_page_says_where_verification_stands(client, login_as, offices):
    household = HouseholdFactory(office=offices["almaty"], needs_info=True,
                                 status_reason="Please upload the certificate for the youngest child.")
    login_as(household.user)
    page = text_of(client.get("/family/household"))
    assert "The office asks:" in page
    assert "Please upload the certificate for the youngest child." in page
    assert "Send again" in page

    household.status = HouseholdStatus.SUBMITTED  # set up the next state directly (no view does this)
    db.session.commit()
    assert "Waiting for the office" in text_of(client.get("/family/household"))


def test_a_verified_household_shows_who_verified_it_and_when(client, login_as, offices):
    from marketplace.core.dbtypes import utcnow

    household = HouseholdFactory(office=offices["almaty"], verified=True, verified_at=utcnow())
    login_as(household.user)
    page = text_of(client.get("/family/household"))
    assert f"Verified by {offices['almaty'].name} on" in page
    assert "/family/household/submit" not in page  # nothing to send


# --- consent ---------------------------------------------------------------------------------------------


def test_consent_is_recorded_with_its_version_text_and_time(client, login_as, family_user):
    login_as(family_user)
    page = text_of(client.get("/family/consent"))
    for heading in ("What we process", "Why", "Who sees it", "How long", "Your rights"):
        assert heading in page
    assert "download everything" in page and "erased" in page

    refused = client.post("/family/consent", data={})
    assert "Tick the box to give your consent." in text_of(refused)
    assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 0

    response = client.post("/family/consent", data={"agree": "y"})
    assert response.status_code == 302
    record = db.session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == family_user.id)).one()
    assert record.version == CONSENT_VERSION
    assert record.locale == "en"
    assert "What we process" in record.text_shown and "Who sees it" in record.text_shown
    assert record.given_at is not None
    household = household_of(family_user)
    assert household.consent_version == CONSENT_VERSION and household.consent_given_at is not None
    assert "household.consent" in audit_actions(household)
    assert "You gave your consent on" in text_of(client.get("/family/household"))


def test_consent_is_recorded_in_the_language_it_was_shown_in(client, login_as, family_user):
    login_as(family_user)
    client.post("/language", data={"language": "kk"})
    assert 'lang="kk"' in text_of(client.get("/family/consent"))
    assert client.post("/family/consent", data={"agree": "y"}).status_code == 302
    record = db.session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == family_user.id)).one()
    assert record.locale == "kk"


# --- sending the household to the office ------------------------------------------------------------------


def test_cannot_send_without_consent_and_evidence(client, login_as, family_user, offices):
    login_as(family_user)
    client.post("/family/household", data=household_form())
    response = client.post("/family/household/submit", follow_redirects=True)
    page = text_of(response)
    assert "Before the office can verify your household" in page
    assert "Give your consent to the processing of personal data." in page
    assert "Upload a document that proves your situation" in page
    assert household_of(family_user).status is HouseholdStatus.DRAFT
    assert audit_actions(action="household.submit") == []


def test_submit_sends_the_household_to_its_office(client, login_as, offices):
    household = HouseholdFactory(office=offices["almaty"])  # consent given, no evidence yet
    login_as(household.user)
    page = text_of(client.post("/family/household/submit", follow_redirects=True))
    assert "Upload a document that proves your situation" in page
    assert "Give your consent" not in page

    upload = client.post("/family/evidence", data={"files": [(io.BytesIO(png_bytes()), "certificate.png")]},
                         content_type="multipart/form-data")
    assert upload.status_code == 302
    response = client.post("/family/household/submit")
    assert response.status_code == 302
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert household.status is HouseholdStatus.SUBMITTED
    assert household.submitted_at is not None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "household.submit")).one()
    assert (entry.object_id, entry.from_state, entry.to_state) == (household.id, "draft", "submitted")
    assert entry.actor_id == household.user_id
    assert "Waiting for the office" in text_of(client.get("/family/household"))

    again = client.post("/family/household/submit")  # already sent: a clear refusal, never a 500
    assert again.status_code == 409
    assert "already moved on" in text_of(again)


def test_answering_the_office_sends_the_household_again(client, login_as, offices):
    household = HouseholdFactory(office=offices["almaty"], needs_info=True, status_reason="Which school?")
    StoredFileFactory(evidence=True, household=household, stored_name="a" * 32 + ".png", original_name="c.png",
                      content_type="image/png", size=10, sha256="0" * 64)
    login_as(household.user)
    assert client.post("/family/household/submit").status_code == 302
    db.session.expire_all()
    assert db.session.get(Household, household.id).status is HouseholdStatus.SUBMITTED
    assert audit_actions(household, "household.resubmit") == ["household.resubmit"]


def test_changing_the_address_of_a_verified_household_sends_it_back_to_the_office(client, login_as, offices):
    household = HouseholdFactory(office=offices["almaty"], verified=True)
    login_as(household.user)
    response = client.post("/family/household", data=household_form(), follow_redirects=True)
    assert "your office will verify the household again" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Household, household.id).status is HouseholdStatus.SUBMITTED


# --- the family's data ------------------------------------------------------------------------------------


def test_the_family_downloads_everything_held_about_it(client, login_as, offices):
    household = HouseholdFactory(office=offices["almaty"], phone="+7 777 123 98 76",
                                 address="Алматы, ул. Особая, 99")
    NeedFactory(household=household, title="Зимняя обувь для двоих детей")
    login_as(household.user)
    response = client.get("/family/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in response.headers["Cache-Control"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == household.user.email
    assert data["household"]["phone"] == "+7 777 123 98 76"
    assert data["household"]["address"] == "Алматы, ул. Особая, 99"
    assert data["household"]["children_birth_years"] == [2012, 2014, 2016, 2019]
    assert [n["title"] for n in data["needs"]] == ["Зимняя обувь для двоих детей"]
    assert audit_actions(household, "household.export") == ["household.export"]


def test_only_the_family_can_download_its_data(client, login_as, users):
    login_as(users["staff"])
    assert client.get("/family/export.json").status_code == 403


def test_the_family_can_ask_to_be_erased(client, login_as, offices):
    household = HouseholdFactory(office=offices["almaty"])
    login_as(household.user)
    page = text_of(client.get("/family/erase"))
    assert "Ask to erase my account" in page

    refused = client.post("/family/erase", data={})
    assert "Tick the box to confirm." in text_of(refused)
    db.session.expire_all()
    assert db.session.get(Household, household.id).erasure_requested_at is None

    response = client.post("/family/erase", data={"confirm": "y"}, follow_redirects=True)
    assert "Your reception office will carry it out" in text_of(response)
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert household.erasure_requested_at is not None
    assert audit_actions(household, "household.erasure_requested") == ["household.erasure_requested"]
    assert "for your account to be erased" in text_of(client.get("/family/household"))


def test_other_roles_cannot_ask_for_a_familys_erasure(client, login_as, users):
    login_as(users["patron"])
    assert client.post("/family/erase", data={"confirm": "y"}).status_code == 403
    assert client.post("/family/consent", data={"agree": "y"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Household)) == 0


def test_a_second_family_sees_only_its_own_household(client, login_as, offices):
    mine = HouseholdFactory(office=offices["almaty"], address="Алматы, ул. Моя, 1")
    HouseholdFactory(office=offices["almaty"], address="Алматы, ул. Чужая, 2")
    login_as(mine.user)
    page = text_of(client.get("/family/household"))
    assert "ул. Моя, 1" in page and "ул. Чужая, 2" not in page


def test_a_family_without_a_household_is_asked_to_fill_it_in_first(client, login_as, family_user):
    login_as(family_user)
    assert "fill in your household" in text_of(client.get("/family/needs"))
    response = client.get("/family/needs/new")
    assert response.status_code == 302 and response.headers["Location"].endswith("/family/household")


def test_a_family_that_moved_is_found_at_its_new_place_once_verified_again(client, login_as, offices, staff_user):
    from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
    from marketplace.needs.models import Need, NeedStatus

    household = HouseholdFactory(office=offices["talgar"], verified=True)  # lives in Алматы so far
    open_need = NeedFactory(household=household, open=True, office=offices["talgar"])
    done_need = NeedFactory(household=household, open=True, office=offices["talgar"], status=NeedStatus.FULFILLED)
    old_place = (open_need.settlement, open_need.public_latitude, open_need.public_longitude)
    assert old_place[0] != "Талгар"
    login_as(household.user)
    client.post("/family/household", data=household_form(office_id=str(offices["talgar"].id)))  # moves to Талгар
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert household.status is HouseholdStatus.SUBMITTED
    # Until the office has checked the new address, the request still shows where it was verified.
    assert (db.session.get(Need, open_need.id).settlement, db.session.get(Need, open_need.id).public_latitude) == \
        old_place[:2]
    staff_user.office_id = offices["talgar"].id
    HOUSEHOLD_LIFECYCLE.apply(household, "verify", actor=staff_user)
    db.session.commit()
    moved, done = db.session.get(Need, open_need.id), db.session.get(Need, done_need.id)
    assert moved.settlement == "Талгар"
    assert (moved.public_latitude, moved.public_longitude) == (household.public_latitude, household.public_longitude)
    assert geo.distance_km(moved.public_latitude, moved.public_longitude, *TALGAR) < 2
    assert (done.settlement, done.public_latitude) == old_place[:2]  # what was done where it was done
    assert audit_actions(moved, "need.update") == ["need.update"]
