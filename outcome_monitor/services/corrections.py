"""Corrections without loss (issue 9): void a mistaken score, or correct it, with a reason.

Nothing is deleted or edited in place. Voiding stamps the administration with who, when and
why (``voided_at``, ``voided_by``, ``void_reason``); a correction is a new administration (same
episode, session, instrument and entry mode, the original's date, a fresh server-issued key and
its own audit row) and the original is voided with ``replaced_by`` pointing at it. Every reader
of scores counts only current ones (``Administration.current()``), so the chart, the alerts,
the stored status, the reports and the exports see the corrected record at once.

Who may: whoever may see the client (the treating therapist, the supervisors of the therapist's
team); admins never (``access.administration_for``: NotFound, as for a missing score).
Each public function is one use-case: one commit, or a rollback before the error leaves.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, EntryMode, User
from outcome_monitor.services import (
    ServiceError,
    access,
    alerting,
    case_status,
    instruments,
    measures,
)
from outcome_monitor.services.audit import record
from outcome_monitor.services.submissions import scoped_key

MAX_REASON = 500


class AlreadyVoided(ServiceError):
    """The score was voided (or corrected) before: only a current score can be."""


def void_administration(
    *, user: User, administration_id: int, reason: str, now: datetime
) -> Administration:
    """Void a mistaken score: it stays in the record, struck through, and counts nowhere.

    NotFound for a score ``user`` may not see (or none), ServiceError for a missing or too
    long reason, AlreadyVoided for a score already voided; nothing changes then.
    """
    try:
        administration = _current_one(user, administration_id)
        why = checked_reason(reason)
        _void(administration, by=user, reason=why, now=now)
        details = {"reason": why, "total": administration.total}
        record(by=user, action="administration.void", obj=administration, details=details)
        _after(administration, replacement=None, now=now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return administration


def correct_administration(
    *,
    user: User,
    administration_id: int,
    answers: Mapping[str, float | None],
    reason: str,
    now: datetime,
    submission_key: str | None = None,
) -> Administration:
    """Replace a mistaken score by a new one scored from ``answers``; returns the new one.

    ``submission_key`` is the key of the correction form (``submissions.form_key``): a second
    submit of the same form returns the correction it saved, also when the two race. The
    errors are those of ``void_administration``, and ServiceError for answers that cannot be
    scored; nothing changes then.
    """
    key = None
    try:
        original = _current_one(user, administration_id, submission_key)
        if not original.is_current:
            return _replacement(original)
        key = scoped_key("correction", original.id, submission_key or secrets.token_hex(16))
        why = checked_reason(reason)
        replacement = _stage_replacement(original, answers, by=user, key=key)
        _void(original, by=user, reason=why, now=now, replaced_by=replacement)
        details = {"reason": why, "replaced_by": replacement.id, "total": replacement.total}
        record(by=user, action="administration.correct", obj=original, details=details)
        _after(original, replacement=replacement, now=now)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return _raced(administration_id, key)
    except BaseException:
        db.session.rollback()
        raise
    return replacement


def checked_reason(reason: str | None) -> str:
    """The reason, stripped: required, at most ``MAX_REASON`` characters, no NUL."""
    text = (reason or "").strip()
    if not text:
        raise ServiceError(_l("Give the reason for the correction."))
    if len(text) > MAX_REASON or "\x00" in text:
        raise ServiceError(_l("Keep the reason to %(n)s characters of plain text.", n=MAX_REASON))
    return text


def corrected_by_this(administration: Administration) -> Administration | None:
    """The voided score that ``administration`` replaced, if it is a correction."""
    query = sa.select(Administration).where(Administration.replaced_by_id == administration.id)
    return db.session.scalar(query)


def _current_one(user: User, administration_id: int, key: str | None = None) -> Administration:
    """The administration if ``user`` may see it and it is current; a corrected one whose
    correction carries ``key`` (a second submit of the same form) is returned as it is."""
    administration = access.administration_for(user, administration_id)
    if administration.is_current or (key and _resubmitted(administration, key)):
        return administration
    raise AlreadyVoided(_already_said(administration))


def _resubmitted(original: Administration, key: str) -> bool:
    stored = scoped_key("correction", original.id, key)
    return original.replaced_by is not None and original.replaced_by.submission_key == stored


def _replacement(original: Administration) -> Administration:
    assert original.replaced_by is not None  # _current_one let it through for this only
    return original.replaced_by


def _raced(administration_id: int, key: str | None) -> Administration:
    """After a lost race on the correction's key: the correction the winner saved."""
    found = db.session.scalar(
        sa.select(Administration).where(
            Administration.submission_key == key, Administration.submission_key.is_not(None)
        )
    )
    if found is None:
        raise ServiceError(_l("The score changed while you were correcting it. Try again."))
    return found


def _already_said(administration: Administration) -> str:
    who = administration.voided_by.display_name if administration.voided_by else "?"
    on = administration.voided_at.date().isoformat() if administration.voided_at else "?"
    if administration.replaced_by_id is not None:
        return str(
            _l(
                "This score was already corrected by %(who)s on %(on)s; correct the current "
                "score instead.",
                who=who,
                on=on,
            )
        )
    return str(_l("This score was already voided by %(who)s on %(on)s.", who=who, on=on))


def _stage_replacement(
    original: Administration, answers: Mapping[str, float | None], *, by: User, key: str
) -> Administration:
    """The new administration, scored and audited; flushed, never committed."""
    definition = instruments.library().get(original.instrument_code)
    if definition is None:
        raise ServiceError(_l("This measure is no longer installed; the score can be voided."))
    result = measures.score_answers(definition, answers)
    replacement = measures.new_administration(
        original.episode,
        original.session,
        definition,
        answers,
        result,
        EntryMode(original.entry_mode),
        by,
        key,
    )
    # The correction stands where the mistaken score stood: same date, same place in the
    # history; when it was made is in the original's voided_at and in the audit trail.
    replacement.created_at = original.created_at
    db.session.add(replacement)
    record(
        by=by,
        action="administration.record",
        obj=replacement,
        details={"instrument": definition.code, "total": result.total, "corrects": original.id},
    )
    return replacement


def _void(
    administration: Administration,
    *,
    by: User,
    reason: str,
    now: datetime,
    replaced_by: Administration | None = None,
) -> None:
    administration.voided_at, administration.voided_by = now, by
    administration.void_reason, administration.replaced_by = reason, replaced_by
    db.session.flush()


def _after(voided: Administration, *, replacement: Administration | None, now: datetime) -> None:
    """Re-evaluate the measure's alerts (an active episode only: a closed episode's alerts were
    resolved when it closed) and the stored status, in the same transaction."""
    episode = voided.episode
    if episode.is_active:
        alerting.reevaluate_after_correction(voided=voided, replacement=replacement, now=now)
    case_status.refresh(episode)
