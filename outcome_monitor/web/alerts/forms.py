from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from outcome_monitor.core.support import ACTION_LABELS, prompts_for
from outcome_monitor.models import Alert


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AcknowledgeForm(FlaskForm):
    actions = CheckboxesField(_l("What did you do?"))
    note = TextAreaField(
        _l("Note (required for 'discussed, no change')"), validators=[Optional(), Length(max=2000)]
    )
    submit = SubmitField(_l("Acknowledge"))


class ResolveForm(FlaskForm):
    note = TextAreaField(_l("Why is this resolved?"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Mark resolved"))


def acknowledge_form(alert: Alert, **kwargs: object) -> AcknowledgeForm:
    """The checklist of support prompts for this alert type, most relevant first."""
    form = AcknowledgeForm(prefix=f"ack{alert.id}", **kwargs)
    form.actions.choices = [
        SelectChoice(a.value, ACTION_LABELS[a]) for a in prompts_for(alert.type)
    ]
    return form
