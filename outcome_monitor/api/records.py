"""Clients, their episodes and sessions: read only."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from flask_login import current_user

from outcome_monitor.api import ID, bp, documented_errors
from outcome_monitor.api import queries as q
from outcome_monitor.api.schemas import (
    ClientPage,
    ClientSchema,
    EpisodePage,
    EpisodeSchema,
    PageQuery,
    SessionPage,
    page,
)
from outcome_monitor.models import Client, Episode
from outcome_monitor.services import NotFound, access


def client_or_404(client_id: int) -> Client:
    """The client within what the token's user may see (the call's audit subject), or 404."""
    try:
        g.api_subject = access.get_client(current_user, client_id)
    except NotFound:
        abort(404)
    return g.api_subject


def episode_or_404(episode_id: int) -> Episode:
    try:
        g.api_subject = access.get_episode(current_user, episode_id)
    except NotFound:
        abort(404)
    return g.api_subject


@bp.route("/clients", tags=["clients"])
@bp.arguments(PageQuery, location="query")
@bp.response(200, ClientPage)
@documented_errors(401, 429)
def list_clients(args: dict[str, int]) -> dict[str, Any]:
    """The clients the token's user may see (administrators: none), by id."""
    return page(*q.clients(current_user, **args), args)


@bp.route(f"/clients/<{ID}:client_id>", tags=["clients"])
@bp.response(200, ClientSchema)
@documented_errors(401, 404, 429)
def get_client(client_id: int) -> Client:
    """One client; a client the user may not see is 404, exactly like a missing one."""
    return client_or_404(client_id)


@bp.route(f"/clients/<{ID}:client_id>/episodes", tags=["episodes"])
@bp.arguments(PageQuery, location="query")
@bp.response(200, EpisodePage)
@documented_errors(401, 404, 429)
def list_episodes(args: dict[str, int], client_id: int) -> dict[str, Any]:
    """A client's episodes of care, oldest first."""
    return page(*q.episodes(client_or_404(client_id), **args), args)


@bp.route(f"/episodes/<{ID}:episode_id>", tags=["episodes"])
@bp.response(200, EpisodeSchema)
@documented_errors(401, 404, 429)
def get_episode(episode_id: int) -> Episode:
    """One episode of care."""
    return episode_or_404(episode_id)


@bp.route(f"/episodes/<{ID}:episode_id>/sessions", tags=["sessions"])
@bp.arguments(PageQuery, location="query")
@bp.response(200, SessionPage)
@documented_errors(401, 404, 429)
def list_sessions(args: dict[str, int], episode_id: int) -> dict[str, Any]:
    """An episode's therapy sessions by number (1 is the intake)."""
    return page(*q.sessions(episode_or_404(episode_id), **args), args)
