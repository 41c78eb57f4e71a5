"""Case review: which cases are in the supervisor's queue, their state and their order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from outcome_monitor.core.alerts import AlertType, Severity
from outcome_monitor.core.attention import AlertFact, AttentionStatus
from outcome_monitor.core.supervision import (
    CaseFacts,
    CaseFilter,
    CaseState,
    QueueFlag,
    ReviewFact,
    case_state,
    days_since,
    queue_counts,
)

TODAY = date(2026, 11, 20)
MORNING = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def alert(
    alert_id: int = 1,
    *,
    type: AlertType = AlertType.NOT_ON_TRACK,
    severity: Severity | None = Severity.RED,
    opened_at: datetime = MORNING - timedelta(days=10),
    status: AttentionStatus = AttentionStatus.OPEN,
    escalated: bool = False,
    code: str = "phq9",
) -> AlertFact:
    return AlertFact(
        id=alert_id,
        type=type,
        severity=severity,
        instrument_code=code,
        reason="PHQ-9 19 at session 4",
        status=status,
        opened_at=opened_at,
        escalated=escalated,
    )


def reviewed(
    recorded_at: datetime = MORNING - timedelta(days=5), follow_up_on: date | None = None
) -> ReviewFact:
    return ReviewFact(recorded_at.date(), recorded_at, follow_up_on)


def state(facts: CaseFacts, today: date = TODAY) -> CaseState:
    result = case_state(facts, today=today)
    assert result is not None
    return result


def test_a_case_without_alerts_request_or_due_follow_up_is_not_in_the_queue() -> None:
    assert case_state(CaseFacts(), today=TODAY) is None
    later = reviewed(follow_up_on=TODAY + timedelta(days=1))
    assert case_state(CaseFacts(last_review=later), today=TODAY) is None


def test_alerts_never_reviewed_are_not_yet_reviewed() -> None:
    case = state(CaseFacts(alerts=(alert(),)))
    assert case.card is not None and case.new_reasons and case.not_yet_reviewed
    assert case.since == (MORNING - timedelta(days=10)).date()
    assert case.flags == ()


def test_a_review_recorded_after_the_alerts_clears_not_yet_reviewed() -> None:
    case = state(CaseFacts(alerts=(alert(),), last_review=reviewed()))
    assert case.card is not None and not case.not_yet_reviewed


def test_an_alert_opened_after_the_review_makes_the_case_not_yet_reviewed_again() -> None:
    new = alert(2, type=AlertType.RISK_ITEM, severity=None, opened_at=MORNING)
    case = state(CaseFacts(alerts=(alert(), new), last_review=reviewed()))
    assert case.new_reasons and case.not_yet_reviewed


def test_a_review_dated_yesterday_but_recorded_today_covers_this_mornings_alert() -> None:
    recorded = ReviewFact(TODAY - timedelta(days=1), MORNING + timedelta(hours=2))
    case = state(CaseFacts(alerts=(alert(opened_at=MORNING),), last_review=recorded))
    assert not case.new_reasons


def test_a_request_puts_an_active_case_in_the_queue_and_counts_as_not_reviewed() -> None:
    asked = MORNING - timedelta(days=2)
    case = state(CaseFacts(requested_at=asked, last_review=reviewed()))
    assert case.card is None and case.requested and case.not_yet_reviewed
    assert case.flags == (QueueFlag.REQUESTED,) and case.since == asked.date()
    assert case_state(CaseFacts(requested_at=asked, active=False), today=TODAY) is None


@pytest.mark.parametrize(
    ("follow_up_on", "due"),
    [(TODAY - timedelta(days=3), True), (TODAY, True), (TODAY + timedelta(days=1), False)],
    ids=["passed", "today", "tomorrow"],
)
def test_a_follow_up_date_that_has_come_brings_the_case_back(follow_up_on, due) -> None:
    result = case_state(CaseFacts(last_review=reviewed(follow_up_on=follow_up_on)), today=TODAY)
    assert (result is not None) == due
    if result is not None:
        assert result.follow_up_due and not result.not_yet_reviewed
        assert result.flags == (QueueFlag.FOLLOW_UP_DUE,) and result.since == follow_up_on


def test_a_closed_episode_has_no_follow_up_but_keeps_its_alerts() -> None:
    due = reviewed(follow_up_on=TODAY - timedelta(days=1))
    assert case_state(CaseFacts(last_review=due, active=False), today=TODAY) is None
    case = state(CaseFacts(alerts=(alert(),), last_review=due, active=False))
    assert case.card is not None and not case.follow_up_due


def test_since_is_the_oldest_of_alert_request_and_follow_up() -> None:
    facts = CaseFacts(
        alerts=(alert(opened_at=MORNING - timedelta(days=1)),),
        requested_at=MORNING - timedelta(days=4),
        last_review=reviewed(MORNING - timedelta(days=9), follow_up_on=TODAY - timedelta(days=2)),
    )
    case = state(facts)
    assert case.flags == (QueueFlag.REQUESTED, QueueFlag.FOLLOW_UP_DUE)
    assert case.since == TODAY - timedelta(days=4)


def _case(**facts: object) -> CaseState:
    return state(CaseFacts(**facts))  # type: ignore[arg-type]


def test_need_puts_escalated_then_risk_then_waiting_then_open_then_level_then_oldest() -> None:
    reviewed_before = reviewed(MORNING + timedelta(hours=1))
    cases = {
        "escalated yellow": _case(alerts=(alert(severity=Severity.YELLOW, escalated=True),)),
        "risk": _case(
            alerts=(alert(type=AlertType.RISK_ITEM, severity=None),), last_review=reviewed_before
        ),
        "not reviewed yellow": _case(alerts=(alert(severity=Severity.YELLOW),)),
        "requested, no card": _case(requested_at=MORNING),
        "reviewed red open, older": _case(
            alerts=(alert(opened_at=MORNING - timedelta(days=20)),), last_review=reviewed_before
        ),
        "reviewed red open": _case(alerts=(alert(),), last_review=reviewed_before),
        "reviewed yellow open": _case(
            alerts=(alert(severity=Severity.YELLOW),), last_review=reviewed_before
        ),
        "reviewed acknowledged red": _case(
            alerts=(alert(status=AttentionStatus.ACKNOWLEDGED),), last_review=reviewed_before
        ),
    }
    ordered = sorted(cases, key=lambda name: cases[name].need)
    assert ordered == [
        "escalated yellow",
        "risk",
        "not reviewed yellow",
        "requested, no card",  # waiting for the supervisor, and no card comes after the cards
        "reviewed red open, older",
        "reviewed red open",
        "reviewed yellow open",
        "reviewed acknowledged red",
    ]
    assert cases["risk"].has_risk and not cases["requested, no card"].has_risk
    assert cases["escalated yellow"].escalated and not cases["requested, no card"].escalated


def test_alert_types_gathers_every_alert_behind_the_reasons() -> None:
    both = alert(2, type=AlertType.RELIABLE_DETERIORATION, severity=None)
    assert _case(alerts=(alert(), both)).alert_types == {
        AlertType.NOT_ON_TRACK,
        AlertType.RELIABLE_DETERIORATION,
    }
    assert _case(requested_at=MORNING).alert_types == frozenset()


@pytest.mark.parametrize(
    ("start", "days"),
    [(TODAY - timedelta(days=12), 12), (MORNING, 0), (MORNING + timedelta(days=2), 0)],
    ids=["a date 12 days ago", "a datetime today", "a future date counts as 0"],
)
def test_days_since(start: date | datetime, days: int) -> None:
    assert days_since(start, today=TODAY) == days


ESCALATED_RISK = {"alerts": (alert(type=AlertType.RISK_ITEM, severity=None, escalated=True),)}
REVIEWED_RED = {"alerts": (alert(),), "last_review": reviewed(MORNING + timedelta(hours=1))}
REQUESTED = {"requested_at": MORNING}


@pytest.mark.parametrize(
    ("case_filter", "admitted"),
    [
        (CaseFilter(), {"risk", "red", "requested"}),
        (CaseFilter(escalated_only=True), {"risk"}),
        (CaseFilter(not_reviewed_only=True), {"risk", "requested"}),
        (CaseFilter(reason=AlertType.NOT_ON_TRACK), {"red"}),
        (CaseFilter(reason=QueueFlag.REQUESTED), {"requested"}),
        (CaseFilter(reason=QueueFlag.FOLLOW_UP_DUE), set()),
    ],
    ids=["none", "escalated", "not reviewed", "alert type", "request", "follow-up due"],
)
def test_case_filter(case_filter: CaseFilter, admitted: set[str]) -> None:
    cases = {"risk": _case(**ESCALATED_RISK), "red": _case(**REVIEWED_RED)}
    cases["requested"] = _case(**REQUESTED)
    assert {name for name, case in cases.items() if case_filter.admits(case)} == admitted


def test_queue_counts_count_each_heading() -> None:
    cases = [
        _case(**ESCALATED_RISK),
        _case(**REVIEWED_RED),
        _case(**REQUESTED),
        _case(last_review=reviewed(follow_up_on=TODAY)),
    ]
    counts = queue_counts(cases)
    assert (counts.cases, counts.escalated, counts.not_yet_reviewed) == (4, 1, 2)
    assert (counts.follow_ups_due, counts.requested) == (1, 1)
