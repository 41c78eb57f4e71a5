"""Refit the expected-trajectory models from the service's own closed episodes.

Every fit is stored as a new ``TrajectoryModelVersion`` (never overwritten), so each alert can
name the exact model it was evaluated against (``Alert.model_version_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from outcome_monitor.core.definitions import InstrumentDefinition, Purpose
from outcome_monitor.core.errors import NormsError
from outcome_monitor.core.rupture import service_session_sd
from outcome_monitor.core.trajectories import (
    Method,
    ReferenceEpisode,
    TrajectoryModel,
    TrajectoryParams,
    choose_model,
)
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Episode, EpisodeStatus, TrajectoryModelVersion
from outcome_monitor.services import alert_batches, case_status, feedback, instruments
from outcome_monitor.services.audit import record
from outcome_monitor.services.settings import ServiceSettings, get_settings

FITTED_METHODS = (Method.EMPIRICAL, Method.NEIGHBOURS)
ALLIANCE_SD = "alliance_sd"
# Episodes with at least this many alliance scores before the service's own SD replaces the
# default of RuptureSettings (reference §5.2: the stricter of own and service SD) [U].
MIN_ALLIANCE_EPISODES = 30
MIN_ALLIANCE_SCORES = 3
REFERENCE_STATUSES = (EpisodeStatus.CLOSED, EpisodeStatus.DROPPED_OUT)
REFERENCE_BATCH = 10_000  # rows fetched at a time when reading the reference episodes


@dataclass
class RefitResult:
    """The versions stored by one refit, and why each other (measure, method) was not fitted."""

    stored: list[TrajectoryModelVersion] = field(default_factory=list)
    skipped: dict[tuple[str, str], str] = field(default_factory=dict)

    def summary(self) -> str:
        """One line of counts, then one line per measure and method left on the rational method."""
        fitted = ", ".join(
            f"{v.instrument_code}/{v.method} (n={v.n_reference})" for v in self.stored
        )
        head = (
            f"stored {len(self.stored)} model versions{': ' + fitted if fitted else ''}; "
            f"{len(self.skipped)} not fitted"
        )
        reasons = [f"{code}/{method}: {why}" for (code, method), why in self.skipped.items()]
        return "\n".join([head, *reasons])


def refit_models(*, now: datetime) -> RefitResult:
    """Fit the empirical and neighbours models of every enabled outcome measure; one commit.

    1. Reference data: the service's closed and dropped-out episodes, one history per measure
       (the same session numbering the alerts use, ``feedback.history``).
    2. Each method is fitted with ``choose_model``, which also calibrates its band to the
       service's alert budget by cross-validation over episodes and records the out-of-fold
       accuracy with the version; a fit that falls back to the rational method (too few usable
       episodes, degenerate data) is reported, not stored.
    3. Each successful fit becomes a new version with an audit row (actor: the system).
    """
    current = get_settings()
    params = _params(current)
    result = RefitResult()
    for definition in _outcome_measures():
        reference = reference_episodes(definition.code)
        rules = instruments.rules_for(definition)
        for method in FITTED_METHODS:
            choice = choose_model(
                method, reference, rules, minimum=current.empirical_min_episodes, params=params
            )
            if choice.fell_back:
                result.skipped[(definition.code, str(method))] = choice.reason
            else:
                result.stored.append(_store(definition.code, choice.model, choice.reason, now))
    for definition in _alliance_measures():
        _refit_alliance_sd(definition.code, result, now)
    _refresh_statuses(result)
    db.session.commit()
    return result


def _refresh_statuses(result: RefitResult) -> None:
    """A new outcome model moves the colours and prognoses of the active episodes on it."""
    codes = {v.instrument_code for v in result.stored if v.method != ALLIANCE_SD}
    if not codes:
        return
    given = sa.select(Administration.episode_id).where(Administration.instrument_code.in_(codes))
    active = sa.select(Episode.id).where(
        Episode.status == EpisodeStatus.ACTIVE, Episode.id.in_(given)
    )
    case_status.refresh_many(db.session.scalars(active.order_by(Episode.id)).all())


def _alliance_measures() -> list[InstrumentDefinition]:
    return [d for d in instruments.enabled_instruments() if d.purpose == Purpose.ALLIANCE]


def _refit_alliance_sd(code: str, result: RefitResult, now: datetime) -> None:
    """The service's pooled session-to-session SD of an alliance measure, for the rupture rule."""
    lists = [e.scores for e in reference_episodes(code) if len(e.scores) >= MIN_ALLIANCE_SCORES]
    if len(lists) < MIN_ALLIANCE_EPISODES:
        result.skipped[(code, ALLIANCE_SD)] = (
            f"{len(lists)} closed episodes with {MIN_ALLIANCE_SCORES}+ scores; "
            f"{MIN_ALLIANCE_EPISODES} needed (the default SD stays in use)"
        )
        return
    try:
        sd = service_session_sd(lists)
    except NormsError as error:
        result.skipped[(code, ALLIANCE_SD)] = str(error)
        return
    version = _store_version(
        code,
        method=ALLIANCE_SD,
        n_reference=len(lists),
        parameters={"method": ALLIANCE_SD, "service_sd": sd},
        details={"service_sd": sd},
        now=now,
    )
    result.stored.append(version)


def _params(current: ServiceSettings) -> TrajectoryParams:
    return TrajectoryParams(
        yellow_percentile=current.band_yellow_percentile,
        red_percentile=current.band_red_percentile,
        no_improvement_session=current.no_change_session,
        budget=current.alert_budget,
        red_budget=min(current.red_alert_budget, current.alert_budget),
    )


def _outcome_measures() -> list[InstrumentDefinition]:
    return [d for d in instruments.enabled_instruments() if d.purpose == Purpose.OUTCOME]


def reference_episodes(code: str) -> list[ReferenceEpisode]:
    """The closed episodes in which ``code`` was given, as (sessions, scores) histories.

    One streamed query for the whole service (``yield_per``: a server-side cursor on
    PostgreSQL), ordered by episode, reading plain rows rather than ORM objects; each
    episode's rows are numbered by ``feedback.history`` exactly as the alerts number them.
    Memory grows with the histories kept, not with the rows read.
    """
    query = (
        alert_batches.scored([code])
        .join(Episode, Episode.id == Administration.episode_id)
        .where(Episode.status.in_([s.value for s in REFERENCE_STATUSES]))
        .execution_options(yield_per=REFERENCE_BATCH)
    )
    reference = []
    for _episode_id, rows in alert_batches.score_rows(query):
        points = feedback.history(alert_batches.as_administrations(rows))
        if points:
            reference.append(
                ReferenceEpisode(
                    sessions=tuple(p.session for p in points),
                    scores=tuple(p.score for p in points),
                )
            )
    return reference


def _store(code: str, model: TrajectoryModel, reason: str, now: datetime) -> TrajectoryModelVersion:
    return _store_version(
        code,
        method=str(model.method),
        n_reference=model.n_reference,
        parameters=model.to_dict(),
        details={
            "reason": reason,
            "yellow_percentile": getattr(model, "yellow_percentile", None),
            "red_percentile": getattr(model, "red_percentile", None),
        },
        now=now,
    )


def _store_version(
    code: str,
    *,
    method: str,
    n_reference: int,
    parameters: dict[str, Any],
    details: dict[str, Any],
    now: datetime,
) -> TrajectoryModelVersion:
    """Add a new model version and its audit row (actor: the system); the caller commits."""
    version = TrajectoryModelVersion(
        instrument_code=code,
        method=method,
        n_reference=n_reference,
        fitted_at=now,
        parameters=parameters,
    )
    db.session.add(version)
    record(
        by=None,
        action="model.refit",
        obj=version,
        details={"instrument": code, "method": method, "n_reference": n_reference, **details},
    )
    return version
