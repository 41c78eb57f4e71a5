"""Recording a questionnaire: the one scoring path, and interpretation.

Tablet, remote link and therapist entry all record through ``record_administration``. The
catalogue of instruments is ``services.instruments``; an episode's history is read in
``services.feedback``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.core.change import ChangeSinceIntake, change_since_intake
from outcome_monitor.core.definitions import InstrumentDefinition
from outcome_monitor.core.errors import CoreError
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.scoring import Score, score
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Alert, EntryMode, Episode, TherapySession, User
from outcome_monitor.services import ServiceError, alerting, case_status, submissions
from outcome_monitor.services.audit import record
from outcome_monitor.services.feedback import episode_administrations
from outcome_monitor.services.instruments import get_definition, library, rules_for


@dataclass
class RecordedAdministration:
    administration: Administration
    created: bool
    alerts: list[Alert] = field(default_factory=list)
    # Read while the administration is fresh: after the use-case commits, its attributes are
    # expired and reading ``administration.id`` would load the row again.
    administration_id: int = field(init=False)

    def __post_init__(self) -> None:
        self.administration_id = self.administration.id


def record_administration(
    *,
    episode: Episode,
    session_id: int | None,
    instrument_code: str,
    answers: Mapping[str, float | None],
    entry_mode: EntryMode,
    by: User | None,
    submission_key: str | None = None,
) -> RecordedAdministration:
    """Score and store one questionnaire, raise its alerts, audit it; one transaction.

    ``submission_key`` is a key issued by the server for this episode (``services.submissions``:
    a score form's token turned into its key, a sitting's key, an API caller's scoped key).
    A second call with the same key in the same episode returns the first administration
    unchanged, also when the two calls race (the losing insert's IntegrityError is caught
    wherever it surfaces). A key of another episode, or one not shaped like an issued key,
    raises ForeignSubmission before anything is saved. Invalid answers raise ServiceError and
    save nothing. A risk item is stored in ``risk_items`` when its answer triggered its rule
    and when it was left unanswered (then ``answers`` has None or no entry for it): either way
    the safety workflow must see it.
    """
    try:
        recorded = add_administration(
            episode=episode,
            session=_session_of(episode, session_id),
            instrument_code=instrument_code,
            answers=answers,
            entry_mode=entry_mode,
            by=by,
            submission_key=submission_key,
        )
        db.session.commit()
    except sa.exc.IntegrityError as error:
        db.session.rollback()
        return already_recorded(episode, submission_key, error)
    except BaseException:
        db.session.rollback()
        raise
    return recorded


def add_administration(
    *,
    episode: Episode,
    session: TherapySession | None,
    instrument_code: str,
    answers: Mapping[str, float | None],
    entry_mode: EntryMode,
    by: User | None,
    submission_key: str | None = None,
) -> RecordedAdministration:
    """``record_administration`` inside a larger use-case: flushes, never commits.

    The caller commits, and on an IntegrityError rolls back and asks ``already_recorded``.
    """
    submissions.check_key(submission_key)
    existing = _by_submission_key(episode, submission_key)
    if existing is not None:
        return RecordedAdministration(existing, created=False)
    _check_session(episode, session)
    definition = get_definition(instrument_code)
    result = score_answers(definition, answers)
    administration = new_administration(
        episode, session, definition, answers, result, entry_mode, by, submission_key
    )
    db.session.add(administration)
    record(
        by=by,
        action="administration.record",
        obj=administration,
        details={
            "instrument": definition.code,
            "total": result.total,
            "mode": entry_mode,
            "risk_unanswered": list(result.risk_unanswered),
        },
    )
    # The episode's scores read once, after the new one is flushed (by ``record``), for the
    # alert engine (this measure's history) and the stored status (every measure's).
    given = case_status.score_rows(episode)
    alerts = alerting.evaluate_after_administration(administration, given=given)
    case_status.refresh(episode, given=given)
    return RecordedAdministration(administration, created=True, alerts=alerts)


def already_recorded(
    episode: Episode, submission_key: str | None, error: sa.exc.IntegrityError
) -> RecordedAdministration:
    """After ``error`` was rolled back: the administration a concurrent duplicate saved.

    When the key explains nothing (no key, or a constraint other than the key failed), the
    error is raised again.
    """
    existing = _by_submission_key(episode, submission_key)
    if existing is None:
        raise error
    return RecordedAdministration(existing, created=False)


def _by_submission_key(episode: Episode, key: str | None) -> Administration | None:
    """The administration saved under ``key`` in ``episode``; None when there is none.

    ForeignSubmission when ``key`` was used in another episode: it is refused, never followed.
    One query for both answers (two could disagree while a concurrent duplicate commits).
    """
    if not key:
        return None
    query = sa.select(Administration.id, Administration.episode_id)
    found = db.session.execute(query.where(Administration.submission_key == key)).first()
    if found is None:
        return None
    if found.episode_id != episode.id:
        raise submissions.ForeignSubmission()
    return db.session.get(Administration, found.id)


def _session_of(episode: Episode, session_id: int | None) -> TherapySession | None:
    """The session ``session_id`` looked up among this episode's own sessions only."""
    if session_id is None:
        return None
    session = next((s for s in episode.sessions if s.id == session_id), None)
    if session is None:
        raise ServiceError(_l("That session is not one of this episode's sessions."))
    return session


def _check_session(episode: Episode, session: TherapySession | None) -> None:
    if not episode.is_active:
        raise ServiceError(_l("Scores can only be recorded in an active episode."))
    if session is not None and session.episode_id != episode.id:
        raise ServiceError(_l("That session belongs to another episode."))


def score_answers(definition: InstrumentDefinition, answers: Mapping[str, float | None]) -> Score:
    """The core's score of ``answers``; its errors as a ServiceError (the user's words)."""
    try:
        return score(definition, answers)
    except CoreError as error:
        raise ServiceError(str(error)) from None


def new_administration(
    episode: Episode,
    session: TherapySession | None,
    definition: InstrumentDefinition,
    answers: Mapping[str, float | None],
    result: Score,
    entry_mode: EntryMode,
    by: User | None,
    submission_key: str | None,
) -> Administration:
    """The row of a scored administration (not added to the session): a new score, or a
    correction standing in for a mistaken one (``services.corrections``)."""
    return Administration(
        episode=episode,
        session=session,
        instrument_code=definition.code,
        instrument_version=definition.version,
        answers={k: v for k, v in answers.items()},
        total=result.total,
        subscales=dict(result.subscales),
        severity=result.band.label if result.band else None,
        n_missing=result.n_missing,
        prorated=result.prorated,
        risk_items=list(result.risk_flagged),
        entry_mode=EntryMode(entry_mode).value,
        entered_by=by,
        submission_key=submission_key or None,
    )


@dataclass(frozen=True)
class Interpretation:
    """What a therapist sees on saving a score.

    ``risk_labels`` names the risk items whose answer triggered their rule,
    ``risk_unanswered_labels`` those left unanswered; both need the safety workflow. A
    screening measure has no intake and no change: it is not tracked session by session.
    """

    administration: Administration
    definition: InstrumentDefinition
    rules: MeasureRules
    intake: Administration | None
    change: ChangeSinceIntake | None
    risk_labels: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)
    risk_unanswered_labels: tuple[str, ...] = ()


def interpret(administration: Administration) -> Interpretation:
    """Total, band, change since intake (reliable change, clinical significance) and risk."""
    definition = library()[administration.instrument_code]
    rules = rules_for(definition)
    intake = None if definition.is_screening else _intake(administration, definition)
    change = None
    if intake is not None and intake.total is not None and administration.total is not None:
        change = change_since_intake(rules, pre=intake.total, post=administration.total)
    flagged = [r for r in definition.risk_rules if r.item_id in administration.risk_items]
    answers = administration.answers or {}
    return Interpretation(
        administration,
        definition,
        rules,
        intake,
        change,
        risk_labels=tuple(r.label for r in flagged if answers.get(r.item_id) is not None),
        risk_unanswered_labels=tuple(r.label for r in flagged if answers.get(r.item_id) is None),
    )


def _intake(
    administration: Administration, definition: InstrumentDefinition
) -> Administration | None:
    history = episode_administrations(administration.episode, definition.code)
    return history[0] if history and history[0].id != administration.id else None
