"""The admins' office picker on staff lists: one office, or all of them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.core.extensions import db
from marketplace.offices.models import Office, office_name_columns, reader_name


def chosen_office(form) -> Office | None:
    """Fill the form's `office_id` choices (every office, by settlement) and return the office chosen;
    None for "all offices", also when the choice is not a valid one."""
    rows = db.session.execute(
        select(Office.id, Office.settlement, *office_name_columns()).order_by(Office.settlement, Office.name))
    form.office_id.choices = [(0, _l("All offices"))] + [(r.id, f"{r.settlement} — {reader_name(r)}") for r in rows]
    if not form.validate():
        form.office_id.data = 0
    return db.session.get(Office, form.office_id.data) if form.office_id.data else None
