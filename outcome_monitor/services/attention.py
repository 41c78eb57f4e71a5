"""Attention cards: an episode's unresolved alerts shown as one card and acknowledged in one go.

The alerts stay separate rows with their own lifecycle (ADR 3); the card is derived from them
each time by ``core.attention.attention_card``. Acknowledging the card acknowledges every open
alert behind it with the same checklist and note, one audit row per alert, one commit.
Resolving by hand is per *reason* (every alert merged into it), so a risk reason can be closed
after a risk assessment while the outcome reasons stay on the card.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from outcome_monitor.core.attention import Card
from outcome_monitor.core.support import SupportAction, needs_reason
from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, AlertStatus, Episode, RequestSource, User
from outcome_monitor.services import ServiceError, case_status, feedback, supervision
from outcome_monitor.services.audit import record


@dataclass(frozen=True)
class Acknowledgement:
    """The latest acknowledgement among the card's alerts: who, when, what was done, why."""

    by: User | None
    at: datetime
    actions: tuple[str, ...]
    note: str | None


@dataclass(frozen=True)
class EpisodeCard:
    """The card of one episode, with the version a form must send back and the last
    acknowledgement (shown when the card is acknowledged, or reopened by a new reason)."""

    episode: Episode
    card: Card
    version: str
    acknowledgement: Acknowledgement | None


def card_version(alerts: Iterable[Alert]) -> str:
    """A short digest of what the card shows: changes when an alert opens, changes, or is
    acknowledged, so an acknowledgement never covers a reason the therapist has not seen."""
    parts = sorted(f"{a.id}:{a.status}:{a.updated_at.isoformat()}" for a in alerts)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _unresolved(episode: Episode) -> list[Alert]:
    query = (
        sa.select(Alert)
        .where(Alert.episode_id == episode.id, Alert.status != AlertStatus.RESOLVED)
        .options(so.selectinload(Alert.acknowledged_by))
        .order_by(Alert.opened_at, Alert.id)
    )
    return list(db.session.scalars(query))


def episode_card(episode: Episode, alerts: Sequence[Alert] | None = None) -> EpisodeCard | None:
    """The episode's card, or None when it has no unresolved alert (two queries). A caller
    that has loaded every alert of the episode already passes them (``alerts``)."""
    if alerts is None:
        alerts = _unresolved(episode)
    else:
        alerts = sorted(
            (a for a in alerts if a.status != AlertStatus.RESOLVED),
            key=lambda a: (a.opened_at, a.id),
        )
    card = feedback.card_of(alerts)
    if card is None:
        return None
    return EpisodeCard(episode, card, card_version(alerts), _last_acknowledgement(alerts))


def _last_acknowledgement(alerts: Sequence[Alert]) -> Acknowledgement | None:
    done = [a for a in alerts if a.acknowledged_at is not None]
    if not done:
        return None
    last = max(done, key=lambda a: (a.acknowledged_at, a.id))
    assert last.acknowledged_at is not None
    return Acknowledgement(
        last.acknowledged_by, last.acknowledged_at, tuple(last.actions or ()), last.action_note
    )


def acknowledge_card(
    *,
    episode: Episode,
    actions: Sequence[str],
    note: str,
    by: User,
    now: datetime,
    version: str | None = None,
) -> int:
    """Acknowledge every open alert of ``episode`` with the same actions and note.

    1. Load the unresolved alerts and their card; refuse when nothing is open, or when
       ``version`` (the card the user saw) is given and no longer matches.
    2. Check the actions against the card's checklist (the union of the open reasons'
       prompts); 'discussed, no change' needs a note.
    3. Acknowledge each open alert and audit it; "taking it to supervision" also flags the
       case for supervision (``services.supervision``); commit once. Returns how many.
    """
    alerts = _unresolved(episode)
    waiting = [a for a in alerts if a.status == AlertStatus.OPEN]
    card = feedback.card_of(alerts)
    if card is None or not waiting:
        raise ServiceError(_l("Nothing on this card is waiting for acknowledgement."))
    if version is not None and version != card_version(alerts):
        raise ServiceError(
            _l("The card has changed since you opened it. Read it again, then acknowledge.")
        )
    chosen = _checked(actions, note, card.checklist)
    for alert in waiting:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.actions, alert.action_note = [a.value for a in chosen], note.strip() or None
        alert.acknowledged_at, alert.acknowledged_by_id = now, by.id
        record(
            by=by,
            action="alert.acknowledge",
            obj=alert,
            details={"actions": alert.actions, "note": alert.action_note, "via": "card"},
        )
    if SupportAction.SUPERVISION in chosen and episode.is_active:
        # "Taking it to supervision" puts the case in the supervisor's queue until a review.
        supervision.flag_for_supervision(
            episode=episode, by=by, source=RequestSource.CHECKLIST, note=note, now=now
        )
    case_status.refresh(episode)
    db.session.commit()
    return len(waiting)


def _checked(
    actions: Sequence[str], note: str, checklist: tuple[SupportAction, ...]
) -> tuple[SupportAction, ...]:
    try:
        chosen = tuple(dict.fromkeys(SupportAction(a) for a in actions))
    except ValueError:
        raise ServiceError(_l("Choose actions from the checklist.")) from None
    if not chosen or not set(chosen) <= set(checklist):
        raise ServiceError(_l("Choose at least one action from the checklist."))
    if needs_reason(chosen) and not note.strip():
        raise ServiceError(_l("Say why no change is needed."))
    return chosen


def resolve_reason(*, episode: Episode, key: str, note: str, by: User, now: datetime) -> int:
    """Mark every alert behind one reason of the card resolved by hand, with a note.

    ``key`` names the reason (``Reason.key``); a key that is not on the episode's card now is
    refused, so a form can only resolve what the server showed for this episode.
    """
    alerts = _unresolved(episode)
    card = feedback.card_of(alerts)
    reason = next((r for r in card.reasons if r.key == key), None) if card else None
    if reason is None:
        raise ServiceError(_l("That reason is no longer on the card."))
    if not note.strip():
        raise ServiceError(_l("Say why this is resolved."))
    chosen = [a for a in alerts if a.id in reason.alert_ids]
    for alert in chosen:
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at, alert.resolved_by_id, alert.resolved_automatically = now, by.id, False
        alert.action_note = "\n".join(filter(None, [alert.action_note, note.strip()]))
        record(by=by, action="alert.resolve", obj=alert, details={"note": note.strip()})
    case_status.refresh(episode)
    db.session.commit()
    return len(chosen)
