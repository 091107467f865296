"""Every staff list, as staff of another office, shows nothing of the first office; its own staff see it all.

The lists are found from the URL map (every GET page under /staff/ and the audit log that takes no id), so a
new staff list that is not added here fails the first test.
"""
from __future__ import annotations

import pytest

from marketplace.core.roles import Role
from tests.factories import (
    ClaimFactory, FlagFactory, HouseholdFactory, NeedFactory, OfficeFactory, PledgeFactory, UserFactory,
    VolunteerProfileFactory,
)

# Each staff list and what of office A it must show to A's staff (by the marker's key below).
LISTS = {
    "/staff/queue": ["household_family", "submitted_need"],
    "/staff/flags": ["flag_reason"],
    "/staff/pledges": ["transfer_patron"],
    "/staff/dispatch": ["open_need"],
    "/staff/volunteers": ["vetting_volunteer"],
    "/admin/audit": ["audit_reason"],
}


def test_every_staff_list_is_in_this_test(app):
    lists = {rule.rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments
             and (rule.rule.startswith("/staff/") or rule.rule == "/admin/audit")}
    assert lists == set(LISTS)


@pytest.fixture
def office_a_data(db_session):
    """One of everything a staff list can show, all of office A, each with a marker no other row has."""
    from marketplace.core import audit

    office = OfficeFactory(name="Офис А")
    family = UserFactory(family=True)
    household = HouseholdFactory(user=family, office=office, submitted=True)
    NeedFactory(household__office=office, household__verified=True, office=office, submitted=True,
                title="Просьба-на-проверке-А")
    open_need = NeedFactory(open=True, household__office=office, office=office, volunteer_slots=2,
                            title="Открытая-просьба-А")
    FlagFactory(target=open_need, reason="Жалоба-маркер-А на просьбу")
    PledgeFactory(need=open_need, awaiting_transfer=True, patron__full_name="Меценат Маркерович")
    VolunteerProfileFactory(requested=True, vetting_office=office, user__full_name="Волонтёр Маркеров")
    ClaimFactory(need=open_need, volunteer__full_name="Волонтёр Заявкин")
    audit.record("office.update", office, office_id=office.id, reason="Аудит-маркер-А")
    db_session.commit()
    return office, {
        "household_family": f'href="/staff/households/{household.id}"', "submitted_need": "Просьба-на-проверке-А",
        "open_need": "Открытая-просьба-А", "flag_reason": "Жалоба-маркер-А", "transfer_patron": "Меценат Маркерович",
        "vetting_volunteer": "Волонтёр Маркеров", "audit_reason": "Аудит-маркер-А",
    }


@pytest.mark.parametrize("path", sorted(LISTS))
def test_staff_of_another_office_see_nothing_of_it(client, login_as, office_a_data, path):
    office, markers = office_a_data
    login_as(UserFactory(role=Role.STAFF, office=OfficeFactory(name="Офис Б")))
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert [m for m in markers.values() if m in page] == []


@pytest.mark.parametrize("path", sorted(LISTS))
def test_staff_of_the_office_see_its_rows(client, login_as, office_a_data, path):
    """The control for the test above: the same page shows office A's rows to A's own staff."""
    office, markers = office_a_data
    login_as(UserFactory(role=Role.STAFF, office=office))
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert [key for key in LISTS[path] if markers[key] not in page] == []
