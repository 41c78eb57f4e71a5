"""A score-entry form generated from an instrument definition.

The form checks shape and range only (a Likert answer is one of the options, a VAS mark is
0-10 with one decimal); scoring, missing-item rules and interpretation happen in the core.
A risk item is the exception: it can never be left blank by accident. The therapist records
an answer or, explicitly, "not answered" (the client left it blank or preferred not to say),
which is stored as unanswered and raises the risk workflow.
"""

from __future__ import annotations

import math
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from outcome_monitor.core.definitions import InstrumentDefinition, Item, ItemKind
from outcome_monitor.services.corrections import MAX_REASON
from outcome_monitor.services.submissions import MAX_TOKEN_LENGTH
from outcome_monitor.web.validators import FiniteFloatField


def item_field_name(item: Item) -> str:
    return f"item_{item.id}"


def item_label(definition: InstrumentDefinition, item: Item, language: str | None = None) -> str:
    """The licensed wording when installed, else the domain label (never invented text)."""
    text = definition.item_text(item.id, language)
    if text:
        return text
    return item.label or _("Item %(id)s", id=item.id)


def _one_decimal(form: Any, field: Any) -> None:
    if field.data is None or not math.isfinite(field.data):
        return  # a missing mark is allowed; a non-finite one is refused by FiniteFloatField
    if not math.isclose(field.data * 10, round(field.data * 10)):
        raise ValidationError(_("Use at most one decimal, e.g. 7.5."))


NOT_ANSWERED = "not_answered"


def _answer_or_not_answered(value: str | float) -> str | float:
    return NOT_ANSWERED if value == NOT_ANSWERED else float(value)


def _likert_field(definition: InstrumentDefinition, item: Item) -> RadioField:
    choices = [
        SelectChoice(o.value, o.label if o.label is not None else f"{o.value:g}")
        for o in item.options
    ]
    if item.id not in definition.risk_item_ids:
        return RadioField(
            item_label(definition, item), choices=choices, coerce=float, validators=[Optional()]
        )
    choices.append(
        SelectChoice(
            NOT_ANSWERED, _("Not answered (left blank, or the client preferred not to say)")
        )
    )
    return RadioField(
        item_label(definition, item),
        choices=choices,
        coerce=_answer_or_not_answered,
        validators=[
            InputRequired(
                message=_l(
                    "This is a risk item: record the client's answer, or choose “Not answered” "
                    "if the client left it blank or preferred not to say."
                )
            )
        ],
    )


def _vas_field(definition: InstrumentDefinition, item: Item) -> FiniteFloatField:
    return FiniteFloatField(
        item_label(definition, item),
        validators=[
            Optional(),
            NumberRange(min=0, max=10, message=_l("Enter a mark from 0 to 10.")),
            _one_decimal,
        ],
        render_kw={"type": "number", "min": 0, "max": 10, "step": 0.1, "inputmode": "decimal"},
    )


def _reason_field() -> TextAreaField:
    return TextAreaField(
        _l("Reason"),
        description=_l("Why this score is wrong (kept in the record with your name and the date)."),
        validators=[
            DataRequired(message=_l("Give the reason.")),
            Length(max=MAX_REASON, message=_l("At most %(n)s characters.", n=MAX_REASON)),
        ],
    )


class VoidForm(FlaskForm):
    """Void a mistaken score (on the score's page)."""

    reason = _reason_field()
    submit = SubmitField(_l("Void this score"))


def administration_form(
    definition: InstrumentDefinition, sessions: list[SelectChoice], *, correction: bool = False
) -> FlaskForm:
    """Build and instantiate the entry form for ``definition``; with ``correction`` it also
    asks for the reason (the form that corrects a saved score)."""

    class AdministrationForm(FlaskForm):
        session_id = SelectField(_l("Session"), coerce=int, choices=sessions)
        # A token issued by the server for this user and episode (services.submissions); the
        # view replaces a missing or refused one. Longer than any issued token: refused here.
        submission_key = HiddenField(validators=[Length(max=MAX_TOKEN_LENGTH)])
        submit = SubmitField(_l("Save the correction") if correction else _l("Save and interpret"))

    if correction:
        AdministrationForm.reason = _reason_field()
    for item in definition.items:
        builder = _vas_field if item.kind is ItemKind.VAS else _likert_field
        setattr(AdministrationForm, item_field_name(item), builder(definition, item))
    return AdministrationForm()


def fill_answers(
    form: FlaskForm, definition: InstrumentDefinition, answers: dict[str, Any]
) -> None:
    """Prefill the item fields with saved answers (a risk item saved unanswered shows as
    "not answered"; other unanswered items stay blank)."""
    for item in definition.items:
        value = answers.get(item.id)
        if value is None and item.id in definition.risk_item_ids and item.id in answers:
            form[item_field_name(item)].data = NOT_ANSWERED
        elif value is not None:
            form[item_field_name(item)].data = float(value)


def answers_from(form: FlaskForm, definition: InstrumentDefinition) -> dict[str, float | None]:
    """Item answers for the service; a risk item recorded as "not answered" is None."""
    answers = {item.id: form[item_field_name(item)].data for item in definition.items}
    return {k: None if v == NOT_ANSWERED else v for k, v in answers.items()}
