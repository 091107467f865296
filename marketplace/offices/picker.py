"""The admins' office picker on staff lists: one office, or all of them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.core.extensions import db
from marketplace.offices.models import Office
from marketplace.offices.queries import office_choices


def chosen_office(form) -> Office | None:
    """Fill the form's `office_id` choices (every office, by settlement, named in the reader's language) and
    return the office chosen; None for "all offices", also when the choice is not a valid one."""
    form.office_id.choices = [(0, _l("All offices"))] + office_choices()
    if not form.validate():
        form.office_id.data = 0
    return db.session.get(Office, form.office_id.data) if form.office_id.data else None
