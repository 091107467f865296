"""The family's forms: household, consent, evidence, erasure and its requests for help."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, IntegerField, MultipleFileField,
    SelectField, StringField, TelField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from marketplace.accounts.forms import PHONE_PATTERN

MAX_CHILDREN = 20
OLDEST_CHILD_YEARS = 30  # the same bound the household service applies
EVIDENCE_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"

def parse_birth_years(text: str | None) -> list[int]:
    """'2012, 2014 2019' → [2012, 2014, 2019]; raises ValidationError with a message for the family."""
    tokens = [t for t in re.split(r"[\s,;.]+", text or "") if t]
    this_year = date.today().year
    years = []
    for token in tokens:
        if not re.fullmatch(r"\d{4}", token):
            raise ValidationError(_("Write birth years as four digits separated by commas, e.g. 2012, 2015, 2019."))
        year = int(token)
        if not (this_year - OLDEST_CHILD_YEARS <= year <= this_year):
            raise ValidationError(_("A birth year must be between %(a)d and %(b)d.", a=this_year - OLDEST_CHILD_YEARS,
                                    b=this_year))
        years.append(year)
    if len(years) > MAX_CHILDREN:
        raise ValidationError(_("At most %(n)d children can be listed.", n=MAX_CHILDREN))
    return sorted(years)


class HouseholdForm(FlaskForm):
    adults = IntegerField(
        _l("Adults in the household"), default=1,
        validators=[InputRequired(message=_l("How many adults live in the household?")),
                    NumberRange(min=1, max=20, message=_l("Enter a number from 1 to 20."))],
        render_kw={"inputmode": "numeric", "min": 1, "max": 20},
    )
    children_years = StringField(
        _l("Children's birth years"), validators=[Optional(), Length(max=200)],
        description=_l("Only the years, separated by commas, e.g. 2012, 2015, 2019. No names are needed."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    single_parent = BooleanField(_l("A single parent raises the children"))
    disability = BooleanField(_l("Someone in the household has a disability"))
    other_circumstances = TextAreaField(
        _l("Other circumstances (optional)"), validators=[Optional(), Length(max=500)],
        description=_l("Anything the office should know, e.g. a parent lost their job or the house was damaged."),
    )
    phone = TelField(
        _l("Phone"),
        validators=[DataRequired(message=_l("Please enter a phone number the office can call.")),
                    Regexp(PHONE_PATTERN, message=_l("Enter a phone number like +7 701 234 56 78."))],
        render_kw={"autocomplete": "tel"},
    )
    address = StringField(
        _l("Address"),
        validators=[DataRequired(message=_l("Please enter your address.")), Length(max=255)],
        description=_l("Settlement first, then street and house, e.g. “Талгар, ул. Абая 5”. "
                       "Only you and your office see it."),
        render_kw={"autocomplete": "street-address"},
    )
    office_id = SelectField(_l("The office that serves you"), validators=[Optional()])

    def __init__(self, offices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Short: a select shows its choice on one line, and a phone's is 20 letters or so wide.
        self.office_id.choices = [("", _("Nearest to my address"))] + [
            (str(o.id), f"{o.display_name} — {o.settlement}") for o in offices
        ]

    def validate_children_years(self, field) -> None:
        field.years = parse_birth_years(field.data)

    @property
    def birth_years(self) -> list[int]:
        return getattr(self.children_years, "years", [])

    @property
    def chosen_office_id(self) -> int | None:
        return int(self.office_id.data) if self.office_id.data else None


def consent_paragraphs() -> list[tuple[str, str]]:
    """The consent text in the current language: (heading, text) pairs, shown and recorded as shown."""
    return [
        (_("What we process"),
         _("Your name, e-mail and phone; your address and its location on the map; the number of adults; the birth "
           "years of your children (no names); whether the family has a single parent or a disability; the "
           "documents you upload; your requests for help and your messages with the office.")),
        (_("Why"),
         _("To verify that your family is entitled to help, to show your verified requests to volunteers and "
           "patrons without your personal data, and to organise the help you asked for.")),
        (_("Who sees it"),
         _("You; the staff of the reception office that serves you; the site's administrators; and, only after you "
           "accept their help, the volunteer or partner doing the job, who sees only what the job needs. Every look "
           "at your data by anyone but you is written to a log. Public pages show only the settlement and an area "
           "of about one kilometre, never your name, phone, address or documents.")),
        (_("How long"),
         _("As long as your account is open and for the time the law requires for records of help given; "
           "after that the data is erased.")),
        (_("Your rights"),
         _("You can download everything the site holds about you at any time, correct it, withdraw this consent "
           "and ask for your account to be erased. Your office carries out an erasure request. This follows the "
           "Law of the Republic of Kazakhstan “On personal data and its protection”.")),
    ]


def consent_text() -> str:
    """The consent as one plain text, for the record of what the family agreed to."""
    return "\n\n".join(f"{heading}\n{text}" for heading, text in consent_paragraphs())


class ConsentForm(FlaskForm):
    agree = BooleanField(
        _l("I have read this and agree to the processing of my family's personal data"),
        validators=[DataRequired(message=_l("Tick the box to give your consent."))],
    )


class EvidenceForm(FlaskForm):
    files = MultipleFileField(
        _l("Documents or photos"),
        render_kw={"accept": EVIDENCE_ACCEPT},
    )

    def __init__(self, *args, max_mb: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.files.description = _("Photos (JPEG, PNG, WebP) or PDF, up to %(mb)d MB each.", mb=max_mb)

    def uploads(self) -> list:
        return [f for f in (self.files.data or []) if f and getattr(f, "filename", "")]

    def validate_files(self, field) -> None:
        if not self.uploads():
            raise ValidationError(_("Choose at least one file."))


class EraseForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that my household, my requests and my documents will be erased"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF only."""

