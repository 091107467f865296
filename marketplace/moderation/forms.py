"""Forms of the staff screens: decisions, hiding, erasure, flags and the office filter."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.moderation.labels import DEFAULT_REASON_FIELD, REASON_FIELDS


class DecisionForm(FlaskForm):
    """One lifecycle transition; built with `prefix=<transition>` so that several fit on one page."""

    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1000)])

    def __init__(self, transition: str, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, prefix=transition, **kwargs)
        self.transition = transition
        self.reason_required = reason_required
        label, self.missing_message = REASON_FIELDS.get(transition, DEFAULT_REASON_FIELD)
        self.reason.label.text = label
        if reason_required:
            self.reason.flags.required = True

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.reason_required and not (self.reason.data or "").strip():
            self.reason.errors = [*self.reason.errors, self.missing_message]
            return False
        return valid


class FulfilForm(DecisionForm):
    """Recording that a need was delivered: the outcome note, and optionally a photo as proof for patrons."""

    photo = FileField(
        _l("Photo of what was delivered (optional)"),
        description=_l("Shown to the patrons who gave. Show the goods or the work, never the family or the "
                       "children. Location data is removed from the photo."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )

    @property
    def upload(self):
        """The chosen photo, or None when the field was left empty."""
        data = self.photo.data
        return data if data is not None and getattr(data, "filename", "") else None


def decision_form(transition: str, *, reason_required: bool = False) -> DecisionForm:
    """The form for one transition: fulfilling takes a photo too."""
    form_class = FulfilForm if transition == "fulfil" else DecisionForm
    return form_class(transition, reason_required=reason_required)


class HideForm(FlaskForm):
    """Hide or show again a need or a user; the reason goes into the audit log."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Please give a reason.")), Length(max=1000)],
        description=_l("Kept with the request and in the audit log."),
    )
    # Where the staff member came from (a flag), to go back there afterwards.
    flag_id = HiddenField(validators=[Optional()])


class EraseForm(FlaskForm):
    confirm = BooleanField(
        _l("I have checked the request: erase this family's data for good"),
        validators=[DataRequired(message=_l("Please confirm that the family's data should be erased."))],
    )


class CloseFlagForm(FlaskForm):
    """Resolve a flag (something was done: say what) or dismiss it (nothing wrong: a note may say why)."""

    note = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=1000)])

    def __init__(self, resolution: str, *args, **kwargs):
        super().__init__(*args, prefix=resolution, **kwargs)
        self.note_required = resolution == "resolved"
        if self.note_required:
            self.note.flags.required = True
        else:
            self.note.label.text = _l("Why nothing needs to be done (optional)")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.note_required and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, _l("Please write what was done.")]
            return False
        return valid


class OfficeFilterForm(FlaskForm):
    """Admins pick one office or all of them (staff always see their own)."""

    class Meta:
        csrf = False

    office_id = SelectField(_l("Office"), coerce=int, validators=[Optional()])
