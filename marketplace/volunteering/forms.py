"""The volunteer's forms: profile, asking to be vetted, and reporting a task done."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DecimalField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.volunteering.models import ClaimStatus, Skill
from marketplace.volunteering.reports import MAX_HOURS, MAX_NOTE, MIN_HOURS

SKILL_LABELS = {
    Skill.DRIVING: _l("Car and driving"),
    Skill.REPAIRS: _l("Repairs"),
    Skill.TUTORING_MATH: _l("Tutoring: mathematics"),
    Skill.TUTORING_LANGUAGES: _l("Tutoring: languages"),
    Skill.TUTORING_SCIENCE: _l("Tutoring: sciences"),
    Skill.TUTORING_OTHER: _l("Tutoring: other subjects"),
    Skill.CHILDCARE: _l("Childcare"),
    Skill.LANGUAGES: _l("Languages and translation"),
    Skill.MEDICAL: _l("Medical"),
    Skill.IT: _l("Computers and phones"),
    Skill.MOVING: _l("Carrying and moving"),
    Skill.OTHER: _l("Other"),
}

# A claim's state in the volunteer's words.
CLAIM_STATUS_LABELS = {
    ClaimStatus.INVITED: _l("Invited by an office"),
    ClaimStatus.DECLINED: _l("Invitation declined"),
    ClaimStatus.CLAIMED: _l("Taken by you"),
    ClaimStatus.IN_PROGRESS: _l("In progress"),
    ClaimStatus.DONE: _l("Reported done, waiting for confirmation"),
    ClaimStatus.CONFIRMED: _l("Done and confirmed"),
    ClaimStatus.RELEASED: _l("Given back"),
    ClaimStatus.EXPIRED: _l("Expired without progress"),
    ClaimStatus.REVOKED: _l("Taken back by the office"),
}

RADIUS_CHOICES_KM = (2, 5, 10, 25, 50)
DAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday"))
PARTS_OF_DAY = (_l("Morning"), _l("Afternoon"), _l("Evening"))
SLOTS = len(DAYS) * len(PARTS_OF_DAY)
YOUNGEST_AGE, OLDEST_AGE = 12, 100
REPORT_ACCEPT = "image/jpeg,image/png,image/webp"


def skill_label(skill: Skill | str) -> str:
    """The skill's name in the current language."""
    return str(SKILL_LABELS[Skill(skill)])


def claim_status_label(status: ClaimStatus | str) -> str:
    return str(CLAIM_STATUS_LABELS[ClaimStatus(status)])


def availability_bits(slots: list[int]) -> int:
    """[0, 5] → the bitmask stored on the profile (bit = day * 3 + part)."""
    return sum(1 << slot for slot in set(slots) if 0 <= slot < SLOTS)


def availability_slots(bits: int) -> list[int]:
    return [slot for slot in range(SLOTS) if bits & (1 << slot)]


def plausible_birth_year(form, field) -> None:
    this_year = date.today().year
    if field.data is not None and not (this_year - OLDEST_AGE <= field.data <= this_year - YOUNGEST_AGE):
        raise StopValidation(_("A birth year must be between %(a)d and %(b)d.", a=this_year - OLDEST_AGE,
                               b=this_year - YOUNGEST_AGE))


def finite_hours(form, field) -> None:
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_("From 0.5 to 24 hours."))


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProfileForm(FlaskForm):
    birth_year = IntegerField(
        _l("Year of birth"), validators=[InputRequired(message=_l("Enter your year of birth.")), plausible_birth_year],
        description=_l("Volunteers under 18 need a parent's consent, recorded by an office."),
        render_kw={"inputmode": "numeric", "autocomplete": "bday-year"},
    )
    skills = CheckboxesField(_l("What you can do"), choices=[(s.value, label) for s, label in SKILL_LABELS.items()])
    place = StringField(
        _l("Your settlement or address"),
        validators=[DataRequired(message=_l("Write your settlement or address.")), Length(max=120)],
        description=_l("Only you and the offices see it. It is used to find tasks near you."),
    )
    radius_km = SelectField(_l("How far you can travel"), coerce=int, default=10,
                            choices=[(km, _l("%(km)d km", km=km)) for km in RADIUS_CHOICES_KM])
    availability = SelectMultipleField(_l("When you are usually free"), coerce=int,
                                       choices=[(slot, str(slot)) for slot in range(SLOTS)])

    def validate_skills(self, field) -> None:
        field.data = [value for value in field.data or [] if value in Skill._value2member_map_]


class VettingForm(FlaskForm):
    office_id = SelectField(_l("Office"), choices=[])

    def __init__(self, offices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.office_id.choices = [("", _("The nearest office"))] + [(str(o.id), o.display_name) for o in offices]

    @property
    def chosen_office_id(self) -> int | None:
        return int(self.office_id.data) if self.office_id.data else None


class ReportForm(FlaskForm):
    note = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=MAX_NOTE)])
    hours = DecimalField(
        _l("Hours spent"), places=1,
        validators=[InputRequired(message=_l("How many hours did it take?")), finite_hours,
                    NumberRange(min=MIN_HOURS, max=MAX_HOURS, message=_l("From 0.5 to 24 hours."))],
        render_kw={"inputmode": "decimal", "step": "0.5", "max": f"{MAX_HOURS:g}"},  # max="24", not "24.0"
    )
    photo = FileField(_l("A photo (optional)"), description=_l("No faces of the family, please."),
                      render_kw={"accept": REPORT_ACCEPT})


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
