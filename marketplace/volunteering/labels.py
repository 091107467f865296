"""Names of claim states, for every template."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.volunteering.models import ClaimStatus

CLAIM_STATUS_LABELS = {
    ClaimStatus.INVITED: _l("Invited"),
    ClaimStatus.DECLINED: _l("Declined"),
    ClaimStatus.CLAIMED: _l("Taken"),
    ClaimStatus.IN_PROGRESS: _l("Under way"),
    ClaimStatus.DONE: _l("Reported done"),
    ClaimStatus.CONFIRMED: _l("Confirmed"),
    ClaimStatus.RELEASED: _l("Given back"),
    ClaimStatus.EXPIRED: _l("Released: no progress"),
    ClaimStatus.REVOKED: _l("Taken back by the office"),
}
