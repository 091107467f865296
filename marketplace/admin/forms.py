"""Forms the council's admins use."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, StopValidation, ValidationError


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


class LocalDateField(DateField):
    """A date typed in the browser's date picker (YYYY-MM-DD), refused in the reader's language."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Enter a date, for example 2026-12-03."))) from exc


class WholeNumberField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Enter a whole number, for example 34."))) from exc

    def pre_validate(self, form):
        # Typed but not a number: said once, not again by the range check (an empty box is Optional's to clear).
        if self.process_errors and self.raw_data and str(self.raw_data[0]).strip():
            raise StopValidation()


class AuditFilterForm(FlaskForm):
    """The audit log's filters, in words: which object, who, what happened, when. Choices are set by the view."""

    class Meta:
        csrf = False

    object_type = SelectField(_l("Object of the entry"), validate_choice=False, validators=[Optional()])
    object_id = WholeNumberField(_l("Its number"), validators=[
        Optional(), NumberRange(min=1, message=_l("Enter a whole number, for example 34."))])
    actor = StringField(_l("Who (name or e-mail)"), validators=[Optional(), Length(max=100)])
    action = SelectField(_l("What happened"), validate_choice=False, validators=[Optional()])
    since = LocalDateField(_l("From date"), validators=[Optional()])
    until = LocalDateField(_l("To date (inclusive)"), validators=[Optional()])

    def validate_object_type(self, field):
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose one from the list."))

    def validate_object_id(self, field):
        if field.data is not None and not self.object_type.data:
            raise ValidationError(_l("Choose what the number is of, too."))

    def validate_action(self, field):
        codes = {code for _group, items in field.choices.items() for code, _label in items} if isinstance(
            field.choices, dict) else {value for value, _label in field.choices}
        if field.data and field.data not in codes:
            raise ValidationError(_l("Choose one from the list."))

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end of the period is before its start."))
