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
        translated = factory.Trait(
            name_kk=factory.Sequence(lambda n: f"Бірыңғай әлеуметтік терезе №{n}"),
            name_en=factory.Sequence(lambda n: f"Single social window No. {n}"),
        )


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


# --- files, the conversation about a need, consent, notifications and tokens --------------------------
#
# These models hold a user's or a household's id without a relationship to it. Their factories take the
# object (`user=`, `household=`, `need=`) or its id (`user_id=`, ...); given neither, they make one, and
# given the id they make nothing more.

from marketplace.accounts.models import ApiToken  # noqa: E402
from marketplace.families.models import ConsentRecord  # noqa: E402
from marketplace.files.models import StoredFile  # noqa: E402
from marketplace.needs.models import MessageKind, NeedMessage  # noqa: E402
from marketplace.notifications.models import Notification  # noqa: E402


class IdOf(factory.SubFactory):
    """The id of a new row made by the sub-factory (for a foreign key with no relationship to set)."""

    def evaluate(self, instance, step, extra):
        return super().evaluate(instance, step, extra).id


def id_of(name: str, subfactory, **defaults):
    """The id of the object given as the parameter `name`, or else of a new one made by `subfactory`."""
    return factory.Maybe(name, yes_declaration=factory.SelfAttribute(f"{name}.id"),
                         no_declaration=IdOf(subfactory, **defaults))


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}


class StoredFileFactory(BaseFactory):
    """An uploaded file's row (no bytes are written): a 2 KB JPEG of a household (`household=` or
    `household_id=`; a new submitted one unless given), or of a need when `need=` (or `need_id=` with
    `household_id=`) is given. `evidence` is the household's evidence, of no need; `need_photo` a photo
    attached to a need (a new open need unless `need=` is given); `pdf` makes it a PDF document. Who
    uploaded it stays empty unless `uploaded_by_id=` is given (the app never reads it)."""

    class Meta:
        model = StoredFile

    household_id = factory.Maybe(
        "need",
        yes_declaration=factory.SelfAttribute("need.household_id"),
        no_declaration=id_of("household", HouseholdFactory, submitted=True),
    )
    need_id = factory.Maybe("need", yes_declaration=factory.SelfAttribute("need.id"), no_declaration=None)
    stored_name = factory.LazyAttributeSequence(lambda f, n: f"{n:032x}{EXTENSIONS.get(f.content_type, '')}")
    original_name = factory.LazyAttribute(lambda f: f"{f.label}{EXTENSIONS.get(f.content_type, '')}")
    content_type = "image/jpeg"
    size = 2048
    sha256 = factory.Sequence(lambda n: f"{n:064x}")

    class Params:
        household = None  # the Household the file belongs to
        need = None  # the Need it was attached to
        label = "справка"  # the original name, without its extension
        evidence = factory.Trait(need=None, label="справка_о_составе_семьи")
        need_photo = factory.Trait(need=factory.SubFactory(NeedFactory, open=True), label="фото")
        pdf = factory.Trait(content_type="application/pdf")


class NeedMessageFactory(BaseFactory):
    """Staff's question to the family about a need (a new need waiting for the answer unless `need=` is
    given), asked by staff of the need's office unless `author=` or `author_id=` is given. `answer` is the
    family's answer, `note` a note of the office."""

    class Meta:
        model = NeedMessage

    need = factory.SubFactory(NeedFactory, needs_info=True)
    kind = MessageKind.QUESTION
    body = "Пришлите, пожалуйста, справку о составе семьи."
    author_id = id_of("author", UserFactory, role=Role.STAFF, office=factory.SelfAttribute("..need.office"))

    class Params:
        author = None  # the User who wrote it
        question = factory.Trait(kind=MessageKind.QUESTION)
        answer = factory.Trait(
            kind=MessageKind.ANSWER, body="Справку приложили.", author=factory.SelfAttribute("need.household.user"),
        )
        note = factory.Trait(kind=MessageKind.NOTE, body="Семья получила помощь, спасибо волонтёрам.")


class ConsentRecordFactory(BaseFactory):
    """A family's consent to the processing of its personal data, in Russian (a new family unless `user=`
    or `user_id=` is given); `withdrawn` was taken back."""

    class Meta:
        model = ConsentRecord

    user_id = id_of("user", UserFactory, family=True)
    version = "2026-11"
    text_shown = "Я даю согласие на сбор и обработку моих персональных данных."
    locale = "ru"

    class Params:
        user = None  # the User who consented
        given = factory.Trait(withdrawn_at=None)
        withdrawn = factory.Trait(withdrawn_at=factory.LazyFunction(utcnow))


class NotificationFactory(BaseFactory):
    """An unread notification that a pledge was paid (a new user's unless `user=` or `user_id=` is given);
    `read` has been read."""

    class Meta:
        model = Notification

    user_id = id_of("user", UserFactory)
    kind = "pledge.paid"
    params = factory.LazyFunction(dict)

    class Params:
        user = None  # the User notified
        unread = factory.Trait(read_at=None)
        read = factory.Trait(read_at=factory.LazyFunction(utcnow))


class ApiTokenFactory(BaseFactory):
    """A live token of the phone app (a new user's unless `user=` or `user_id=` is given); `revoked` no
    longer works."""

    class Meta:
        model = ApiToken

    user_id = id_of("user", UserFactory)
    name = "Телефон"
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    prefix = "sw_test"

    class Params:
        user = None  # the User whose token it is
        live = factory.Trait(revoked_at=None)
        revoked = factory.Trait(revoked_at=factory.LazyFunction(utcnow))
