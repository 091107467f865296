"""The one error of the files package, raised by every check an upload goes through."""
from __future__ import annotations


class RejectedFile(ValueError):
    """An upload that is not kept, with a message for the user."""
