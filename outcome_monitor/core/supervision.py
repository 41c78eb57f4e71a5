"""Case review: which client episodes a supervisor needs to look at, and in what order.

A case (one client episode) is in the supervisor's queue when any of these holds:

* it has unresolved alerts: its attention card (``core.attention``);
* the therapist asked for supervision and no review has answered the request yet
  (``QueueFlag.REQUESTED``; only while the episode is active);
* the latest review set a follow-up date, and that date has come (``QueueFlag.FOLLOW_UP_DUE``;
  only while the episode is active). A later review replaces the follow-up.

"Not yet reviewed": an unresolved alert opened after the latest review was *recorded* (any
unresolved alert when the case was never reviewed), or an open request. A review is compared by
when it was recorded, not by its date, so a review dated yesterday and recorded today covers
an alert that opened this morning (the supervisor saw it when recording).

The rationale for putting not-on-track cases in front of a supervisor is the feedback trial that
"primed [therapists] to review these in clinical supervision" (clinical-reference §3.6).
Time is a parameter (``today``); nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from outcome_monitor.core.alerts import AlertType
from outcome_monitor.core.attention import LEVEL_RANK, AlertFact, Card, Level, attention_card


class QueueFlag(StrEnum):
    """Why a case without (only) alerts is in the queue."""

    FOLLOW_UP_DUE = "follow_up_due"
    REQUESTED = "supervision_requested"


@dataclass(frozen=True)
class ReviewFact:
    """The latest review of a case: its date, when it was recorded, its follow-up date."""

    reviewed_on: date
    recorded_at: datetime
    follow_up_on: date | None = None


@dataclass(frozen=True)
class CaseFacts:
    """What is known about one case: its unresolved alerts, its latest review, the time of an
    open supervision request (None when there is none) and whether the episode is active."""

    alerts: tuple[AlertFact, ...] = ()
    last_review: ReviewFact | None = None
    requested_at: datetime | None = None
    active: bool = True


@dataclass(frozen=True)
class CaseState:
    """A case in the queue.

    * ``card``: the attention card of its unresolved alerts (None when it has none).
    * ``new_reasons``: an unresolved alert opened after the latest review was recorded.
    * ``requested`` / ``follow_up_due``: see the module docstring.
    * ``since``: the oldest of the card's first alert, the request and the due follow-up date.
    """

    card: Card | None
    new_reasons: bool
    requested: bool
    follow_up_due: bool
    since: date

    @property
    def not_yet_reviewed(self) -> bool:
        return self.new_reasons or self.requested

    @property
    def escalated(self) -> bool:
        return self.card is not None and self.card.escalated

    @property
    def has_risk(self) -> bool:
        return self.card is not None and self.card.level == Level.RISK

    @property
    def waiting_for_supervisor(self) -> bool:
        return self.not_yet_reviewed or self.follow_up_due

    @property
    def alert_types(self) -> frozenset[AlertType]:
        reasons = self.card.reasons if self.card else ()
        return frozenset(t for r in reasons for t in r.types)

    @property
    def flags(self) -> tuple[QueueFlag, ...]:
        """The non-alert reasons, request first."""
        on = {QueueFlag.REQUESTED: self.requested, QueueFlag.FOLLOW_UP_DUE: self.follow_up_due}
        return tuple(flag for flag, set_ in on.items() if set_)

    @property
    def need(self) -> tuple[bool, bool, bool, bool, int, date]:
        """Sort key, most need first: escalated, then risk, then waiting for the supervisor
        (not yet reviewed or follow-up due), then a card waiting for the therapist, then the
        card's level (no card last), then the oldest."""
        card = self.card
        return (
            not self.escalated,
            not self.has_risk,
            not self.waiting_for_supervisor,
            not (card is not None and card.is_open),
            LEVEL_RANK[card.level] if card is not None else len(LEVEL_RANK),
            self.since,
        )


def case_state(facts: CaseFacts, *, today: date) -> CaseState | None:
    """The case as the queue shows it, or None when it does not belong in the queue.

    1. The card of the unresolved alerts (``attention_card``).
    2. New reasons: an alert opened after ``last_review.recorded_at`` (any alert if never
       reviewed).
    3. Requested: an open request while the episode is active. Follow-up due: the latest
       review's ``follow_up_on`` is on or before ``today`` while the episode is active.
    4. None when there is no card, no request and no follow-up due.
    """
    card = attention_card(facts.alerts)
    review = facts.last_review
    new_reasons = any(review is None or a.opened_at > review.recorded_at for a in facts.alerts)
    requested = facts.active and facts.requested_at is not None
    due_on = review.follow_up_on if review is not None else None
    follow_up_due = facts.active and due_on is not None and due_on <= today
    if card is None and not requested and not follow_up_due:
        return None
    starts = [card.opened_at.date()] if card is not None else []
    if requested and facts.requested_at is not None:
        starts.append(facts.requested_at.date())
    if follow_up_due and due_on is not None:
        starts.append(due_on)
    return CaseState(card, new_reasons, requested, follow_up_due, since=min(starts))


def days_since(start: date | datetime, *, today: date) -> int:
    """Whole days from ``start`` (a datetime counts by its date) to ``today``; 0 if later."""
    day = start.date() if isinstance(start, datetime) else start
    return max((today - day).days, 0)


@dataclass(frozen=True)
class CaseFilter:
    """The queue filters that depend on the case alone (team and therapist are ids: the
    service applies them). ``reason`` is an alert type or a queue flag."""

    reason: AlertType | QueueFlag | None = None
    escalated_only: bool = False
    not_reviewed_only: bool = False

    def admits(self, state: CaseState) -> bool:
        if self.escalated_only and not state.escalated:
            return False
        if self.not_reviewed_only and not state.not_yet_reviewed:
            return False
        if isinstance(self.reason, QueueFlag):
            return self.reason in state.flags
        return self.reason is None or self.reason in state.alert_types


@dataclass(frozen=True)
class QueueCounts:
    """The figures above the queue: cases, escalated, not yet reviewed, follow-ups due,
    therapist requests."""

    cases: int
    escalated: int
    not_yet_reviewed: int
    follow_ups_due: int
    requested: int


def queue_counts(states: Iterable[CaseState]) -> QueueCounts:
    """Count each property over ``states`` (a case may count under several headings)."""
    states = list(states)
    return QueueCounts(
        cases=len(states),
        escalated=sum(s.escalated for s in states),
        not_yet_reviewed=sum(s.not_yet_reviewed for s in states),
        follow_ups_due=sum(s.follow_up_due for s in states),
        requested=sum(s.requested for s in states),
    )
