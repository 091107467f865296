"""The factories of pledges, patrons' and volunteers' profiles, claims, flags, files, a need's messages,
consent, notifications and API tokens: each status trait stores a row in that status, and the rows pass the
database's own checks (on SQLite and on PostgreSQL alike)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import ApiToken, User
from marketplace.core.extensions import db
from marketplace.core.roles import Role
from marketplace.families.models import ConsentRecord, Household
from marketplace.files.models import StoredFile
from marketplace.moderation.models import Flag, FlagStatus, FlagTarget
from marketplace.needs.models import MessageKind, Need, NeedMessage, NeedStatus
from marketplace.notifications.models import Notification
from marketplace.pledges.models import PatronProfile, Pledge, PledgeKind, PledgeStatus
from marketplace.volunteering.models import Claim, ClaimStatus, Skill, VettingStatus, VolunteerProfile
from tests.factories import (
    ApiTokenFactory, ClaimFactory, ConsentRecordFactory, FlagFactory, HouseholdFactory, NeedFactory,
    NeedMessageFactory, NotificationFactory, OfficeFactory, PatronProfileFactory, PledgeFactory, StoredFileFactory,
    UserFactory, VolunteerProfileFactory,
)


def stored(model, row_id, column):
    """The column as the database holds it, not as the session remembers it."""
    db.session.expire_all()
    return db.session.scalar(select(column).where(model.id == row_id))


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


# --- pledges ------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", list(PledgeStatus), ids=lambda s: s.value)
def test_a_money_pledge_trait_per_status(db_session, status):
    pledge = PledgeFactory(**{status.value: True})
    assert stored(Pledge, pledge.id, Pledge.status) is status
    assert stored(Pledge, pledge.id, Pledge.kind) is PledgeKind.MONEY
    assert pledge.patron.role is Role.PATRON
    assert pledge.office_id == pledge.need.office_id


GOODS_STATUSES = (PledgeStatus.PENDING, PledgeStatus.DELIVERED, PledgeStatus.CANCELLED)  # the goods lifecycle


@pytest.mark.parametrize("status", GOODS_STATUSES, ids=lambda s: s.value)
def test_a_goods_pledge_trait_per_status(db_session, status):
    pledge = PledgeFactory(goods=True, **{status.value: True})
    assert stored(Pledge, pledge.id, Pledge.status) is status
    assert stored(Pledge, pledge.id, Pledge.kind) is PledgeKind.GOODS
    assert pledge.amount is None and pledge.quantity == 1
    assert pledge.item.need_id == pledge.need_id


def test_a_refunded_pledge_gave_back_all_of_it(db_session):
    pledge = PledgeFactory(refunded=True)
    assert stored(Pledge, pledge.id, Pledge.amount_refunded) == pledge.amount


def test_the_database_really_checks_pledges_here(db_session):
    """So that the rows above passing means something on this engine: money of nothing is refused."""
    with pytest.raises(IntegrityError):
        PledgeFactory(amount=0)
    db_session.rollback()


def test_a_patron_profile(db_session):
    home = PatronProfileFactory()
    assert db_session.get(User, home.user_id).role is Role.PATRON
    patron = UserFactory(patron=True)
    assert stored(PatronProfile, PatronProfileFactory(user=patron).id, PatronProfile.user_id) == patron.id


def test_one_patron_profile_per_patron(db_session):
    home = PatronProfileFactory()
    with pytest.raises(IntegrityError):
        PatronProfileFactory(user_id=home.user_id)
    db_session.rollback()


# --- volunteering ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status", list(VettingStatus), ids=lambda s: s.value)
def test_a_volunteer_profile_trait_per_vetting_status(db_session, status):
    profile = VolunteerProfileFactory(**{status.value: True})
    assert stored(VolunteerProfile, profile.id, VolunteerProfile.vetting_status) is status
    assert profile.user.role is Role.VOLUNTEER
    asked = stored(VolunteerProfile, profile.id, VolunteerProfile.vetting_office_id)
    assert (asked is None) is (status is VettingStatus.NOT_REQUESTED)


def test_a_volunteer_profile_asks_the_office_given_and_keeps_its_skills(db_session):
    office = OfficeFactory()
    profile = VolunteerProfileFactory(requested=True, vetting_office=office, skills=[Skill.DRIVING, Skill.REPAIRS])
    assert stored(VolunteerProfile, profile.id, VolunteerProfile.vetting_office_id) == office.id
    db_session.expire_all()
    assert db_session.get(VolunteerProfile, profile.id).skill_set == {Skill.DRIVING, Skill.REPAIRS}


@pytest.mark.parametrize("status", list(ClaimStatus), ids=lambda s: s.value)
def test_a_claim_trait_per_status(db_session, status):
    claim = ClaimFactory(**{status.value: True})
    assert stored(Claim, claim.id, Claim.status) is status
    assert claim.volunteer.role is Role.VOLUNTEER
    assert claim.office_id == claim.need.office_id


def test_the_database_really_checks_claims_here(db_session):
    """One live claim per volunteer and need: a second is refused by the partial unique index."""
    claim = ClaimFactory()
    with pytest.raises(IntegrityError):
        ClaimFactory(need=claim.need, volunteer=claim.volunteer, in_progress=True)
    db_session.rollback()


# --- moderation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status", list(FlagStatus), ids=lambda s: s.value)
def test_a_flag_trait_per_status(db_session, status):
    flag = FlagFactory(**{status.value: True})
    assert stored(Flag, flag.id, Flag.status) is status
    assert (flag.resolved_at is None) is (status is FlagStatus.OPEN)


def test_a_flag_is_about_the_need_given_and_goes_to_its_office(db_session):
    need = NeedFactory(open=True)
    reporter = UserFactory(patron=True)
    flag = FlagFactory(target=need, reporter=reporter)
    assert (flag.target_type, flag.target_id, flag.office_id) == (FlagTarget.NEED, need.id, need.office_id)
    assert stored(Flag, flag.id, Flag.reporter_id) == reporter.id


# --- files ----------------------------------------------------------------------------------------

def test_a_file_is_a_jpeg_of_a_new_household_by_default(db_session):
    stored_file = StoredFileFactory()
    row = db_session.get(StoredFile, stored_file.id)
    assert db_session.get(Household, row.household_id) is not None and row.need_id is None
    assert (row.original_name, row.content_type, row.size) == ("справка.jpg", "image/jpeg", 2048)
    assert row.stored_name.endswith(".jpg") and row.uploaded_by_id is None and row.is_image


def test_household_evidence_is_of_the_household_given_and_of_no_need(db_session):
    household = HouseholdFactory(submitted=True)
    evidence = StoredFileFactory(evidence=True, household=household)
    assert stored(StoredFile, evidence.id, StoredFile.household_id) == household.id
    assert stored(StoredFile, evidence.id, StoredFile.need_id) is None
    assert evidence.original_name == "справка_о_составе_семьи.jpg"
    assert StoredFileFactory(evidence=True).household_id != household.id  # a new household unless given


def test_a_need_photo_belongs_to_the_need_and_its_household(db_session):
    photo = StoredFileFactory(need_photo=True)
    need = db_session.get(Need, stored(StoredFile, photo.id, StoredFile.need_id))
    assert need.status is NeedStatus.VERIFIED and photo.household_id == need.household_id
    assert photo.original_name == "фото.jpg" and photo.content_type == "image/jpeg"
    given = NeedFactory(open=True)
    assert StoredFileFactory(need_photo=True, need=given).need_id == given.id


def test_a_pdf_file(db_session):
    pdf = StoredFileFactory(pdf=True)
    assert stored(StoredFile, pdf.id, StoredFile.content_type) == "application/pdf"
    assert pdf.original_name == "справка.pdf" and pdf.stored_name.endswith(".pdf") and not pdf.is_image
    certificate = StoredFileFactory(evidence=True, pdf=True)
    assert certificate.original_name == "справка_о_составе_семьи.pdf" and certificate.content_type == "application/pdf"


def test_a_file_given_by_ids_makes_no_other_row(db_session):
    need = NeedFactory(open=True)
    households, needs, users = count(Household), count(Need), count(User)
    stored_file = StoredFileFactory(household_id=need.household_id, need_id=need.id,
                                    uploaded_by_id=need.household.user_id)
    assert (count(Household), count(Need), count(User)) == (households, needs, users)
    row = db_session.get(StoredFile, stored_file.id)
    assert (row.household_id, row.need_id, row.uploaded_by_id) == (need.household_id, need.id, need.household.user_id)


def test_the_database_really_checks_files_here(db_session):
    """A stored name is used once: a second file under the same name is refused."""
    StoredFileFactory(stored_name="same.jpg")
    with pytest.raises(IntegrityError):
        StoredFileFactory(stored_name="same.jpg")
    db_session.rollback()


# --- a need's messages ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(MessageKind), ids=lambda k: k.value)
def test_a_need_message_trait_per_kind(db_session, kind):
    message = NeedMessageFactory(**{kind.value: True})
    assert stored(NeedMessage, message.id, NeedMessage.kind) is kind
    author = db_session.get(User, stored(NeedMessage, message.id, NeedMessage.author_id))
    if kind is MessageKind.ANSWER:
        assert author.id == message.need.household.user_id
    else:  # staff of the need's office
        assert author.role is Role.STAFF and author.office_id == message.need.office_id
    assert message.body


def test_a_need_message_is_about_the_need_given_by_the_author_given(db_session):
    need = NeedFactory(needs_info=True)
    staff = UserFactory(role=Role.STAFF, office=need.office)
    users = count(User)
    question = NeedMessageFactory(need=need, author=staff, body="Какая школа?")
    answer = NeedMessageFactory(need=need, answer=True, author_id=need.household.user_id)
    assert count(User) == users  # no other author was made
    db_session.expire_all()
    assert [(m.kind, m.body, m.author_id) for m in db_session.get(Need, need.id).messages] == [
        (MessageKind.QUESTION, "Какая школа?", staff.id), (MessageKind.ANSWER, answer.body, need.household.user_id)]
    assert question.need_id == need.id


# --- consent, notifications and tokens ----------------------------------------------------------------

@pytest.mark.parametrize("trait", ["given", "withdrawn"])
def test_a_consent_record_trait_per_state(db_session, trait):
    record = ConsentRecordFactory(**{trait: True})
    assert (stored(ConsentRecord, record.id, ConsentRecord.withdrawn_at) is None) is (trait == "given")
    assert db_session.get(User, record.user_id).role is Role.FAMILY
    assert (record.version, record.locale) == ("2026-11", "ru") and record.given_at is not None


def test_a_consent_record_is_of_the_user_given(db_session):
    family = UserFactory(family=True)
    users = count(User)
    assert stored(ConsentRecord, ConsentRecordFactory(user=family).id, ConsentRecord.user_id) == family.id
    assert stored(ConsentRecord, ConsentRecordFactory(user_id=family.id).id, ConsentRecord.user_id) == family.id
    assert count(User) == users


@pytest.mark.parametrize("trait", ["unread", "read"])
def test_a_notification_trait_per_state(db_session, trait):
    notification = NotificationFactory(**{trait: True})
    assert (stored(Notification, notification.id, Notification.read_at) is None) is (trait == "unread")
    assert db_session.get(User, notification.user_id) is not None
    assert (notification.kind, notification.params) == ("pledge.paid", {})


def test_a_notification_is_for_the_user_given(db_session):
    patron = UserFactory(patron=True)
    users = count(User)
    assert stored(Notification, NotificationFactory(user=patron).id, Notification.user_id) == patron.id
    assert stored(Notification, NotificationFactory(user_id=patron.id).id, Notification.user_id) == patron.id
    assert count(User) == users


@pytest.mark.parametrize("trait", ["live", "revoked"])
def test_an_api_token_trait_per_state(db_session, trait):
    token = ApiTokenFactory(**{trait: True})
    assert (stored(ApiToken, token.id, ApiToken.revoked_at) is None) is (trait == "live")
    assert db_session.get(User, token.user_id) is not None


def test_an_api_token_is_of_the_user_given(db_session):
    volunteer = UserFactory(volunteer=True)
    users = count(User)
    assert stored(ApiToken, ApiTokenFactory(user=volunteer).id, ApiToken.user_id) == volunteer.id
    assert stored(ApiToken, ApiTokenFactory(user_id=volunteer.id).id, ApiToken.user_id) == volunteer.id
    assert count(User) == users


def test_the_database_really_checks_api_tokens_here(db_session):
    """A token's hash is unique: a second token with the same hash is refused."""
    token = ApiTokenFactory()
    with pytest.raises(IntegrityError):
        ApiTokenFactory(token_hash=token.token_hash)
    db_session.rollback()
