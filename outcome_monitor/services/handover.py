"""Tablet hand-over: the client answers in the room while the staff login is locked away.

The client's answers are kept as drafts and scored per measure by ``services.drafts``, which
remote links share.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.core.definitions import Purpose
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    DraftAnswer,
    EntryMode,
    Episode,
    HandOver,
    HandOverStatus,
    Role,
    User,
)
from outcome_monitor.models.handover import OPEN_HANDOVER_STATUSES
from outcome_monitor.security import verify_secret, verify_unknown
from outcome_monitor.services import NotFound, ServiceError, accounts, instruments
from outcome_monitor.services.audit import record
from outcome_monitor.services.drafts import completed_codes
from outcome_monitor.services.drafts import submit_measure as submit_sitting_measure
from outcome_monitor.services.measures import RecordedAdministration

# --- the hand-over lifecycle --------------------------------------------------------------


def start_handover(
    *,
    episode: Episode,
    session_id: int | None,
    codes: Sequence[str],
    by: User,
    now: datetime,
) -> HandOver:
    """Start a hand-over of ``codes`` in ``episode``, tied to the episode's session
    ``session_id`` (None: to no session); an id from another episode is refused."""
    codes = check_codes(codes)
    if not episode.is_active:
        raise ServiceError(_l("Questionnaires can only be given in an active episode."))
    session = next((s for s in episode.sessions if s.id == session_id), None)
    if session_id is not None and session is None:
        raise ServiceError(_l("That session belongs to another episode."))
    if open_handovers(episode):
        raise ServiceError(_l("Resume or discard the unfinished hand-over first."))
    handover = HandOver(
        episode=episode,
        session=session,
        started_by=by,
        measures=codes,
        status=HandOverStatus.ACTIVE.value,
        started_at=now,
        last_activity_at=now,
    )
    db.session.add(handover)
    record(
        by=by,
        action="handover.start",
        obj=handover,
        details={"episode": episode.id, "measures": codes},
    )
    db.session.commit()
    return handover


def check_codes(codes: Sequence[str]) -> list[str]:
    """The chosen codes without duplicates, alliance measures last (they close the session).

    NotFound for an unknown or disabled instrument.
    """
    unique = list(dict.fromkeys(c for c in codes if c))
    if not unique:
        raise ServiceError(_l("Choose at least one questionnaire."))
    purposes = {code: instruments.get_definition(code).purpose for code in unique}
    return sorted(unique, key=lambda code: purposes[code] == Purpose.ALLIANCE)


def open_handovers(episode: Episode) -> list[HandOver]:
    query = sa.select(HandOver).where(
        HandOver.episode_id == episode.id, HandOver.status.in_(OPEN_HANDOVER_STATUSES)
    )
    return list(db.session.scalars(query.order_by(HandOver.id)))


def kiosk_handover(handover_id: int) -> HandOver:
    """The hand-over a tablet's browser session was given when the staff member started it
    (the id comes from the signed session, never from the client), or NotFound."""
    handover = db.session.get(HandOver, handover_id)
    if handover is None:
        raise NotFound(_l("No such hand-over."))
    return handover


def begin(*, handover: HandOver, language: str, now: datetime) -> None:
    """The client chose a language (or just tapped Start) on the first screen."""
    handover.language = language
    handover.last_activity_at = now
    db.session.commit()


def lock_if_idle(*, handover: HandOver, idle_minutes: int, now: datetime) -> bool:
    """Lock an active hand-over nobody answered for ``idle_minutes``; True if it is locked now."""
    if handover.status != HandOverStatus.ACTIVE:
        return False
    if now - handover.last_activity_at < timedelta(minutes=idle_minutes):
        return False
    handover.status = HandOverStatus.LOCKED
    handover.locked_at = now
    record(by=None, action="handover.lock", obj=handover, details={"reason": "idle"})
    db.session.commit()
    return True


def submit_measure(
    *,
    handover: HandOver,
    code: str,
    answers: Mapping[str, float | None],
    now: datetime,
    declined: Collection[str] = (),
) -> RecordedAdministration:
    """Save the last answers of a measure and record it; finish when it was the last one.

    One transaction: the answers, the score and the hand-over's end are committed together,
    so a failure leaves none of them (``drafts.submit_measure``). ``declined`` names the risk
    items the client answered with "prefer not to say".
    """
    _require_active(handover)

    def finish() -> None:
        handover.status = HandOverStatus.FINISHED
        handover.finished_at = now
        record(by=None, action="handover.finish", obj=handover)

    return submit_sitting_measure(
        owner=handover,
        code=code,
        answers=answers,
        declined=declined,
        entry_mode=EntryMode.CLIENT_TABLET,
        now=now,
        finish=finish,
    )


def _require_active(handover: HandOver) -> None:
    if handover.status != HandOverStatus.ACTIVE:
        raise ServiceError(_l("This questionnaire is paused. Please hand the tablet back."))


def may_unlock(handover: HandOver, user: User) -> bool:
    """The therapist who started it, or a supervisor of that therapist's team."""
    if not user.active:
        return False
    if user.id == handover.started_by_id:
        return True
    team_id = handover.started_by.team_id
    return user.role == Role.SUPERVISOR and any(t.id == team_id for t in user.supervised_teams)


DEFAULT_PIN_ATTEMPTS = 3


def unlock_handover(
    *,
    handover: HandOver,
    email: str | None,
    secret: str,
    now: datetime,
    pin_attempts: int = DEFAULT_PIN_ATTEMPTS,
) -> User:
    """Give the tablet back to staff: the starter (no email) or a supervisor, by password or PIN.

    A refused attempt is audited and raises ServiceError (one message for every reason). After
    ``pin_attempts`` wrong attempts on this hand-over no PIN works any more, only a password:
    a 4-digit PIN cannot be guessed from the tablet, whatever the addresses used.
    """
    user = handover.started_by if not email else _user_by_email(email)
    pins = (handover.failed_unlocks or 0) < pin_attempts
    matches = _secret_matches(user, secret, pins=pins)
    if user is None or not matches or not may_unlock(handover, user):
        handover.failed_unlocks = (handover.failed_unlocks or 0) + 1
        record(
            by=None,
            action="handover.unlock_refused",
            obj=handover,
            details={"failed_unlocks": handover.failed_unlocks},
        )
        db.session.commit()
        if handover.failed_unlocks >= pin_attempts:
            raise ServiceError(
                _l("Too many wrong attempts: a PIN no longer unlocks this tablet. Use a password.")
            )
        raise ServiceError(_l("That password or PIN does not unlock this tablet."))
    handover.failed_unlocks = 0
    finished = handover.status == HandOverStatus.FINISHED
    if handover.status in (HandOverStatus.ACTIVE, HandOverStatus.LOCKED, HandOverStatus.FINISHED):
        handover.status = HandOverStatus.CLOSED if finished else HandOverStatus.PAUSED
    handover.unlocked_at, handover.unlocked_by = now, user
    record(by=user, action="handover.unlock", obj=handover, details={"status": handover.status})
    db.session.commit()
    return user


def _user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def _secret_matches(user: User | None, secret: str, *, pins: bool = True) -> bool:
    """The password (or, while PINs are allowed, the PIN); an unknown email costs the same."""
    if user is None or not user.password_hash:
        return verify_unknown(secret)
    if verify_secret(user.password_hash, secret):
        return True
    return pins and verify_secret(user.unlock_pin_hash, secret)


def resume_handover(*, handover: HandOver, by: User, now: datetime) -> None:
    """Hand the tablet back to the client to finish the missing items."""
    if handover.status not in (HandOverStatus.PAUSED, HandOverStatus.LOCKED):
        raise ServiceError(_l("Only a paused hand-over can be resumed."))
    handover.status = HandOverStatus.ACTIVE
    handover.last_activity_at = now
    record(by=by, action="handover.resume", obj=handover)
    db.session.commit()


def discard_handover(*, handover: HandOver, by: User, now: datetime) -> None:
    """Drop the unfinished answers; measures the client already finished stay recorded."""
    if handover.status not in (HandOverStatus.PAUSED, HandOverStatus.LOCKED):
        raise ServiceError(_l("Only a paused hand-over can be discarded."))
    result = db.session.execute(
        sa.delete(DraftAnswer).where(
            DraftAnswer.handover_id == handover.id,
            DraftAnswer.instrument_code.not_in(completed_codes(handover)),
        )
    )
    dropped = cast(sa.CursorResult[Any], result).rowcount
    handover.status = HandOverStatus.DISCARDED
    record(
        by=by,
        action="handover.discard",
        obj=handover,
        details={"draft_answers_dropped": dropped, "at": now.isoformat()},
    )
    db.session.commit()


def set_own_pin(*, user: User, password: str, pin: str) -> None:
    """Set the PIN that unlocks a tablet, after checking the account password."""
    if not verify_secret(user.password_hash, password):
        raise ServiceError(_l("That is not your current password."))
    accounts.set_unlock_pin(user=user, pin=pin, by=user)
