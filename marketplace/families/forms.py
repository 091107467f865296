"""The family's forms: household, consent, evidence, erasure and its requests for help."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, DecimalField, FieldList, Form, FormField, IntegerField, MultipleFileField,
    SelectField, StringField, TelField, TextAreaField,
)
from wtforms.validators import StopValidation, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from marketplace.accounts.forms import PHONE_PATTERN
from marketplace.core.form_tokens import OnceTokenMixin
from marketplace.needs.labels import CATEGORY_LABELS
from marketplace.needs.models import Urgency

MAX_CHILDREN = 20
OLDEST_CHILD_YEARS = 30  # the same bound the household service applies
GOODS_ROWS = 5
# The money goal is stored in minor units in a 32-bit column: 20 million tenge is far above any need.
MAX_MONEY_GOAL_KZT = 20_000_000
MAX_VOLUNTEER_SLOTS = 50
EVIDENCE_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"

# Longer than the catalogue's badges: the family chooses, so each choice says what it means.
URGENCY_CHOICE_LABELS = {
    Urgency.CRITICAL: _l("Critical: needed within days"), Urgency.HIGH: _l("High: needed within weeks"),
    Urgency.NORMAL: _l("Normal"),
}


def finite_number(form, field) -> None:
    """Decimal accepts "NaN" and "sNaN", which no comparison (and no column) can take."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_("From 0.5 to 500 hours."))


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


def parse_tenge(text: str | None) -> int | None:
    """Whole tenge as people type them ('25 000', '25000 ₸') → minor units; None when empty."""
    cleaned = re.sub(r"[\s\u00a0\u202f₸]|тг|тенге|kzt", "", (text or "").lower())
    if not cleaned:
        return None
    if re.fullmatch(r"-\d+", cleaned) or cleaned == "0" or re.fullmatch(r"0+", cleaned):
        raise ValidationError(_("The amount must be more than zero."))
    if not re.fullmatch(r"\d+", cleaned):
        raise ValidationError(_("Write the amount in whole tenge, digits only, e.g. 25000."))
    tenge = int(cleaned)
    if tenge > MAX_MONEY_GOAL_KZT:
        raise ValidationError(_("At most %(n)s tenge can be asked for in one request.", n=f"{MAX_MONEY_GOAL_KZT:,}"
                                .replace(",", " ")))
    return tenge * 100


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
        self.office_id.choices = [("", _("The nearest office to my address"))] + [
            (str(o.id), f"{o.name} — {o.settlement}") for o in offices
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


class GoodsLineForm(Form):
    """One goods row; an empty row is ignored."""

    name = StringField(_l("What"), validators=[Optional(), Length(max=120)])
    quantity = IntegerField(
        _l("How many"), validators=[Optional(), NumberRange(min=1, max=10_000, message=_l("From 1 to 10 000."))],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)], description=_l("e.g. pcs, kg, packs"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        named = bool((self.name.data or "").strip())
        if named and self.quantity.data is None and not self.quantity.errors:
            self.quantity.errors.append(_("Say how many."))
            valid = False
        if not named and self.quantity.data is not None:
            self.name.errors.append(_("Say what is needed."))
            valid = False
        return valid


class NeedForm(OnceTokenMixin, FlaskForm):
    category = SelectField(
        _l("Category"),
        choices=[("", _l("Choose a category"))] + [(c.value, label) for c, label in CATEGORY_LABELS.items()],
        validators=[DataRequired(message=_l("Choose a category."))],
    )
    title = StringField(
        _l("Short title"), validators=[DataRequired(message=_l("Please give your request a title.")), Length(max=120)],
        description=_l("E.g. “School uniform for three children”. No names or addresses: helpers will see it."),
    )
    description = TextAreaField(
        _l("What is needed and why"),
        validators=[DataRequired(message=_l("Please describe what is needed.")), Length(max=4000)],
        description=_l("Helpers see this text once the office verifies it; do not write names, phone or address."),
    )
    urgency = SelectField(_l("How urgent"), choices=[(u.value, label) for u, label in URGENCY_CHOICE_LABELS.items()],
                          default=Urgency.NORMAL.value)
    deadline = DateField(_l("Needed by (optional)"), validators=[Optional()])
    money_goal = StringField(
        _l("Money (in tenge)"), validators=[Optional(), Length(max=20)],
        description=_l("Whole tenge, e.g. 25000. Leave empty if no money is needed."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    goods = FieldList(FormField(GoodsLineForm), min_entries=GOODS_ROWS, max_entries=30)
    volunteer_slots = IntegerField(
        _l("Volunteers needed"),
        validators=[Optional(), NumberRange(min=0, max=MAX_VOLUNTEER_SLOTS,
                                            message=_l("From 0 to %(n)d.", n=MAX_VOLUNTEER_SLOTS))],
        render_kw={"inputmode": "numeric", "min": 0},
    )
    volunteer_hours = DecimalField(
        _l("Hours for each volunteer"), places=1,
        validators=[Optional(), finite_number, NumberRange(min=0.5, max=500, message=_l("From 0.5 to 500 hours."))],
        render_kw={"inputmode": "decimal", "step": "0.5", "min": 0.5},
    )
    volunteer_in_home = BooleanField(
        _l("The volunteer would work inside our home"),
        description=_l("Then only adult volunteers checked by the office can take the task."),
    )
    evidence = MultipleFileField(
        _l("Photos or documents (optional)"),
        description=_l("E.g. a photo of the broken appliance or a doctor's prescription. Only your office sees them."),
        render_kw={"accept": EVIDENCE_ACCEPT},
    )

    def validate_money_goal(self, field) -> None:
        field.minor_units = parse_tenge(field.data)

    def validate_deadline(self, field) -> None:
        if field.data and field.data < date.today():
            raise ValidationError(_("The deadline cannot be in the past."))

    def validate_volunteer_hours(self, field) -> None:
        if self.volunteer_slots.data and field.data is None:
            raise ValidationError(_("Estimate how many hours each volunteer is needed for."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not (self.money_minor_units or self.goods_lines() or self.volunteer_slots.data):
            self.form_errors.append(_("Say what it takes: an amount of money, goods, volunteers, or a mix."))
            return False
        return valid

    @property
    def money_minor_units(self) -> int | None:
        return getattr(self.money_goal, "minor_units", None)

    def goods_lines(self) -> list[tuple[str, int, str | None]]:
        """The rows the family filled in: (name, quantity, unit)."""
        return [
            (row.form.name.data.strip(), row.form.quantity.data, (row.form.unit.data or "").strip() or None)
            for row in self.goods if (row.form.name.data or "").strip() and row.form.quantity.data
        ]

    def uploads(self) -> list:
        return [f for f in (self.evidence.data or []) if f and getattr(f, "filename", "")]

    def pad_goods(self, rows: int = GOODS_ROWS) -> None:
        """Offer empty rows to type into (no JavaScript): at least `rows`, and two spare after filled ones."""
        wanted = max(rows, len(self.goods_lines()) + 2)
        while len(self.goods) < min(wanted, self.goods.max_entries or wanted):
            self.goods.append_entry()


class AnswerForm(FlaskForm):
    body = TextAreaField(
        _l("Your answer"), validators=[DataRequired(message=_l("Please write your answer.")), Length(max=4000)],
    )


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you cancel it?"),
        validators=[DataRequired(message=_l("Please give a reason.")), Length(max=1000)],
        description=_l("E.g. “We bought it ourselves” or “No longer needed”. The office sees it."),
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF only."""

