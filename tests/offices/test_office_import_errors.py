"""The admin's offices CSV import: a refused file comes back in the page, in the admin's language, with the error
summary on top and the message beside the field; never the browser's own "required" pop-up (issue 13)."""
from __future__ import annotations

import io
import re

import pytest

from marketplace.offices import csv_io
from tests.factories import UserFactory

SUMMARY = {"ru": "Пожалуйста, исправьте:", "kk": "Мына жерлерді түзетіңіз:"}
NO_FILE = {"ru": "Выберите CSV-файл.", "kk": "CSV файлын таңдаңыз."}
NOT_UTF8 = {"ru": "Нужен файл CSV в кодировке UTF-8.", "kk": "Файл UTF-8 кодтауымен сақталған CSV болуы керек."}


def import_form(html: str) -> str:
    return re.search(r'<form[^>]*action="/admin/offices/import".*?</form>', html, re.S).group(0)


@pytest.mark.parametrize("locale", ["ru", "kk"])
def test_an_import_without_a_file_names_the_field_in_the_admin_language(client, db_session, login_as, locale):
    login_as(UserFactory(admin=True, locale=locale))
    assert "novalidate" in import_form(client.get("/admin/offices").get_data(as_text=True)).split(">", 1)[0]

    response = client.post("/admin/offices/import", data={}, content_type="multipart/form-data")

    assert response.status_code == 422
    form = import_form(response.get_data(as_text=True))
    assert f">{SUMMARY[locale]}</h2>" in form and f'<a href="#file">' in form  # the summary, inside the form
    assert f'id="file-error">{NO_FILE[locale]}</p>' in form                    # and beside the field
    assert 'aria-invalid="true"' in form


@pytest.mark.parametrize("locale", ["ru", "kk"])
def test_a_file_in_another_encoding_is_refused_beside_the_field(client, db_session, login_as, locale):
    login_as(UserFactory(admin=True, locale=locale))
    content = ",".join(csv_io.CSV_COLUMNS) + "\nCP-1,Окно,almaty-city,Алматы,ул. Абая 1,43.25,76.91,,,,1\n"

    response = client.post("/admin/offices/import", data={"file": (io.BytesIO(content.encode("cp1251")), "o.csv")},
                           content_type="multipart/form-data")

    assert response.status_code == 422
    form = import_form(response.get_data(as_text=True))
    assert f">{SUMMARY[locale]}</h2>" in form and f'id="file-error">{NOT_UTF8[locale]}</p>' in form
