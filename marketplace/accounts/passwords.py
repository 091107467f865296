"""Password hashing (argon2id) and the password policy."""
from __future__ import annotations

import enum
import re
import threading
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    """An argon2id hash of the password with the configured cost."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches; never raises on a malformed hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the stored hash was made with other parameters than today's."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


# One hash per cost setting, made once per process: a log-in for an unknown e-mail verifies against it, so it
# does the same single argon2 verify as a log-in for a known one (hashing here would double the work).
_DUMMY_HASHES: dict[tuple[int, int], str] = {}


def dummy_verify(password: str) -> None:
    """Spend the same work as checking a real account's password: one verify, no hashing."""
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"])
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hash_password("timing-equaliser: no account has this password")
    verify_password(_DUMMY_HASHES[key], password)




# --- The policy: long enough, not a common password, not the user's own name, and hard to guess -----------------

MAX_LENGTH = 200
# zxcvbn's score 3 means it expects 10^8 guesses or more. Log-in is rate-limited, so the score is there for a
# stolen database: 10^8 argon2id guesses at our cost take some sixty core-days per account. Score 4 (10^10)
# would also refuse many phrases people can remember, and push them to write their passwords down.
MIN_SCORE = 3
# zxcvbn's matching grows faster than the length (up to 80 ms here for 100 characters, 600 ms for 200); a password is no
# weaker than its first 100 characters, so only those are estimated.
ESTIMATE_LENGTH = 100


class Weakness(enum.Enum):
    """Why a password is easy to guess; WEAKNESS_MESSAGES says it in the user's language (GUESSABLE: TOO_EASY)."""

    COMMON = "common"
    PERSONAL = "personal"
    NAME = "name"
    WORD = "word"
    KEYBOARD = "keyboard"
    SEQUENCE = "sequence"
    REPEAT = "repeat"
    DATE = "date"
    GUESSABLE = "guessable"


# Our own messages, since zxcvbn's feedback is English only; every refusal ends with TOO_EASY, which is all
# there is to say about a password that is merely GUESSABLE.
WEAKNESS_MESSAGES = {
    Weakness.COMMON: _l("This is a very common password, even with digits or symbols added."),
    Weakness.PERSONAL: _l("Do not use your name or e-mail address in the password."),
    Weakness.NAME: _l("Names of people and places are easy to guess."),
    Weakness.WORD: _l("A common word on its own is easy to guess."),
    Weakness.KEYBOARD: _l("Keyboard patterns like qwerty or 1q2w3e are easy to guess."),
    Weakness.SEQUENCE: _l("Sequences like abc or 6543 are easy to guess."),
    Weakness.REPEAT: _l("Repeated words and characters are easy to guess."),
    Weakness.DATE: _l("Years and dates are easy to guess."),
}
TOO_EASY = _l("This password is too easy to guess. Try a short phrase of several unrelated words.")

# What anyone would try first here; zxcvbn itself knows only English words and names.
SITE_WORDS = (
    "social window", "socialwindow", "социальное окно", "единое социальное окно", "әлеуметтік терезе",
    "бірыңғай әлеуметтік терезе", "sotsialnoe okno", "kazakhstan", "qazaqstan", "казахстан", "қазақстан",
    "almaty", "алматы", "astana", "астана", "nursultan", "нурсултан", "нұрсұлтан", "shymkent", "шымкент",
)

# The same keys on the Russian (ЙЦУКЕН) and the Latin (QWERTY) layout: "йцукен" is "qwerty" typed in Russian and
# "gfhjkm" is "пароль" typed in Latin, and crackers try both.
_RU_KEYS = "йцукенгшщзхъфывапролджэячсмитьбюёЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ"
_EN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~"
_TO_LATIN_KEYS = str.maketrans(_RU_KEYS, _EN_KEYS)
_TO_RUSSIAN_KEYS = str.maketrans(_EN_KEYS, _RU_KEYS)

# Two usual ways of writing a Russian or Kazakh name in Latin letters (Алия: aliya; Жанна: zhanna, janna).
_TRANSLIT = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "і": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}
_TO_LATIN = str.maketrans(_TRANSLIT)
_TO_LATIN_PLAIN = str.maketrans(_TRANSLIT | {"ж": "j", "й": "i", "қ": "q", "ғ": "gh", "х": "h", "ц": "c"})

_SEPARATORS = re.compile(r"[\s._\-]+")
# Digits and symbols around a common password are what crackers add first (password1234, !qwerty!, Almaty2026!),
# so the deny-list is also checked without them; four letters or more must be left for that to count.
_AFFIXES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_LEAST_LISTED = 4

_DICTIONARY_WEAKNESS = {
    "passwords": Weakness.COMMON, "male_names": Weakness.NAME, "female_names": Weakness.NAME,
    "surnames": Weakness.NAME,
}
_PATTERN_WEAKNESS = {
    "spatial": Weakness.KEYBOARD, "sequence": Weakness.SEQUENCE, "repeat": Weakness.REPEAT,
    "date": Weakness.DATE, "regex": Weakness.DATE,
}

# zxcvbn keeps the user's words in a module-level dictionary while it runs, so threads take turns.
_ESTIMATOR_LOCK = threading.Lock()


def _squeeze(text: str) -> str:
    return _SEPARATORS.sub("", text.lower())


@cache
def common_passwords() -> frozenset[str]:
    """The deny-list in data/common-passwords.txt, lower-case and without separators; read once per process."""
    text = resources.files("marketplace.accounts").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(_squeeze(line) for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _as_typed(password: str) -> set[str]:
    """The password in lower case, and the same keys on the other keyboard layout."""
    lowered = password.lower()
    return {lowered, lowered.translate(_TO_LATIN_KEYS), lowered.translate(_TO_RUSSIAN_KEYS)}


def _is_common(password: str) -> bool:
    listed = common_passwords()
    for typed in _as_typed(password):
        for candidate in {_squeeze(typed), _squeeze(_AFFIXES.sub("", typed))}:
            if len(candidate) >= _LEAST_LISTED and candidate in listed:
                return True
    return False


def _personal_words(email: str, name: str) -> list[str]:
    """The user's e-mail, its local part and its pieces, their name and its parts, also in Latin letters."""
    email = email.strip().lower()
    local_part = email.partition("@")[0]
    words = [email, local_part, *re.split(r"[\W\d_]+", local_part)]
    name = name.strip().lower()
    for part in [name, *re.split(r"[\s\-]+", name)]:
        words += [part, part.translate(_TO_LATIN), part.translate(_TO_LATIN_PLAIN)]
    return list(dict.fromkeys(word for word in words if len(word) >= 3))


def _uses_personal_word(password: str, personal: list[str]) -> bool:
    # Three-letter names are left to zxcvbn: as a rule here they would refuse "annual" for an Ann.
    words = [_squeeze(word) for word in personal if len(word) >= 4]
    # A name given in Latin letters is found in a Cyrillic password too (Nurlanova in «Нурланова2026»).
    forms = {form for typed in _as_typed(password)
             for form in (typed, typed.translate(_TO_LATIN), typed.translate(_TO_LATIN_PLAIN))}
    return any(word in _squeeze(form) for form in forms for word in words)


def _estimate(password: str, user_inputs: list[str]) -> dict:
    """zxcvbn's estimate of the password's start, and of the same keys in Latin for a Cyrillic one: the weaker."""
    typed = password[:ESTIMATE_LENGTH]
    forms = dict.fromkeys([typed, typed.translate(_TO_LATIN_KEYS)])
    with _ESTIMATOR_LOCK:
        estimates = [zxcvbn(form, user_inputs=user_inputs, max_length=ESTIMATE_LENGTH) for form in forms]
    return min(estimates, key=lambda estimate: estimate["guesses"])


def _weakness_found(estimate: dict, personal: list[str]) -> Weakness:
    """The kind of the longest pattern zxcvbn found (the one its own feedback names), or just "guessable"."""
    patterns = [match for match in estimate["sequence"] if match["pattern"] != "bruteforce"]
    if not patterns:
        return Weakness.GUESSABLE
    longest = max(patterns, key=lambda match: len(match["token"]))
    if longest["pattern"] != "dictionary":
        return _PATTERN_WEAKNESS.get(longest["pattern"], Weakness.GUESSABLE)
    if longest["dictionary_name"] == "user_inputs":
        return Weakness.PERSONAL if longest["matched_word"] in personal else Weakness.NAME
    return _DICTIONARY_WEAKNESS.get(longest["dictionary_name"], Weakness.WORD)


def password_weaknesses(password: str, *, email: str = "", name: str = "") -> list[Weakness]:
    """Why a new password would be easy to guess, given the user's e-mail and name; empty when it would not."""
    personal = _personal_words(email, name)
    found: list[Weakness] = []
    if _is_common(password):
        found.append(Weakness.COMMON)
    if _uses_personal_word(password, personal):
        found.append(Weakness.PERSONAL)
    if len(set(password.lower())) < 4:
        found.append(Weakness.REPEAT)
    # The e-mail's domain is context for zxcvbn only: as a rule, mail.ru's "mail" would refuse any "email".
    domain = email.strip().lower().partition("@")[2]
    personal_inputs = [*personal, *(word for word in (domain, domain.split(".")[0]) if len(word) >= 3)]
    estimate = _estimate(password, [*personal_inputs, *SITE_WORDS])
    if estimate["score"] < MIN_SCORE:
        weakness = _weakness_found(estimate, personal_inputs)
        if weakness not in found and not (found and weakness is Weakness.GUESSABLE):
            found.append(weakness)
    return found


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with a new password, in the user's language; empty when it is fine."""
    problems: list[str] = []
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("Use at least %(n)d characters.", n=minimum))
    if len(password) > MAX_LENGTH:
        problems.append(_("Use at most 200 characters."))
    weaknesses = password_weaknesses(password, email=email, name=name)
    problems += [str(WEAKNESS_MESSAGES[weakness]) for weakness in weaknesses if weakness in WEAKNESS_MESSAGES]
    if weaknesses:
        problems.append(str(TOO_EASY))
    return problems
