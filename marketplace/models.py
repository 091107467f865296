"""Every model, imported once so that Alembic and the app see the whole schema."""
from marketplace.accounts.models import AccountStatus, PatronKind, Role, User, UserSession  # noqa: F401
from marketplace.audit.models import AuditEntry  # noqa: F401
from marketplace.offices.models import Office  # noqa: F401
