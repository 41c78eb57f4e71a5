from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from outcome_monitor.models import EpisodeStatus
from outcome_monitor.web.helpers import clinic_today

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$"


class ClientForm(FlaskForm):
    code = StringField(
        _l("Client code"),
        validators=[
            DataRequired(),
            Regexp(CODE_PATTERN, message=_l("Use 2-40 letters, digits, - or _ (no names).")),
        ],
        description=_l("A pseudonymous code. Do not enter the client's name."),
    )
    therapist_id = SelectField(_l("Therapist"), coerce=int)
    birth_year = IntegerField(
        _l("Year of birth (optional)"),
        validators=[Optional(), NumberRange(min=1900)],
    )
    gender = StringField(_l("Gender (optional)"), validators=[Optional(), Length(max=40)])
    preferred_language = StringField(
        _l("Preferred language (optional)"), validators=[Optional(), Length(max=20)]
    )
    preferences = TextAreaField(
        _l("Preferences for tailoring (optional)"), validators=[Optional(), Length(max=2000)]
    )
    submit = SubmitField(_l("Create client"))

    def validate_birth_year(self, field: IntegerField) -> None:
        """Not in the future (the year read now, in the service's time zone)."""
        this_year = clinic_today().year
        if field.data is not None and field.data > this_year:
            raise ValidationError(_l("Enter a year up to %(year)s.", year=this_year))


class OpenEpisodeForm(FlaskForm):
    opened_on = DateField(_l("Opened on"), validators=[DataRequired()], default=clinic_today)
    submit = SubmitField(_l("Open episode"))


class CloseEpisodeForm(FlaskForm):
    closed_on = DateField(_l("Closed on"), validators=[DataRequired()], default=clinic_today)
    status = SelectField(
        _l("Outcome of the episode"),
        choices=[
            SelectChoice(EpisodeStatus.CLOSED.value, _l("Closed (planned ending)")),
            SelectChoice(EpisodeStatus.DROPPED_OUT.value, _l("Dropped out")),
        ],
    )
    reason = TextAreaField(_l("Closing reason"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Close episode"))


class SessionForm(FlaskForm):
    session_date = DateField(_l("Session date"), validators=[DataRequired()], default=clinic_today)
    attended = BooleanField(_l("Client attended"), default=True)
    submit = SubmitField(_l("Record session"))
