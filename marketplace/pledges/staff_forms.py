"""Forms of the staff's and the family's pledge pages: one action on a pledge, and the list's filter."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class PledgeActionForm(FlaskForm):
    """One button on one pledge; cancelling and refunding carry a reason, which the patron is told."""

    reason = TextAreaField(_l("Reason (the patron will see it)"), validators=[Optional(), Length(max=1000)])


class PledgeReasonForm(PledgeActionForm):
    """Cancelling or refunding: the reason is required, checked here (the page's form has no browser check)."""

    reason = TextAreaField(_l("Reason (the patron will see it)"), validators=[
        DataRequired(message=_l("Please give a reason: the patron is told why.")),
        Length(max=1000, message=_l("Please keep it to 1000 characters or fewer."))])

    def for_pledge(self, pledge_id: int, action: str) -> "PledgeReasonForm":
        """Give the field an id of its own: the list shows one such form per pledge and action."""
        self.reason.id = self.reason.label.field_id = f"reason-{action}-{pledge_id}"
        return self


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
