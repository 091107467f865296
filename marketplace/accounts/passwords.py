"""Password hashing (argon2id) and the password policy."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _

# The commonest passwords people pick here; a longer list would live in a data file.
COMMON_PASSWORDS = frozenset(
    {
        "1234567890", "12345678910", "0123456789", "qwertyuiop", "1q2w3e4r5t", "password12",
        "password123", "qwerty12345", "йцукенгшщз", "1111111111", "0000000000", "almaty2024",
        "kazakhstan", "astana2024", "iloveyou12", "abcdefghij", "qwerty1234", "1qaz2wsx3edc",
    }
)


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


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with a new password, in the user's language; empty when it is fine."""
    problems: list[str] = []
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("Use at least %(n)d characters.", n=minimum))
    if len(password) > 200:
        problems.append(_("Use at most 200 characters."))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        problems.append(_("This password is too easy to guess. Try a short phrase of several words."))
    local_part = email.split("@")[0].lower()
    if (local_part and len(local_part) >= 4 and local_part in lowered) or (
        name and len(name) >= 4 and name.lower() in lowered
    ):
        problems.append(_("Do not use your name or e-mail address in the password."))
    return problems
