"""Forms of the public needs pages: the catalogue's filters and the "report a problem" form."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.geo.regions import region_choices
from marketplace.needs.catalogue import RADIUS_CHOICES_KM, SETTLEMENT_MAX_LENGTH
from marketplace.needs.labels import CATEGORY_LABELS, KIND_LABELS, URGENCY_LABELS

# Every choice is checked against its list, so a hand-edited link never reaches the query as it is.
NOT_UNDERSTOOD = _l("This value was not understood and was left out.")


class CatalogueForm(FlaskForm):
    """GET filters of the needs catalogue; a field that fails is left out of the search, with a message."""

    class Meta:
        csrf = False  # a search changes nothing

    near = StringField(
        _l("Near a settlement or address"),
        validators=[Optional(), Length(max=200, message=_l("Please write at most %(max)d characters."))],
        description=_l("For example: Талдыкорган, Kokshetau or Шымкент, ул. Тауке хана 5"),
    )
    radius = SelectField(_l("Within"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    kind = SelectField(_l("Help needed"), validators=[Optional()])
    urgency = SelectField(_l("Urgency"), validators=[Optional()])
    region = SelectField(_l("Region"), validators=[Optional()])
    settlement = StringField(
        _l("Settlement"),
        validators=[Optional(), Length(max=SETTLEMENT_MAX_LENGTH, message=_l("Please write at most %(max)d characters."))],
    )
    lat = HiddenField(validators=[Optional()])
    lon = HiddenField(validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.radius.choices = [("", _l("Any distance"))] + [
            (str(km), _l("%(km)d km", km=km)) for km in RADIUS_CHOICES_KM
        ]
        self.category.choices = [("", _l("All categories"))] + [
            (category.value, label) for category, label in CATEGORY_LABELS.items()
        ]
        self.kind.choices = [("", _l("Any kind of help"))] + list(KIND_LABELS.items())
        self.urgency.choices = [("", _l("Any urgency"))] + [(u.value, label) for u, label in URGENCY_LABELS.items()]
        self.region.choices = [("", _l("All regions"))] + region_choices(str(get_locale()))

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
