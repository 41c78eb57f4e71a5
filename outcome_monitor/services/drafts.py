"""Draft answers shared by tablet hand-overs and remote links.

Every answer is stored as a ``DraftAnswer`` when it is given (``save_answers``); a measure is
scored through the one scoring path (``measures.record_administration``) when the client
finishes it (``record_measure``), with a submission key derived from the hand-over or link and
the measure, so a double submit or a reload can never record it twice.

A risk item (PHQ-9 item 9, CORE-10 item 6) can never be skipped silently: the client gives an
answer or chooses "prefer not to say" (``declined``). A declined risk item is recorded as not
answered, so it is listed in the administration's ``risk_items`` and raises the risk alert.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from outcome_monitor.core.definitions import InstrumentDefinition
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


# The draft table has one float column. A declined risk item is kept there as -inf: no item
# accepts it (definitions reject non-finite numbers), so it is never read as an answer, and it
# leaves this module only as the item id in ``declined``.
_DECLINED = -math.inf


class IncompleteMeasure(ServiceError):
    """More items are unanswered than the instrument's scoring rule allows."""

    def __init__(self, missing: Sequence[str], message: str | None = None) -> None:
        super().__init__(message or _l("Please answer the questions that are marked."))
        self.missing = tuple(missing)


class RiskItemUnchosen(IncompleteMeasure):
    """A risk item was left blank: it needs an answer or an explicit "prefer not to say"."""

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(
            missing,
            _l(
                "Please choose an answer to the marked question. If you would rather not "
                "answer it, choose “Prefer not to say”."
            ),
        )


@dataclass(frozen=True)
class MeasureProgress:
    code: str
    name: str
    item_ids: tuple[str, ...]
    answered: Mapping[str, float]
    completed: bool
    declined: frozenset[str] = field(default_factory=frozenset)

    @property
    def missing(self) -> tuple[str, ...]:
        """Items with neither an answer nor an explicit "prefer not to say"."""
        return tuple(i for i in self.item_ids if i not in self.answered and i not in self.declined)


def submission_key(owner: Sitting, code: str) -> str:
    prefix = "handover" if isinstance(owner, HandOver) else "link"
    return f"{prefix}-{owner.id}-{code}"


def _owner_column(owner: Sitting) -> so.InstrumentedAttribute[int | None]:
    return DraftAnswer.handover_id if isinstance(owner, HandOver) else DraftAnswer.link_id


def _drafts(owner: Sitting, code: str) -> tuple[dict[str, float], frozenset[str]]:
    rows = db.session.scalars(
        sa.select(DraftAnswer).where(
            _owner_column(owner) == owner.id, DraftAnswer.instrument_code == code
        )
    )
    stored = {row.item_id: row.value for row in rows}
    answers = {k: v for k, v in stored.items() if v != _DECLINED}
    return answers, frozenset(k for k, v in stored.items() if v == _DECLINED)


def draft_answers(owner: Sitting, code: str) -> dict[str, float]:
    """The answers given so far (a declined risk item is not an answer)."""
    return _drafts(owner, code)[0]


def declined_items(owner: Sitting, code: str) -> frozenset[str]:
    """The risk items the client chose "prefer not to say" for."""
    return _drafts(owner, code)[1]


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
        answers, declined = _drafts(owner, code)
        result.append(
            MeasureProgress(
                code=code,
                name=definition.name,
                item_ids=tuple(item.id for item in definition.items),
                answered=answers,
                completed=code in done,
                declined=declined,
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
    *,
    owner: Sitting,
    code: str,
    answers: Mapping[str, float | None],
    now: datetime,
    declined: Collection[str] = (),
) -> None:
    """Store the answers given so far (None clears one) and the risk items declined ("prefer
    not to say"); ServiceError for an invalid answer or a decline of a non-risk item."""
    if code not in owner.measures:
        raise NotFound(_l("That questionnaire is not part of this request."))
    if code in completed_codes(owner):
        raise ServiceError(_l("These answers have already been sent."))
    definition = measures.get_definition(code)
    _check_answers(definition, answers, declined)
    for item_id, value in answers.items():
        _store_draft(owner, code, item_id, value, now)
    for item_id in declined:
        _store_draft(owner, code, item_id, _DECLINED, now)
    owner.last_activity_at = now
    db.session.commit()


def _check_answers(
    definition: InstrumentDefinition,
    answers: Mapping[str, float | None],
    declined: Collection[str],
) -> None:
    for item_id, value in answers.items():
        item = next((i for i in definition.items if i.id == item_id), None)
        if item is None or (value is not None and not item.accepts(value)):
            raise ServiceError(_l("That answer is not one of the choices."))
    for item_id in declined:
        if item_id not in definition.risk_item_ids or answers.get(item_id) is not None:
            raise ServiceError(_l("That answer is not one of the choices."))


def require_risk_choices(*, owner: Sitting, code: str, item_ids: Collection[str]) -> None:
    """RiskItemUnchosen when a risk item among ``item_ids`` has no answer and no decline."""
    definition = measures.get_definition(code)
    answers, declined = _drafts(owner, code)
    responded = answers.keys() | declined
    blank = [i for i in definition.risk_item_ids if i in item_ids and i not in responded]
    if blank:
        raise RiskItemUnchosen(blank)


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
    """Score the drafts of one measure through the one scoring path (idempotent per measure).

    1. More unanswered items than the scoring rule allows: IncompleteMeasure naming the items
       the client can still answer (not the declined ones).
    2. A risk item with neither an answer nor "prefer not to say": RiskItemUnchosen.
    3. Otherwise record it; a declined risk item goes in as not answered (None).
    """
    definition = measures.get_definition(code)
    answers, declined = _drafts(owner, code)
    if code not in completed_codes(owner):
        _check_complete(definition, answers, declined)
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


def _check_complete(
    definition: InstrumentDefinition, answers: Mapping[str, float], declined: Collection[str]
) -> None:
    unanswered = [item.id for item in definition.items if item.id not in answers]
    open_items = [i for i in unanswered if i not in declined]
    if len(unanswered) > definition.scoring.max_missing:
        raise IncompleteMeasure(open_items)
    blank_risk = [i for i in definition.risk_item_ids if i in open_items]
    if blank_risk:
        raise RiskItemUnchosen(blank_risk)
