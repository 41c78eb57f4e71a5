"""Attention cards: one card per client episode, its unresolved alerts told as reasons in words.

One clinical situation can raise several alerts: a client who deteriorates reliably on PHQ-9 gets
a red ``not_on_track``, a ``reliable_deterioration`` and, from session 4, a
``no_reliable_change`` on the same measure, and the same again on GAD-7. The alerts stay
separate rows (their identity, lifecycle and escalation are per alert, ADR 3); this module only
decides how they are *shown and acknowledged*: as one card whose reasons are ordered by need.

Merging rule: all outcome alerts (``not_on_track``, ``reliable_deterioration``,
``no_reliable_change``) on one measure are ONE reason, because they describe one course of
scores. Every other alert is a reason of its own (risk per measure, alliance rupture and low
alliance per alliance measure, the overdue measure per episode). A merged reason keeps the
alert types and ids behind it.

Order: risk, then outcome, then alliance, then overdue; within a group red before yellow before
the rest, then by measure code, then by type. Time never enters the decision: ``opened_at`` is
carried through, not compared with a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from outcome_monitor.core.alerts import AlertType, Severity
from outcome_monitor.core.support import SupportAction, prompts_for


class AttentionStatus(StrEnum):
    """An unresolved alert, a reason or a card: waiting for the therapist, or acknowledged."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


class Group(StrEnum):
    """What a reason is about, in the order the card shows them."""

    RISK = "risk"
    OUTCOME = "outcome"
    ALLIANCE = "alliance"
    OVERDUE = "overdue"


class Level(StrEnum):
    """How urgent a reason or card is: risk > red > yellow > other."""

    RISK = "risk"
    RED = "red"
    YELLOW = "yellow"
    OTHER = "other"


GROUP_OF: Mapping[AlertType, Group] = {
    AlertType.RISK_ITEM: Group.RISK,
    AlertType.NOT_ON_TRACK: Group.OUTCOME,
    AlertType.RELIABLE_DETERIORATION: Group.OUTCOME,
    AlertType.NO_RELIABLE_CHANGE: Group.OUTCOME,
    AlertType.ALLIANCE_RUPTURE: Group.ALLIANCE,
    AlertType.LOW_ALLIANCE: Group.ALLIANCE,
    AlertType.OVERDUE_MEASURE: Group.OVERDUE,
}
GROUP_RANK: Mapping[Group, int] = {group: rank for rank, group in enumerate(Group)}
LEVEL_RANK: Mapping[Level, int] = {level: rank for rank, level in enumerate(Level)}
NO_CARD_RANK = len(LEVEL_RANK)  # the level rank of an episode without a card: after every card
# Within a group and level: the more specific signal first (a rupture before a low rating).
TYPE_RANK: Mapping[AlertType, int] = {
    AlertType.RISK_ITEM: 0,
    AlertType.RELIABLE_DETERIORATION: 1,
    AlertType.NOT_ON_TRACK: 2,
    AlertType.NO_RELIABLE_CHANGE: 3,
    AlertType.ALLIANCE_RUPTURE: 4,
    AlertType.LOW_ALLIANCE: 5,
    AlertType.OVERDUE_MEASURE: 6,
}
# The headline of a merged outcome reason: the most specific alert present.
OUTCOME_HEADLINE = (
    AlertType.RELIABLE_DETERIORATION,
    AlertType.NOT_ON_TRACK,
    AlertType.NO_RELIABLE_CHANGE,
)
# Whose words a merged outcome reason starts with: those that name the intake and the change.
OUTCOME_WORDS = (
    AlertType.RELIABLE_DETERIORATION,
    AlertType.NO_RELIABLE_CHANGE,
    AlertType.NOT_ON_TRACK,
)
# How not-on-track band words restate an alert merged into the same reason (core.alerts words:
# the rational bands, and the red band's own note of a deterioration).
RESTATED: Mapping[AlertType, str] = {
    AlertType.RELIABLE_DETERIORATION: "reliable deterioration",
    AlertType.NO_RELIABLE_CHANGE: "no reliable improvement",
}


@dataclass(frozen=True)
class AlertFact:
    """One unresolved alert as plain values (``instrument_code`` is "" for episode alerts).

    ``details`` are the numbers behind the reason (``core.alerts.Finding.details``). The card
    does not read them today: its words come from ``reason``.
    """

    id: int
    type: AlertType
    severity: Severity | None
    instrument_code: str
    reason: str
    status: AttentionStatus
    opened_at: datetime
    escalated: bool = False
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Reason:
    """One line of a card: a headline alert type, a level and the words, with what is behind it.

    ``key`` is stable for the same situation ("outcome-phq9", "risk_item-phq9",
    "overdue_measure") so a form can name a reason; ``types`` and ``alert_ids`` list every
    alert merged into it, in ``TYPE_RANK`` order.
    """

    key: str
    group: Group
    level: Level
    headline: AlertType
    instrument_code: str
    text: str
    types: tuple[AlertType, ...]
    alert_ids: tuple[int, ...]
    status: AttentionStatus
    escalated: bool
    opened_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status == AttentionStatus.OPEN

    @property
    def severity(self) -> Severity | None:
        """The colour word a title carries: red or yellow, none for risk and the rest."""
        return {Level.RED: Severity.RED, Level.YELLOW: Severity.YELLOW}.get(self.level)


@dataclass(frozen=True)
class Card:
    """An episode's reasons in order, and the state of the whole card.

    * ``status``: open when any alert behind it is open (a new reason after an acknowledgement
      reopens the card), acknowledged when all are.
    * ``escalated``: any alert escalated to the supervisor. ``level``: the worst reason.
    * ``opened_at``: the oldest alert. ``checklist``: the support prompts of the open reasons
      in card order without repeats, "discussed, no change" last (empty when nothing is open).
    """

    reasons: tuple[Reason, ...]
    status: AttentionStatus
    escalated: bool
    level: Level
    opened_at: datetime
    checklist: tuple[SupportAction, ...]

    @property
    def is_open(self) -> bool:
        return self.status == AttentionStatus.OPEN

    @property
    def open_alert_ids(self) -> tuple[int, ...]:
        return tuple(sorted(i for r in self.reasons if r.is_open for i in r.alert_ids))

    @property
    def need(self) -> tuple[bool, bool, bool, int, datetime]:
        """Sort key, most need first: escalated, then risk, then open before acknowledged,
        then level, then the oldest."""
        return (
            not self.escalated,
            self.level != Level.RISK,
            not self.is_open,
            LEVEL_RANK[self.level],
            self.opened_at,
        )


def attention_card(alerts: Iterable[AlertFact]) -> Card | None:
    """The card of one episode's unresolved alerts; None when there are none.

    1. Group the alerts into reasons: outcome alerts by measure, every other alert by
       (type, measure).
    2. Word each reason (``_outcome_reason`` for merged outcome alerts).
    3. Order the reasons by group, level, measure and type; derive the card's state.
    """
    groups: dict[str, list[AlertFact]] = {}
    for alert in alerts:
        groups.setdefault(_key(alert), []).append(alert)
    if not groups:
        return None
    reasons = sorted((_reason(key, facts) for key, facts in groups.items()), key=_order)
    return Card(
        reasons=tuple(reasons),
        status=_status(r.status for r in reasons),
        escalated=any(r.escalated for r in reasons),
        level=min((r.level for r in reasons), key=LEVEL_RANK.__getitem__),
        opened_at=min(r.opened_at for r in reasons),
        checklist=_checklist(r for r in reasons if r.is_open),
    )


def _key(alert: AlertFact) -> str:
    kind = Group.OUTCOME if GROUP_OF[alert.type] == Group.OUTCOME else alert.type
    return f"{kind}-{alert.instrument_code}" if alert.instrument_code else str(kind)


def _order(reason: Reason) -> tuple[int, int, str, int]:
    return (
        GROUP_RANK[reason.group],
        LEVEL_RANK[reason.level],
        reason.instrument_code,
        TYPE_RANK[reason.headline],
    )


def _status(statuses: Iterable[AttentionStatus]) -> AttentionStatus:
    if any(s == AttentionStatus.OPEN for s in statuses):
        return AttentionStatus.OPEN
    return AttentionStatus.ACKNOWLEDGED


def _reason(key: str, facts: Sequence[AlertFact]) -> Reason:
    facts = sorted(facts, key=lambda f: (TYPE_RANK[f.type], f.id))
    group = GROUP_OF[facts[0].type]
    if group == Group.OUTCOME:
        headline, level, text = _outcome_reason(facts)
    else:
        headline = facts[0].type
        level = Level.RISK if group == Group.RISK else Level.OTHER
        text = "; ".join(dict.fromkeys(f.reason for f in facts))
    return Reason(
        key=key,
        group=group,
        level=level,
        headline=headline,
        instrument_code=facts[0].instrument_code,
        text=text,
        types=tuple(dict.fromkeys(f.type for f in facts)),
        alert_ids=tuple(f.id for f in facts),
        status=_status(f.status for f in facts),
        escalated=any(f.escalated for f in facts),
        opened_at=min(f.opened_at for f in facts),
    )


def _outcome_reason(facts: Sequence[AlertFact]) -> tuple[AlertType, Level, str]:
    """Headline, level and words of one measure's outcome alerts.

    * Headline: reliable deterioration if open, else not on track, else no reliable change.
    * Level: red for a reliable deterioration or a red not-on-track; yellow for a yellow
      not-on-track; otherwise other (no reliable change alone).
    * Words: the reason of the deterioration, else of the no-change (they name the intake and
      the size of the change), else of the not-on-track; then the not-on-track band words,
      less the clauses that repeat them (under the rational method the band *is* reliable
      change, reference §3.2). A no-change reason next to a deterioration says nothing new
      and is left out.
    """
    by_type = {f.type: f for f in facts}
    headline = next(t for t in OUTCOME_HEADLINE if t in by_type)
    track = by_type.get(AlertType.NOT_ON_TRACK)
    if AlertType.RELIABLE_DETERIORATION in by_type:
        level = Level.RED
    elif track is not None and track.severity is not None:
        level = Level(track.severity.value)
    else:
        level = Level.OTHER
    words = next(by_type[t] for t in OUTCOME_WORDS if t in by_type)
    text = words.reason
    if track is not None and track is not words:
        band = _band_words(track.reason, said=tuple(RESTATED[t] for t in by_type if t in RESTATED))
        text = f"{text}; {band}" if band else text
    return headline, level, text


def _band_words(reason: str, *, said: tuple[str, ...]) -> str:
    """The clauses of a not-on-track reason after the score ("expected 13.2; the 90% band
    ...") without those that open with what the reason already says."""
    _, separator, tail = reason.partition("; ")
    clauses = (tail if separator else reason).split("; ")
    return "; ".join(c for c in clauses if not c.startswith(said))


def _checklist(reasons: Iterable[Reason]) -> tuple[SupportAction, ...]:
    prompts = [p for r in reasons for t in r.types for p in prompts_for(t)]
    if not prompts:
        return ()
    last = SupportAction.DISCUSSED_NO_CHANGE
    return (*dict.fromkeys(p for p in prompts if p != last), last)
