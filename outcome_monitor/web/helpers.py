"""Shared view helpers: load-and-authorise, role checks, choices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app
from flask_login import current_user, login_required

from outcome_monitor.models import Client, Episode, Role
from outcome_monitor.services import NotFound, access
from outcome_monitor.services.clock import service_today

F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Login required, and one of ``roles``; others get 404 so pages do not leak."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


clinical_required = roles_required(Role.THERAPIST, Role.SUPERVISOR)


def clinic_today() -> date:
    """Today in the service's time zone (``SERVICE_TIMEZONE``), not the server's."""
    return service_today(current_app)


def client_or_404(client_id: int, *, with_sessions: bool = False) -> Client:
    try:
        return access.get_client(current_user, client_id, with_sessions=with_sessions)
    except NotFound:
        abort(404)


def episode_or_404(episode_id: int) -> Episode:
    try:
        return access.get_episode(current_user, episode_id)
    except NotFound:
        abort(404)
