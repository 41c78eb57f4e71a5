from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField, IntegerField, SelectChoice, SelectField, SubmitField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from outcome_monitor.core.definitions import InstrumentDefinition
from outcome_monitor.models import Team
from outcome_monitor.services.reports import DEFAULT_MIN_EPISODES, FunnelFigure
from outcome_monitor.web.helpers import clinic_today

DEFAULT_DAYS = 365
# Below 5 episodes a therapist's rate is a small cell (docs/reports.md).
MIN_EPISODES_FLOOR = 5


def _year_ago() -> date:
    return clinic_today() - timedelta(days=DEFAULT_DAYS)


class ReportForm(FlaskForm):
    """The report's filters. A GET form: the filters live in the query string, so every CSV link
    carries them and a report can be bookmarked; nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[InputRequired()])
    date_to = DateField(_l("To"), validators=[InputRequired()])
    team = SelectField(_l("Team"), default="")
    measure = SelectField(_l("Measure"))
    min_episodes = IntegerField(
        _l("Therapist rows from (episodes)"),
        validators=[InputRequired(), NumberRange(min=MIN_EPISODES_FLOOR, max=1000)],
        description=_l("Therapists with fewer closed episodes are merged into 'others'."),
    )
    funnel = SelectField(
        _l("Funnel plot of"),
        choices=[
            SelectChoice(FunnelFigure.RELIABLE_IMPROVEMENT.value, _l("Reliable improvement")),
            SelectChoice(FunnelFigure.RECOVERY.value, _l("Recovery")),
        ],
    )
    submit = SubmitField(_l("Show the report"))

    def validate_date_to(self, field: DateField) -> None:
        if self.date_from.data and field.data and self.date_from.data > field.data:
            raise ValidationError(_l("The end of the period is before its start."))

    def query_args(self) -> dict[str, Any]:
        """The filters as query-string arguments (for the CSV and chart links)."""
        args = {
            "date_from": self.date_from.data.isoformat() if self.date_from.data else "",
            "date_to": self.date_to.data.isoformat() if self.date_to.data else "",
            "measure": self.measure.data,
            "min_episodes": self.min_episodes.data,
            "funnel": self.funnel.data,
        }
        if self.team.data:
            args["team"] = self.team.data
        return args


def report_form(
    args: Mapping[str, str],
    *,
    teams: list[Team],
    all_label: str,
    measures: list[InstrumentDefinition],
) -> ReportForm:
    """The form from the query string, a filter missing from it taking its default (so a link
    may carry only what differs), with the user's teams and the enabled outcome measures as its
    only choices. A filter given empty stays empty and fails validation."""
    defaults = {
        "date_from": _year_ago().isoformat(),
        "date_to": clinic_today().isoformat(),
        "measure": measures[0].code if measures else "",
        "min_episodes": str(DEFAULT_MIN_EPISODES),
        "funnel": FunnelFigure.RELIABLE_IMPROVEMENT.value,
    }
    form = ReportForm(formdata=MultiDict({**defaults, **dict(args.items())}))
    form.team.choices = [SelectChoice("", all_label)] + [
        SelectChoice(str(team.id), team.name) for team in teams
    ]
    form.measure.choices = [SelectChoice(d.code, d.name) for d in measures]
    return form
