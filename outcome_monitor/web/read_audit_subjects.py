"""The kinds of id a URL can carry, for the read audit (``web/read_audit.py``): for each, the
object it names and its client's code as a scalar subquery, so that the audit event's INSERT
finds the code itself, in the same statement. A new kind registers with
``read_audit.register_subject``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from outcome_monitor.models import (
    Administration,
    Alert,
    Client,
    Episode,
    HandOver,
    LinkSchedule,
    RemoteLink,
    TherapySession,
)

MAX_DB_INT = 2**63 - 1  # an id past this cannot name a row (and would overflow SQLite)


@dataclass(frozen=True)
class Subject:
    """A kind of id in a URL: the object it names, and the client code of the object it names
    as a scalar subquery (None when the value cannot be an id)."""

    object_type: str
    code_of: Callable[[Any], sa.ScalarSelect[str] | None]


def _int_id(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -MAX_DB_INT <= number <= MAX_DB_INT else None


def _by_client_id(value: Any) -> sa.ScalarSelect[str] | None:
    ident = _int_id(value)
    if ident is None:
        return None
    return sa.select(Client.code).where(Client.id == ident).scalar_subquery()


def _by_episode_id(value: Any) -> sa.ScalarSelect[str] | None:
    ident = _int_id(value)
    if ident is None:
        return None
    query = sa.select(Client.code).join(Episode, Episode.client_id == Client.id)
    return query.where(Episode.id == ident).scalar_subquery()


def _by_client_code(value: Any) -> sa.ScalarSelect[str] | None:
    code = str(value)
    if len(code) > Client.code.type.length:
        return None
    return sa.select(Client.code).where(Client.code == code).scalar_subquery()


def via_episode(model: Any) -> Callable[[Any], sa.ScalarSelect[str] | None]:
    """The client code of a row of ``model`` (a model with ``id`` and ``episode_id``)."""

    def code_of(value: Any) -> sa.ScalarSelect[str] | None:
        ident = _int_id(value)
        if ident is None:
            return None
        query = (
            sa.select(Client.code)
            .join(Episode, Episode.client_id == Client.id)
            .join(model, model.episode_id == Episode.id)
        )
        return query.where(model.id == ident).scalar_subquery()

    return code_of


def _by_fhir_patient(value: Any) -> sa.ScalarSelect[str] | None:
    """A FHIR ``patient`` search value: ``Patient/<id>``, a code, or ``system|code``."""
    text = str(value).strip()
    if text.startswith("Patient/"):
        return _by_client_id(text.removeprefix("Patient/"))
    return _by_client_code(text.rpartition("|")[2].strip().upper())


SUBJECTS: dict[str, Subject] = {
    "client_id": Subject("Client", _by_client_id),
    "client_code": Subject("Client", _by_client_code),
    "fhir_patient": Subject("Client", _by_fhir_patient),
    "episode_id": Subject("Episode", _by_episode_id),
    "administration_id": Subject("Administration", via_episode(Administration)),
    "alert_id": Subject("Alert", via_episode(Alert)),
    "handover_id": Subject("HandOver", via_episode(HandOver)),
    "link_id": Subject("RemoteLink", via_episode(RemoteLink)),
    "schedule_id": Subject("LinkSchedule", via_episode(LinkSchedule)),
    "session_id": Subject("TherapySession", via_episode(TherapySession)),
}
