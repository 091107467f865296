"""Names of need categories, kinds, urgencies and states in the user's language, for every page.

Templates get this module as `need_labels` (registered by the needs blueprint), e.g.
`{{ need_labels.CATEGORY_LABELS[need.category] }}` or `{{ need_labels.urgency_badge(need.urgency) }}`.
"""
from __future__ import annotations

from functools import lru_cache

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from marketplace.core.language import current_language
from marketplace.needs.models import Category, NeedStatus, Urgency

CATEGORY_LABELS = {
    Category.FOOD: _l("Food"),
    Category.CLOTHING: _l("Clothing"),
    Category.SCHOOL: _l("School supplies"),
    Category.MEDICINE: _l("Medicine"),
    Category.HOUSEHOLD_REPAIR: _l("Household repair"),
    Category.FURNITURE: _l("Furniture and appliances"),
    Category.TRANSPORT: _l("Transport"),
    Category.TUTORING: _l("Tutoring"),
    Category.DOCUMENTS: _l("Help with documents"),
    Category.PSYCHOLOGICAL: _l("Psychological support"),
    Category.OTHER: _l("Other"),
}

# What it takes to meet a need (Need.kinds); a need may take several.
KIND_LABELS = {
    "money": _l("Money"),
    "goods": _l("Goods"),
    "volunteer": _l("Volunteers"),
}
KINDS = tuple(KIND_LABELS)

URGENCY_LABELS = {
    Urgency.CRITICAL: _l("Critical"),
    Urgency.HIGH: _l("High"),
    Urgency.NORMAL: _l("Normal"),
}

# Status never by colour alone: the badge always carries the word too.
URGENCY_BADGES = {
    Urgency.CRITICAL: "badge-danger",
    Urgency.HIGH: "badge-warn",
    Urgency.NORMAL: "badge-muted",
}

# In words a family and a patron understand; the public sees only the verified, in-progress and fulfilled ones.
# The wording is specific on purpose: a bare "Open" or "Closed" is already translated for offices
# ("Работает"), and one msgid gets one translation.
STATUS_LABELS = {
    NeedStatus.DRAFT: _l("Draft, not sent yet"),
    NeedStatus.SUBMITTED: _l("Waiting for the office"),
    NeedStatus.NEEDS_INFO: _l("The office has a question"),
    NeedStatus.VERIFIED: _l("Open for help"),
    NeedStatus.REJECTED: _l("Not accepted by the office"),
    NeedStatus.IN_PROGRESS: _l("Help under way"),
    NeedStatus.FULFILLED: _l("Help delivered"),
    NeedStatus.CLOSED: _l("Closed: help confirmed"),
    NeedStatus.CANCELLED: _l("Cancelled"),
    NeedStatus.EXPIRED: _l("Past its deadline"),
}

STATUS_BADGES = {
    NeedStatus.VERIFIED: "badge",
    NeedStatus.IN_PROGRESS: "badge-warn",
    NeedStatus.FULFILLED: "badge-ok",
    NeedStatus.CLOSED: "badge-ok",
    NeedStatus.REJECTED: "badge-danger",
    NeedStatus.NEEDS_INFO: "badge-warn",
}


@lru_cache(maxsize=8)
def words_in(language: str) -> dict[str, dict]:
    """Every label above translated into one language, once per process: a catalogue page shows them on
    each of its cards and in each of its selects, and looking each one up again was most of its cost."""
    with force_locale(language):
        return {
            "category": {key: str(label) for key, label in CATEGORY_LABELS.items()},
            "urgency": {key: str(label) for key, label in URGENCY_LABELS.items()},
            "status": {key: str(label) for key, label in STATUS_LABELS.items()},
            "kind": {key: str(label) for key, label in KIND_LABELS.items()},
        }


def _words(kind: str) -> dict:
    return words_in(current_language())[kind]


def category_label(category: Category | str) -> str:
    """The category's name in the current language."""
    return _words("category")[Category(category)]


def urgency_label(urgency: Urgency | str) -> str:
    return _words("urgency")[Urgency(urgency)]


def status_label(status: NeedStatus | str) -> str:
    return _words("status")[NeedStatus(status)]


def kind_label(kind: str) -> str:
    return _words("kind")[kind]


def urgency_badge(urgency: Urgency | str) -> str:
    """The CSS classes of the urgency badge (`badge badge-danger` …)."""
    return f"badge {URGENCY_BADGES[Urgency(urgency)]}"


def status_badge(status: NeedStatus | str) -> str:
    extra = STATUS_BADGES.get(NeedStatus(status), "badge-muted")
    return "badge" if extra == "badge" else f"badge {extra}"
