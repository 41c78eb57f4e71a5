"""Alerts: the list, an episode's attention card, and its acknowledgement through the same
service as the card on the client page (one checklist and note for every open reason)."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

from outcome_monitor.api import ID, bp, documented_errors
from outcome_monitor.api import queries as q
from outcome_monitor.api.problems import fail
from outcome_monitor.api.records import episode_or_404
from outcome_monitor.api.schemas import (
    AcknowledgedSchema,
    AcknowledgeIn,
    AlertPage,
    AlertQuery,
    EpisodeCardSchema,
    page,
)
from outcome_monitor.models import Episode
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import ServiceError, attention


@bp.route("/alerts", tags=["alerts"])
@bp.arguments(AlertQuery, location="query")
@bp.response(200, AlertPage)
@documented_errors(401, 429)
def list_alerts(args: dict[str, Any]) -> dict[str, Any]:
    """Alerts of the clients the user may see, by id; unresolved ones unless `status` is
    given."""
    return page(*q.alerts(current_user, **args), args)


@bp.route(f"/episodes/<{ID}:episode_id>/attention-card", tags=["alerts"])
@bp.response(200, EpisodeCardSchema)
@documented_errors(401, 404, 429)
def get_attention_card(episode_id: int) -> dict[str, Any]:
    """The episode's attention card: its unresolved alerts merged into reasons, risk first,
    with the checklist and the version an acknowledgement must send back."""
    return _card(episode_or_404(episode_id))


@bp.route(
    f"/episodes/<{ID}:episode_id>/attention-card/acknowledge",
    methods=["POST"],
    tags=["alerts"],
)
@bp.arguments(AcknowledgeIn)
@bp.response(200, AcknowledgedSchema)
@documented_errors(401, 403, 404, 409, 422, 429)
def acknowledge_card(body: dict[str, Any], episode_id: int) -> dict[str, Any]:
    """Acknowledge every open alert of the card with the same actions and note (read-write).

    409 when nothing is waiting or the card changed since ``version`` was read (read it again);
    422 when an action is not on the card's checklist or 'discussed_no_change' has no note.
    """
    episode = episode_or_404(episode_id)
    entry = attention.episode_card(episode)
    if entry is None or not entry.card.is_open:
        abort(409, description="Nothing on this card is waiting for acknowledgement.")
    if entry.version != body["version"]:
        abort(409, description="The card has changed since it was read; read it again.")
    try:
        done = attention.acknowledge_card(
            episode=episode,
            actions=[a.value for a in body["actions"]],
            note=body["note"],
            by=current_user,
            now=utcnow(),
            version=body["version"],
        )
    except ServiceError as error:
        fail(422, message=str(error))
    return {"acknowledged": done, "card": _card(episode)}


def _card(episode: Episode) -> dict[str, Any]:
    entry = attention.episode_card(episode)
    if entry is None:
        return {"episode_id": episode.id, "card": None}
    card = entry.card
    return {
        "episode_id": episode.id,
        "card": {
            "version": entry.version,
            "status": card.status,
            "level": card.level,
            "escalated": card.escalated,
            "checklist": list(card.checklist),
            "reasons": list(card.reasons),
        },
    }
