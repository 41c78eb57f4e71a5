from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (large touch targets), one per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StartHandOverForm(FlaskForm):
    # No DataRequired: it would mark every checkbox required; the service checks.
    measures = MultiCheckboxField(_l("Questionnaires"))
    session_id = SelectField(_l("Session"), coerce=int, default=0)
    submit = SubmitField(_l("Hand the tablet to the client"))


class UnlockForm(FlaskForm):
    email = EmailField(
        _l("Email (only if you are not the therapist who handed it over)"),
        validators=[Optional(), Length(max=254)],
    )
    secret = PasswordField(_l("Password or PIN"), validators=[DataRequired()])
    submit = SubmitField(_l("Unlock"))


class PinForm(FlaskForm):
    password = PasswordField(_l("Your current password"), validators=[DataRequired()])
    pin = PasswordField(
        _l("New PIN (4 to 8 digits)"),
        validators=[DataRequired(), Regexp(r"^\d{4,8}$", message=_l("Use 4 to 8 digits."))],
    )
    confirm = PasswordField(
        _l("The PIN again"),
        validators=[DataRequired(), EqualTo("pin", message=_l("The two PINs differ."))],
    )
    submit = SubmitField(_l("Set PIN"))
