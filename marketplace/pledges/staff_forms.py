"""Forms of the staff's and the family's pledge pages: one action on a pledge, and the list's filter."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional


class PledgeActionForm(FlaskForm):
    """One button on one pledge; cancelling and refunding carry a reason, which the patron is told."""

    reason = TextAreaField(_l("Reason (the patron will see it)"), validators=[Optional(), Length(max=1000)])


class PledgeFilterForm(FlaskForm):
    """Admins pick one office or all of them (staff always see their own); the tab stays as it was."""

    class Meta:
        csrf = False

    office_id = SelectField(_l("Office"), coerce=int, validators=[Optional()])
    tab = HiddenField(validators=[Optional()])


class PledgeSearchForm(FlaskForm):
    """Find a pledge by its number, as the patron wrote it on a transfer or as its receipt shows it."""

    class Meta:
        csrf = False

    reference = StringField(
        _l("Find by reference"), validators=[Optional(), Length(max=200)],
        description=_l("The pledge's number as in the payment purpose on the bank statement, or its receipt number."),
        render_kw={"autocomplete": "off", "spellcheck": "false", "placeholder": "SW-2026-0000005"})
