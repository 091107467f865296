"""Input no database can take gets a clear 4xx, never a 500."""
from __future__ import annotations

import pytest

from tests.conftest import login


@pytest.mark.parametrize("path", [
    "/needs/99999999999999999999", "/family/needs/99999999999999999999", "/files/99999999999999999999",
    "/staff/needs/99999999999999999999", "/staff/households/99999999999999999999", "/offices/99999999999999999999",
    "/api/v1/needs/99999999999999999999",
])
def test_ids_beyond_the_database_are_404(client, admin_user, path):
    login(client, admin_user)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path, role", [("/staff/queue", "admin"), ("/notifications/", "admin"),
                                        ("/family/needs", "family"), ("/needs/", "admin"), ("/offices/", "admin"),
                                        ("/admin/users", "admin"), ("/admin/audit", "admin")])
def test_absurd_page_numbers_show_an_empty_or_first_page(client, users, path, role):
    login(client, users[role])
    assert client.get(path, query_string={"page": "9" * 30}).status_code == 200


def test_nul_bytes_never_reach_the_database(client, db_session, volunteer_user):
    assert client.get("/needs/", query_string={"settlement": "Алма\x00ты"}).status_code == 200
    login(client, volunteer_user)
    response = client.post("/account", data={"full_name": "Имя\x00Фамилия", "locale": "ru"})
    assert response.status_code == 302
    db_session.refresh(volunteer_user)
    assert volunteer_user.full_name == "ИмяФамилия"


@pytest.mark.parametrize("hours", ["sNaN", "NaN", "Infinity"])
def test_not_a_number_hours_are_a_form_error(client, db_session, hours):
    from tests.factories import HouseholdFactory

    household = HouseholdFactory(verified=True)
    login(client, household.user)
    response = client.post("/family/needs/new", data={
        "category": "tutoring", "title": "Репетитор", "description": "Нужен репетитор по математике",
        "urgency": "normal", "volunteer_slots": "1", "volunteer_hours": hours, "action": "send"})
    assert response.status_code in (200, 400, 422)
    assert "From 0.5 to 500 hours." in response.get_data(as_text=True)


def test_trusted_hosts_refuse_a_forged_host_header(app, client, monkeypatch):
    """With TRUSTED_HOSTS set, a request naming another host is refused, so no link is built from it."""
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["social-window.kz"])
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "social-window.kz"}).status_code == 200
