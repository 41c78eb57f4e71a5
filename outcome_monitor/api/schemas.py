"""The API's request and response shapes (marshmallow), which are also its OpenAPI schemas."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from outcome_monitor.core.alerts import AlertType, Severity
from outcome_monitor.core.attention import AttentionStatus, Group, Level
from outcome_monitor.core.support import SupportAction
from outcome_monitor.models import AlertStatus, EntryMode, EpisodeStatus

MAX_LIMIT = 100
MAX_ID = 2**31 - 1
DEFAULT_LIMIT = 50


class EnumValue(fields.Enum):
    """An enum field that also dumps a plain string value (some models store states as text)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        member = None if value is None else self.enum(value)
        return super()._serialize(member, attr, obj, **kwargs)


class PageQuery(ma.Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page, 1 to {MAX_LIMIT}."},
    )
    offset = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_ID),
        metadata={"description": "Items to skip."},
    )


class AlertQuery(PageQuery):
    status = EnumValue(
        AlertStatus,
        by_value=True,
        load_default=None,
        metadata={"description": "Only alerts in this state (default: open and acknowledged)."},
    )


def _page_of(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A page of ``item``: the items, the total in SQL, and the window asked for."""
    return ma.Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "total": fields.Integer(required=True),
            "limit": fields.Integer(required=True),
            "offset": fields.Integer(required=True),
        },
        name=name,
    )


class ClientSchema(ma.Schema):
    """A client, known by a pseudonymous code only."""

    id = fields.Integer(required=True)
    code = fields.String(required=True)
    therapist_id = fields.Integer(required=True)
    birth_year = fields.Integer(allow_none=True, required=True)
    gender = fields.String(allow_none=True, required=True)
    preferred_language = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class EpisodeSchema(ma.Schema):
    id = fields.Integer(required=True)
    client_id = fields.Integer(required=True)
    therapist_id = fields.Integer(required=True)
    opened_on = fields.Date(required=True)
    closed_on = fields.Date(allow_none=True, required=True)
    status = EnumValue(EpisodeStatus, by_value=True, required=True)
    closing_reason = fields.String(allow_none=True, required=True)


class SessionSchema(ma.Schema):
    """A therapy session of an episode (``number`` 1 is the intake)."""

    id = fields.Integer(required=True)
    episode_id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    date = fields.Date(required=True)
    attended = fields.Boolean(required=True)


class AdministrationSchema(ma.Schema):
    """One scored questionnaire; ``answers`` maps item ids to the answer (null: unanswered)."""

    id = fields.Integer(required=True)
    episode_id = fields.Integer(required=True)
    session_id = fields.Integer(allow_none=True, required=True)
    instrument_code = fields.String(required=True)
    instrument_version = fields.String(required=True)
    answers = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True), required=True)
    total = fields.Float(allow_none=True, required=True)
    subscales = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    severity = fields.String(allow_none=True, required=True)
    n_missing = fields.Integer(required=True)
    prorated = fields.Boolean(required=True)
    risk_items = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Risk items answered above their threshold or left unanswered."},
    )
    entry_mode = EnumValue(EntryMode, by_value=True, required=True)
    entered_by_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    voided_at = fields.DateTime(
        allow_none=True,
        required=True,
        metadata={"description": "Set when the score was voided or corrected: it counts nowhere."},
    )
    replaced_by_id = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "The administration that corrected this one, if any."},
    )


class AdministrationIn(ma.Schema):
    """A questionnaire to score and record, as the score-entry form sends it."""

    instrument_code = fields.String(
        required=True, validate=validate.Length(min=1, max=40), metadata={"example": "phq9"}
    )
    session_id = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "A session of this episode (see its sessions); optional."},
    )
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=40)),
        values=fields.Float(allow_none=True, allow_nan=False),
        required=True,
        metadata={
            "description": "Item id to answer. A risk item must be present: its answer, or "
            "null when the client left it blank or preferred not to say.",
            "example": {str(i): 1 for i in range(1, 10)},
        },
    )
    submission_key = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[A-Za-z0-9_\-]{1,64}$"),
        metadata={
            "description": "Idempotency key: a repeat with the same key returns the "
            "first administration and records nothing."
        },
    )


class AlertSchema(ma.Schema):
    id = fields.Integer(required=True)
    episode_id = fields.Integer(required=True)
    type = EnumValue(AlertType, by_value=True, required=True)
    instrument_code = fields.String(required=True)
    severity = EnumValue(Severity, by_value=True, allow_none=True, required=True)
    status = EnumValue(AlertStatus, by_value=True, required=True)
    reason_text = fields.String(required=True)
    administration_id = fields.Integer(allow_none=True, required=True)
    opened_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    acknowledged_at = fields.DateTime(allow_none=True, required=True)
    acknowledged_by_id = fields.Integer(allow_none=True, required=True)
    actions = fields.List(EnumValue(SupportAction, by_value=True), required=True)
    action_note = fields.String(allow_none=True, required=True)
    resolved_at = fields.DateTime(allow_none=True, required=True)
    escalated_at = fields.DateTime(allow_none=True, required=True)


class RecordedSchema(ma.Schema):
    """The recorded administration and the alerts it raised or updated."""

    administration = fields.Nested(AdministrationSchema, required=True)
    created = fields.Boolean(
        required=True,
        metadata={"description": "False when the submission key had been used: nothing new."},
    )
    alerts = fields.List(fields.Nested(AlertSchema), required=True)


class ReasonSchema(ma.Schema):
    key = fields.String(required=True)
    group = EnumValue(Group, by_value=True, required=True)
    level = EnumValue(Level, by_value=True, required=True)
    headline = EnumValue(AlertType, by_value=True, required=True)
    instrument_code = fields.String(required=True)
    text = fields.String(required=True)
    alert_ids = fields.List(fields.Integer(), required=True)
    status = EnumValue(AttentionStatus, by_value=True, required=True)
    escalated = fields.Boolean(required=True)


class CardSchema(ma.Schema):
    """The episode's attention card: its unresolved alerts merged into reasons, risk first."""

    version = fields.String(
        required=True, metadata={"description": "Send it back to acknowledge this card."}
    )
    status = EnumValue(AttentionStatus, by_value=True, required=True)
    level = EnumValue(Level, by_value=True, required=True)
    escalated = fields.Boolean(required=True)
    checklist = fields.List(
        EnumValue(SupportAction, by_value=True),
        required=True,
        metadata={"description": "The actions an acknowledgement may choose from."},
    )
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)


class EpisodeCardSchema(ma.Schema):
    episode_id = fields.Integer(required=True)
    card = fields.Nested(
        CardSchema,
        allow_none=True,
        required=True,
        metadata={"description": "null when the episode has no unresolved alert."},
    )


class AcknowledgeIn(ma.Schema):
    """One acknowledgement for every open reason of the card, as on the client page."""

    version = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The card's version as read; a changed card is refused."},
    )
    actions = fields.List(
        EnumValue(SupportAction, by_value=True),
        required=True,
        validate=validate.Length(min=1, max=len(SupportAction)),
    )
    note = fields.String(
        load_default="",
        validate=validate.Length(max=2000),
        metadata={"description": "Required with 'discussed_no_change'."},
    )


class AcknowledgedSchema(ma.Schema):
    acknowledged = fields.Integer(
        required=True, metadata={"description": "How many open alerts were acknowledged."}
    )
    card = fields.Nested(EpisodeCardSchema, required=True)


ClientPage = _page_of(ClientSchema, "ClientPage")
EpisodePage = _page_of(EpisodeSchema, "EpisodePage")
SessionPage = _page_of(SessionSchema, "SessionPage")
AdministrationPage = _page_of(AdministrationSchema, "AdministrationPage")
AlertPage = _page_of(AlertSchema, "AlertPage")


def page(items: list[Any], total: int, args: dict[str, int]) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": args["limit"], "offset": args["offset"]}
