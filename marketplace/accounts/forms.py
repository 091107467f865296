"""Account forms; every label and message goes through Flask-Babel."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from marketplace.accounts.passwords import password_problems
from marketplace.accounts.services import is_valid_bin

PHONE_PATTERN = r"^\+?[0-9 ()\-]{10,20}$"


def _new_password_check(form, field) -> None:
    # Sign-up has the e-mail and name on the form; a reset or change takes them from the account: the one
    # the view set as `form.account`, else the signed-in user.
    account = getattr(form, "account", None) or (current_user if current_user.is_authenticated else None)
    problems = password_problems(
        field.data or "", email=getattr(form, "email", None) and form.email.data or getattr(account, "email", "") or "",
        name=getattr(form, "full_name", None) and form.full_name.data or getattr(account, "full_name", "") or "",
    )
    if problems:
        raise ValidationError(" ".join(problems))


class NewPasswordMixin:
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Please choose a password.")), _new_password_check],
        description=_l("At least 10 characters. A short phrase of several words is easy to remember and hard to guess."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(message=_l("Please repeat the password.")),
                    EqualTo("password", message=_l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )


class SignupForm(NewPasswordMixin, FlaskForm):
    full_name = StringField(
        _l("Your name"), validators=[DataRequired(message=_l("Please enter your name.")), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(message=_l("Please enter your e-mail address.")),
                    Email(message=_l("This does not look like an e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    phone = TelField(
        _l("Phone"), validators=[Optional(), Regexp(PHONE_PATTERN, message=_l("Enter a phone number like +7 701 234 56 78."))],
        render_kw={"autocomplete": "tel"},
    )
    patron_kind = RadioField(
        _l("I give as"), choices=[("person", _l("a private person")), ("company", _l("a company"))], default="person",
        validators=[Optional()],
    )
    # No Optional() here: it would stop the chain before the role-dependent checks below.
    organisation_name = StringField(
        _l("Organisation name"), validators=[Length(max=255)],
        description=_l("For companies and NGOs; a private person leaves it empty."),
    )
    bin = StringField(
        _l("BIN (12 digits)"), description=_l("Required for a company; an NGO may add its BIN."), render_kw={"inputmode": "numeric", "maxlength": 12},
    )
    accept_terms = BooleanField(
        _l("I agree to the rules of the site and to the processing of my personal data"),
        validators=[DataRequired(message=_l("You need to agree to the rules to create an account."))],
    )

    def __init__(self, role: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role = role

    def validate_organisation_name(self, field) -> None:
        company = self.role == "patron" and self.patron_kind.data == "company"
        if (self.role == "partner" or company) and not (field.data or "").strip():
            raise ValidationError(_l("Please enter the organisation's name."))

    def validate_bin(self, field) -> None:
        value = (field.data or "").strip()
        needed = self.role == "patron" and self.patron_kind.data == "company"
        if not value and not needed:
            return
        if not value:
            raise ValidationError(_l("A company needs its 12-digit BIN."))
        if not is_valid_bin(value):
            raise ValidationError(_l("This BIN is not valid: it must be 12 digits with a correct control digit."))


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(message=_l("Please enter your e-mail address."))],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Please enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(message=_l("Please enter your e-mail address.")),
                    Email(message=_l("This does not look like an e-mail address."))],
        render_kw={"autocomplete": "email"},
    )


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(message=_l("Please enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )


class ProfileForm(FlaskForm):
    full_name = StringField(_l("Your name"), validators=[DataRequired(message=_l("Please enter your name.")), Length(max=200)])
    phone = TelField(
        _l("Phone"), validators=[Optional(), Regexp(PHONE_PATTERN, message=_l("Enter a phone number like +7 701 234 56 78."))],
    )
    locale = RadioField(_l("Language"), choices=[("ru", "Русский"), ("kk", "Қазақша"), ("en", "English")])


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF only."""


class ConfirmSignupForm(FlaskForm):
    """The last step of a sign-up: the password chosen, typed again on the link's page."""

    password = PasswordField(
        _l("Your password"), validators=[DataRequired(message=_l("Please enter your password."))],
        description=_l("The password you chose when signing up."),
        render_kw={"autocomplete": "current-password"},
    )


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        _l("New e-mail address"),
        validators=[DataRequired(message=_l("Please enter your e-mail address.")),
                    Email(message=_l("This does not look like an e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(message=_l("Please enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
