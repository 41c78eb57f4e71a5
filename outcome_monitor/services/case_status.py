"""The stored status of an episode (issue 12, ADR 13): computed here, read by the lists.

``refresh(episode)`` and ``refresh_many(ids)`` rewrite an episode's ``CaseStatus`` row from
its scores and unresolved alerts: the colour of ``feedback.episode_status`` (the same history,
model in force and thresholds), the last score, the open-card summary (``core.attention``
order), the prognosis of ``services.case_outlook`` and the caseload's attention rank. They
only flush: the use-case that changed the scores or alerts commits the status with them.

``refresh_many`` works in batches of ``BATCH`` episodes: one query for the episodes, one for
their administrations with sessions, one for their unresolved alerts and one for the stored
rows; settings, models and thresholds are read once per call. Memory stays bounded by the
batch, not by the service.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any, cast

import sqlalchemy as sa

from outcome_monitor.core.alerts import AlertType
from outcome_monitor.core.attention import LEVEL_RANK, NO_CARD_RANK, TYPE_RANK
from outcome_monitor.core.definitions import InstrumentDefinition, Purpose
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.trajectories import TrackStatus, track_reading
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    AlertStatus,
    Episode,
    EpisodeStatus,
    TherapySession,
)
from outcome_monitor.models.case_status import CaseStatus
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import case_outlook, feedback
from outcome_monitor.services.case_outlook import NoPrognosis, Outlook
from outcome_monitor.services.feedback import ScoreRow, SessionRow
from outcome_monitor.services.settings import ServiceSettings, active_overrides, get_settings

BATCH = 500

# The caseload's attention order (lower first): open risk, then the colour, then the most
# urgent open reason. ``attention_rank`` = risk block (0 or 100) + colour rank * 10 + urgency.
STATUS_RANK: dict[str, int] = {
    TrackStatus.RED: 0,
    TrackStatus.YELLOW: 1,
    TrackStatus.GREY: 3,
    TrackStatus.GREEN: 4,
    TrackStatus.WHITE: 5,
}
URGENCY = {str(alert_type): rank for alert_type, rank in TYPE_RANK.items()}
NO_REASON = 9
RISK_TYPES = frozenset({str(AlertType.RISK_ITEM)})
RUPTURE_TYPES = frozenset({str(AlertType.ALLIANCE_RUPTURE), str(AlertType.LOW_ALLIANCE)})


def attention_rank(colour: str, types: Iterable[str]) -> int:
    """The integer form of the old ``CaseloadEntry.attention`` key without the client code:
    (no risk, colour rank * 10 + most urgent type) as one number, risk before everything."""
    types = list(types)
    urgent = min((URGENCY.get(t, NO_REASON) for t in types), default=NO_REASON)
    risk_block = 0 if RISK_TYPES.intersection(types) else 100
    return risk_block + STATUS_RANK.get(colour, 6) * 10 + urgent


# What an episode without a row sorts and shows as: grey, nothing open ("not computed yet").
UNCOMPUTED_RANK = attention_rank(TrackStatus.GREY, ())


@dataclass
class _Context:
    """What every episode of one call shares: settings, and per measure its model and rules."""

    settings: ServiceSettings
    overrides: dict[tuple[str, str], Any]
    models: dict[str, feedback.ModelInUse] = field(default_factory=dict)
    rules: dict[str, MeasureRules] = field(default_factory=dict)

    @classmethod
    def load(cls, current: ServiceSettings | None = None) -> _Context:
        return cls(current or get_settings(), active_overrides())

    def model(self, code: str) -> feedback.ModelInUse:
        if code not in self.models:
            self.models[code] = feedback.model_in_use(code, self.settings)
        return self.models[code]

    def rules_for(self, definition: InstrumentDefinition) -> MeasureRules:
        """``instruments.rules_for`` with the overrides read once for the whole call."""
        if definition.code not in self.rules:
            cutoff = self.overrides.get((definition.code, "cutoff"))
            rc = self.overrides.get((definition.code, "reliable_change"))
            self.rules[definition.code] = definition.rules(
                cutoff_value=cutoff.new_value if cutoff else None,
                rc_value=rc.new_value if rc else None,
            )
        return self.rules[definition.code]


def refresh(
    episode: Episode,
    current: ServiceSettings | None = None,
    *,
    given: Sequence[ScoreRow] | None = None,
) -> CaseStatus:
    """Recompute and store the status of ``episode``; flushes, never commits. ``given``: the
    episode's current scores as ``score_rows`` read them, when the caller has just read them
    (a new score: the alert engine reads the same rows); read here otherwise."""
    known = None if given is None else {episode.id: list(given)}
    rows = _write_batch([episode.id], _Context.load(current), given=known)  # it exists
    return rows[episode.id]


def score_rows(episode: Episode) -> list[ScoreRow]:
    """The episode's current scores of every measure, in the order given, as plain rows (what
    the status and the alert engine read of them): one statement."""
    return cast(list[ScoreRow], _administrations([episode.id]).get(episode.id, []))


def refresh_many(episode_ids: Iterable[int], current: ServiceSettings | None = None) -> int:
    """Recompute and store the status of every existing episode in ``episode_ids``, in batches;
    flushes, never commits. Returns how many rows were written."""
    context = _Context.load(current)
    done = 0
    for batch in _batches(dict.fromkeys(episode_ids), BATCH):
        done += len(_refresh_batch(batch, context))
    return done


def refresh_stored(*, missing_only: bool = False) -> int:
    """Rewrite the stored status of every episode (or only of those without one), committing
    per batch: each batch is complete on its own, so an interrupted run keeps what it did and
    ``missing_only`` carries on from there (the CLI ``refresh-status``). Returns the count."""
    query = missing_episode_ids() if missing_only else sa.select(Episode.id).order_by(Episode.id)
    ids = list(db.session.scalars(query))
    context = _Context.load()
    done = 0
    for batch in _batches(ids, BATCH):
        try:
            done += len(_refresh_batch(batch, context))
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return done


def active_episode_ids() -> list[int]:
    """Every active episode, by id (what a change of method or threshold moves)."""
    query = sa.select(Episode.id).where(Episode.status == EpisodeStatus.ACTIVE)
    return list(db.session.scalars(query.order_by(Episode.id)))


def missing_episode_ids() -> sa.Select[int]:
    """The episodes without a stored status (after an upgrade, or a refresh that was missed)."""
    stored = sa.select(CaseStatus.episode_id)
    return sa.select(Episode.id).where(Episode.id.not_in(stored)).order_by(Episode.id)


def _batches(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    it = iter(ids)
    while batch := list(islice(it, size)):
        yield batch


def _refresh_batch(episode_ids: Sequence[int], context: _Context) -> dict[int, CaseStatus]:
    """``_write_batch`` for those of ``episode_ids`` that exist."""
    existing_ids = db.session.scalars(sa.select(Episode.id).where(Episode.id.in_(episode_ids)))
    return _write_batch(list(existing_ids), context)


def _write_batch(
    ids: list[int], context: _Context, *, given: dict[int, list[ScoreRow]] | None = None
) -> dict[int, CaseStatus]:
    """Recompute and store the status of each of ``ids`` (existing episodes); flushes.
    ``given``: their scores (``_administrations``), when the caller has read them already."""
    # The status reads of a score only what a ScoreRow has (a duck-typed Administration).
    scores = (
        _administrations(ids) if given is None else cast(dict[int, list[Administration]], given)
    )
    alerts = _unresolved(ids)
    stored = {
        row.episode_id: row
        for row in db.session.scalars(sa.select(CaseStatus).where(CaseStatus.episode_id.in_(ids)))
    }
    now = utcnow()
    result = {}
    for episode_id in ids:
        row = stored.get(episode_id)
        if row is None:
            row = CaseStatus(episode_id=episode_id)
            db.session.add(row)
        _fill(row, scores.get(episode_id, []), alerts.get(episode_id, []), context)
        row.updated_at = now
        result[episode_id] = row
    db.session.flush()
    return result


def _fill(
    row: CaseStatus, given: list[Administration], alerts: list[Alert], context: _Context
) -> None:
    _fill_outcome(row, given, context)
    _fill_alerts(row, alerts)
    row.attention_rank = attention_rank(row.colour, row.open_reasons)


def _fill_outcome(row: CaseStatus, given: list[Administration], context: _Context) -> None:
    """Colour, last score and prognosis of the primary outcome measure (the first given),
    exactly as ``feedback.episode_status`` and ``case_outlook.outlooks`` compute them."""
    definition = feedback.first_given(given, Purpose.OUTCOME)
    if definition is None:
        row.colour, row.measure_code, row.last_score, row.last_score_on = (
            TrackStatus.GREY, None, None, None
        )
        row.scores_counted = 0
        _store_outlook(row, Outlook(None, missing=NoPrognosis.NO_MEASURE))
        return
    mine = [a for a in given if a.instrument_code == definition.code]
    points = feedback.history(mine)
    in_use = context.model(definition.code)
    rules = {definition.code: context.rules_for(definition)}
    reading = track_reading(in_use.model, rules[definition.code], history=points)
    row.colour = reading.status if reading else TrackStatus.GREY
    row.measure_code = definition.code
    row.last_score = points[-1].score if points else None
    row.last_score_on = points[-1].on if points else None
    row.scores_counted = len(points)
    _store_outlook(row, case_outlook.outlook_of(definition, in_use, rules, mine))


def _store_outlook(row: CaseStatus, outlook: Outlook) -> None:
    row.prognosis = prognosis_dict(outlook)
    row.prognosis_worse = outlook.prognosis.p_deterioration if outlook.prognosis else None


def prognosis_dict(outlook: Outlook) -> dict[str, Any]:
    """The outlook as the small JSON the queue and the client page need."""
    stored: dict[str, Any] = {
        "code": outlook.code,
        "missing": str(outlook.missing) if outlook.missing else None,
    }
    if outlook.prognosis is not None:
        p = outlook.prognosis
        stored.update(
            session=p.session,
            predicted=p.predicted,
            low=p.low,
            high=p.high,
            p_deterioration=p.p_deterioration,
            p_recovery=p.p_recovery,
            based_on=p.based_on,
        )
    return stored


def outlook_of(prognosis: dict[str, Any] | None) -> Outlook | None:
    """The ``Outlook`` of a stored status's ``prognosis`` column; None when there is none."""
    return case_outlook.outlook_from_dict(prognosis) if prognosis else None


def _fill_alerts(row: CaseStatus, alerts: list[Alert]) -> None:
    """The open-card summary: one type per unresolved alert (open or acknowledged), in card
    order (the card's reasons in order, the alerts behind each in ``TYPE_RANK`` order);
    ``open_alerts`` counts those still waiting for acknowledgement; the card's escalation,
    level and newest alert are what the review queue sorts and filters by."""
    card = feedback.card_of(alerts)
    type_of = {a.id: a.type for a in alerts}
    reasons = [type_of[i] for r in card.reasons for i in r.alert_ids] if card else []
    row.open_reasons = [str(reason) for reason in reasons]  # JSON: the plain values
    row.open_alerts = sum(1 for a in alerts if a.status == AlertStatus.OPEN)
    row.has_risk = bool(RISK_TYPES.intersection(reasons))
    row.has_rupture = bool(RUPTURE_TYPES.intersection(reasons))
    row.oldest_open_at = card.opened_at if card else None
    row.card_escalated = bool(card and card.escalated)
    row.card_level = LEVEL_RANK[card.level] if card else NO_CARD_RANK
    row.newest_open_at = max((a.opened_at for a in alerts), default=None)


def _administrations(episode_ids: list[int]) -> dict[int, list[Administration]]:
    """Each episode's current administrations in the order given (as
    ``feedback.episode_administrations`` orders them), with their sessions, in one query."""
    if not episode_ids:
        return {}
    rows = db.session.execute(_administrations_statement(), {"episode_ids": episode_ids})
    grouped: dict[int, list[ScoreRow]] = defaultdict(list)
    for episode_id, code, total, number, on, created_at in rows:
        session = None if number is None else SessionRow(number, on)
        grouped[episode_id].append(ScoreRow(total, session, created_at, code))
    # The feedback functions read only the attributes above (a duck-typed Administration).
    return cast(dict[int, list[Administration]], grouped)


@functools.cache
def _administrations_statement() -> sa.Select[int, str, float | None, int, date, datetime]:
    """``_administrations``' statement, built once (every score POST runs it; building it and
    its cache key cost as much as SQLite running it for a short episode)."""
    return (
        sa.select(
            Administration.episode_id,
            Administration.instrument_code,
            Administration.total,
            TherapySession.number,
            TherapySession.date,
            Administration.created_at,
        )
        .outerjoin(TherapySession, Administration.session_id == TherapySession.id)
        .where(
            Administration.episode_id.in_(sa.bindparam("episode_ids", expanding=True)),
            Administration.current(),
        )
        .order_by(Administration.episode_id, *feedback.given_order())
    )


def _unresolved(episode_ids: list[int]) -> dict[int, list[Alert]]:
    if not episode_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Alert)
        .where(Alert.episode_id.in_(episode_ids), Alert.status != AlertStatus.RESOLVED)
        .order_by(Alert.opened_at, Alert.id)
    )
    grouped: dict[int, list[Alert]] = defaultdict(list)
    for alert in rows:
        grouped[alert.episode_id].append(alert)
    return grouped
