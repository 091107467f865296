"""factory_boy factories, with a trait per status."""
from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from marketplace.accounts.models import AccountStatus, PatronKind, Role, User
from marketplace.extensions import db
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
