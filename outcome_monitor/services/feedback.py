"""Reading an episode as the feedback loop sees it: its administrations and their history, the
model in force, its status and the card its unresolved alerts make."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from outcome_monitor.core.alerts import AlertType, Severity
from outcome_monitor.core.attention import AlertFact, AttentionStatus, Card, attention_card
from outcome_monitor.core.definitions import InstrumentDefinition, Purpose
from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.trajectories import (
    Method,
    RationalModel,
    ScorePoint,
    TrackReading,
    TrackStatus,
    TrajectoryModel,
    model_from_dict,
    track_reading,
)
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    Episode,
    TherapySession,
    TrajectoryModelVersion,
)
from outcome_monitor.services import instruments
from outcome_monitor.services.settings import ServiceSettings, get_settings
from outcome_monitor.services.sql_functions import utc_date


class SessionRow(NamedTuple):
    """The two fields of a therapy session the history reads."""

    number: int
    date: date


class ScoreRow(NamedTuple):
    """What ``numbered``/``history`` (and ``first_given``, by ``instrument_code``) read of an
    administration, without loading the ORM object: tuples, since a refit makes a million and
    a status refresh some 8,000 per batch. ``created_at`` is read only for a score given
    outside a session, so a query may leave it NULL for the others."""

    total: float | None
    session: SessionRow | None
    created_at: datetime | None
    instrument_code: str = ""

    @property
    def given_on(self) -> date:
        """As ``Administration.given_on``."""
        if self.session is not None:
            return self.session.date
        assert self.created_at is not None
        return self.created_at.date()


@functools.cache  # built once: an alias and a subquery cost more to build than to run
def given_order() -> tuple[sa.ColumnElement[Any] | so.QueryableAttribute[Any], ...]:
    """The order in which an episode's administrations were given, for every query that reads
    a history (the query joins ``TherapySession`` on ``Administration.session_id``):

    1. the session's number (``numbered`` counts on numbers that never go down: a session
       entered late with an earlier date still has the higher number); for a score given
       outside a session (a remote link's, a form without a session), the number of the
       episode's last session on or before the UTC date it was entered (0 before any);
    2. a score outside a session after the scores of that session;
    3. the time of entry, then the id.

    (Until 2026-12-02 a score outside a session counted as number 0: it came first in the
    history, and the session-1 score then took its place, so a remote-link score given after
    session 3 never reached the chart, the stored status or the alerts.)
    """
    earlier = so.aliased(TherapySession)
    number_then = (
        sa.select(sa.func.max(earlier.number))
        .where(
            earlier.episode_id == Administration.episode_id,
            earlier.date <= utc_date(Administration.created_at),
        )
        .scalar_subquery()
    )
    return (
        sa.func.coalesce(TherapySession.number, number_then, 0),
        Administration.session_id.is_(None),
        Administration.created_at,
        Administration.id,
    )


def episode_administrations(
    episode: Episode, code: str | None = None, *, include_voided: bool = False
) -> list[Administration]:
    """The episode's current administrations in the order they were given.

    ``include_voided`` adds the voided and corrected ones (the record views show them struck
    through, with who voided them: loaded here in one more query, whatever the number of rows).
    """
    query = (
        sa.select(Administration)
        .outerjoin(TherapySession, Administration.session_id == TherapySession.id)
        .where(Administration.episode_id == episode.id)
        .options(so.contains_eager(Administration.session))
        .order_by(*given_order())
    )
    if code is not None:
        query = query.where(Administration.instrument_code == code)
    if include_voided:
        query = query.options(so.selectinload(Administration.voided_by))
    else:
        query = query.where(Administration.current())
    return list(db.session.scalars(query))


def numbered(
    administrations: Sequence[Administration], *, from_intake: bool = True
) -> list[tuple[Administration, ScorePoint]]:
    """Each scored administration with its score point, in order.

    With ``from_intake`` (outcome measures) sessions count from the session of the first
    administration, so a measure first given at therapy session 2 still has its intake at 1.
    Without it (alliance measures, which have no intake) the therapy-session numbers are kept,
    so alliance reasons and chart markers name the session the therapist knows.
    Administrations without a session follow the previous point.
    """
    numbered_points: list[tuple[Administration, ScorePoint]] = []
    first: int | None = None
    last = 0
    for a in administrations:
        if a.total is None:
            continue
        number = a.session.number if a.session else None
        if first is None:
            first = number if number is not None and from_intake else 1
        index = last + 1 if number is None else max(number - first + 1, last, 1)
        numbered_points.append((a, ScorePoint(session=index, on=a.given_on, score=a.total)))
        last = index
    return numbered_points


def history(
    administrations: Sequence[Administration], *, from_intake: bool = True
) -> tuple[ScorePoint, ...]:
    """Score points by session (numbered as in ``numbered``); in one session the later counts."""
    points = {p.session: p for _a, p in numbered(administrations, from_intake=from_intake)}
    return tuple(points[k] for k in sorted(points))


@dataclass(frozen=True)
class ModelInUse:
    model: TrajectoryModel
    version: TrajectoryModelVersion | None
    fallback_reason: str | None


def model_in_use(code: str, current: ServiceSettings | None = None) -> ModelInUse:
    """The newest fitted model of the service's method for ``code``, or the rational fallback."""
    current = current or get_settings()
    rational = RationalModel(current.no_change_session, measure_code=code)
    if current.trajectory_method == Method.RATIONAL:
        return ModelInUse(rational, None, None)
    version = db.session.scalar(
        sa.select(TrajectoryModelVersion)
        .where(
            TrajectoryModelVersion.instrument_code == code,
            TrajectoryModelVersion.method == current.trajectory_method,
        )
        .order_by(TrajectoryModelVersion.id.desc())
    )
    if version is None:
        reason = _(
            "no %(method)s model has been fitted for %(code)s yet (it needs %(n)s closed "
            "episodes); using the rational method",
            method=current.trajectory_method,
            code=code,
            n=current.empirical_min_episodes,
        )
        return ModelInUse(rational, None, reason)
    try:
        return ModelInUse(model_from_dict(version.parameters), version, None)
    except TrajectoryError as error:
        # A version stored in an older format (e.g. neighbours tables before the log-linear
        # courses): the rational method stands in until the next refit, and the screens say so.
        reason = _(
            "the stored %(method)s model for %(code)s cannot be used (%(error)s); using the "
            "rational method until the next refit",
            method=current.trajectory_method,
            code=code,
            error=str(error),
        )
        return ModelInUse(rational, None, reason)


def outcome_models(
    current: ServiceSettings | None = None,
) -> list[tuple[InstrumentDefinition, ModelInUse]]:
    """Every enabled outcome measure with the model in force for it (settings and jobs pages)."""
    current = current or get_settings()
    return [
        (d, model_in_use(d.code, current))
        for d in instruments.enabled_instruments()
        if d.purpose == Purpose.OUTCOME
    ]


def alliance_sd_version(code: str) -> TrajectoryModelVersion | None:
    """The newest service SD of an alliance measure (fitted nightly), if there is one."""
    return db.session.scalar(
        sa.select(TrajectoryModelVersion)
        .where(
            TrajectoryModelVersion.instrument_code == code,
            TrajectoryModelVersion.method == "alliance_sd",
        )
        .order_by(TrajectoryModelVersion.id.desc())
    )


def first_given(
    administrations: Sequence[Administration], purpose: Purpose
) -> InstrumentDefinition | None:
    """The first measure of ``purpose`` among an episode's administrations (in order)."""
    for a in administrations:
        definition = instruments.library().get(a.instrument_code)
        if definition is not None and definition.purpose == purpose:
            return definition
    return None


@dataclass(frozen=True)
class EpisodeStatus:
    reading: TrackReading | None
    definition: InstrumentDefinition | None
    model: ModelInUse | None

    @property
    def colour(self) -> str:
        return str(self.reading.status) if self.reading else TrackStatus.GREY


def episode_status(episode: Episode, current: ServiceSettings | None = None) -> EpisodeStatus:
    """White/green/yellow/red/grey for the episode's primary outcome measure."""
    given = episode_administrations(episode)
    definition = first_given(given, Purpose.OUTCOME)
    if definition is None:
        return EpisodeStatus(None, None, None)
    points = history([a for a in given if a.instrument_code == definition.code])
    in_use = model_in_use(definition.code, current)
    reading = track_reading(in_use.model, instruments.rules_for(definition), history=points)
    return EpisodeStatus(reading, definition, in_use)


def fact(alert: Alert) -> AlertFact:
    """An unresolved alert row as the plain values the core takes."""
    return AlertFact(
        id=alert.id,
        type=AlertType(alert.type),
        severity=Severity(alert.severity) if alert.severity else None,
        instrument_code=alert.instrument_code,
        reason=alert.reason_text,
        status=AttentionStatus(alert.status),
        opened_at=alert.opened_at,
        escalated=alert.escalated_at is not None,
        details=alert.reason or {},
    )


def card_of(alerts: Iterable[Alert]) -> Card | None:
    """The attention card that an episode's unresolved ``alerts`` make (``core.attention``)."""
    return attention_card(fact(a) for a in alerts)
