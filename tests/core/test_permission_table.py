"""The permission table: for every registered action, who may do it to which object, as the product means it.

Each row is (principal, object, allowed) and is its own test, named like `need.moderate-staff_other_office-denied`
(with the object between them when an action is checked on more than one kind of object). The table only
states expectations: it knows actions by name and asks `can()`, never a predicate or the module it lives in,
so policies may move between files freely. A new action fails `test_every_registered_action_is_in_the_table`
until it has its rows here.

The principals stand in one small world around one family's open request at one office:

    anonymous           a visitor who is not logged in (the app's own anonymous user)
    family              the family whose household and request the objects are
    family_other        another family, with its own household at the same office
    volunteer           the volunteer holding a claim on the request
    volunteer_other     another volunteer
    patron              the patron whose pledge is on the request (paid)
    patron_other        another patron
    partner             an NGO partner
    staff               staff of the request's office
    staff_other_office  staff of another office
    admin               an admin of the council

Rows the product wants but the policies do not give yet are strict xfails, with the reason.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import pytest

from marketplace.core.authz import can, registered_actions
from marketplace.core.dbtypes import utcnow
from marketplace.core.extensions import db
from marketplace.core.roles import Role
from tests.factories import (
    ApiTokenFactory, ClaimFactory, FlagFactory, HouseholdFactory, NeedFactory, NotificationFactory, OfficeFactory,
    PatronProfileFactory, PledgeFactory, StoredFileFactory, UserFactory, VolunteerProfileFactory,
)

PRINCIPALS = (
    "anonymous", "family", "family_other", "volunteer", "volunteer_other", "patron", "patron_other", "partner",
    "staff", "staff_other_office", "admin",
)


# --- the world: principals and objects, each made only when a row asks for it -------------------------------

class World:
    """One family's open request at one office, and the people around it. Everything is made lazily
    (a row builds only what it names) and at most once per test."""

    def __init__(self, app):
        self.app = app
        self._made: dict[str, object] = {}

    def __getattr__(self, name: str):
        if name.startswith("_") or not hasattr(type(self), f"make_{name}"):
            raise AttributeError(name)
        if name not in self._made:
            self._made[name] = getattr(self, f"make_{name}")()
        return self._made[name]

    # places and the family's request
    def make_office(self):
        return OfficeFactory()

    def make_other_office(self):
        return OfficeFactory()

    def make_household(self):
        self.family  # noqa: B018  (makes the household)
        return self._made["household"]

    def make_need(self):
        return NeedFactory(open=True, household=self.household, volunteer_slots=2)

    # principals
    def make_anonymous(self):
        return self.app.login_manager.anonymous_user()  # what `current_user` is for a visitor

    def make_family(self):
        family = UserFactory(family=True)
        self._made["household"] = HouseholdFactory(user=family, office=self.office, verified=True)
        return family

    def make_family_other(self):
        other = UserFactory(family=True)
        HouseholdFactory(user=other, office=self.office, verified=True)
        return other

    def make_volunteer(self):
        volunteer = UserFactory(volunteer=True)
        self._made["claim"] = ClaimFactory(need=self.need, volunteer=volunteer)
        return volunteer

    def make_volunteer_other(self):
        return UserFactory(volunteer=True)

    def make_patron(self):
        patron = UserFactory(patron=True)
        self._made["pledge"] = PledgeFactory(need=self.need, patron=patron, paid=True)
        return patron

    def make_patron_other(self):
        return UserFactory(patron=True)

    def make_partner(self):
        return UserFactory(partner=True)

    def make_staff(self):
        return UserFactory(role=Role.STAFF, office=self.office)

    def make_staff_other_office(self):
        return UserFactory(role=Role.STAFF, office=self.other_office)

    def make_admin(self):
        return UserFactory(admin=True)

    # objects that belong to a principal (asking for one brings its principal)
    def make_claim(self):
        self.volunteer  # noqa: B018  (makes the claim)
        return self._made["claim"]

    def make_pledge(self):
        self.patron  # noqa: B018  (makes the pledge)
        return self._made["pledge"]

    def make_goods_pledge(self):
        return PledgeFactory(goods=True, need=self.need, patron=self.patron)

    def make_volunteer_profile(self):
        return VolunteerProfileFactory(user=self.volunteer, requested=True, vetting_office=self.office)

    def make_patron_profile(self):
        return PatronProfileFactory(user=self.patron)

    def make_api_token(self):
        return ApiTokenFactory(user_id=self.volunteer.id)

    def make_notification(self):
        return NotificationFactory(user_id=self.family.id, params={"title": self.need.title})

    def make_flag(self):
        return FlagFactory(target=self.need)

    # other objects
    def make_closed_office(self):
        return OfficeFactory(closed=True)

    def make_evidence_file(self):
        return StoredFileFactory(household_id=self.household.id, need_id=self.need.id, uploaded_by_id=self.family.id,
                                 original_name="справка_о_составе_семьи.jpg")

    def make_outcome_photo(self):
        """The proof of delivery of the family's request, to which the patron's paid pledge went."""
        self.patron  # noqa: B018
        return self.outcome_photo_of(self.need)

    def outcome_photo_of(self, need):
        photo = StoredFileFactory(household_id=need.household_id, need_id=need.id, uploaded_by_id=None,
                                  original_name="доставлено.jpg")
        need.outcome_photo_id = photo.id
        db.session.commit()
        return photo

    def make_need_hidden_by_staff(self):
        return NeedFactory(open=True, household=self.household, hidden_at=utcnow(), hidden_by_admin=False,
                           hidden_reason="Уточняем документы")

    def make_need_hidden_by_admin(self):
        return NeedFactory(open=True, household=self.household, hidden_at=utcnow(), hidden_by_admin=True,
                           hidden_reason="Жалоба в акимат")

    def make_verified_event(self):
        """A Stripe event whose signature over the raw body checked out (a dict, as the webhook gets it)."""
        return {"id": "evt_test_permission_table", "type": "checkout.session.completed", "data": {"object": {}}}


def _outcome_photo_after(**pledge_traits) -> Callable[[World, object], object]:
    """The proof of delivery of another request of the family, given to by the patron only with this pledge."""

    def build(world: World, _principal):
        need = NeedFactory(open=True, household=world.household)
        PledgeFactory(need=need, patron=world.patron, **pledge_traits)
        return world.outcome_photo_of(need)

    return build


def _nothing(_world: World, _principal):
    return None


# object key -> how to make it; keys that stand for None say what the None means at the call site
OBJECTS: dict[str, Callable[[World, object], object]] = {
    "no_object": _nothing,
    "all_offices": _nothing,  # an admin's list over every office
    "all_my_notifications": _nothing,  # "mark all as read"
    "no_household_yet": _nothing,  # a family starting its household
    "no_profile_yet": _nothing,  # a volunteer or patron before saving a profile
    "new_account": _nothing,  # an admin creating a staff account
    "new_office": _nothing,  # creating or importing offices
    "missing": _nothing,  # a view that forgot to look the object up: must still be denied
    "unverified_event": _nothing,  # the webhook with no verified event
    "own_account": lambda world, principal: principal,
    "family_account": lambda world, _p: world.family,
    "volunteer_account": lambda world, _p: world.volunteer,
    "office_id": lambda world, _p: world.office.id,
    "outcome_photo_money_pending": _outcome_photo_after(),
    "outcome_photo_money_awaiting_transfer": _outcome_photo_after(awaiting_transfer=True),
    "outcome_photo_money_delivered": _outcome_photo_after(delivered=True),
    "outcome_photo_money_redirected": _outcome_photo_after(redirected=True),
    "outcome_photo_money_cancelled": _outcome_photo_after(cancelled=True),
    "outcome_photo_money_refund_pending": _outcome_photo_after(refund_pending=True),
    "outcome_photo_money_refunded": _outcome_photo_after(refunded=True),
    "outcome_photo_goods_pending": _outcome_photo_after(goods=True),
    "outcome_photo_goods_delivered": _outcome_photo_after(goods=True, delivered=True),
    "outcome_photo_goods_cancelled": _outcome_photo_after(goods=True, cancelled=True),
}
for _maker in dir(World):  # and every object the world makes: "need", "claim", "pledge", ...
    if _maker.startswith("make_") and _maker[5:] not in PRINCIPALS:
        OBJECTS.setdefault(_maker[5:], lambda world, _p, _key=_maker[5:]: getattr(world, _key))


# --- the table ----------------------------------------------------------------------------------------------

class Row(NamedTuple):
    principal: str
    obj: str
    allowed: bool
    xfail: str | None = None  # why the product's answer is not the policy's yet
    raises: type[BaseException] | None = None  # what the policy does instead of answering


def on(obj: str, allow: str = "", deny: str = "") -> list[Row]:
    """The rows of one object: the principals allowed, and those denied (space-separated)."""
    allowed, denied = allow.split(), deny.split()
    assert not set(allowed) & set(denied), f"{obj}: both allowed and denied: {set(allowed) & set(denied)}"
    return [Row(p, obj, True) for p in allowed] + [Row(p, obj, False) for p in denied]


def wrong(principal: str, obj: str, allowed: bool, reason: str, raises: type[BaseException] | None = None) -> list[Row]:
    """A row where today's policy gives another answer than the product should (a strict xfail)."""
    return [Row(principal, obj, allowed, reason, raises)]


# The seven roles, for actions about no object (where "own" and "other" make no difference).
ANYONE = "anonymous family volunteer patron partner staff admin"
LOGGED_IN = "family volunteer patron partner staff admin"

PERMISSIONS: dict[str, list[Row]] = {
    # --- accounts ---------------------------------------------------------------------------------------------
    "account.sign_up": on("no_object", allow="anonymous", deny=LOGGED_IN),
    # Logging in again as someone else is allowed (the old session ends); anyone may ask for a reset link.
    "account.log_in": on("no_object", allow=ANYONE),
    "account.reset_password": on("no_object", allow=ANYONE),
    # The signed link (and, for a sign-up, the password) is the proof, so opening one is open to anyone.
    "account.confirm_email": on("no_object", allow=ANYONE),
    "account.log_out": on("no_object", allow=LOGGED_IN, deny="anonymous"),
    "account.edit_own": [
        *on("own_account", allow=LOGGED_IN, deny="anonymous"),
        # Nobody edits someone else's account through "my account", not even the office or an admin.
        *on("family_account", allow="family",
            deny="anonymous family_other volunteer patron partner staff staff_other_office admin"),
    ],
    "account.list": on("no_object", allow="admin", deny="anonymous family volunteer patron partner staff"),
    "account.manage": [
        *on("family_account", allow="admin",
            deny="anonymous family family_other volunteer patron partner staff staff_other_office"),
        *on("new_account", allow="admin", deny="anonymous family volunteer patron partner staff"),
    ],
    "language.set": on("no_object", allow=ANYONE),
    "audit.view": on("no_object", allow="staff staff_other_office admin",  # staff see their office's entries
                     deny="anonymous family volunteer patron partner"),
    # --- offices ----------------------------------------------------------------------------------------------
    "office.view": [
        *on("office", allow="anonymous family volunteer patron partner staff staff_other_office admin"),
        *on("closed_office", allow="admin", deny="anonymous family volunteer patron partner staff_other_office"),
    ],
    "office.manage": [
        *on("office", allow="admin", deny="anonymous family volunteer patron partner staff staff_other_office"),
        *on("new_office", allow="admin", deny="anonymous family volunteer patron partner staff"),
    ],
    "office.work": on("office", allow="staff admin",
                      deny="anonymous family volunteer patron partner staff_other_office"),
    "moderation.work": [
        *on("office", allow="staff admin", deny="anonymous family volunteer patron partner staff_other_office"),
        *on("all_offices", allow="admin", deny="anonymous family volunteer patron partner staff"),
    ],
    "dispatch.plan": [
        *on("office", allow="staff admin",
            deny="anonymous family volunteer volunteer_other patron partner staff_other_office"),
        *on("missing", deny="staff admin"),  # a plan is always of one office
    ],
    # --- households and requests ------------------------------------------------------------------------------
    "household.edit_own": [
        *on("household", allow="family",
            deny="anonymous family_other volunteer volunteer_other patron patron_other partner"
                 " staff staff_other_office admin"),
        *on("no_household_yet", allow="family",
            deny="anonymous volunteer volunteer_other patron patron_other partner staff admin"),
    ],
    "household.read_personal": on(
        "household", allow="family staff admin",
        deny="anonymous family_other volunteer volunteer_other patron patron_other partner staff_other_office"),
    "household.moderate": on(
        "household", allow="staff admin",
        deny="anonymous family family_other volunteer volunteer_other patron patron_other partner staff_other_office"),
    "need.create": on(
        "household", allow="family",
        deny="anonymous family_other volunteer volunteer_other patron patron_other partner"
             " staff staff_other_office admin"),
    "need.edit_own": on(
        "need", allow="family",
        deny="anonymous family_other volunteer volunteer_other patron patron_other partner"
             " staff staff_other_office admin"),
    "need.view_private": on(
        "need", allow="family staff admin",
        deny="anonymous family_other volunteer volunteer_other patron patron_other partner staff_other_office"),
    "need.moderate": on(
        "need", allow="staff admin",
        deny="anonymous family family_other volunteer volunteer_other patron patron_other partner staff_other_office"),
    "need.unhide": [
        *on("need_hidden_by_staff", allow="staff admin",
            deny="anonymous family family_other volunteer volunteer_other patron patron_other partner"
                 " staff_other_office"),
        # What an admin hid, only an admin shows again.
        *on("need_hidden_by_admin", allow="admin",
            deny="anonymous family family_other volunteer patron partner staff staff_other_office"),
    ],
    "need.transition": on(
        "need", allow="family staff admin",
        deny="anonymous family_other volunteer volunteer_other patron patron_other partner staff_other_office"),
    # --- files ------------------------------------------------------------------------------------------------
    "file.read": [
        *on("evidence_file", allow="family staff admin",
            deny="anonymous family_other volunteer volunteer_other patron patron_other partner staff_other_office"),
        # The proof of delivery is the household's file too; patrons open it through file.read_outcome.
        *on("outcome_photo", allow="family staff admin",
            deny="anonymous family_other volunteer patron patron_other partner staff_other_office"),
    ],
    "file.read_outcome": [
        # Only for the patrons whose gift reached the request; the family, the office and admins read it
        # as the household's file (file.read), not as supporters.
        *on("outcome_photo", allow="patron",
            deny="anonymous family family_other volunteer patron_other partner staff staff_other_office admin"),
        *on("evidence_file", deny="patron patron_other volunteer"),  # evidence never, whatever was given
        *on("outcome_photo_money_delivered", allow="patron"),
        *on("outcome_photo_money_redirected", allow="patron"),  # paid, then moved on to a similar request
        *on("outcome_photo_goods_delivered", allow="patron"),
        *on("outcome_photo_money_pending", deny="patron"),
        *on("outcome_photo_money_awaiting_transfer", deny="patron"),
        *on("outcome_photo_money_cancelled", deny="patron"),
        *on("outcome_photo_money_refund_pending", deny="patron"),
        *on("outcome_photo_money_refunded", deny="patron"),
        *on("outcome_photo_goods_pending", deny="patron"),
        *on("outcome_photo_goods_cancelled", deny="patron"),
    ],
    # --- flags and moderation of users ------------------------------------------------------------------------
    "flag.create": [
        *on("need", allow="family family_other volunteer patron partner staff staff_other_office admin",
            deny="anonymous"),
        *on("family_account", allow="family_other volunteer patron partner staff_other_office admin", deny="anonymous"),
    ],
    "flag.handle": on(
        "flag", allow="staff admin",
        deny="anonymous family family_other volunteer volunteer_other patron patron_other partner staff_other_office"),
    "user.moderate": [
        *on("family_account", allow="staff admin",
            deny="anonymous family family_other volunteer patron partner staff_other_office"),
        # Volunteers belong to no office: only admins hide them.
        *on("volunteer_account", allow="admin",
            deny="anonymous family volunteer volunteer_other patron partner staff staff_other_office"),
    ],
    # --- notifications ----------------------------------------------------------------------------------------
    "notification.read_own": [
        *on("notification", allow="family",
            deny="anonymous family_other volunteer patron partner staff staff_other_office admin"),
        *on("all_my_notifications", allow=LOGGED_IN, deny="anonymous"),
    ],
    # --- pledges ----------------------------------------------------------------------------------------------
    "pledge.create": on(
        "need", allow="patron patron_other",
        deny="anonymous family family_other volunteer partner staff staff_other_office admin"),
    "pledge.view": [
        # The family sees what was pledged to it on its own pages, not the patron's pledge.
        *on("pledge", allow="patron staff admin",
            deny="anonymous family family_other volunteer patron_other partner staff_other_office"),
        *on("missing", deny="anonymous patron staff admin"),
    ],
    "pledge.cancel": [
        *on("pledge", allow="patron staff admin",  # the patron withdraws it, the office cancels it
            deny="anonymous family family_other volunteer patron_other partner staff_other_office"),
        *on("missing", deny="anonymous patron staff admin"),
    ],
    "pledge.staff": [
        *on("office_id", allow="staff admin", deny="anonymous family volunteer patron partner staff_other_office"),
        *on("all_offices", allow="admin", deny="anonymous family volunteer patron partner staff staff_other_office"),
    ],
    "pledge.confirm_goods": [
        # Whoever received the goods: the family or the office; never the patron who brings them.
        *on("goods_pledge", allow="family staff admin",
            deny="anonymous family_other volunteer patron patron_other partner staff_other_office"),
        *on("missing", deny="anonymous family staff admin"),
    ],
    # Stripe is no user: the verified signature is what allows the webhook.
    "payment.webhook": [
        *on("verified_event", allow="anonymous"),
        *on("unverified_event", deny="anonymous admin"),
    ],
    "patron.profile": [
        *on("no_profile_yet", allow="patron admin", deny="anonymous family volunteer partner staff"),
        *on("patron_profile", allow="patron", deny="anonymous family volunteer partner staff staff_other_office"),
        *on("patron_profile", deny="patron_other"),
    ],
    # --- volunteering -----------------------------------------------------------------------------------------
    "claim.create": on(
        "need", allow="volunteer volunteer_other",
        deny="anonymous family family_other patron partner staff staff_other_office admin"),
    "claim.act": on(
        "claim", allow="volunteer",
        deny="anonymous family family_other volunteer_other patron partner staff staff_other_office admin"),
    "claim.list_own": on("no_object", allow="volunteer", deny="anonymous family patron partner staff admin"),
    "claim.manage": on(
        "need", allow="staff admin",
        deny="anonymous family family_other volunteer volunteer_other patron partner staff_other_office"),
    "family_tasks.view": on("no_object", allow="family", deny="anonymous volunteer patron partner staff admin"),
    # The family confirms the help it got; the office confirms through claim.manage.
    "family_tasks.decide": on(
        "claim", allow="family",
        deny="anonymous family_other volunteer volunteer_other patron partner staff staff_other_office admin"),
    "volunteer.vet": on(
        "volunteer_profile", allow="staff admin",  # the office the volunteer asked
        deny="anonymous family volunteer volunteer_other patron partner staff_other_office"),
    "volunteer.profile": [
        *on("no_profile_yet", allow="volunteer volunteer_other", deny="anonymous family patron partner staff admin"),
        *on("volunteer_profile", allow="volunteer",
            deny="anonymous family patron partner staff staff_other_office admin"),
        *on("volunteer_profile", deny="volunteer_other"),
    ],
    "api_token.manage_own": on("no_object", allow="volunteer", deny="anonymous family patron partner staff admin"),
    "api_token.revoke": on(
        "api_token", allow="volunteer",  # only the owner; a disabled account's tokens stop working anyway
        deny="anonymous family volunteer_other patron partner staff staff_other_office admin"),
}


# --- the rows as tests ----------------------------------------------------------------------------------------

def _row_id(action: str, row: Row) -> str:
    several_objects = len({r.obj for r in PERMISSIONS[action]}) > 1
    parts = [action, row.principal, *([row.obj] if several_objects else []), "allowed" if row.allowed else "denied"]
    return "-".join(parts)


def _params():
    for action, rows in PERMISSIONS.items():
        for row in rows:
            marks = ()
            if row.xfail:
                marks = pytest.mark.xfail(strict=True, reason=row.xfail, raises=row.raises)
            yield pytest.param(action, row.principal, row.obj, row.allowed, id=_row_id(action, row), marks=marks)


ROW_PARAMS = list(_params())


@pytest.mark.parametrize("action, principal, obj, allowed", ROW_PARAMS)
def test_permission(db_session, app, action, principal, obj, allowed):
    world = World(app)
    user = getattr(world, principal)
    target = OBJECTS[obj](world, user)
    with app.test_request_context():
        assert can(user, action, target) is allowed


def test_every_registered_action_is_in_the_table(app):
    """A new action needs its rows here: who may, and who may not."""
    missing = sorted(registered_actions() - PERMISSIONS.keys())
    assert missing == [], f"actions with no rows in the permission table: {missing}"
    assert all(PERMISSIONS[action] for action in registered_actions())


def test_the_table_names_only_registered_actions(app):
    unknown = sorted(PERMISSIONS.keys() - registered_actions())
    assert unknown == [], f"the permission table names actions nobody registered: {unknown}"


def test_the_table_names_only_known_principals_and_objects():
    rows = [row for rows in PERMISSIONS.values() for row in rows]
    assert {row.principal for row in rows} <= set(PRINCIPALS)
    assert {row.obj for row in rows} <= OBJECTS.keys()


def test_every_row_has_its_own_name():
    ids = [param.id for param in ROW_PARAMS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_every_row_is_one_answer_once():
    """No principal is listed twice for the same action and object (e.g. allowed and denied)."""
    for action, rows in PERMISSIONS.items():
        keys = [(row.principal, row.obj) for row in rows]
        assert len(keys) == len(set(keys)), f"{action}: {sorted({k for k in keys if keys.count(k) > 1})}"
