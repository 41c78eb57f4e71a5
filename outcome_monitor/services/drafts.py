"""Draft answers shared by tablet hand-overs and remote links.

Every answer is stored as a ``DraftAnswer`` when it is given (``save_answers``); a measure is
scored through the one scoring path (``measures.record_administration``) when the client
finishes it (``record_measure``), with a submission key derived from the hand-over or link and
the measure, so a double submit or a reload can never record it twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    DraftAnswer,
    EntryMode,
    Episode,
    HandOver,
    RemoteLink,
)
from outcome_monitor.services import NotFound, ServiceError, measures
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
