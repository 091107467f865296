"""One random token per form shown, stored unique on what the form makes: the same form sent twice (a
double tap on a slow phone, a page resent) makes one thing, and the second send finds the first."""
from __future__ import annotations

import re
import uuid

from wtforms import HiddenField


class OnceTokenMixin:
    token = HiddenField()

    def fresh_token(self) -> None:
        """Give the form a token when it is shown, unless it already carries one (shown again after an
        error, it keeps the token it was sent with)."""
        if not self.form_token():
            self.token.data = uuid.uuid4().hex

    def form_token(self) -> str | None:
        value = (self.token.data or "").strip().lower()
        return value if re.fullmatch(r"[0-9a-f]{32}", value) else None
