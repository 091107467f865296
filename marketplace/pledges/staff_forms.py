"""Forms of the staff's and the family's pledge pages: one action on a pledge, and the list's filter."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
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
