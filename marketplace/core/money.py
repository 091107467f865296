"""Money: amounts are kept as integer minor units (tiyn, 100 to the tenge) and converted and written here only."""
from __future__ import annotations

from functools import lru_cache

from babel.numbers import format_decimal

from marketplace.core.language import current_language

MINOR_PER_MAJOR = 100  # tiyn in a tenge


def to_minor(tenge: int) -> int:
    """Whole tenge as typed → minor units: 25000 → 2500000."""
    return int(tenge) * MINOR_PER_MAJOR


def to_tenge(minor_units: int) -> int:
    """Minor units → whole tenge, rounded down (for a form's prefilled value): 2500050 → 25000."""
    return int(minor_units) // MINOR_PER_MAJOR


def tenge_number(minor_units: int | None) -> str:
    """Minor units as a plain number of tenge for a spreadsheet or an export: 500000 → '5000', 12345 → '123.45'."""
    if minor_units is None:
        return ""
    major, cents = divmod(int(minor_units), MINOR_PER_MAJOR)
    return f"{major}" if not cents else f"{major}.{cents:02d}"


def format_money(minor_units: int | None, currency: str = "KZT") -> str:
    """`2500000` minor units of KZT → `25 000 ₸` in the page's locale (decimals only when there are any)."""
    if minor_units is None:
        return ""
    return _money_in(int(minor_units), currency, current_language())


def money_in(minor_units: int | None, language: str, currency: str = "KZT") -> str:
    """format_money in a language named by the caller (one that writes many amounts looks it up once)."""
    return "" if minor_units is None else _money_in(int(minor_units), currency, language)


@lru_cache(maxsize=4096)
def _money_in(minor_units: int, currency: str, language: str) -> str:
    """format_money for one language, kept: a page writes the same few goals and sums over and over."""
    major, cents = divmod(minor_units, MINOR_PER_MAJOR)
    amount = format_decimal(major, format="#,##0", locale=language) if not cents else format_decimal(
        minor_units / MINOR_PER_MAJOR, format="#,##0.00", locale=language
    )
    symbol = "₸" if currency == "KZT" else currency
    return f"{amount}\u00a0{symbol}"
