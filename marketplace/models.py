"""Every model, imported once so that Alembic and the app see the whole schema."""
from marketplace.accounts.models import AccountStatus, ApiToken, PatronKind, User, UserSession  # noqa: F401
from marketplace.core.audit.models import AuditEntry  # noqa: F401
from marketplace.offices.models import Office  # noqa: F401
from marketplace.families.models import Child, ConsentRecord, Household, HouseholdStatus  # noqa: F401
from marketplace.files.models import StoredFile  # noqa: F401
from marketplace.moderation.models import Flag, FlagStatus, FlagTarget  # noqa: F401
from marketplace.needs.models import Category, MessageKind, Need, NeedItem, NeedMessage, NeedStatus, Urgency  # noqa: F401
from marketplace.notifications.models import Notification  # noqa: F401
from marketplace.volunteering.models import Claim, ClaimStatus, Skill, VolunteerProfile, VolunteerSkill  # noqa: F401
from marketplace.pledges.models import PatronProfile, PaymentEvent, Pledge, PledgeStatus  # noqa: F401
