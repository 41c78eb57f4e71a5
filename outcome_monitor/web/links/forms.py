from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, IntegerField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from outcome_monitor.services.links import MAX_VALID_DAYS
from outcome_monitor.web.tablet.forms import MultiCheckboxField


class IssueLinkForm(FlaskForm):
    # No DataRequired: it would mark every checkbox required; the service checks.
    measures = MultiCheckboxField(_l("Questionnaires"))
    valid_days = IntegerField(
        _l("Valid for (days)"), validators=[DataRequired(), NumberRange(1, MAX_VALID_DAYS)]
    )
    email = EmailField(
        _l("Send to this email address (optional, not stored)"),
        validators=[Optional(), Length(max=254)],
    )
    submit = SubmitField(_l("Create link"))


class ScheduleLinkForm(FlaskForm):
    measures = MultiCheckboxField(_l("Questionnaires"))
    send_on = DateField(_l("Send on"), validators=[DataRequired()])
    email = EmailField(
        _l("Email it to (optional; kept only until it is sent)"),
        validators=[Optional(), Length(max=254)],
    )
    submit = SubmitField(_l("Schedule the link"))
