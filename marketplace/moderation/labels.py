"""Names of states, categories and reasons on the staff screens, in the reader's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.families.models import HouseholdStatus
from marketplace.moderation.models import FlagStatus
from marketplace.needs.labels import CATEGORY_LABELS, URGENCY_BADGES  # noqa: F401  (one name per category)
from marketplace.needs.models import NeedStatus, Urgency

NEED_STATUS_LABELS = {
    NeedStatus.DRAFT: _l("Draft"),
    NeedStatus.SUBMITTED: _l("Waiting for the office"),
    NeedStatus.NEEDS_INFO: _l("Waiting for the family"),
    NeedStatus.VERIFIED: _l("Open for help"),
    NeedStatus.REJECTED: _l("Rejected"),
    NeedStatus.IN_PROGRESS: _l("Help under way"),
    NeedStatus.FULFILLED: _l("Fulfilled"),
    NeedStatus.CLOSED: _l("Closed"),
    NeedStatus.CANCELLED: _l("Cancelled"),
    NeedStatus.EXPIRED: _l("Expired"),
}

HOUSEHOLD_STATUS_LABELS = {
    HouseholdStatus.DRAFT: _l("Being filled in"),
    HouseholdStatus.SUBMITTED: _l("Waiting for the office"),
    HouseholdStatus.NEEDS_INFO: _l("Waiting for the family"),
    HouseholdStatus.VERIFIED: _l("Verified"),
    HouseholdStatus.REJECTED: _l("Not verified"),
}

# Badge classes by state; the words in the badge carry the meaning, the colour only repeats it.
STATUS_BADGES = {
    NeedStatus.SUBMITTED: "badge-warn", NeedStatus.NEEDS_INFO: "badge-muted", NeedStatus.VERIFIED: "badge-ok",
    NeedStatus.IN_PROGRESS: "badge-ok", NeedStatus.FULFILLED: "badge-ok", NeedStatus.REJECTED: "badge-danger",
    HouseholdStatus.SUBMITTED: "badge-warn", HouseholdStatus.NEEDS_INFO: "badge-muted",
    HouseholdStatus.VERIFIED: "badge-ok", HouseholdStatus.REJECTED: "badge-danger",
}

URGENCY_LABELS = {
    Urgency.CRITICAL: _l("Critical"),
    Urgency.HIGH: _l("High urgency"),
    Urgency.NORMAL: _l("Normal urgency"),
}

FLAG_STATUS_LABELS = {
    FlagStatus.OPEN: _l("Not handled yet"),
    FlagStatus.RESOLVED: _l("Resolved"),
    FlagStatus.DISMISSED: _l("Dismissed"),
}

# Why two households may be one, fact by fact: a reason the duplicate check gives ("children_and_name") is made
# of facts, and facts two reasons share ("the same children's birth years") are said once.
DUPLICATE_FACTS = {
    "phone": _l("the same phone number"),
    "children": _l("the same children's birth years"),
    "name": _l("a similar name"),
    "address": _l("an address nearby"),
}
DUPLICATE_REASON_FACTS = {"phone": ("phone",), "children_and_name": ("children", "name"),
                          "children_and_address": ("children", "address")}


def duplicate_words(reasons) -> list[str]:
    """The facts behind a possible duplicate's reasons, each once, in a fixed order."""
    facts = {fact for reason in reasons for fact in DUPLICATE_REASON_FACTS.get(reason, ())}
    return [str(words) for fact, words in DUPLICATE_FACTS.items() if fact in facts]


# What the staff member writes for each transition that takes a text, and what is missing without it.
REASON_FIELDS = {
    "ask_info": (_l("Your question to the family"), _l("Please write your question to the family.")),
    "reject": (_l("Reason (the family will see it)"), _l("Please give a reason.")),
    "cancel": (_l("Reason (the family will see it)"), _l("Please give a reason.")),
    # This note is the public proof of delivery: the label says so, so that nobody writes names in it.
    "fulfil": (_l("What was delivered (shown publicly: no names, addresses or phones)"),
               _l("Please describe what was delivered.")),
}
DEFAULT_REASON_FIELD = (_l("Reason"), _l("Please give a reason."))
DANGER_TRANSITIONS = frozenset({"reject", "cancel"})


def labels_context() -> dict:
    """Everything the moderation templates need to name things."""
    return {
        "need_status_labels": NEED_STATUS_LABELS, "household_status_labels": HOUSEHOLD_STATUS_LABELS,
        "status_badges": STATUS_BADGES, "category_labels": CATEGORY_LABELS, "urgency_labels": URGENCY_LABELS,
        "urgency_badges": URGENCY_BADGES, "flag_status_labels": FLAG_STATUS_LABELS,
        "duplicate_words": duplicate_words, "danger_transitions": DANGER_TRANSITIONS,
    }
