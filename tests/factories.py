"""factory_boy factories, with a trait per status."""
from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from marketplace.core.roles import Role

from marketplace.accounts.models import AccountStatus, PatronKind, User
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.offices.models import Office

PASSWORD = "correct horse battery"
_hash_cache: dict[str, str] = {}


def password_hash(password: str = PASSWORD) -> str:
    """Hash once per test run; argon2 is slow on purpose."""
    if password not in _hash_cache:
        from marketplace.accounts.passwords import hash_password

        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731  (the test's session)
        sqlalchemy_session_persistence = "commit"  # a savepoint release; the test still rolls back


class OfficeFactory(BaseFactory):
    class Meta:
        model = Office

    code = factory.Sequence(lambda n: f"TST-{n:03d}")
    name = factory.Sequence(lambda n: f"Единое социальное окно №{n}")
    region_code = "almaty-city"
    settlement = "Алматы"
    address = factory.Sequence(lambda n: f"ул. Абая, {n + 1}")
    latitude = 43.238
    longitude = 76.889
    phone = "+7 727 000 00 00"
    is_active = True

    class Params:
        closed = factory.Trait(is_active=False)


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.kz")
    password_hash = factory.LazyFunction(password_hash)
    role = Role.VOLUNTEER
    status = AccountStatus.ACTIVE
    full_name = factory.Sequence(lambda n: f"Тестовый Пользователь {n}")
    locale = None  # the browser decides, as for a user who never picked a language

    class Params:
        family = factory.Trait(role=Role.FAMILY)
        volunteer = factory.Trait(role=Role.VOLUNTEER)
        patron = factory.Trait(role=Role.PATRON, patron_kind=PatronKind.PERSON)
        partner = factory.Trait(role=Role.PARTNER, organisation_name=factory.Sequence(lambda n: f"ОФ «Партнёр {n}»"))
        staff = factory.Trait(role=Role.STAFF, office=factory.SubFactory(OfficeFactory))
        admin = factory.Trait(role=Role.ADMIN)
        pending = factory.Trait(status=AccountStatus.PENDING_APPROVAL)
        disabled = factory.Trait(status=AccountStatus.DISABLED)
        rejected = factory.Trait(status=AccountStatus.REJECTED)


# --- households and needs ---------------------------------------------------------------------

from marketplace.families.models import Child, Household, HouseholdStatus  # noqa: E402
from marketplace.needs.models import Category, Need, NeedItem, NeedStatus, Urgency  # noqa: E402


class HouseholdFactory(BaseFactory):
    """A family's household in Almaty; private data distinctive enough to search pages for."""

    class Meta:
        model = Household

    user = factory.SubFactory(UserFactory, role=Role.FAMILY)
    office = factory.SubFactory(OfficeFactory)
    status = HouseholdStatus.DRAFT
    adults = 2
    phone = factory.Sequence(lambda n: f"+7 701 {n:03d} 45 67")
    phone_digits = factory.LazyAttribute(lambda h: "".join(c for c in h.phone if c.isdigit())[-10:])
    address = factory.Sequence(lambda n: f"Алматы, ул. Жандосова, {n + 10}, кв. 7")
    latitude = 43.2389
    longitude = 76.8897
    settlement = "Алматы"
    region_code = "almaty-city"
    public_latitude = 43.24
    public_longitude = 76.89
    children_signature = "2012,2014,2016,2019"
    consent_version = "2026-11"
    consent_given_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def children(obj, create, extracted, **kwargs):
        years = extracted if extracted is not None else [2012, 2014, 2016, 2019]
        obj.children = [Child(birth_year=y) for y in years]
        obj.children_signature = ",".join(str(y) for y in sorted(years)) or None
        if create:
            db.session.commit()

    class Params:
        submitted = factory.Trait(status=HouseholdStatus.SUBMITTED)
        verified = factory.Trait(status=HouseholdStatus.VERIFIED)
        needs_info = factory.Trait(status=HouseholdStatus.NEEDS_INFO)
        rejected = factory.Trait(status=HouseholdStatus.REJECTED)


class NeedFactory(BaseFactory):
    """A need; the `open` trait gives a verified need of a verified household, as the public sees it."""

    class Meta:
        model = Need

    household = factory.SubFactory(HouseholdFactory)
    office = factory.LazyAttribute(lambda n: n.household.office)
    status = NeedStatus.DRAFT
    category = Category.SCHOOL
    title = factory.Sequence(lambda n: f"Школьная форма и рюкзаки №{n}")
    description = "Нужны школьная форма и рюкзаки для троих детей к 1 сентября."
    urgency = Urgency.NORMAL
    urgency_rank = 2
    money_goal = 5_000_000  # 50 000 ₸

    class Params:
        submitted = factory.Trait(status=NeedStatus.SUBMITTED)
        needs_info = factory.Trait(status=NeedStatus.NEEDS_INFO)
        open = factory.Trait(
            status=NeedStatus.VERIFIED,
            household=factory.SubFactory(HouseholdFactory, verified=True),
            settlement=factory.LazyAttribute(lambda n: n.household.settlement),
            region_code=factory.LazyAttribute(lambda n: n.household.region_code),
            public_latitude=factory.LazyAttribute(lambda n: n.household.public_latitude),
            public_longitude=factory.LazyAttribute(lambda n: n.household.public_longitude),
        )
        in_progress = factory.Trait(status=NeedStatus.IN_PROGRESS)
        fulfilled = factory.Trait(status=NeedStatus.FULFILLED)
        closed = factory.Trait(status=NeedStatus.CLOSED)
        rejected = factory.Trait(status=NeedStatus.REJECTED)
        cancelled = factory.Trait(status=NeedStatus.CANCELLED)
        expired = factory.Trait(status=NeedStatus.EXPIRED)


class NeedItemFactory(BaseFactory):
    class Meta:
        model = NeedItem

    need = factory.SubFactory(NeedFactory)
    name = "Рюкзак"
    quantity = 3
    unit = "шт."


# --- pledges and patrons ----------------------------------------------------------------------

from marketplace.pledges.models import (  # noqa: E402
    GoodsDelivery, PatronProfile, PaymentProvider, Pledge, PledgeKind, PledgeStatus,
)


class PledgeFactory(BaseFactory):
    """A patron's money pledge by card, just made (checkout open); `goods` makes it a pledge of one
    line of the need instead. A trait per status sets what that status implies (paid, delivered,
    closed dates; what was given back). Only the row is made: the need's totals are not touched."""

    class Meta:
        model = Pledge

    need = factory.SubFactory(NeedFactory, open=True)
    patron = factory.SubFactory(UserFactory, patron=True)
    office_id = factory.LazyAttribute(lambda p: p.need.office_id)
    kind = PledgeKind.MONEY
    status = PledgeStatus.PENDING
    amount = 1_000_000  # 10 000 ₸
    provider = PaymentProvider.STRIPE
    checkout_session_id = factory.Sequence(lambda n: f"cs_test_factory_{n:06d}")

    class Params:
        goods = factory.Trait(
            kind=PledgeKind.GOODS,
            amount=None,
            item=factory.SubFactory(NeedItemFactory, need=factory.SelfAttribute("..need")),
            quantity=1,
            delivery=GoodsDelivery.OFFICE,
            provider=None,
            checkout_session_id=None,
        )
        pending = factory.Trait(status=PledgeStatus.PENDING)
        awaiting_transfer = factory.Trait(
            status=PledgeStatus.AWAITING_TRANSFER, provider=PaymentProvider.OFFLINE, checkout_session_id=None,
        )
        paid = factory.Trait(
            status=PledgeStatus.PAID,
            paid_at=factory.LazyFunction(utcnow),
            receipt_number=factory.Sequence(lambda n: f"SW-TEST-{n:07d}"),
        )
        delivered = factory.Trait(
            status=PledgeStatus.DELIVERED,
            paid_at=factory.LazyAttribute(lambda p: utcnow() if p.kind is PledgeKind.MONEY else None),
            delivered_at=factory.LazyFunction(utcnow),
        )
        cancelled = factory.Trait(
            status=PledgeStatus.CANCELLED,
            closed_at=factory.LazyFunction(utcnow),
            status_reason="withdrawn by the patron",
        )
        refund_pending = factory.Trait(
            status=PledgeStatus.REFUND_PENDING,
            paid_at=factory.LazyFunction(utcnow),
            receipt_number=factory.Sequence(lambda n: f"SW-TEST-R{n:06d}"),
            status_reason="Семья отказалась от помощи",
        )
        refunded = factory.Trait(
            status=PledgeStatus.REFUNDED,
            paid_at=factory.LazyFunction(utcnow),
            closed_at=factory.LazyFunction(utcnow),
            amount_refunded=factory.LazyAttribute(lambda p: p.amount or 0),
        )
        redirected = factory.Trait(
            status=PledgeStatus.REDIRECTED,
            allow_redirect=True,
            paid_at=factory.LazyFunction(utcnow),
            closed_at=factory.LazyFunction(utcnow),
        )


class PatronProfileFactory(BaseFactory):
    """A patron's private home point in Almaty."""

    class Meta:
        model = PatronProfile

    user_id = factory.LazyAttribute(lambda p: p.user.id)
    place = "Алматы, Бостандыкский район"
    latitude = 43.22
    longitude = 76.92
    radius_km = 25.0

    class Params:
        user = factory.SubFactory(UserFactory, patron=True)  # the model has no relationship to its user


# --- volunteering -----------------------------------------------------------------------------

from marketplace.volunteering.models import (  # noqa: E402
    Claim, ClaimStatus, VettingStatus, VolunteerProfile, VolunteerSkill,
)

ALL_WEEK = (1 << 21) - 1  # every morning, afternoon and evening, Monday to Sunday


class VolunteerProfileFactory(BaseFactory):
    """An adult volunteer living in Almaty, free all week, who has not asked to be vetted.
    The vetting traits ask an office (a new one unless `vetting_office=` is given)."""

    class Meta:
        model = VolunteerProfile

    user = factory.SubFactory(UserFactory, volunteer=True)
    birth_year = 1995
    settlement = "Алматы"
    latitude = 43.25
    longitude = 76.90
    radius_km = 10.0
    availability = ALL_WEEK
    vetting_status = VettingStatus.NOT_REQUESTED
    vetting_office_id = factory.LazyAttribute(lambda p: p.vetting_office.id if p.vetting_office else None)

    @factory.post_generation
    def skills(obj, create, extracted, **kwargs):
        if extracted:
            obj.skills = [VolunteerSkill(skill=s) for s in extracted]
            if create:
                db.session.commit()

    class Params:
        vetting_office = None  # the office asked to vet (an Office)
        not_requested = factory.Trait(vetting_status=VettingStatus.NOT_REQUESTED)
        requested = factory.Trait(
            vetting_status=VettingStatus.REQUESTED, vetting_office=factory.SubFactory(OfficeFactory),
        )
        vetted = factory.Trait(
            vetting_status=VettingStatus.VETTED,
            vetting_office=factory.SubFactory(OfficeFactory),
            vetted_at=factory.LazyFunction(utcnow),
        )
        refused = factory.Trait(
            vetting_status=VettingStatus.REFUSED,
            vetting_office=factory.SubFactory(OfficeFactory),
            vetted_at=factory.LazyFunction(utcnow),
        )


class ClaimFactory(BaseFactory):
    """A volunteer's claim on one of an open need's two volunteer places (holding it: `claimed`).
    Only the row is made: the need's `slots_filled` is not touched."""

    class Meta:
        model = Claim

    need = factory.SubFactory(NeedFactory, open=True, volunteer_slots=2)
    volunteer = factory.SubFactory(UserFactory, volunteer=True)
    office_id = factory.LazyAttribute(lambda c: c.need.office_id)
    status = ClaimStatus.CLAIMED

    class Params:
        invited = factory.Trait(status=ClaimStatus.INVITED)
        declined = factory.Trait(status=ClaimStatus.DECLINED)
        claimed = factory.Trait(status=ClaimStatus.CLAIMED)
        in_progress = factory.Trait(status=ClaimStatus.IN_PROGRESS)
        done = factory.Trait(
            status=ClaimStatus.DONE, done_at=factory.LazyFunction(utcnow), hours=2.5,
            report_note="Собрали и повесили полки.",
        )
        confirmed = factory.Trait(
            status=ClaimStatus.CONFIRMED, done_at=factory.LazyFunction(utcnow),
            confirmed_at=factory.LazyFunction(utcnow), hours=2.5, report_note="Собрали и повесили полки.",
        )
        released = factory.Trait(status=ClaimStatus.RELEASED)
        expired = factory.Trait(status=ClaimStatus.EXPIRED)
        revoked = factory.Trait(status=ClaimStatus.REVOKED, status_reason="Волонтёр не вышел на связь")


# --- moderation -------------------------------------------------------------------------------

from marketplace.moderation.models import Flag, FlagStatus, FlagTarget  # noqa: E402


class FlagFactory(BaseFactory):
    """A user's open flag about a need (`target=`, a new open need unless given), for the need's office."""

    class Meta:
        model = Flag

    reporter = factory.SubFactory(UserFactory, volunteer=True)
    target_type = FlagTarget.NEED
    target_id = factory.LazyAttribute(lambda f: f.target.id)
    office_id = factory.LazyAttribute(lambda f: f.target.office_id)
    reason = "Похоже, эта просьба повторяет другую."
    status = FlagStatus.OPEN

    class Params:
        target = factory.SubFactory(NeedFactory, open=True)  # the need flagged
        open = factory.Trait(status=FlagStatus.OPEN)
        resolved = factory.Trait(
            status=FlagStatus.RESOLVED, resolved_at=factory.LazyFunction(utcnow), resolution_note="Просьба скрыта.",
        )
        dismissed = factory.Trait(
            status=FlagStatus.DISMISSED, resolved_at=factory.LazyFunction(utcnow), resolution_note="Всё в порядке.",
        )
