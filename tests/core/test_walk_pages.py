"""Smaller findings of the new-user walk at 360 px, as the pages say them: the audit log's filters fold into one
line in words, the admin's waiting organisations are one whole link, the audit log is in the staff's and the
admin's menus, the place hints use the reader's spelling, and the family's office picker fits its line."""
from __future__ import annotations

import re

import pytest

from marketplace.core.roles import Role
from tests.factories import UserFactory


def html_of(response) -> str:
    return response.get_data(as_text=True)


def speak(client, language: str) -> None:
    client.post("/language", data={"language": language, "next": "/"})


@pytest.fixture
def admin(client, login_as, db_session):
    login_as(UserFactory(admin=True))
    speak(client, "ru")
    return client


def filters_of(page: str) -> tuple[str, str]:
    """The audit log's folded filters: its <details> tag and its one line."""
    found = re.search(r'(<details class="catalogue-filters"[^>]*>)\s*<summary>(.*?)</summary>', page, re.S)
    assert found, "the filters fold into a <details>"
    return found.group(1), found.group(2)


def test_the_audit_logs_filters_fold_into_one_line_that_says_them_in_words(admin):
    tag, line = filters_of(html_of(admin.get("/admin/audit")))
    assert tag == '<details class="catalogue-filters">' and line == "Фильтры: все записи"
    page = html_of(admin.get("/admin/audit?object_type=need&object_id=34&actor=Ахметова&action=need.verify"
                             "&since=2026-12-01&until=2026-12-03"))
    tag, line = filters_of(page)
    assert tag == '<details class="catalogue-filters">'  # closed: the entries come first on a phone
    assert line == "Фильтры: Просьба № 34, Кто: Ахметова, Просьба проверена, с 1 декабря 2026, по 3 декабря 2026"


def test_the_audit_logs_empty_boxes_filter_nothing(admin):
    """The form as a browser sends it, every box there and empty but one: no error, the line names the one."""
    page = html_of(admin.get("/admin/audit?object_type=&object_id=&actor=&action=account.create&since=&until="))
    tag, line = filters_of(page)
    assert tag == '<details class="catalogue-filters">' and line == "Фильтры: Учётная запись создана"
    assert 'class="error-summary"' not in page


def test_the_audit_logs_filters_open_with_their_error_said_once(admin):
    page = html_of(admin.get("/admin/audit?object_type=need&object_id=abc"))
    tag, _line = filters_of(page)
    assert tag == '<details class="catalogue-filters" open>'
    assert page.count("Введите целое число, например 34.") == 2  # in the summary and beside the field
    assert '<a class="btn btn-link" href="/admin/audit">' in page  # "Show everything": a 44 px button-link


def test_the_waiting_organisations_line_is_one_link(admin):
    UserFactory(partner=True, pending=True)
    page = html_of(admin.get("/dashboard"))
    assert re.search(r'<a class="target-link" href="/admin/users\?status=pending_approval">'
                     r'Организации, ожидающие одобрения: 1</a>', page)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_the_audit_log_is_in_the_staff_and_admin_menus(client, login_as, office, role):
    login_as(UserFactory(role=Role.STAFF, office=office) if role == "staff" else UserFactory(admin=True))
    speak(client, "ru")
    menu = html_of(client.get("/dashboard"))
    menu = menu[menu.index('<nav aria-label="Основное меню">'):]
    menu = menu[:menu.index("</nav>")]
    assert '<a href="/admin/audit">Журнал действий</a>' in menu


@pytest.mark.parametrize("language, hint", [
    ("ru", "Например: Талдыкорган, Кокшетау или Шымкент, ул. Тауке хана 5"),
    ("kk", "Мысалы: Талдықорған, Көкшетау немесе Шымкент, Тәуке хан көшесі, 5"),
], ids=["ru", "kk"])
@pytest.mark.parametrize("path", ["/needs/", "/offices/"])
def test_place_hints_spell_places_in_the_readers_language(client, db_session, language, hint, path):
    speak(client, language)
    page = html_of(client.get(path))
    found = re.search(r'<p class="hint" id="near-hint">(.*?)</p>', page)
    assert found and found.group(1) == hint
    assert not re.search(r"[A-Za-z]", found.group(1))


def test_the_familys_office_picker_starts_with_a_short_choice(client, login_as, family_user, office):
    login_as(family_user)
    speak(client, "ru")
    page = html_of(client.get("/family/household"))
    assert '<option selected value="">Ближайшая к адресу</option>' in page
