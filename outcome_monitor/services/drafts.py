"""Draft answers shared by tablet hand-overs and remote links.

Every answer is stored as a ``DraftAnswer`` when it is given (``save_answers``); a measure is
scored through the one scoring path (``measures.add_administration``) when the client finishes
it (``submit_measure``), under the sitting's server-side key for that measure
(``submissions.sitting_key``: bound to the hand-over or link and its episode, never sent to the
browser), so a double submit or a reload can never record it twice and no other form can
claim it.

One transaction per use-case (docs/adr): ``submit_measure`` stores the last answers, the score
and, after the last measure, the end of the sitting in one commit, so a failure leaves none of
them. The ``stage_*`` helpers only flush.

A risk item (PHQ-9 item 9, CORE-10 item 6) can never be skipped silently: the client gives an
answer or chooses "prefer not to say" (``declined``). A declined risk item is recorded as not
answered, so it is listed in the administration's ``risk_items`` and raises the risk alert.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
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
from outcome_monitor.services import NotFound, ServiceError, instruments, measures, submissions
from outcome_monitor.services.measures import RecordedAdministration

Sitting = HandOver | RemoteLink


# The draft table has one float column. A declined risk item is kept there as -inf: no item
# accepts it (definitions reject non-finite numbers), so it is never read as an answer, and it
# leaves this module only as the item id in ``declined``.
_DECLINED = -math.inf


class NotRecorded(ServiceError):
    """The measure's key is taken outside this sitting's episode: nothing is saved."""

    def __init__(self) -> None:
        super().__init__(
            _l("Your answers could not be sent. Please tell your therapist or the service.")
        )


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


def _keys_by_code(owner: Sitting) -> dict[str, str]:
    """Every key the sitting's measures may have been recorded under, mapped to the measure.

    Besides the current keys (``submissions.sitting_keys``), the predictable keys used before
    server-side keys (``handover-<id>-<code>``) are read, never written: a sitting still open
    at the upgrade finds the measures it recorded then. They cannot be written any more (the
    service accepts only issued keys) and the look-up stays within the sitting's episode.
    """
    prefix = "handover" if isinstance(owner, HandOver) else "link"
    keys = {}
    for code in owner.measures:
        keys.update(dict.fromkeys(submissions.sitting_keys(owner, code), code))
        keys[f"{prefix}-{owner.id}-{code}"] = code
    return keys


def _recorded(owner: Sitting) -> sa.Select[Administration]:
    """The administrations this sitting recorded (looked up within its episode only)."""
    return sa.select(Administration).where(
        Administration.episode_id == owner.episode_id,
        Administration.submission_key.in_(list(_keys_by_code(owner))),
    )


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
    keys = _keys_by_code(owner)
    found = db.session.scalars(_recorded(owner).with_only_columns(Administration.submission_key))
    return {keys[key] for key in found if key is not None}


def progress(owner: Sitting) -> list[MeasureProgress]:
    """Per chosen measure: its items, the answers given so far and whether it was recorded."""
    done = completed_codes(owner)
    result = []
    for code in owner.measures:
        definition = instruments.library()[code]
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
    recorded = db.session.scalars(_recorded(owner).order_by(Administration.id))
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
        .where(
            Administration.episode_id == episode.id,
            Administration.entry_mode.in_(modes),
            Administration.current(),
        )
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
    try:
        stage_answers(owner=owner, code=code, answers=answers, now=now, declined=declined)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def stage_answers(
    *,
    owner: Sitting,
    code: str,
    answers: Mapping[str, float | None],
    now: datetime,
    declined: Collection[str] = (),
) -> None:
    """``save_answers`` inside a larger use-case: flushes, never commits."""
    if code not in owner.measures:
        raise NotFound(_l("That questionnaire is not part of this request."))
    if code in completed_codes(owner):
        raise ServiceError(_l("These answers have already been sent."))
    definition = instruments.get_definition(code)
    _check_answers(definition, answers, declined)
    for item_id, value in answers.items():
        _store_draft(owner, code, item_id, value, now)
    for item_id in declined:
        _store_draft(owner, code, item_id, _DECLINED, now)
    owner.last_activity_at = now
    db.session.flush()


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
    definition = instruments.get_definition(code)
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


def submit_measure(
    *,
    owner: Sitting,
    code: str,
    answers: Mapping[str, float | None],
    declined: Collection[str],
    entry_mode: EntryMode,
    now: datetime,
    finish: Callable[[], None],
) -> RecordedAdministration:
    """The client's last answers of a measure, its score and, when it was the sitting's last
    measure, ``finish()``: one transaction (the hand-over's or link's submit).

    1. Store the answers (an invalid one: ServiceError, nothing saved).
    2. Record the measure (``stage_measure``). Too few answers: IncompleteMeasure, and the
       answers given are kept (committed) so the client can complete them.
    3. When this call recorded the last measure, ``finish()`` ends the sitting; commit once.
    4. A concurrent duplicate that won the race for the measure's key: its administration is
       returned (the losing transaction is rolled back).
    """

    def stage_all() -> RecordedAdministration:
        stage_answers(owner=owner, code=code, answers=answers, now=now, declined=declined)
        try:
            recorded = stage_measure(owner=owner, code=code, entry_mode=entry_mode, now=now)
        except IncompleteMeasure:
            db.session.commit()
            raise
        if recorded.created and next_measure(owner) is None:
            finish()  # only the request that recorded the last measure ends the sitting
        return recorded

    return _committed(owner, code, stage_all)


def record_measure(
    *, owner: Sitting, code: str, entry_mode: EntryMode, now: datetime
) -> RecordedAdministration:
    """Score the drafts of one measure (idempotent per measure); one transaction."""
    return _committed(
        owner,
        code,
        lambda: stage_measure(owner=owner, code=code, entry_mode=entry_mode, now=now),
    )


def _committed(
    owner: Sitting, code: str, stage: Callable[[], RecordedAdministration]
) -> RecordedAdministration:
    """Run ``stage`` and commit once; a lost race for the measure's key returns the winner's
    administration, a key of another scope is NotRecorded, anything else rolls back."""
    try:
        recorded = stage()
        db.session.commit()
    except sa.exc.IntegrityError as error:
        db.session.rollback()
        return _already_recorded(owner, code, error)
    except submissions.ForeignSubmission:
        db.session.rollback()
        raise NotRecorded() from None
    except BaseException:
        db.session.rollback()
        raise
    return recorded


def _already_recorded(
    owner: Sitting, code: str, error: sa.exc.IntegrityError
) -> RecordedAdministration:
    """After a rolled-back race: what the winning request recorded for this sitting."""
    try:
        return measures.already_recorded(owner.episode, submissions.sitting_key(owner, code), error)
    except submissions.ForeignSubmission:
        raise NotRecorded() from None


def stage_measure(
    *, owner: Sitting, code: str, entry_mode: EntryMode, now: datetime
) -> RecordedAdministration:
    """Score the drafts of one measure through the one scoring path; flushes, never commits.

    1. Already recorded by this sitting: that administration (``created`` False).
    2. More unanswered items than the scoring rule allows: IncompleteMeasure naming the items
       the client can still answer (not the declined ones).
    3. A risk item with neither an answer nor "prefer not to say": RiskItemUnchosen.
    4. Otherwise record it under the sitting's key; a declined risk item goes in as not
       answered (None).
    """
    done = db.session.scalar(_recorded(owner).where(Administration.instrument_code == code))
    if done is not None:
        return RecordedAdministration(done, created=False)
    definition = instruments.get_definition(code)
    answers, declined = _drafts(owner, code)
    _check_complete(definition, answers, declined)
    recorded = measures.add_administration(
        episode=owner.episode,
        session=owner.session,
        instrument_code=code,
        answers={item.id: answers.get(item.id) for item in definition.items},
        entry_mode=entry_mode,
        by=None,  # the client entered it; the hand-over or link row says who asked
        submission_key=submissions.sitting_key(owner, code),
    )
    owner.last_activity_at = now
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
