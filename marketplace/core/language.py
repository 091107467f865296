"""The page's language, read cheaply: a catalogue page asks for it a few hundred times (every `_()`, amount,
date, distance and label), and Flask-Babel's `get_locale()` goes through Flask's `g` proxy three times a call.

`current_locale()` reads the request's Babel state (`g._flask_babel.babel_locale`, which Flask-Babel fills on
its first `get_locale()` and which `force_locale` swaps for an e-mail in its reader's language) straight from
the application context, and asks Flask-Babel only when it is not there yet or outside an application context.
"""
from __future__ import annotations

from babel import Locale
from flask.globals import _cv_app
from flask_babel import get_locale

DEFAULT_LANGUAGE = "ru"


def current_locale() -> Locale | None:
    """What `flask_babel.get_locale()` answers, without its proxy lookups once the request has chosen."""
    app_context = _cv_app.get(None)
    if app_context is not None:
        state = app_context.g.__dict__.get("_flask_babel")
        if state is not None:
            locale = state.__dict__.get("babel_locale")
            if locale is not None:
                return locale
    return get_locale()


def current_language() -> str:
    """The page's language code ("ru", "kk", "en"); the default outside a request."""
    locale = current_locale()
    return DEFAULT_LANGUAGE if locale is None else code_of(locale)


def code_of(locale: Locale) -> str:
    """str(locale), kept: the identifier is otherwise built anew on each call."""
    global _last
    last = _last
    if last[0] is locale:  # the request's own Locale object: no hashing of its five parts
        return last[1]
    code = _codes.get(locale)
    if code is None:
        code = _codes[locale] = str(locale)
    _last = (locale, code)
    return code


_codes: dict[Locale, str] = {}  # str(Locale) builds the identifier anew each time
_last: tuple[Locale | None, str] = (None, DEFAULT_LANGUAGE)  # the last Locale asked about, kept alive here
