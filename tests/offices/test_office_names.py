"""An office's name in the reader's language: Kazakh and English pages, e-mails and lists name it in theirs,
Russian when it has none there; the admin form and the CSV carry the three names."""
from __future__ import annotations

import csv
import io
import re

import pytest
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import select

from marketplace.core.extensions import db
from marketplace.notifications import queue_email
from marketplace.offices import csv_io
from marketplace.offices.models import Office
from marketplace.offices.queries import office_choices
from tests.factories import NeedFactory, OfficeFactory, UserFactory
from tests.offices.test_offices_csv import DEMO_FILE
from tests.offices.test_offices_pages import form_data, listed, map_points, text_of
from tests.pledges.test_pledge_staff import pledge_money

RU, KK, EN = "Окно Талдыкоргана", "Талдықорған терезесі", "Taldykorgan window"
NAMES = {"ru": RU, "kk": KK, "en": EN}


@pytest.fixture
def named(db_session):
    """An open office with its names in the three languages, and a public need it verified."""
    office = OfficeFactory(name=RU, name_kk=KK, name_en=EN, region_code="jetisu", settlement="Талдыкорган",
                           latitude=45.0155, longitude=78.3739)
    need = NeedFactory(open=True, household__office=office)
    return office, need


@pytest.fixture
def russian_only(db_session):
    return OfficeFactory(name="Окно Текели", region_code="jetisu", settlement="Текели")


def page(client, url: str, language: str) -> str:
    response = client.get(url, headers={"Accept-Language": language})
    assert response.status_code == 200, url
    return text_of(response)


def names_shown(html: str) -> set[str]:
    return {name for name in (RU, KK, EN) if str(escape(name)) in html}


# --- pages ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_office_page_is_titled_in_the_readers_language(client, named, language):
    office, _need = named

    html = page(client, f"/offices/{office.id}", language)

    assert re.search(r'<h1 class="page-title">(.*?)</h1>', html).group(1) == str(escape(NAMES[language]))
    assert f"<title>{escape(NAMES[language])}" in html
    assert names_shown(html) == {NAMES[language]}


@pytest.mark.parametrize("language", ["kk", "en"])
def test_the_office_list_and_its_map_name_offices_in_the_readers_language(client, named, russian_only, language):
    response = client.get("/offices/?region=jetisu", headers={"Accept-Language": language})

    assert sorted(listed(response)) == sorted([NAMES[language], "Окно Текели"])
    assert {point["title"] for point in map_points(response)} == {NAMES[language], "Окно Текели"}


def test_the_office_list_finds_an_office_by_its_kazakh_or_english_name(client, named, russian_only):
    for word in ("терезесі", "taldykorgan window"):
        assert listed(client.get("/offices/", query_string={"q": word}, headers={"Accept-Language": "en"})) == [EN]


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_a_need_page_names_the_office_that_verified_it_in_the_readers_language(client, named, language):
    _office, need = named

    html = page(client, f"/needs/{need.id}", language)

    assert names_shown(html) == {NAMES[language]}


@pytest.mark.parametrize("language", ["kk", "en"])
def test_an_office_without_a_name_in_the_language_is_named_in_russian(client, russian_only, language):
    need = NeedFactory(open=True, household__office=russian_only)

    assert "Окно Текели" in page(client, f"/offices/{russian_only.id}", language)
    assert "Окно Текели" in page(client, f"/needs/{need.id}", language)


@pytest.mark.parametrize("language", ["kk", "en"])
def test_the_staff_dashboard_names_their_office_in_their_language(client, login_as, named, language):
    office, _need = named
    login_as(UserFactory(staff=True, office=office, locale=language))

    html = page(client, "/dashboard", language)

    assert names_shown(html) == {NAMES[language]}


def test_the_familys_request_page_names_the_office_in_their_language(client, login_as, named):
    _office, need = named
    login_as(need.household.user)
    client.post("/language", data={"language": "kk", "next": "/"})

    assert names_shown(page(client, f"/family/needs/{need.id}", "kk")) == {KK}


def test_the_admins_office_picker_lists_names_in_the_readers_language(app, client, login_as, named, russian_only):
    office, _need = named
    with app.test_request_context(headers={"Accept-Language": "kk"}):
        choices = dict(office_choices())
    assert choices[office.id] == f"Талдыкорган — {KK}"
    assert choices[russian_only.id] == "Текели — Окно Текели"

    login_as(UserFactory(admin=True, locale="en"))
    assert f"Талдыкорган — {EN}" in page(client, "/admin/staff/new", "en")


def test_an_admins_list_of_every_offices_pledges_names_offices_in_their_language(app, client, login_as, named,
                                                                                russian_only, patron_user):
    _office, need = named
    pledge_money(app, db.session, need, patron_user)
    pledge_money(app, db.session, NeedFactory(open=True, household__office=russian_only), patron_user)
    login_as(UserFactory(admin=True, locale="kk"))

    html = page(client, "/staff/pledges?tab=transfers", "kk")

    assert names_shown(html) == {KK} and "Окно Текели" in html


def test_outside_a_request_the_name_is_russian_and_an_email_is_in_its_readers_language(app, named, outbox):
    office, _need = named
    assert office.display_name == RU
    with force_locale("kk"):
        assert office.display_name == KK

    # Written while an English page is served, for a reader of Kazakh: the e-mail's language wins.
    with app.test_request_context(headers={"Accept-Language": "en"}):
        queue_email(UserFactory(staff=True, office=office, locale="kk"), "subject", "staff_welcome",
                    link="https://example.kz/reset", office=office)
        db.session.commit()
    [message] = outbox
    assert KK in message.body and EN not in message.body and RU not in message.body


# --- the admin form ------------------------------------------------------------------------------------------


def test_the_admin_form_saves_the_kazakh_and_english_names_and_empty_clears_them(client, other_client, login_as):
    login_as(UserFactory(admin=True, locale="en"))

    assert client.post("/admin/offices/new", data=form_data(name=RU, name_kk=f"  {KK} ", name_en=EN)).status_code == 302
    office = db.session.scalar(select(Office).where(Office.code == "TDK-01"))
    assert (office.name, office.name_kk, office.name_en) == (RU, KK, EN)
    html = page(client, f"/admin/offices/{office.id}/edit", "en")
    assert f'value="{escape(KK)}"' in html and f'value="{escape(EN)}"' in html

    assert client.post(f"/admin/offices/{office.id}/edit", data=form_data(name=RU, name_kk="", name_en=EN)).status_code == 302
    db.session.expire_all()
    assert (office.name_kk, office.name_en) == (None, EN)
    assert names_shown(page(other_client, f"/offices/{office.id}", "kk")) == {RU}  # an anonymous reader


def test_the_admin_form_refuses_a_name_longer_than_the_column(client, login_as):
    login_as(UserFactory(admin=True, locale="en"))

    response = client.post("/admin/offices/new", data=form_data(name_en="x" * 201))

    assert response.status_code == 200
    assert db.session.scalar(select(Office).where(Office.code == "TDK-01")) is None


# --- the CSV -------------------------------------------------------------------------------------------------


def export_text(offices=None) -> str:
    stream = io.StringIO()
    csv_io.export_offices(stream, offices or db.session.scalars(select(Office).order_by(Office.code)))
    return stream.getvalue()


def run_import(text: str) -> csv_io.ImportReport:
    with force_locale("en"):
        return csv_io.import_offices(io.StringIO(text))


def test_the_export_has_the_name_columns_next_to_the_russian_name(named, russian_only):
    rows = list(csv.DictReader(io.StringIO(export_text())))

    assert csv_io.CSV_COLUMNS[:4] == ["code", "name", "name_kk", "name_en"]
    by_name = {row["name"]: row for row in rows}
    assert (by_name[RU]["name_kk"], by_name[RU]["name_en"]) == (KK, EN)
    assert (by_name["Окно Текели"]["name_kk"], by_name["Окно Текели"]["name_en"]) == ("", "")


def test_the_names_survive_the_round_trip(named, russian_only):
    office, _need = named
    text = export_text()
    db.session.query(Office).update({"name_kk": None, "name_en": None})

    report = run_import(text)

    assert report.errors == [] and (report.updated, report.unchanged) == (1, 1)
    db.session.expire_all()
    assert (office.name_kk, office.name_en) == (KK, EN)
    assert (russian_only.name_kk, russian_only.name_en) == (None, None)


def test_a_file_without_the_name_columns_keeps_the_translations(named):
    office, _need = named
    columns = [name for name in csv_io.CSV_COLUMNS if name not in csv_io.NAME_FIELDS]
    rows = list(csv.DictReader(io.StringIO(export_text())))
    stream = io.StringIO()
    writer = csv.DictWriter(stream, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, "address": "ул. Абая, 99"} for row in rows)

    report = run_import(stream.getvalue())

    assert report.errors == [] and report.updated == 1
    db.session.expire_all()
    assert (office.address, office.name_kk, office.name_en) == ("ул. Абая, 99", KK, EN)


def test_an_empty_name_cell_clears_that_name_and_a_missing_column_keeps_its_own(named):
    office, _need = named
    header = "code,name,name_kk,region_code,settlement,address,latitude,longitude"
    row = f'{office.code},{RU},,jetisu,Талдыкорган,"{office.address}",45.0155,78.3739'

    report = run_import(f"{header}\n{row}\n")

    assert report.errors == [] and report.updated == 1
    db.session.expire_all()
    assert (office.name_kk, office.name_en) == (None, EN)


def test_a_name_longer_than_the_column_is_reported_by_line(db_session):
    header = "code,name,name_kk,name_en,region_code,settlement,address,latitude,longitude"
    report = run_import(f"{header}\nLONG-1,Окно,{'ә' * 201},,almaty-city,Алматы,ул. Абая 1,43.25,76.91\n")

    assert report.created == 0
    assert [(error.line, error.message) for error in report.errors] == [
        (2, "name_kk is longer than 200 characters")]


def test_the_demo_offices_have_kazakh_and_english_names(db_session):
    report = run_import(DEMO_FILE.read_text(encoding="utf-8-sig"))

    assert report.errors == [] and report.created == 30
    offices = {office.code: office for office in db.session.scalars(select(Office))}
    assert all(office.name_kk and office.name_en for office in offices.values())
    assert offices["ALA-01"].name_kk == "Бірыңғай әлеуметтік терезе — Алматы, Алмалы ауданы"
    assert offices["ALA-01"].name_en == "Single social window — Almaty, Almaly district"
    assert offices["UKG-01"].name_kk == "Бірыңғай әлеуметтік терезе — Өскемен"


# --- who acted, in a history (the new-user walk at 360 px) -----------------------------------------------------


def test_a_familys_timeline_names_the_office_that_acted_in_their_language(app, client, login_as, named):
    """Staff act as their office on a family's timeline: a Kazakh page names it in Kazakh, not in Russian."""
    from marketplace.core.roles import Role
    from marketplace.needs.services import change_status

    office, open_need = named
    need = NeedFactory(submitted=True, household=open_need.household, office=office, title="Қысқы аяқ киім")
    staff = UserFactory(role=Role.STAFF, office=office)
    with app.test_request_context():
        change_status(need, "verify", actor=staff)
    db.session.commit()
    login_as(need.household.user)
    client.post("/language", data={"language": "kk", "next": "/"})

    html = page(client, f"/family/needs/{need.id}", "kk")
    history = html[html.index('class="timeline"'):]
    assert str(escape(KK)) in history[:history.index("</ol>")]
    assert names_shown(html) == {KK}


def test_the_audit_log_names_an_assigned_office_in_the_readers_language(app, client, login_as, named):
    from marketplace.accounts import services as accounts
    from marketplace.core.roles import Role

    office, _need = named
    admin, staff = UserFactory(admin=True), UserFactory(role=Role.STAFF)
    with app.test_request_context():
        accounts.assign_office(staff, office.id, actor=admin)
    db.session.commit()
    login_as(admin)
    for language in ("kk", "en"):
        client.post("/language", data={"language": language, "next": "/"})
        html = page(client, f"/admin/audit?object_type=user&object_id={staff.id}", language)
        assert str(escape(NAMES[language])) in html and str(escape(RU)) not in html, language


def test_the_admins_office_cards_say_name_and_the_settlement_in_the_readers_language(client, login_as, db_session):
    """Russian names the office's column «Название» (a person has an «Имя»); a Kazakh page spells the settlement
    as Kazakh does when the gazetteer knows it, and keeps a name it does not know as typed."""
    OfficeFactory(name="Окно Актобе", name_kk="Ақтөбе терезесі", region_code="aktobe", settlement="Актобе")
    OfficeFactory(name="Окно Нового посёлка", region_code="aktobe", settlement="Новый Посёлок-2")
    login_as(UserFactory(admin=True))
    client.post("/language", data={"language": "ru", "next": "/"})
    html = page(client, "/admin/offices", "ru")
    assert 'data-label="Название"' in html and '<th scope="col">Название</th>' in html
    assert 'data-label="Имя"' not in html
    client.post("/language", data={"language": "kk", "next": "/"})
    html = page(client, "/admin/offices", "kk")
    assert '<td data-label="Елді мекен">Ақтөбе</td>' in html
    assert '<td data-label="Елді мекен">Новый Посёлок-2</td>' in html
    listed_page = page(client, "/offices/?q=Ақтөбе", "kk")
    assert "Ақтөбе, ул. Абая" in listed_page
