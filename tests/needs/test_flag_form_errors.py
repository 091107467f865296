"""The need page's "Report a problem" forms have no browser check (its bubble speaks the browser's language, not
the page's): the server checks the reason, and the page comes back with the shared error summary and the error
beside the field in the reader's language, the forms open, and no flag raised."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.core.extensions import db
from marketplace.moderation.models import Flag
from tests.factories import NeedFactory


def html_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def need(db_session):
    return NeedFactory(open=True, money_goal=5_000_000)


@pytest.fixture
def reader(client, login_as, patron_user):
    login_as(patron_user)
    return client


def test_both_report_forms_leave_checking_to_the_server(reader, need):
    page = html_of(reader.get(f"/needs/{need.id}"))
    forms = re.findall(r'<form method="post" action="/needs/\d+/flag(?:-family)?"[^>]*>', page)
    assert len(forms) == 2 and all("novalidate" in form for form in forms), forms


@pytest.mark.parametrize("language, summary, error", [
    ("ru", "Пожалуйста, исправьте:", "Напишите, что не так."),
    ("kk", "Мына жерлерді түзетіңіз:", "Не дұрыс емес екенін жазыңыз."),
], ids=["ru", "kk"])
@pytest.mark.parametrize("which, prefix", [("flag", "need"), ("flag-family", "family")])
def test_an_empty_report_comes_back_with_the_error_summary_in_the_readers_language(
        reader, need, language, summary, error, which, prefix):
    reader.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    response = reader.post(f"/needs/{need.id}/{which}", data={f"{prefix}-reason": "  "})
    assert response.status_code == 400
    page = html_of(response)
    assert re.search(r"<details open>\s*<summary>", page)  # the forms are open to show the error
    form = page[page.index(f'action="/needs/{need.id}/{which}"'):]
    form = form[:form.index("</form>")]
    # The summary is the form's first thing (the page's script gives it the focus), linked to the field.
    assert re.match(r'[^>]*novalidate>\s*<div class="error-summary" role="alert" tabindex="-1"', form)
    assert summary in form and f'href="#{prefix}-reason"' in form and error in form
    assert f'<p class="field-error" id="{prefix}-reason-error">{error}</p>' in form
    assert db.session.scalar(select(func.count(Flag.id))) == 0
