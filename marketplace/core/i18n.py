"""Languages: choose the locale per request and format dates, numbers and money for it."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from flask import Flask, Response, current_app, g, has_request_context, request, session
from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal as babel_format_decimal
from flask_babel import (
    force_locale, format_date, format_datetime, format_decimal, format_timedelta, get_locale, get_translations,
    to_user_timezone,
)
from jinja2 import pass_eval_context
from markupsafe import Markup

from marketplace.core.language import code_of, current_language, current_locale
from marketplace.core.money import format_money
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.core.dbtypes import utcnow

LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}


def select_locale() -> str:
    """The user's explicit choice, then the browser's languages, then Russian."""
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in supported:
        return chosen
    user = current_user._get_current_object()  # one lookup through Flask-Login's proxy, not three
    if user is not None and user.is_authenticated and user.locale in supported:
        return user.locale
    g.locale_from_accept_language = True
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _vary_on_accept_language(response: Response) -> Response:
    """A page in the language the browser asked for says so, so that a cache in front keeps one per language."""
    if g.get("locale_from_accept_language"):
        response.vary.add("Accept-Language")
    return response


def waited_for(since: datetime | None) -> str:
    """How long something has waited, in words ("3 days")."""
    if since is None:
        return ""
    waited = utcnow() - since
    if waited < timedelta(minutes=1):
        return _("less than a minute")
    return format_timedelta(waited, granularity="minute", threshold=1)


def waited_ago(since: datetime | None) -> str:
    """How long ago something happened, in words ("2 minutes ago", "2 минуты назад", "2 минут бұрын")."""
    if since is None:
        return ""
    waited = utcnow() - since
    if waited < timedelta(minutes=1):
        return _("just now")
    return format_timedelta(-waited, granularity="minute", threshold=1, add_direction=True)


def distance(km: float | None) -> str:
    """A distance for people: metres below one kilometre, one decimal below ten."""
    if km is None:
        return ""
    if km < 1:
        return _distance_in(round(km * 1000 / 10) * 10, "m", current_language())
    return _distance_in(round(km, 1) if km < 10 else round(km), "km", current_language())


@lru_cache(maxsize=2048)
def _distance_in(amount: float, unit: str, language: str) -> str:
    """A rounded distance written once per language: a list of the needs of one city repeats a few distances."""
    with force_locale(language):
        if unit == "m":
            return _("%(m)s m", m=babel_format_decimal(amount, format="#,##0", locale=language))
        return _("%(km)s km", km=babel_format_decimal(amount, format="#,##0.0" if amount < 10 else "#,##0",
                                                       locale=language))


# How dates read in each language (../shared/UX.md: "12 марта 2026"). CLDR's long forms end the Russian
# date in «г.» ("12 марта 2026 г."), which doubled the full stop wherever a date ends a sentence, and give
# English the American "March 12, 2026". Kazakh is written as in its official documents, "2026 жылғы 12
# наурыз": the year in full words of the genitive, not CLDR's abbreviation "2026 ж.", so nothing ends in a
# period and the translations' "%(date)s күні" reads "2026 жылғы 12 наурыз күні". The short forms keep the
# year in four digits (CLDR's Kazakh "12.03.26" and English "3/12/26" are easy to misread).
DATE_PATTERNS = {
    "long": {"ru": "d MMMM y", "kk": "y 'жылғы' d MMMM", "en": "d MMMM y"},
    "short": {"ru": "dd.MM.y", "kk": "dd.MM.y", "en": "dd/MM/y"},
}
DATE_PATTERNS["medium"] = DATE_PATTERNS["long"]
# A month of a year as it reads after the translations' "of" ("текст от ноября 2026", "мәтіні: 2026 жылғы
# қараша", "the text of November 2026"): Russian's month is in the genitive, as in a date.
MONTH_PATTERNS = {"ru": "MMMM y", "kk": "y 'жылғы' MMMM", "en": "MMMM y"}
TIME_PATTERN = "HH:mm"  # the 24-hour clock, as Kazakhstan reads it in every language


def _pattern(fmt: str) -> str:
    """The date pattern of `fmt` ("long", "short", …) in the current language; other formats pass through."""
    by_language = DATE_PATTERNS.get(fmt)
    if by_language is None:
        return fmt
    return by_language.get(current_locale().language, by_language["en"])


def format_day(value: date | datetime | None, fmt: str = "long") -> str:
    """A date ("12 марта 2026"); a moment is dated in the display timezone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return _day_in(value, _pattern(fmt), current_language())


@lru_cache(maxsize=4096)
def _day_in(day: date, pattern: str, language: str) -> str:
    """A day in a pattern and language, written once: a list dates its rows with the same few days."""
    return babel_format_date(day, pattern, locale=language)


def format_month(value: date) -> str:
    """A month of a year in words ("ноября 2026", "2026 жылғы қараша", "November 2026")."""
    return format_date(value, MONTH_PATTERNS.get(get_locale().language, MONTH_PATTERNS["en"]))


def _datetime(value: datetime | None, fmt: str = "medium") -> str:
    """A date and time ("12 марта 2026, 14:05") in the display timezone."""
    if value is None:
        return ""
    if fmt not in DATE_PATTERNS:
        return format_datetime(value, fmt)
    return format_datetime(value, f"{_pattern(fmt)}, {TIME_PATTERN}")


# --- templates' gettext --------------------------------------------------------------------------
# A page calls `_()` a hundred times or more. Jinja's newstyle gettext as Flask-Babel installs it passes each
# call through three template calls and four lookups of the request's Babel state; these do what it does
# (translate, mark safe when escaping, then fill in the escaped variables) with one call and one lookup of the
# current locale, so `force_locale` (an e-mail in its reader's language) is followed as before.

_translations_of: dict = {}


def _translations():
    locale = current_locale()
    if locale is None:
        return get_translations()
    language = code_of(locale)
    found = _translations_of.get(language)
    if found is None:
        found = _translations_of[language] = get_translations()
    return found


@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables) -> str:
    text = _translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    text = _translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def register_i18n(app: Flask) -> None:
    """Template filters and globals for locale-aware output."""
    app.add_template_filter(format_money, "money")
    app.add_template_filter(distance, "distance")
    app.add_template_filter(format_day, "date")
    app.add_template_filter(_datetime, "datetime")
    app.add_template_filter(lambda n: format_decimal(n), "number")
    app.after_request(_vary_on_accept_language)
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)

    @app.context_processor
    def language_context() -> dict:
        return {
            "current_locale": str(get_locale()),
            "language_names": LANGUAGE_NAMES,
            "languages": app.config["LANGUAGES"],
        }
