from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from outcome_monitor.models import ReviewDecision
from outcome_monitor.services.supervision import NOTE_MAX
from outcome_monitor.web.supervision.words import DECISION_WORDS


class ReviewForm(FlaskForm):
    """A supervision review. The service checks the dates against each other and the episode
    (one place decides what is allowed); the fields check only their own shape."""

    reviewed_on = DateField(_l("Date of the review"), validators=[DataRequired()])
    decision = SelectField(
        _l("Decision"),
        choices=[
            SelectChoice("", _l("Choose a decision")),
            *(SelectChoice(d.value, DECISION_WORDS[d]) for d in ReviewDecision),
        ],
        validators=[DataRequired()],
    )
    note = TextAreaField(
        _l("Note: what was discussed, and why this decision"),
        validators=[DataRequired(), Length(max=NOTE_MAX)],
    )
    follow_up_on = DateField(
        _l("Follow-up date (optional)"),
        validators=[Optional()],
        description=_l("On this date the case comes back into the queue."),
    )
    next = HiddenField()
    submit = SubmitField(_l("Record review"))


REQUEST_PREFIX = "supervision"


class RequestForm(FlaskForm):
    note = TextAreaField(
        _l("What would you like to discuss? (optional)"), validators=[Optional(), Length(max=2000)]
    )
    submit = SubmitField(_l("Ask for supervision"))


def request_form() -> RequestForm:
    return RequestForm(prefix=REQUEST_PREFIX, formdata=None)
