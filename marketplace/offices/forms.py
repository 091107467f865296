"""Office search and edit forms."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, FloatField, HiddenField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from marketplace.offices.services import BANK_FIELDS, clean_bank_details

from marketplace.geo.regions import region_choices


class OfficeSearchForm(FlaskForm):
    """GET search: region, a word, or a place to measure distances from."""

    class Meta:
        csrf = False  # a search changes nothing

    region = SelectField(_l("Region"), validators=[Optional()])
    q = StringField(_l("Settlement or office name"), validators=[Optional(), Length(max=100)])
    near = StringField(
        _l("Nearest to a settlement or address"), validators=[Optional(), Length(max=200)],
        description=_l("For example: Taldykorgan, Kokshetau or Shymkent, 5 Tauke Khan Street"),
    )
    lat = HiddenField(validators=[Optional()])
    lon = HiddenField(validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.region.choices = [("", _l("All regions"))] + region_choices(str(get_locale()))


class OfficeForm(FlaskForm):
    code = StringField(
        _l("Office code"),
        validators=[DataRequired(message=_l("Please enter a code.")), Length(max=32),
                    Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use Latin letters, digits, - and _ only."))],
        description=_l("A short unique code, e.g. ALA-01; used by CSV imports."),
    )
    name = StringField(_l("Name in Russian"),
                       validators=[DataRequired(message=_l("Please enter a name.")), Length(max=200)])
    name_kk = StringField(_l("Name in Kazakh"), validators=[Optional(), Length(max=200)],
                          description=_l("Leave it empty and Kazakh pages show the Russian name."))
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)],
                          description=_l("Leave it empty and English pages show the Russian name."))
    region_code = SelectField(_l("Region"), validators=[DataRequired(message=_l("Please choose a region."))])
    settlement = StringField(
        _l("Settlement"), validators=[DataRequired(message=_l("Please enter the settlement.")), Length(max=120)]
    )
    address = StringField(_l("Address"), validators=[DataRequired(message=_l("Please enter the address.")), Length(max=255)])
    latitude = FloatField(
        _l("Latitude"), validators=[Optional(), NumberRange(40.0, 56.0, message=_l("Kazakhstan lies between 40 and 56 degrees north."))],
        description=_l("Leave the coordinates empty to find them from the settlement and address."),
    )
    longitude = FloatField(
        _l("Longitude"), validators=[Optional(), NumberRange(46.0, 88.0, message=_l("Kazakhstan lies between 46 and 88 degrees east."))],
    )
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=32)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(message=_l("This does not look like an e-mail address."))])
    opening_hours = StringField(_l("Opening hours"), validators=[Optional(), Length(max=200)])
    is_active = BooleanField(_l("Open (shown to the public)"), default=True)

    # Bank details for patrons who pay by transfer: all of the main ones, or none.
    bank_recipient = StringField(_l("Recipient"), validators=[Optional()],
                                 description=_l("The account holder's name, as the bank knows it."))
    bank_bin = StringField(_l("Recipient's BIN"), validators=[Optional()],
                           render_kw={"inputmode": "numeric", "maxlength": 15})
    bank_iban = StringField(_l("Account (IBAN)"), validators=[Optional()], description=_l("For example KZ86 125K ZT50 0410 0100"),
                            render_kw={"autocapitalize": "characters", "maxlength": 42})
    bank_name = StringField(_l("Bank"), validators=[Optional()])
    bank_bic = StringField(_l("Bank's BIC"), validators=[Optional()], render_kw={"autocapitalize": "characters", "maxlength": 14})
    bank_kbe = StringField(_l("Beneficiary code (Kbe)"), validators=[Optional()],
                           render_kw={"inputmode": "numeric", "maxlength": 2})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.region_code.choices = [("", "—")] + region_choices(str(get_locale()))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        details, problems = clean_bank_details({name: getattr(self, name).data for name in BANK_FIELDS})
        for name, message in problems.items():
            getattr(self, name).errors.append(message)
        self._bank = details
        return valid and not problems

    def bank_details(self) -> dict[str, str | None]:
        """The bank details as validated (normalised: no spaces in the IBAN, upper case)."""
        return self._bank