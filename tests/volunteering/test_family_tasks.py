"""The family confirms a volunteer's task, and the need becomes fulfilled."""
from __future__ import annotations

from datetime import date

from marketplace.core.roles import Role
from marketplace.needs.models import NeedStatus
from marketplace.volunteering import services
from marketplace.volunteering.models import ClaimStatus
from tests.conftest import login
from tests.factories import NeedFactory, UserFactory, VolunteerProfileFactory


def test_family_confirms_and_the_need_is_fulfilled(app, client, db_session):
    need = NeedFactory(open=True, money_goal=None, volunteer_slots=1, volunteer_hours=2)
    helper = UserFactory(role=Role.VOLUNTEER)
    VolunteerProfileFactory(user=helper, birth_year=date.today().year - 25, settlement=None, latitude=43.24,
                            longitude=76.89, radius_km=10, availability=0)
    with app.test_request_context():
        claim = services.claim_slot(need, helper)
        services.change_claim(claim, "report_done", actor=helper)
    db_session.commit()
    other_family = UserFactory(role=Role.FAMILY)
    login(client, other_family)
    assert client.post(f"/family/tasks/{claim.id}/confirm").status_code == 403
    login(client, need.household.user)
    page = client.get("/family/tasks/").get_data(as_text=True)
    assert helper.full_name in page and f"/family/tasks/{claim.id}/confirm" in page
    assert client.post(f"/family/tasks/{claim.id}/confirm").status_code == 302
    db_session.expire_all()
    assert claim.status is ClaimStatus.CONFIRMED and need.status is NeedStatus.FULFILLED
