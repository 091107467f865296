"""A rich audit log for the pages that show it: one office's people and objects, and an entry for every
action the code records, with the states and reasons its call sites write (the machine's texts of the
entries made before the log stored details too, and people's own words)."""
from __future__ import annotations

from dataclasses import dataclass

from marketplace.core import audit
from marketplace.core.roles import Role
from marketplace.needs.models import NeedStatus
from tests.factories import (
    ApiTokenFactory, ClaimFactory, FlagFactory, HouseholdFactory, NeedFactory, NeedItemFactory, OfficeFactory,
    PatronProfileFactory, PledgeFactory, StoredFileFactory, UserFactory, VolunteerProfileFactory,
)


@dataclass
class Scene:
    office: object
    other_office: object
    staff: object
    admin: object
    family: object
    household: object
    need: object
    volunteer: object
    profile: object
    patron: object
    partner: object
    flag: object
    pledge: object
    claim: object


def people_and_things() -> Scene:
    """One office with its staff, a family, its need and everyone around it."""
    office = OfficeFactory(name="Окно Медеуского района")
    other_office = OfficeFactory(name="Окно Жетысу")
    staff = UserFactory(role=Role.STAFF, office=office, full_name="Айгерим Ахметова", email="aigerim@example.kz")
    admin = UserFactory(admin=True, full_name="Бауыржан Сейтов", email="admin-scene@example.kz")
    family = UserFactory(family=True, full_name="Гульнара Семейная", email="family-scene@example.kz")
    household = HouseholdFactory(user=family, office=office, verified=True)
    need = NeedFactory(household=household, office=office, status=NeedStatus.VERIFIED, volunteer_slots=2)
    volunteer = UserFactory(volunteer=True, full_name="Данияр Волонтёров", email="volunteer-scene@example.kz")
    profile = VolunteerProfileFactory(user=volunteer, requested=True, vetting_office=office)
    patron = UserFactory(patron=True, full_name="Ерлан Меценатов", email="patron-scene@example.kz")
    PatronProfileFactory(user=patron)
    partner = UserFactory(partner=True, pending=True, email="partner-scene@example.kz")
    flag = FlagFactory(target=need, reporter=volunteer)
    pledge = PledgeFactory(need=need, patron=patron, awaiting_transfer=True)
    claim = ClaimFactory(need=need, volunteer=volunteer)
    return Scene(office, other_office, staff, admin, family, household, need, volunteer, profile, patron, partner,
                 flag, pledge, claim)


def record_legacy_entries(s: Scene) -> None:
    """An entry for every action, written as the call sites wrote them before the log had details."""
    o = s.office.id
    item = NeedItemFactory(need=s.need, name="Рюкзак")
    goods = PledgeFactory(need=s.need, patron=s.patron, goods=True, item=item, quantity=2)
    stored = StoredFileFactory(need=s.need)
    token = ApiTokenFactory(user=s.volunteer, name="Телефон Данияра")
    profile = s.profile
    n = s.need
    rec = audit.record
    # accounts
    rec("account.sign_up", s.volunteer, actor=s.volunteer, to_state="unconfirmed", reason="replaced an unconfirmed sign-up")
    rec("account.confirm_email", s.volunteer, actor=s.volunteer, object_type="user", from_state="unconfirmed",
        to_state="active")
    rec("account.confirm_email_for_approval", s.partner, actor=s.partner, object_type="user",
        from_state="unconfirmed", to_state="pending_approval")
    rec("account.approve", s.partner, actor=s.admin, object_type="user", from_state="pending_approval", to_state="active")
    rec("account.reject", s.partner, actor=s.admin, object_type="user", from_state="pending_approval",
        to_state="rejected", reason="Не удалось проверить БИН организации.")
    rec("account.disable", s.volunteer, actor=s.admin, object_type="user", from_state="active", to_state="disabled",
        reason="Просьба владельца.")
    rec("account.enable", s.volunteer, actor=s.admin, object_type="user", from_state="disabled", to_state="active")
    rec("account.erase", s.family, actor=s.staff, object_type="user", from_state="active", to_state="disabled",
        office_id=o)
    rec("account.create", s.staff, actor=s.admin, to_state="active", office_id=o)
    rec("account.create", s.admin, actor=None, to_state="active", reason="demo data")
    rec("account.log_in", s.staff, actor=s.staff)
    rec("account.log_out", s.staff, actor=s.staff)
    rec("account.password_changed", s.staff, actor=s.staff)
    rec("account.password_reset", s.volunteer, actor=s.volunteer)
    rec("account.update_profile", s.staff, actor=s.staff, reason="changed: full_name, phone, locale")
    rec("account.sessions_revoked", s.staff, actor=s.staff, reason="3 sessions, 0 API tokens")
    rec("account.email_change_requested", s.staff, actor=s.staff)
    rec("account.email_changed", s.staff, actor=s.staff)
    rec("account.assign_office", s.staff, actor=s.admin, from_state=str(s.other_office.id), to_state=str(o),
        office_id=o)
    rec("api_token.create", token, actor=s.volunteer, object_type="api_token", reason=token.name)
    rec("api_token.revoke", token, actor=s.volunteer, object_type="api_token", reason=token.name)
    rec("api_token.revoke", token, actor=s.volunteer, object_type="api_token", reason=f"{token.name} (password reset)")
    rec("api_token.revoke", token, actor=s.admin, object_type="api_token", reason=f"{token.name} (disable)")
    # offices
    rec("office.create", s.office, actor=s.admin, to_state="active", office_id=o)
    rec("office.update", s.office, actor=s.admin, office_id=o, from_state="active", to_state="closed",
        reason="changed: name, address, phone, opening_hours, is_active")
    rec("office.bank_details", s.office, actor=s.admin, office_id=o, reason="changed: bank_name, bank_iban, bank_bin")
    # households
    h = s.household
    rec("household.create", h, actor=s.family, to_state="draft")
    rec("household.update", h, actor=s.family, office_id=o, reason="changed: adults, address, phone, children")
    rec("household.consent", h, actor=s.family, office_id=o, reason="2026-11")
    for name, before, after, why in [
        ("submit", "draft", "submitted", None),
        ("ask_info", "submitted", "needs_info", "Приложите справку о составе семьи."),
        ("resubmit", "needs_info", "submitted", None),
        ("reject", "submitted", "rejected", "Адрес вне района офиса."),
        ("verify", "submitted", "verified", None),
        ("reopen", "verified", "submitted", "changed: address, children"),
    ]:
        rec(f"household.{name}", h, actor=s.staff if name in ("ask_info", "reject", "verify") else s.family,
            from_state=before, to_state=after, reason=why, office_id=o)
    for purpose in ("verification", "duplicate check", "need review", "flag review", "outcome photo", "file",
                    f"volunteer task, claim #{s.claim.id}"):
        rec("household.read_personal", h, actor=s.staff, office_id=o, reason=purpose)
    rec("household.export", h, actor=s.family, office_id=o)
    rec("household.erasure_requested", h, actor=s.family, office_id=o)
    rec("household.erase", h, actor=s.staff, office_id=o, reason="erasure requested")
    rec("household.erase", h, actor=s.staff, office_id=o, reason="erased by staff")
    # needs
    rec("need.create", n, actor=s.family, to_state="draft", office_id=o)
    rec("need.update", n, actor=s.family, office_id=o, from_state="draft", to_state="draft")
    for name, before, after, who, why in [
        ("submit", "draft", "submitted", s.family, None),
        ("ask_info", "submitted", "needs_info", s.staff, "Уточните размеры одежды."),
        ("resubmit", "needs_info", "submitted", s.family, None),
        ("verify", "submitted", "verified", s.staff, None),
        ("reject", "submitted", "rejected", s.staff, "Это уже покрыто другой просьбой."),
        ("start", "verified", "in_progress", None, "everything asked for is promised"),
        ("reopen", "in_progress", "verified", None, "part of the help is free again"),
        ("fulfil", "in_progress", "fulfilled", None, "Every volunteer task was done and confirmed."),
        ("fulfil", "verified", "fulfilled", s.staff, "Передали форму и рюкзаки."),
        ("close", "fulfilled", "closed", s.family, None),
        ("cancel", "verified", "cancelled", s.family, "Уже купили сами."),
        ("cancel", "verified", "cancelled", s.staff, "the family's data was erased"),
        ("expire", "verified", "expired", None, "deadline 2026-09-01 passed"),
    ]:
        rec(f"need.{name}", n, actor=who, from_state=before, to_state=after, reason=why, office_id=o)
    rec("need.hide", n, actor=s.staff, office_id=o, reason="В описании телефон семьи.", to_state="hidden")
    rec("need.unhide", n, actor=s.staff, office_id=o, reason="Телефон убрали.", from_state="hidden", to_state="visible")
    rec("need.outcome_photo", n, actor=s.staff, office_id=o, reason=f"file #{stored.id}")
    rec("need.task_requirements", n, actor=s.staff, office_id=o,
        reason="-; in_home=False → driving,repairs; in_home=True")
    rec("need.transfer", n, actor=s.family, office_id=o, from_state=str(s.other_office.id), to_state=str(o),
        reason="the family changed its office")
    rec("need.update", n, actor=s.family, office_id=o, from_state="verified", to_state="verified",
        reason="the family moved: public place follows the verified address")
    rec("file.upload", stored, actor=s.family, object_type="file", reason="image/jpeg, 48213 bytes", office_id=o)
    # pledges
    p = s.pledge
    rec("pledge.create", p, actor=s.patron, object_type="pledge", to_state="awaiting_transfer", office_id=o,
        reason=f"need #{n.id}: 700000 tiyn")
    rec("pledge.create", goods, actor=s.patron, object_type="pledge", to_state="pending", office_id=o,
        reason=f"need #{n.id}: 2 × Рюкзак")
    for name, before, after, who, why in [
        ("pay", "pending", "paid", None, None),
        ("confirm_transfer", "awaiting_transfer", "paid", s.staff, None),
        ("deliver", "pending", "delivered", s.family, None),
        ("deliver", "paid", "delivered", None, "the request was fulfilled"),
        ("cancel", "pending", "cancelled", None, "the card checkout expired unpaid"),
        ("cancel", "awaiting_transfer", "cancelled", None, "no transfer arrived within 7 days"),
        ("cancel", "pending", "cancelled", None, "the request was met"),
        ("cancel", "pending", "cancelled", None, "the card payment service could not be reached"),
        ("cancel", "pending", "cancelled", s.patron, "withdrawn by the patron"),
        ("cancel", "awaiting_transfer", "cancelled", s.staff, "cancelled by the office"),
        ("refund", "paid", "refund_pending", None, "the request expired"),
        ("refund", "paid", "refund_pending", s.staff, "Семья отказалась от помощи."),
        ("refund_late_payment", "cancelled", "refund_pending", None, "paid after the pledge was cancelled"),
        ("refunded", "refund_pending", "refunded", None, "refunded by card"),
        ("refunded", "refund_pending", "refunded", s.staff, None),
        ("redirect", "paid", "redirected", None, "the request expired"),
        ("receive_redirect", "pending", "paid", None, f"moved from pledge #{p.id}"),
    ]:
        rec(f"pledge.{name}", p, actor=who, object_type="pledge", from_state=before, to_state=after, reason=why,
            office_id=o)
    rec("pledge.redirected_in", p, actor=None, object_type="pledge", to_state="pending", office_id=o,
        reason=f"from pledge #{goods.id} on need #{n.id}")
    rec("patron.profile_save", s.patron, actor=s.patron, object_type="patron_profile",
        reason="changed: place, latitude, longitude, radius_km")
    # volunteering
    c = s.claim
    rec("claim.claim", c, actor=s.volunteer, object_type="claim", to_state="claimed", office_id=o,
        reason=f"need #{n.id}")
    rec("claim.invite", c, actor=s.staff, object_type="claim", to_state="invited", office_id=o, reason=f"need #{n.id}")
    for name, before, after, who, why in [
        ("accept", "invited", "claimed", s.volunteer, None),
        ("decline", "invited", "declined", s.volunteer, None),
        ("start", "claimed", "in_progress", s.volunteer, None),
        ("report_done", "in_progress", "done", s.volunteer, None),
        ("confirm", "done", "confirmed", s.family, None),
        ("not_done", "done", "in_progress", s.family, "Полки так и не повесили."),
        ("release", "claimed", "released", s.volunteer, "Заболел."),
        ("expire", "claimed", "expired", None, "14 days without progress"),
        ("revoke", "claimed", "revoked", None, "the request was cancelled"),
        ("revoke", "claimed", "revoked", s.staff, "Волонтёр не вышел на связь."),
    ]:
        rec(f"claim.{name}", c, actor=who, object_type="claim", from_state=before, to_state=after, reason=why,
            office_id=o)
    rec("volunteer.profile_save", profile, actor=s.volunteer, object_type="volunteer_profile",
        reason="changed: birth_year, settlement, skills, availability, radius_km")
    for name, before, after, who, why in [
        ("request", "not_requested", "requested", s.volunteer, None),
        ("vet", "requested", "vetted", s.staff, None),
        ("refuse", "requested", "refused", s.staff, "Не пришёл на собеседование."),
        ("reset", "vetted", "not_requested", s.volunteer, "birth year changed"),
    ]:
        rec(f"volunteer.{name}", profile, actor=who, object_type="volunteer", from_state=before, to_state=after,
            reason=why, office_id=o)
    rec("volunteer.parent_consent", profile, actor=s.staff, object_type="volunteer",
        reason="Мама пришла в офис с паспортом.", office_id=o)
    # moderation
    rec("flag.create", s.flag, actor=s.volunteer, office_id=o, to_state="open", reason=f"need #{n.id}")
    rec("flag.create", s.flag, actor=s.volunteer, office_id=o, to_state="open", reason=f"user #{s.family.id}")
    rec("flag.resolved", s.flag, actor=s.staff, office_id=o, from_state="open", to_state="resolved",
        reason="Просьбу скрыли.")
    rec("flag.dismissed", s.flag, actor=s.staff, office_id=o, from_state="open", to_state="dismissed")
    rec("user.hide", s.family, actor=s.staff, reason="Спам.", to_state="hidden", office_id=o)
    rec("user.unhide", s.family, actor=s.staff, reason="Ошибка.", from_state="hidden", to_state="visible", office_id=o)


def perform_actions(s: Scene) -> None:
    """The same kinds of entries made the way the site makes them now: by the services, with details."""
    from marketplace.accounts import services as accounts
    from marketplace.families.lifecycle import HOUSEHOLD_LIFECYCLE
    from marketplace.families.services import read_personal, record_consent
    from marketplace.moderation.models import FlagTarget
    from marketplace.moderation.services import create_flag
    from marketplace.needs.services import set_task_requirements
    from marketplace.offices.services import set_bank_details
    from marketplace.pledges import services as pledges
    from marketplace.pledges.models import GoodsDelivery

    accounts.update_profile(s.staff, full_name="Айгерим Ахметова", phone="+7 701 000 00 01", locale="ru")
    ApiTokenFactory(user=s.patron, name="Планшет")
    accounts.log_out_everywhere(s.patron)
    pledges.pledge_money(s.need, s.patron, amount=700_000, card=False)
    item = NeedItemFactory(need=s.need, name="Куртка", quantity=5)
    pledges.pledge_goods(s.need, s.patron, item_id=item.id, quantity=2, delivery=GoodsDelivery.OFFICE)
    set_task_requirements(s.need, skills=["driving", "repairs"], in_home=True, actor=s.staff)
    create_flag(s.patron, FlagTarget.NEED, s.need, "Похоже, просьба повторяет другую.")
    read_personal(s.household, s.staff, purpose="verification")
    read_personal(s.household, s.volunteer, purpose="volunteer_task", claim_id=s.claim.id)
    record_consent(s.family, text_shown="Я согласна на обработку моих данных.", locale="ru")
    HOUSEHOLD_LIFECYCLE.apply(s.household, "reopen", actor=s.family, details={"fields": ["address", "children"]})
    set_bank_details(s.office, {"bank_recipient": "Окно Медеуского района", "bank_name": "Народный банк"},
                     actor=s.admin)
