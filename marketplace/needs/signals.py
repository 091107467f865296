"""What the needs domain announces beyond its lifecycle; claims and pledges listen."""
from __future__ import annotations

from marketplace.core.lifecycle import signals

# Sent with (household, needs=[moved needs], office_id=) once a family's unfinished requests moved office.
needs_transferred = signals.signal("household.needs_transferred")
