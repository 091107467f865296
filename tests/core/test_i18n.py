"""Languages: Russian by default, Kazakh and English on request, the switch, formats, complete catalogues."""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from marketplace.accounts.models import User
from marketplace.core.extensions import db
from marketplace.core.roles import Role
from tests.conftest import login
from tests.factories import PASSWORD, HouseholdFactory, NeedFactory, PledgeFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "marketplace" / "translations"
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
HEADLINE = "Help for families, close to home"
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def text_of(response) -> str:
    return response.get_data(as_text=True)


def without_language_switch(html: str) -> str:
    """The page minus the switcher, whose «Қазақша» and «Русский» are on every page in every language."""
    return re.sub(r'<form class="lang-switch".*?</form>', "", html, flags=re.S)


def translated(app, locale: str, message: str, **variables) -> str:
    with app.test_request_context(), force_locale(locale):
        return _(message, **variables)


def render(app, locale: str, source: str, **context) -> str:
    """Render a template snippet in a locale, with the odd spaces CLDR uses made plain."""
    with app.test_request_context(), force_locale(locale):
        out = render_template_string(source, **context)
    return out.replace("\u00a0", " ").replace("\u202f", " ")


def load_catalog(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def messages(language: str) -> list:
    return [message for message in load_catalog(language) if message.id]


def forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


def source_ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (tuple, list)) else [message.id]


# --- which language a page is in -----------------------------------------------------------------------


def test_home_page_is_russian_without_accept_language(app, db_session):
    browser = app.test_client()  # the `client` fixture asks for English; this one sends no Accept-Language
    response = browser.get("/")
    assert "Accept-Language" not in response.request.headers

    assert response.status_code == 200
    html = text_of(response)
    assert '<html lang="ru">' in html
    russian = translated(app, "ru", HEADLINE)
    assert russian != HEADLINE and re.search("[а-яА-Я]", russian), "no ru translation"
    assert escape(russian) in html
    assert HEADLINE not in html


@pytest.mark.parametrize("header", ["kk", "kk-KZ,kk;q=0.9,ru;q=0.8", "de-DE,kk;q=0.5"])
def test_accept_language_kk_gives_kazakh(app, client, db_session, header):
    response = client.get("/", headers={"Accept-Language": header})

    html = text_of(response)
    assert '<html lang="kk">' in html
    kazakh = translated(app, "kk", HEADLINE)
    assert kazakh not in (HEADLINE, translated(app, "ru", HEADLINE)), "no kk translation"
    assert escape(kazakh) in html
    assert KAZAKH_LETTERS & set(without_language_switch(html)), "no Kazakh letter outside the language switch"


@pytest.mark.parametrize("header", ["en", "en-US,en;q=0.9"])
def test_accept_language_en_gives_english(client, db_session, header):
    html = text_of(client.get("/", headers={"Accept-Language": header}))

    assert '<html lang="en">' in html
    assert HEADLINE in html


def test_an_unsupported_language_falls_back_to_russian(client, db_session):
    html = text_of(client.get("/", headers={"Accept-Language": "de-DE,fr;q=0.8"}))

    assert '<html lang="ru">' in html


# --- the language switch -------------------------------------------------------------------------------------


def _location(response) -> str:
    location = response.headers["Location"]
    return location.removeprefix("http://localhost")


def test_language_switch_sets_the_language_for_the_session_and_goes_back(app, client, db_session):
    response = client.post("/language", data={"language": "kk", "next": "/offices/"},
                           headers={"Accept-Language": "en"})

    assert response.status_code == 302
    assert _location(response) == "/offices/"
    # The choice beats the browser's languages from now on.
    html = text_of(client.get("/offices/", headers={"Accept-Language": "en"}))
    assert '<html lang="kk">' in html
    assert escape(translated(app, "kk", "Reception offices")) in html
    assert '<html lang="kk">' in text_of(client.get("/", headers={"Accept-Language": "ru"}))


def test_language_switch_keeps_the_query_string(client, db_session):
    response = client.post("/language", data={"language": "en", "next": "/offices/?region=jetisu"})

    assert _location(response) == "/offices/?region=jetisu"


@pytest.mark.parametrize("target", [
    "https://evil.example", "//evil.example/offices/", "/\\evil.example", "javascript:alert(1)",
    "http://localhost.evil.example/", "offices/", "",
])
def test_language_switch_never_sends_you_to_another_site(client, db_session, target):
    response = client.post("/language", data={"language": "kk", "next": target})

    assert response.status_code == 302
    assert _location(response) == "/"


def test_language_switch_refuses_an_unknown_language(client, db_session):
    response = client.post("/language", data={"language": "de", "next": "/offices/"}, headers={"Accept-Language": "en"})

    assert response.status_code == 400
    assert '<html lang="en">' in text_of(client.get("/", headers={"Accept-Language": "en"}))


def test_a_logged_in_users_choice_is_saved_on_their_account(app, client, db_session, login_as):
    user = UserFactory(family=True, email="lang@example.kz", locale="ru")
    login_as(user)

    response = client.post("/language", data={"language": "kk", "next": "/dashboard"})

    assert response.status_code == 302 and _location(response) == "/dashboard"
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "kk"
    # On another device, after logging in, the pages are in Kazakh without choosing again.
    other_device = app.test_client()
    assert other_device.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert '<html lang="kk">' in text_of(other_device.get("/", headers={"Accept-Language": "en"}))


def test_the_users_saved_language_beats_the_browsers(client, db_session, login_as):
    login_as(UserFactory(volunteer=True, email="kk-user@example.kz", locale="kk"))

    assert '<html lang="kk">' in text_of(client.get("/", headers={"Accept-Language": "en"}))


def test_a_language_chosen_before_logging_in_is_kept_after(client, db_session):
    user = UserFactory(patron=True, email="picked-first@example.kz", locale=None)
    client.post("/language", data={"language": "kk", "next": "/login"})

    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302

    assert '<html lang="kk">' in text_of(client.get("/", headers={"Accept-Language": "en"}))


# --- formats --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "expected"), [
    ("ru", "25 000 ₸"), ("kk", "25 000 ₸"), ("en", "25,000 ₸"),
])
def test_money_in_whole_tenge(app, locale, expected):
    assert render(app, locale, "{{ 2500000|money }}") == expected


@pytest.mark.parametrize(("locale", "expected"), [("ru", "2 500,50 ₸"), ("en", "2,500.50 ₸")])
def test_money_with_tiyn(app, locale, expected):
    assert render(app, locale, "{{ 250050|money }}") == expected


def test_money_of_nothing_is_empty(app):
    assert render(app, "ru", "[{{ none|money }}]", none=None) == "[]"


# Dates as ../shared/UX.md writes them ("12 марта 2026"): nothing after the year, so a date may end a
# sentence without a double full stop. Kazakh as its official documents write it, the year first.
@pytest.mark.parametrize(("locale", "expected"), [
    ("ru", "12 марта 2026"), ("kk", "2026 жылғы 12 наурыз"), ("en", "12 March 2026"),
])
def test_dates_in_the_language(app, locale, expected):
    assert render(app, locale, "{{ day|date }}", day=date(2026, 3, 12)) == expected


@pytest.mark.parametrize(("locale", "expected"), [
    ("ru", "12 марта 2026, 14:05"), ("kk", "2026 жылғы 12 наурыз, 14:05"), ("en", "12 March 2026, 14:05"),
])
def test_dates_and_times_in_the_language(app, locale, expected):
    two_in_the_afternoon_in_almaty = datetime(2026, 3, 12, 9, 5, tzinfo=timezone.utc)

    assert render(app, locale, "{{ moment|datetime }}", moment=two_in_the_afternoon_in_almaty) == expected


@pytest.mark.parametrize(("locale", "day", "moment"), [
    ("ru", "12.03.2026", "12.03.2026, 14:05"), ("kk", "12.03.2026", "12.03.2026, 14:05"),
    ("en", "12/03/2026", "12/03/2026, 14:05"),
])
def test_short_dates_keep_the_whole_year(app, locale, day, moment):
    at = datetime(2026, 3, 12, 9, 5, tzinfo=timezone.utc)

    assert render(app, locale, "{{ at|date('short') }}|{{ at|datetime('short') }}", at=at) == f"{day}|{moment}"


@pytest.mark.parametrize("locale", ["ru", "kk", "en"])
def test_a_date_ending_a_sentence_has_one_full_stop(app, locale):
    out = render(app, locale, "{{ _('Issued on %(date)s.', date=day|date) }}", day=date(2026, 12, 17))

    assert out.endswith(".") and not out.endswith("..") and "г." not in out and "ж." not in out


def test_a_moment_is_dated_in_almaty_time(app):
    evening_in_utc = datetime(2026, 3, 12, 20, 0, tzinfo=timezone.utc)  # already 13 March in Almaty

    assert render(app, "ru", "{{ moment|date }}", moment=evening_in_utc) == "13 марта 2026"
    assert render(app, "ru", "{{ moment|datetime }}", moment=evening_in_utc) == "13 марта 2026, 01:00"


# --- pages that show dates --------------------------------------------------------------------------------

MORNING = datetime(2026, 12, 3, 6, 0, tzinfo=timezone.utc)  # 3 December 2026, 11:00 in Almaty
# The day, and the last day of a transfer pledged then (PLEDGE_TRANSFER_DAYS later), as each language writes them.
DAYS = {"ru": ("3 декабря 2026", "17 декабря 2026"), "kk": ("2026 жылғы 3 желтоқсан", "2026 жылғы 17 желтоқсан")}
# A doubled full stop, or a year followed by CLDR's abbreviation ("2026 г.", "2026 ж."), anywhere on a page.
AFTER_A_DATE = re.compile(r"(?<!\.)\.\.(?![./])|\d{4}\s?[гж]\.")


def shown(html: str) -> str:
    """A page as read (its text and attributes), without scripts and styles and with plain spaces."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return html.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.fixture
def dated_pages(app, db_session):
    """(user or None, address) of the pages that show dates, every date on them on 3 December 2026."""
    household = HouseholdFactory(verified=True, verified_at=MORNING, submitted_at=MORNING, consent_given_at=MORNING)
    need = NeedFactory(open=True, household=household, verified_at=MORNING, submitted_at=MORNING,
                       created_at=MORNING, deadline=date(2026, 12, 17))
    patron = UserFactory(patron=True)
    waiting = PledgeFactory(need=need, patron=patron, awaiting_transfer=True, created_at=MORNING)
    paid = PledgeFactory(need=need, patron=patron, paid=True, provider=None, created_at=MORNING, paid_at=MORNING)
    staff = UserFactory(role=Role.STAFF, office=need.office)
    db_session.commit()
    return [
        (None, f"/needs/{need.id}"),
        (household.user, "/family/household"),
        (household.user, f"/family/needs/{need.id}"),
        (patron, f"/pledges/{waiting.id}"),
        (patron, f"/pledges/{paid.id}/receipt"),
        (patron, "/patron/"),
        (staff, "/staff/pledges?tab=transfers"),
        (staff, "/staff/pledges?tab=recent"),
    ]


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_pages_show_dates_without_a_double_full_stop(app, client, db_session, dated_pages, monkeypatch, language):
    monkeypatch.setitem(app.config, "PLEDGE_TRANSFER_DAYS", 14)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    day, transfer_until = DAYS[language]
    seen_until = False
    for user, address in dated_pages:
        if user is not None:
            user.locale = language
            db_session.commit()
            login(client, user)
        response = client.get(address)
        assert response.status_code == 200, address
        page = shown(response.get_data(as_text=True))
        assert day in page, address
        bad = [page[max(0, m.start() - 40):m.end() + 10] for m in AFTER_A_DATE.finditer(page)]
        assert bad == [], address
        seen_until = seen_until or f"{transfer_until}." in page or f"{transfer_until} " in page
    assert seen_until  # "pay by 17 December 2026." ends its sentence once


@pytest.mark.parametrize(("locale", "km", "expected"), [
    ("en", 0.26, "260 m"), ("en", 3.14159, "3.1 km"), ("en", 1234.4, "1,234 km"), ("ru", 3.14159, "3,1"),
])
def test_distances(app, locale, km, expected):
    out = render(app, locale, "{{ km|distance }}", km=km)
    assert out.startswith(expected), out


def test_distance_unit_is_translated(app):
    assert render(app, "ru", "{{ 12.0|distance }}") == translated(app, "ru", "%(km)s km", km="12").replace(
        "\u00a0", " ")
    assert translated(app, "ru", "%(km)s km", km="12") != "12 km", "no ru translation"


# --- error pages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_error_pages_are_in_the_browsers_language(app, client, db_session, language):
    response = client.get("/no-such-page", headers={"Accept-Language": language})

    assert response.status_code == 404
    html = text_of(response)
    assert f'<html lang="{language}">' in html
    assert escape(translated(app, language, "Page not found")) in html


def test_error_pages_are_in_the_users_chosen_language(app, client, db_session, login_as):
    login_as(UserFactory(family=True, email="kk-family@example.kz", locale="kk"))

    response = client.get("/admin/offices", headers={"Accept-Language": "en"})

    assert response.status_code == 403
    title = translated(app, "kk", "You do not have access to this page")
    assert title != "You do not have access to this page", "no kk translation"
    assert escape(title) in text_of(response)


# --- the catalogues are complete and safe ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_message_is_translated(language):
    untranslated = [message.id for message in messages(language) if not all(form.strip() for form in forms(message))]

    assert messages(language), f"the {language} catalogue is empty"
    assert untranslated == []


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_translations_keep_every_placeholder(language):
    broken = []
    for message in messages(language):
        wanted = sorted(set().union(*(PLACEHOLDER.findall(text) for text in source_ids(message))))
        for form in forms(message):
            if form and sorted(set(PLACEHOLDER.findall(form))) != wanted:
                broken.append((message.id, form))

    assert broken == []


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_plural_messages_have_every_form_of_the_language(language):
    catalog = load_catalog(language)
    short = [message.id for message in catalog if message.id and message.pluralizable
             and len(forms(message)) != catalog.num_plurals]

    assert short == []


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory) -> set[str]:
    """Every msgid in the code and templates now, extracted the way `make extract-messages` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        return {message.id if isinstance(message.id, str) else message.id[0] for message in read_po(handle)
                if message.id}


def translated_ids(language: str) -> set[str]:
    return {message.id if isinstance(message.id, str) else message.id[0] for message in messages(language)
            if all(form.strip() for form in forms(message))}


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_catalogues_cover_every_string_in_the_code_and_templates(source_messages, language):
    """Strings added to the code since the last `make extract-messages` would show in English."""
    assert len(source_messages) > 100
    assert sorted(source_messages - translated_ids(language)) == []


