"""Refit the expected-trajectory models from the service's own closed episodes.

Every fit is stored as a new ``TrajectoryModelVersion`` (never overwritten), so each alert can
name the exact model it was evaluated against (``Alert.model_version_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from outcome_monitor.core.definitions import InstrumentDefinition, Purpose
from outcome_monitor.core.trajectories import (
    Method,
    ReferenceEpisode,
    TrajectoryModel,
    TrajectoryParams,
    choose_model,
)
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Episode, EpisodeStatus, TrajectoryModelVersion
from outcome_monitor.services import feedback, measures
from outcome_monitor.services.audit import record
from outcome_monitor.services.settings import ServiceSettings, get_settings

FITTED_METHODS = (Method.EMPIRICAL, Method.NEIGHBOURS)
REFERENCE_STATUSES = (EpisodeStatus.CLOSED, EpisodeStatus.DROPPED_OUT)


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
    2. Each method is fitted with ``choose_model``; a fit that falls back to the rational
       method (too few usable episodes, degenerate data) is reported, not stored.
    3. Each successful fit becomes a new version with an audit row (actor: the system).
    """
    current = get_settings()
    params = _params(current)
    result = RefitResult()
    for definition in _outcome_measures():
        reference = reference_episodes(definition.code)
        rules = measures.rules_for(definition)
        for method in FITTED_METHODS:
            choice = choose_model(
                method, reference, rules, minimum=current.empirical_min_episodes, params=params
            )
            if choice.fell_back:
                result.skipped[(definition.code, str(method))] = choice.reason
            else:
                result.stored.append(_store(definition.code, choice.model, choice.reason, now))
    db.session.commit()
    return result


def _params(current: ServiceSettings) -> TrajectoryParams:
    return TrajectoryParams(
        yellow_percentile=current.band_yellow_percentile,
        red_percentile=current.band_red_percentile,
        no_improvement_session=current.no_change_session,
    )


def _outcome_measures() -> list[InstrumentDefinition]:
    return [d for d in measures.enabled_instruments() if d.purpose == Purpose.OUTCOME]


def reference_episodes(code: str) -> list[ReferenceEpisode]:
    """The closed episodes in which ``code`` was given, as (sessions, scores) histories."""
    episodes = db.session.scalars(
        sa.select(Episode)
        .where(
            Episode.status.in_([s.value for s in REFERENCE_STATUSES]),
            Episode.id.in_(
                sa.select(Administration.episode_id).where(Administration.instrument_code == code)
            ),
        )
        .order_by(Episode.id)
    )
    reference = []
    for episode in episodes:
        points = feedback.history(measures.episode_administrations(episode, code))
        if points:
            reference.append(
                ReferenceEpisode(
                    sessions=tuple(p.session for p in points),
                    scores=tuple(p.score for p in points),
                )
            )
    return reference


def _store(code: str, model: TrajectoryModel, reason: str, now: datetime) -> TrajectoryModelVersion:
    version = TrajectoryModelVersion(
        instrument_code=code,
        method=str(model.method),
        n_reference=model.n_reference,
        fitted_at=now,
        parameters=model.to_dict(),
    )
    db.session.add(version)
    record(
        by=None,
        action="model.refit",
        obj=version,
        details={
            "instrument": code,
            "method": version.method,
            "n_reference": model.n_reference,
            "reason": reason,
        },
    )
    return version
