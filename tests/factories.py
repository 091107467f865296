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
