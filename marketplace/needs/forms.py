"""Forms of the needs pages: the catalogue's filters, the "report a problem" form, and the family's request
form with its answers and cancellation."""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField, DateField, DecimalField, FieldList, Form, FormField, HiddenField, IntegerField, MultipleFileField,
    SelectField, StringField, TextAreaField,
)
from wtforms.widgets import Select, html_params
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation, ValidationError

from marketplace.core.form_tokens import OnceTokenMixin
from marketplace.core.money import to_minor
from marketplace.families.forms import EVIDENCE_ACCEPT
from marketplace.geo.regions import region_choices
from marketplace.needs.catalogue import RADIUS_CHOICES_KM, SETTLEMENT_MAX_LENGTH
from marketplace.needs.labels import CATEGORY_LABELS, KIND_LABELS, URGENCY_LABELS
from marketplace.needs.models import Urgency

# Every choice is checked against its list, so a hand-edited link never reaches the query as it is.
NOT_UNDERSTOOD = _l("This value was not understood and was left out.")


@lru_cache(maxsize=8)
def catalogue_choices(language: str) -> dict[str, list[tuple[str, str]]]:
    """The catalogue form's options in one language, translated once per process (47 options on every view)."""
    with force_locale(language):
        return {
            "radius": [("", str(_l("Any distance")))] + [(str(km), str(_l("%(km)d km", km=km)))
                                                          for km in RADIUS_CHOICES_KM],
            "category": [("", str(_l("All categories")))] + [(category.value, str(label))
                                                              for category, label in CATEGORY_LABELS.items()],
            "kind": [("", str(_l("Any kind of help")))] + [(kind, str(label)) for kind, label in KIND_LABELS.items()],
            "urgency": [("", str(_l("Any urgency")))] + [(u.value, str(label)) for u, label in URGENCY_LABELS.items()],
            "region": [("", str(_l("All regions")))] + region_choices(language),
        }


@lru_cache(maxsize=512)
def _options_html(choices: tuple[tuple[str, str], ...], chosen: str | None) -> Markup:
    return Markup("").join(Markup(f"<option {html_params(value=value, selected=value == chosen)}>{escape(label or value)}"
                                  f"</option>") for value, label in choices)


class KeptOptionsSelect(Select):
    """A select whose `<option>`s are written once per list of choices and chosen value, not on every view:
    the catalogue's filters show the same 47 options to everyone who reads a language."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        for name in dir(field.flags):
            if name in self.validation_attrs and name not in kwargs:
                kwargs[name] = getattr(field.flags, name)
        chosen = field.data if field.data is None else str(field.data)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>"
                      f"{_options_html(tuple(field.choices), chosen)}</select>")


class CatalogueForm(FlaskForm):
    """GET filters of the needs catalogue; a field that fails is left out of the search, with a message."""

    class Meta:
        csrf = False  # a search changes nothing

    near = StringField(
        _l("Near a settlement or address"),
        validators=[Optional(), Length(max=200, message=_l("Please write at most %(max)d characters."))],
        description=_l("For example: Taldykorgan, Kokshetau or Shymkent, 5 Tauke Khan Street"),
    )
    radius = SelectField(_l("Within"), validators=[Optional()], widget=KeptOptionsSelect())
    category = SelectField(_l("Category"), validators=[Optional()], widget=KeptOptionsSelect())
    kind = SelectField(_l("Help needed"), validators=[Optional()], widget=KeptOptionsSelect())
    urgency = SelectField(_l("Urgency"), validators=[Optional()], widget=KeptOptionsSelect())
    region = SelectField(_l("Region"), validators=[Optional()], widget=KeptOptionsSelect())
    settlement = StringField(
        _l("Settlement"),
        validators=[Optional(), Length(max=SETTLEMENT_MAX_LENGTH, message=_l("Please write at most %(max)d characters."))],
    )
    lat = HiddenField(validators=[Optional()])
    lon = HiddenField(validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = catalogue_choices(str(get_locale() or "ru"))
        for name in ("radius", "category", "kind", "urgency", "region"):
            getattr(self, name).choices = choices[name]

    def drop_invalid(self) -> list:
        """Leave out every field that failed (a hand-edited or outdated link), marking it with one plain
        message; returns those fields so the page can say what was ignored."""
        dropped = []
        for f in (self.radius, self.category, self.kind, self.urgency, self.region, self.settlement, self.near):
            if f.errors:
                f.data, f.raw_data = "", []
                if isinstance(f, SelectField):
                    f.errors = [str(NOT_UNDERSTOOD)]
                dropped.append(f)
        return dropped


class FlagForm(FlaskForm):
    """Report a problem with a need or with the family's account."""

    reason = TextAreaField(
        _l("What is wrong?"),
        validators=[DataRequired(message=_l("Please say what is wrong.")),
                    Length(min=5, max=1000, message=_l("Please write between 5 and 1000 characters."))],
        description=_l("For example: the same request is posted twice, or it asks for something unsafe. "
                       "The office will look at it; the family does not see who reported it."),
    )


# --- the family's request -------------------------------------------------------------------------

GOODS_ROWS = 5
# The money goal is stored in minor units in a 32-bit column: 20 million tenge is far above any need.
MAX_MONEY_GOAL_KZT = 20_000_000
MAX_VOLUNTEER_SLOTS = 50

# Longer than the catalogue's badges: the family chooses, so each choice says what it means.
URGENCY_CHOICE_LABELS = {
    Urgency.CRITICAL: _l("Critical: needed within days"), Urgency.HIGH: _l("High: needed within weeks"),
    Urgency.NORMAL: _l("Normal"),
}


def finite_number(form, field) -> None:
    """Decimal accepts "NaN" and "sNaN", which no comparison (and no column) can take."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_("From 0.5 to 500 hours."))


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
    return to_minor(tenge)


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
