"""What the audit log calls an uploaded file, and how it tells its type and size."""
from __future__ import annotations

import re

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.core.audit import labels

TYPES = {
    "image/jpeg": _l("JPEG photo"),
    "image/png": _l("PNG picture"),
    "image/webp": _l("WebP picture"),
    "application/pdf": _l("PDF document"),
}


def _content_type(value, _details, _type) -> str | None:
    label = TYPES.get(value)
    return str(label) if label is not None else None


def _size(value, _details, _type) -> str:
    return _("%(size)s KB", size=format_decimal(max(int(value), 1) / 1024, format="#,##0.#"))


labels.register_object_type("file", _l("File"))
labels.register_action("file.upload", _l("File uploaded"))
labels.register_detail("content_type", _content_type)
labels.register_detail("size", _size)
# Written as text before the log kept details.
labels.register_machine_reason(re.compile(r"(?P<content_type>[a-z]+/[a-z.+-]+), (?P<size>\d+) bytes"), dict,
                               actions=["file.upload"])
