"""Who may take and act on volunteer tasks: the volunteer's pages and the phone app, the family's side,
and the office's staff pages (claims, dispatch, vetting)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from marketplace.core.authz import policy
from marketplace.core.roles import Role, has_role, works_for

if TYPE_CHECKING:
    from marketplace.volunteering.models import Claim


# --- the volunteer -------------------------------------------------------------------------------


@policy("volunteer.profile")
def can_keep_volunteer_profile(user, profile=None) -> bool:
    """A volunteer keeps their own profile (`profile` None: the one they are about to make)."""
    return has_role(user, Role.VOLUNTEER) and (profile is None or profile.user_id == user.id)


@policy("claim.create")
def can_try_to_claim(user, need) -> bool:
    """Any volunteer may ask; the claim service decides (skills, vetting, free slots) and says why not."""
    return need is not None and has_role(user, Role.VOLUNTEER)


@policy("claim.act")
def can_act_on_claim(user, claim: Claim | None) -> bool:
    """A volunteer acts on their own claims only; the lifecycle then says which move is allowed now."""
    return claim is not None and has_role(user, Role.VOLUNTEER) and claim.volunteer_id == user.id


@policy("claim.list_own")
def can_list_own_claims(user, _obj=None) -> bool:
    return has_role(user, Role.VOLUNTEER)


# --- the family ----------------------------------------------------------------------------------


@policy("family_tasks.view")
def can_view_family_tasks(user, _obj) -> bool:
    return has_role(user, Role.FAMILY)


@policy("family_tasks.decide")
def can_decide_on_claim(user, claim) -> bool:
    return claim is not None and has_role(user, Role.FAMILY) and claim.need.household.user_id == user.id


# --- the office ----------------------------------------------------------------------------------


@policy("claim.manage")
def can_manage_claims(user, need) -> bool:
    """Staff of the need's office (and admins) see its volunteers, invite, confirm and revoke."""
    return need is not None and works_for(user, need.office_id)


@policy("dispatch.plan")
def can_plan_dispatch(user, office) -> bool:
    return office is not None and works_for(user, office.id)


@policy("volunteer.vet")
def can_vet(user, profile) -> bool:
    """Staff of the office the volunteer asked (and admins)."""
    return profile is not None and works_for(user, profile.vetting_office_id)
