"""Forms the council's admins use."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional


class StaffForm(FlaskForm):
    full_name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please enter a name.")), Length(max=200)])
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(message=_l("Please enter your e-mail address.")),
                    Email(message=_l("This does not look like an e-mail address."))],
    )
    office_id = SelectField(_l("Office"), coerce=int, validators=[DataRequired(message=_l("Please choose an office."))])


class AccountStatusForm(FlaskForm):
    transition = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])


class AssignOfficeForm(FlaskForm):
    office_id = SelectField(_l("Office"), coerce=int, validators=[Optional()])


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or e-mail"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])


class OfficeImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Please choose a CSV file."))])
