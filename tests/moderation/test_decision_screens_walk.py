"""The staff's decision screens as the new-user walk at 360 px read them: the consent's version in words, one line
for the reads of the family's data instead of an entry per view, each duplicate's reasons said once, and a history
that folds after its newest three steps so that the decision is not pushed screens down."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.core import audit
from marketplace.core.audit.models import AuditEntry
from marketplace.core.extensions import db
from tests.conftest import login
from tests.factories import HouseholdFactory, NeedFactory
from tests.families.test_duplicates import ALMATY, household as family_at


def html_of(response) -> str:
    return response.get_data(as_text=True)


def words_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def history_of_page(html: str) -> str:
    """The history section of a decision screen, up to the decision."""
    start = html.index('id="history-heading"')
    return html[start:html.index('id="decision"', start)]


def speak(client, language: str) -> None:
    client.post("/language", data={"language": language, "next": "/"})


@pytest.fixture
def waiting(db_session, office):
    household = HouseholdFactory(office=office, submitted=True, consent_version="2026-11")
    audit.record("household.consent", household, actor=household.user, office_id=office.id,
                 details={"consent_version": "2026-11"})
    db_session.commit()
    return household


@pytest.mark.parametrize("language, given, history", [
    ("ru", "(текст от ноября 2026)", "Текст согласия от ноября 2026"),
    ("kk", "(мәтіні: 2026 жылғы қараша)", "Келісім мәтіні: 2026 жылғы қараша"),
    ("en", "(the text of November 2026)", "Consent text of November 2026"),
], ids=["ru", "kk", "en"])
def test_the_consent_version_is_said_in_words(client, staff_user, waiting, language, given, history):
    login(client, staff_user)
    speak(client, language)
    page = words_of(html_of(client.get(f"/staff/households/{waiting.id}")))
    assert given in page and history in page
    assert "2026-11" not in page


def test_the_family_reads_the_consent_texts_month_too(client, login_as, waiting):
    login_as(waiting.user)
    speak(client, "ru")
    page = words_of(html_of(client.get("/family/consent")))
    assert "Текст от ноября 2026." in page and "2026-11" not in page


def test_views_of_the_familys_data_are_one_line_of_the_screens_history_and_each_is_still_logged(
        client, staff_user, waiting):
    login(client, staff_user)
    speak(client, "ru")
    for _ in range(3):
        page = html_of(client.get(f"/staff/households/{waiting.id}"))
    history = history_of_page(page)
    assert "Открыты личные данные семьи" not in words_of(history)  # no entry per view
    assert "Личные данные семьи открывали 3 раза, последний раз — Вы," in words_of(history)
    assert (f'href="/admin/audit?object_type=household&amp;object_id={waiting.id}'
            f'&amp;action=household.read_personal"') in history
    assert "Текст согласия от ноября 2026" in words_of(history)  # the case's own steps stay
    reads = db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "household.read_personal", AuditEntry.object_id == waiting.id))
    assert reads == 3  # the audit log keeps every one


def test_a_duplicates_reasons_say_each_fact_once(client, staff_user, office):
    mine = family_at("Айгерим Сейткалиева", "+7 701 111 11 11", office=office)
    family_at("Айгерим Сейткалиева", "+7 777 222 22 22", point=(ALMATY[0] + 0.0005, ALMATY[1]), office=office)
    login(client, staff_user)
    speak(client, "ru")
    page = words_of(html_of(client.get(f"/staff/households/{mine.id}")))
    assert "Совпадения с этой семьёй: те же годы рождения детей; похожее имя; адрес поблизости" in page
    assert page.count("те же годы рождения детей") == 1


def test_a_long_history_folds_after_its_newest_three_steps_before_the_decision(client, staff_user, waiting):
    need = NeedFactory(household=waiting, office=waiting.office, submitted=True)
    for step in range(6):
        audit.record("need.update", need, actor=waiting.user, office_id=waiting.office_id,
                     details={"fields": ["title"]})
        audit.record("household.update", waiting, actor=waiting.user, office_id=waiting.office_id,
                     details={"fields": ["adults"]})
    db.session.commit()
    login(client, staff_user)
    speak(client, "ru")
    for path, total in [(f"/staff/households/{waiting.id}", 7), (f"/staff/needs/{need.id}", 6)]:
        history = history_of_page(html_of(client.get(path)))
        shown, folded = history.split('<details class="timeline-more">')
        assert shown.count('<li class="timeline-item">') == 3, path
        summary = re.search(r"<summary>(.*?)</summary>", folded).group(1)
        assert summary == f"Показать все {total} записей", path
        assert folded.count('<li class="timeline-item">') == total - 3
        assert '<ol class="timeline" start="4"' in folded
