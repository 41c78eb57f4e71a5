from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from outcome_monitor.core.attention import Card
from outcome_monitor.core.support import ACTION_LABELS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CardAcknowledgeForm(FlaskForm):
    """One acknowledgement for the whole card. The service checks the actions against the
    card's checklist, so the field does not (one place decides what is allowed)."""

    actions = CheckboxesField(_l("What did you do?"), validate_choice=False)
    note = TextAreaField(
        _l("Note (required for 'discussed, no change')"), validators=[Optional(), Length(max=2000)]
    )
    # The card the user saw; a card changed since then is not acknowledged (services.attention).
    version = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Acknowledge all"))


class ReasonResolveForm(FlaskForm):
    note = TextAreaField(_l("Why is this resolved?"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Mark resolved"))


CARD_PREFIX = "card"


def card_acknowledge_form(card: Card, version: str, **kwargs: object) -> CardAcknowledgeForm:
    """The checklist of the card's open reasons (their prompts, risk first, no repeats)."""
    form = CardAcknowledgeForm(prefix=CARD_PREFIX, **kwargs)
    form.actions.choices = [SelectChoice(a.value, ACTION_LABELS[a]) for a in card.checklist]
    form.version.data = version
    return form


def resolve_prefix(key: str) -> str:
    return f"res-{key}"
