from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from outcome_monitor.web.validators import FiniteFloatField


class InstrumentToggleForm(FlaskForm):
    code = HiddenField(validators=[DataRequired()])
    enabled = HiddenField(validators=[DataRequired()])
    submit = SubmitField()


class OverrideForm(FlaskForm):
    code = HiddenField(validators=[DataRequired()])
    field = SelectField(
        _l("Threshold"),
        choices=[
            SelectChoice("cutoff", _l("Clinical cut-off")),
            SelectChoice("reliable_change", _l("Reliable-change threshold")),
        ],
    )
    value = FiniteFloatField(
        _l("New value (leave empty to return to the published value)"), validators=[Optional()]
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Record override"))


class ServiceOptionsForm(FlaskForm):
    trajectory_method = SelectField(
        _l("Expected-trajectory method"),
        choices=[
            SelectChoice("rational", _l("Rational (published thresholds)")),
            SelectChoice("empirical", _l("Empirical (this service's recovery curves)")),
            SelectChoice("neighbours", _l("Nearest neighbours")),
        ],
    )
    alert_budget = FiniteFloatField(
        _l("Alert budget: share of clients with an outcome alert by session 3 (0.2 = 20%)"),
        validators=[InputRequired(), NumberRange(0.01, 0.9)],
    )
    red_alert_budget = FiniteFloatField(
        _l("... of which red (0.1 = 10%)"),
        validators=[InputRequired(), NumberRange(0.01, 0.9)],
    )
    no_change_session = IntegerField(
        _l("Flag no reliable improvement by session"),
        validators=[InputRequired(), NumberRange(2, 50)],
    )
    overdue_days = IntegerField(
        _l("Overdue outcome measure after days"), validators=[InputRequired(), NumberRange(1, 365)]
    )
    overdue_sessions = IntegerField(
        _l("... or after sessions without one"), validators=[InputRequired(), NumberRange(1, 50)]
    )
    rupture_k = FiniteFloatField(
        _l("Alliance rupture: drop larger than k × SD, k ="),
        validators=[InputRequired(), NumberRange(0.5, 5)],
    )
    escalate_red_after_hours = IntegerField(
        _l("Escalate unacknowledged red alerts after hours"),
        validators=[InputRequired(), NumberRange(1, 720)],
    )
    escalate_risk_after_hours = IntegerField(
        _l("Escalate unacknowledged risk alerts after hours"),
        validators=[InputRequired(), NumberRange(1, 720)],
    )
    pre_session_measures = StringField(_l("Before the session (codes, comma-separated)"))
    post_session_measures = StringField(_l("After the session (codes, comma-separated)"))
    handover_one_item_per_screen = BooleanField(_l("Tablet: one item per screen"))
    handover_idle_minutes = IntegerField(
        _l("Tablet: lock after idle minutes"), validators=[InputRequired(), NumberRange(1, 120)]
    )
    clients_see_progress_graph = BooleanField(_l("Clients may see their own progress graph"))
    remote_link_days = IntegerField(
        _l("Remote links expire after days"), validators=[InputRequired(), NumberRange(1, 30)]
    )
    submit = SubmitField(_l("Save settings"))
