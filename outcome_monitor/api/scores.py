"""Administrations (scored questionnaires): list, read, and record one through the same service
as the score-entry form, so the same alerts are raised."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from flask import abort, g
from flask_login import current_user

from outcome_monitor.api import ID, bp, documented_errors
from outcome_monitor.api import queries as q
from outcome_monitor.api.problems import fail
from outcome_monitor.api.records import episode_or_404
from outcome_monitor.api.schemas import (
    AdministrationIn,
    AdministrationPage,
    AdministrationSchema,
    PageQuery,
    RecordedSchema,
    page,
)
from outcome_monitor.core.definitions import InstrumentDefinition
from outcome_monitor.models import Administration, EntryMode, Episode
from outcome_monitor.services import NotFound, ServiceError, instruments, measures


@bp.route(f"/episodes/<{ID}:episode_id>/administrations", tags=["administrations"])
@bp.arguments(PageQuery, location="query")
@bp.response(200, AdministrationPage)
@documented_errors(401, 404, 429)
def list_administrations(args: dict[str, int], episode_id: int) -> dict[str, Any]:
    """An episode's administrations in the order they were recorded."""
    return page(*q.administrations(episode_or_404(episode_id), **args), args)


@bp.route(f"/administrations/<{ID}:administration_id>", tags=["administrations"])
@bp.response(200, AdministrationSchema)
@documented_errors(401, 404, 429)
def get_administration(administration_id: int) -> Administration:
    """One administration, with its answers, total, band and risk items."""
    try:
        g.api_subject = q.administration(current_user, administration_id)
    except NotFound:
        abort(404)
    return g.api_subject


@bp.route(
    f"/episodes/<{ID}:episode_id>/administrations", methods=["POST"], tags=["administrations"]
)
@bp.arguments(AdministrationIn)
@bp.response(201, RecordedSchema)
@bp.alt_response(200, schema=RecordedSchema, description="Repeated submission key: the first.")
@documented_errors(401, 403, 404, 409, 422, 429)
def record_administration(body: dict[str, Any], episode_id: int) -> tuple[dict[str, Any], int]:
    """Score and record a questionnaire, raising its alerts (needs a read-write token).

    The same service as the score-entry form: the core scores it, the alert rules run in the
    same transaction, and the result lists the alerts raised or updated.
    """
    episode = episode_or_404(episode_id)
    if not episode.is_active:
        abort(409, description="Scores can only be recorded in an active episode.")
    definition = _enabled(body["instrument_code"])
    _require_risk_items(definition, body["answers"])
    try:
        recorded = measures.record_administration(
            episode=episode,
            session_id=_session_id(episode, body["session_id"]),
            instrument_code=definition.code,
            answers=body["answers"],
            entry_mode=EntryMode.THERAPIST,
            by=current_user,
            submission_key=_scoped_key(episode, body["submission_key"]),
        )
    except ServiceError as error:
        fail(422, message=str(error))
    g.api_subject = recorded.administration
    result = {"administration": recorded.administration, "created": recorded.created}
    return {**result, "alerts": recorded.alerts}, 201 if recorded.created else 200


def _enabled(code: str) -> InstrumentDefinition:
    try:
        return instruments.get_definition(code)
    except NotFound as error:
        fail(422, message=str(error), errors={"json": {"instrument_code": [str(error)]}})


def _require_risk_items(definition: InstrumentDefinition, answers: Mapping[str, Any]) -> None:
    """As on the form, a risk item is never left out by accident: it is sent, null or not."""
    missing = [item for item in definition.risk_item_ids if item not in answers]
    if missing:
        reason = "A risk item: send the answer, or null if the client left it blank."
        fail(422, errors={"json": {"answers": {item: [reason] for item in missing}}})


def _session_id(episode: Episode, session_id: int | None) -> int | None:
    """The id when it names a session of this episode (a field error otherwise)."""
    if session_id is not None and q.session_in(episode, session_id) is None:
        reason = "No such session in this episode."
        fail(422, errors={"json": {"session_id": [reason]}})
    return session_id


def _scoped_key(episode: Episode, key: str | None) -> str | None:
    """The client's idempotency key, scoped to this user and episode: the service looks keys up
    across the database, so an unscoped key could return another user's administration."""
    if key is None:
        return None
    scoped = f"api:{current_user.id}:{episode.id}:{key}"
    return hashlib.sha256(scoped.encode("utf-8")).hexdigest()
