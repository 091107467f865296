"""What the audit log calls accounts, their actions and states, and how it names the person who acted."""
from __future__ import annotations

import re

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from marketplace.accounts.lifecycle import ACCOUNT_LIFECYCLE
from marketplace.accounts.models import AccountStatus as S
from marketplace.core.audit import labels
from marketplace.core.roles import Role, has_role, is_admin

USER = ACCOUNT_LIFECYCLE.logged_as

# A person acting, by role; a family is never named in the log (its name is personal data).
ACTOR_ROLES = {
    Role.FAMILY: _l("Family"),
    Role.VOLUNTEER: _l("Volunteer"),
    Role.PATRON: _l("Patron"),
    Role.PARTNER: _l("NGO partner"),
    Role.STAFF: _l("Office"),
    Role.ADMIN: _l("Administrator"),
}

# Why the API tokens of an account stopped working (accounts.sessions.revoke_all_access's reasons).
ACCESS_ENDED = {
    "password changed": _l("Because the password was changed"),
    "password reset": _l("Because the password was set again"),
    "log out everywhere": _l("Because of logging out on every device"),
    "disable": _l("Because the account was disabled"),
    "reject": _l("Because the account was rejected"),
}


def name_actor(actor, reader) -> str:
    """Who acted, as `reader` may know them: staff and admins see names (a family's never), others roles."""
    if reader is not None and getattr(reader, "id", None) == actor.id:
        return _("You")
    role = ACTOR_ROLES.get(actor.role, _l("A user"))
    if actor.role is Role.FAMILY:
        return str(role)
    if has_role(reader, Role.STAFF, Role.ADMIN):
        return _("%(role)s: %(name)s", role=role, name=actor.display_name)
    if actor.role is Role.STAFF and actor.office is not None:
        return actor.office.display_name  # a family hears of its office (in its own language), not of the person
    return str(role)


def _account_url(user_id: int, reader) -> str | None:
    return url_for("admin.user_detail", user_id=user_id) if is_admin(reader) else None


def _sessions(value, _details, _type) -> str:
    return ngettext("%(num)d session ended", "%(num)d sessions ended", int(value))


def _tokens(value, _details, _type) -> str:
    return ngettext("%(num)d API token revoked", "%(num)d API tokens revoked", int(value))


def _access_ended(details) -> str:
    return str(ACCESS_ENDED.get(details.get("because"), _l("Access ended")))


labels.register_object_type(USER, _l("Account"), url=_account_url)
labels.register_object_type("api_token", _l("API token"))
labels.register_actor_words(name_actor)
labels.register_state_labels(USER, {
    S.UNCONFIRMED: _l("E-mail not confirmed yet"),
    S.PENDING_APPROVAL: _l("Waiting for approval"),
    S.ACTIVE: _l("Active"),
    S.REJECTED: _l("Rejected"),
    S.DISABLED: _l("Disabled"),
})
labels.register_field_labels(USER, {"full_name": _l("Name"), "phone": _l("Phone"), "locale": _l("Language")})
labels.register_actions({
    "account.sign_up": _l("Sign-up"),
    "account.confirm_email": _l("E-mail address confirmed"),
    "account.confirm_email_for_approval": _l("E-mail address confirmed, waiting for approval"),
    "account.approve": _l("Account approved"),
    "account.reject": _l("Account rejected"),
    "account.disable": _l("Account disabled"),
    "account.enable": _l("Account enabled again"),
    "account.erase": _l("Account emptied: the family's data erased"),
    "account.create": _l("Account created"),
    "account.log_in": _l("Logged in"),
    "account.log_out": _l("Logged out"),
    "account.password_changed": _l("Password changed"),
    "account.password_reset": _l("Password set again by the e-mailed link"),
    "account.update_profile": _l("Personal details changed"),
    "account.sessions_revoked": _l("Logged out on every device"),
    "account.email_change_requested": _l("A new e-mail address asked for"),
    "account.email_changed": _l("E-mail address changed"),
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
})
labels.register_action("account.assign_office", _l("Office assigned"), states_of="office")
labels.register_detail("sessions", _sessions)
labels.register_detail("tokens", _tokens)
labels.register_note("access_ended", _access_ended)
labels.register_note("replaced_unconfirmed_signup", _l("It replaced an earlier sign-up that was never confirmed"))
labels.register_note("demo_data", _l("Demo data"))

# Reasons written as text before the log kept details.
labels.register_machine_reason("replaced an unconfirmed sign-up", {"note": "replaced_unconfirmed_signup"})
labels.register_machine_reason("demo data", {"note": "demo_data"})
labels.register_machine_reason(re.compile(r"(?P<sessions>\d+) sessions, (?P<tokens>\d+) API tokens"), dict,
                               actions=["account.sessions_revoked"])
labels.register_machine_reason(
    re.compile(r"(?P<reason>.*) \((?P<because>%s)\)" % "|".join(map(re.escape, ACCESS_ENDED))),
    lambda groups: {**groups, "note": "access_ended"}, actions=["api_token.revoke"])
labels.register_action_group("account", _l("Account"))
