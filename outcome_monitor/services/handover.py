"""Tablet hand-over: the client answers in the room while the staff login is locked away.

Every answer is stored as a ``DraftAnswer`` when it is given (``save_answers``); a measure is
scored through the one scoring path (``measures.record_administration``) when the client
finishes it, with a submission key derived from the hand-over and the measure, so a double
submit or a reload can never record it twice. The draft helpers are shared with remote links.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from outcome_monitor.core.definitions import Purpose
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    DraftAnswer,
    EntryMode,
    Episode,
    HandOver,
    HandOverStatus,
    RemoteLink,
    Role,
    TherapySession,
    User,
)
from outcome_monitor.models.handover import OPEN_HANDOVER_STATUSES
from outcome_monitor.security import verify_secret
from outcome_monitor.services import NotFound, ServiceError, accounts, measures
from outcome_monitor.services.audit import record
from outcome_monitor.services.measures import RecordedAdministration

Sitting = HandOver | RemoteLink


class IncompleteMeasure(ServiceError):
    """More items are unanswered than the instrument's scoring rule allows."""

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(_l("Please answer the questions that are marked."))
        self.missing = tuple(missing)


@dataclass(frozen=True)
class MeasureProgress:
    code: str
    name: str
    item_ids: tuple[str, ...]
    answered: Mapping[str, float]
    completed: bool

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(i for i in self.item_ids if i not in self.answered)


# --- drafts, shared by hand-overs and remote links -------------------------------------------


def submission_key(owner: Sitting, code: str) -> str:
    prefix = "handover" if isinstance(owner, HandOver) else "link"
    return f"{prefix}-{owner.id}-{code}"


def _owner_column(owner: Sitting) -> so.InstrumentedAttribute[int | None]:
    return DraftAnswer.handover_id if isinstance(owner, HandOver) else DraftAnswer.link_id


def draft_answers(owner: Sitting, code: str) -> dict[str, float]:
    rows = db.session.scalars(
        sa.select(DraftAnswer).where(
            _owner_column(owner) == owner.id, DraftAnswer.instrument_code == code
        )
    )
    return {row.item_id: row.value for row in rows}


def completed_codes(owner: Sitting) -> set[str]:
    keys = [submission_key(owner, code) for code in owner.measures]
    found = db.session.scalars(
        sa.select(Administration.instrument_code).where(Administration.submission_key.in_(keys))
    )
    return set(found)


def progress(owner: Sitting) -> list[MeasureProgress]:
    """Per chosen measure: its items, the answers given so far and whether it was recorded."""
    done = completed_codes(owner)
    result = []
    for code in owner.measures:
        definition = measures.library()[code]
        result.append(
            MeasureProgress(
                code=code,
                name=definition.name,
                item_ids=tuple(item.id for item in definition.items),
                answered=draft_answers(owner, code),
                completed=code in done,
            )
        )
    return result


def results(owner: Sitting) -> list[tuple[Administration, list[Alert]]]:
    """The administrations recorded from this hand-over or link, each with its alerts."""
    keys = [submission_key(owner, code) for code in owner.measures]
    recorded = db.session.scalars(
        sa.select(Administration)
        .where(Administration.submission_key.in_(keys))
        .order_by(Administration.id)
    )
    return [(a, _alerts_of(a)) for a in recorded]


def _alerts_of(administration: Administration) -> list[Alert]:
    query = sa.select(Alert).where(Alert.administration_id == administration.id)
    return list(db.session.scalars(query.order_by(Alert.id)))


def client_entered(
    episode: Episode, *, limit: int = 10
) -> list[tuple[Administration, list[Alert]]]:
    """The latest measures the client entered on a tablet or by link, with their alerts."""
    modes = (EntryMode.CLIENT_TABLET.value, EntryMode.REMOTE_LINK.value)
    query = (
        sa.select(Administration)
        .where(Administration.episode_id == episode.id, Administration.entry_mode.in_(modes))
        .order_by(Administration.id.desc())
        .limit(limit)
    )
    return [(a, _alerts_of(a)) for a in db.session.scalars(query)]


def next_measure(owner: Sitting) -> str | None:
    done = completed_codes(owner)
    return next((code for code in owner.measures if code not in done), None)


def save_answers(
    *, owner: Sitting, code: str, answers: Mapping[str, float | None], now: datetime
) -> None:
    """Store the answers given so far (None clears one); ServiceError for an invalid answer."""
    if code not in owner.measures:
        raise NotFound(_l("That questionnaire is not part of this request."))
    if code in completed_codes(owner):
        raise ServiceError(_l("These answers have already been sent."))
    definition = measures.get_definition(code)
    for item_id, value in answers.items():
        item = next((i for i in definition.items if i.id == item_id), None)
        if item is None or (value is not None and not item.accepts(value)):
            raise ServiceError(_l("That answer is not one of the choices."))
    for item_id, value in answers.items():
        _store_draft(owner, code, item_id, value, now)
    owner.last_activity_at = now
    db.session.commit()


def _store_draft(
    owner: Sitting, code: str, item_id: str, value: float | None, now: datetime
) -> None:
    column = _owner_column(owner)
    if value is None:
        db.session.execute(
            sa.delete(DraftAnswer).where(
                column == owner.id,
                DraftAnswer.instrument_code == code,
                DraftAnswer.item_id == item_id,
            )
        )
        return
    # An upsert, so two answers saved at the same moment (autosave) cannot collide.
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(DraftAnswer).values(
        {
            column.key: owner.id,
            "instrument_code": code,
            "item_id": item_id,
            "value": float(value),
            "answered_at": now,
        }
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[column.key, "instrument_code", "item_id"],
            set_={"value": float(value), "answered_at": now},
        )
    )


def record_measure(
    *, owner: Sitting, code: str, entry_mode: EntryMode, now: datetime
) -> RecordedAdministration:
    """Score the drafts of one measure through the one scoring path (idempotent per measure)."""
    definition = measures.get_definition(code)
    answers = draft_answers(owner, code)
    missing = [item.id for item in definition.items if item.id not in answers]
    if len(missing) > definition.scoring.max_missing and code not in completed_codes(owner):
        raise IncompleteMeasure(missing)
    recorded = measures.record_administration(
        episode=owner.episode,
        session=owner.session,
        instrument_code=code,
        answers={item.id: answers.get(item.id) for item in definition.items},
        entry_mode=entry_mode,
        by=None,  # the client entered it; the hand-over or link row says who asked
        submission_key=submission_key(owner, code),
    )
    owner.last_activity_at = now
    db.session.commit()
    return recorded


# --- the hand-over lifecycle --------------------------------------------------------------


def start_handover(
    *,
    episode: Episode,
    session: TherapySession | None,
    codes: Sequence[str],
    by: User,
    now: datetime,
) -> HandOver:
    codes = check_codes(codes)
    if not episode.is_active:
        raise ServiceError(_l("Questionnaires can only be given in an active episode."))
    if session is not None and session.episode_id != episode.id:
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
    purposes = {code: measures.get_definition(code).purpose for code in unique}
    return sorted(unique, key=lambda code: purposes[code] == Purpose.ALLIANCE)


def open_handovers(episode: Episode) -> list[HandOver]:
    query = sa.select(HandOver).where(
        HandOver.episode_id == episode.id, HandOver.status.in_(OPEN_HANDOVER_STATUSES)
    )
    return list(db.session.scalars(query.order_by(HandOver.id)))


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
    handover.status = HandOverStatus.LOCKED.value
    handover.locked_at = now
    record(by=None, action="handover.lock", obj=handover, details={"reason": "idle"})
    db.session.commit()
    return True


def submit_measure(
    *, handover: HandOver, code: str, answers: Mapping[str, float | None], now: datetime
) -> RecordedAdministration:
    """Save the last answers of a measure and record it; finish when it was the last one."""
    _require_active(handover)
    save_answers(owner=handover, code=code, answers=answers, now=now)
    recorded = record_measure(
        owner=handover, code=code, entry_mode=EntryMode.CLIENT_TABLET, now=now
    )
    if next_measure(handover) is None and handover.status == HandOverStatus.ACTIVE:
        handover.status = HandOverStatus.FINISHED.value
        handover.finished_at = now
        record(by=None, action="handover.finish", obj=handover)
        db.session.commit()
    return recorded


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


def unlock_handover(*, handover: HandOver, email: str | None, secret: str, now: datetime) -> User:
    """Give the tablet back to staff: the starter (no email) or a supervisor, by password or PIN.

    A refused attempt is audited and raises ServiceError (one message for every reason).
    """
    user = handover.started_by if not email else _user_by_email(email)
    valid = user is not None and may_unlock(handover, user) and _secret_matches(user, secret)
    if user is None or not valid:
        record(by=None, action="handover.unlock_refused", obj=handover)
        db.session.commit()
        raise ServiceError(_l("That password or PIN does not unlock this tablet."))
    finished = handover.status == HandOverStatus.FINISHED
    if handover.status in (HandOverStatus.ACTIVE, HandOverStatus.LOCKED, HandOverStatus.FINISHED):
        handover.status = (HandOverStatus.CLOSED if finished else HandOverStatus.PAUSED).value
    handover.unlocked_at, handover.unlocked_by = now, user
    record(by=user, action="handover.unlock", obj=handover, details={"status": handover.status})
    db.session.commit()
    return user


def _user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def _secret_matches(user: User, secret: str) -> bool:
    return verify_secret(user.password_hash, secret) or verify_secret(user.unlock_pin_hash, secret)


def resume_handover(*, handover: HandOver, by: User, now: datetime) -> None:
    """Hand the tablet back to the client to finish the missing items."""
    if handover.status not in (HandOverStatus.PAUSED, HandOverStatus.LOCKED):
        raise ServiceError(_l("Only a paused hand-over can be resumed."))
    handover.status = HandOverStatus.ACTIVE.value
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
    handover.status = HandOverStatus.DISCARDED.value
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
