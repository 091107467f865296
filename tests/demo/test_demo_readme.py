"""Every "what to try" of the README's demo table works on the demo data, as the login it names (issue 13, item 9)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.demo.seed import DEMO_PASSWORD, seed_demo
from marketplace.families.models import Household, HouseholdStatus
from tests.demo.test_demo import upload_folder  # noqa: F401  (the fixture)

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def demo(db_session, upload_folder, outbox):  # noqa: F811
    seed_demo()
    db_session.commit()


def log_in(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, email


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_every_demo_login_in_the_readme_exists_and_logs_in(client, demo, db_session):
    table = README.read_text().split("### Demo logins", 1)[1].split("\n\n## ", 1)[0]
    emails = set(re.findall(r"`([\w.]+@demo\.social-window\.kz)`", table))
    assert len(emails) >= 10
    for email in sorted(emails):
        user = db_session.scalar(select(User).where(User.email == email))
        assert user is not None, email
        if user.is_active:
            client.post("/logout")
            log_in(client, email)


def test_staff_find_the_queue_duplicates_flags_dispatch_and_a_minor_to_consent(client, demo, db_session):
    log_in(client, "staff@demo.social-window.kz")
    waiting = db_session.scalar(select(Household).join(User, Household.user_id == User.id).where(
        User.email == "family13@demo.social-window.kz"))
    assert waiting.status is HouseholdStatus.SUBMITTED
    assert f'/staff/households/{waiting.id}"' in page(client, "/staff/queue")
    decision = page(client, f"/staff/households/{waiting.id}")
    assert "No possible duplicates" not in decision and "+7 701 000 00 02" in decision
    assert page(client, "/staff/flags").count('href="/staff/flags/') >= 1
    assert "Асель Нурпеисова" in page(client, "/staff/volunteers")  # 16: a parent's consent to record
    assert "parent_consent" in page(client, "/staff/volunteers")
    page(client, "/staff/dispatch")
    assert page(client, "/admin/audit").count("<tr") > 1 or "timeline" in page(client, "/admin/audit")


def test_the_admin_finds_the_ngo_to_approve_people_offices_and_the_audit_log(client, demo):
    log_in(client, "admin@demo.social-window.kz")
    assert "ngo.pending@demo.social-window.kz" in page(client, "/admin/users?status=pending_approval")
    page(client, "/admin/staff/new")
    assert "ALA-01" in page(client, "/admin/offices")
    assert client.get("/admin/offices/export.csv").status_code == 200


def test_the_family_volunteer_and_patron_find_what_the_readme_names(client, demo):
    log_in(client, "family@demo.social-window.kz")
    page(client, "/family/household")
    assert page(client, "/family/needs").count('href="/family/needs/') >= 1
    page(client, "/family/needs/new")
    client.post("/logout")
    log_in(client, "volunteer@demo.social-window.kz")
    page(client, "/volunteer/profile")
    assert page(client, "/volunteer/tasks").count('href="/needs/') >= 1
    page(client, "/volunteer/my-tasks")
    page(client, "/account/tokens")
