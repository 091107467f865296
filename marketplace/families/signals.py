"""What the families domain announces; the domains that keep rows per household listen."""
from __future__ import annotations

from marketplace.core.lifecycle import signals

# Sent with (household, from_office_id=, office_id=, actor=) when a family's office changes.
office_changed = signals.signal("household.office_changed")
