"""Attention cards: an episode's unresolved alerts merged into ordered reasons in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from outcome_monitor.core.alerts import AlertType, Severity
from outcome_monitor.core.attention import (
    AlertFact,
    AttentionStatus,
    Card,
    Group,
    Level,
    attention_card,
)
from outcome_monitor.core.support import SupportAction

T0 = datetime(2026, 9, 8, 9, 0, tzinfo=UTC)
OPEN, ACK = AttentionStatus.OPEN, AttentionStatus.ACKNOWLEDGED
NOT, RD, NRC = (
    AlertType.NOT_ON_TRACK,
    AlertType.RELIABLE_DETERIORATION,
    AlertType.NO_RELIABLE_CHANGE,
)
RISK, LOW, RUPTURE = AlertType.RISK_ITEM, AlertType.LOW_ALLIANCE, AlertType.ALLIANCE_RUPTURE
OVERDUE = AlertType.OVERDUE_MEASURE

# Reason texts exactly as core.alerts words them.
PHQ_RED_RATIONAL = "PHQ-9 19 at session 4; reliable deterioration from intake"
PHQ_RED_EMPIRICAL = (
    "PHQ-9 19 at session 4; expected 13.2 for clients who started here; "
    "beyond the 90% tolerance line at 17.8"
)
PHQ_RED_EMPIRICAL_RD = (
    "PHQ-9 19 at session 4; reliable deterioration from intake; "
    "expected 13.2 for clients who started here"
)
PHQ_RD = "PHQ-9 19 at session 4, intake 12: worse by 7 (reliable change 6)"
PHQ_NRC = "PHQ-9 14 at session 4, intake 15: no reliable improvement by session 4"
PHQ_YELLOW_RATIONAL = "PHQ-9 14 at session 4; no reliable improvement by session 4"
PHQ_YELLOW_EMPIRICAL = (
    "PHQ-9 14 at session 4; expected 10.2 for clients who started here; "
    "beyond the 75% tolerance line at 12.5"
)
GAD_RED = "GAD-7 18 at session 4; reliable deterioration from intake"
GAD_RD = "GAD-7 18 at session 4, intake 12: worse by 6 (reliable change 4)"
RISK_TEXT = "PHQ-9 risk item: 9 = 1 (session 4)"
LOW_TEXT = "SRS 30 at session 4; cut-off 36"
RUPTURE_TEXT = "SRS 30 at session 4, down 8 from 38; more than 2 × SD 1.5"
OVERDUE_TEXT = "outcome measure overdue: last measured 2026-09-01, 28 days and 3 sessions ago"


def fact(
    alert_id: int,
    alert_type: AlertType,
    code: str = "phq9",
    reason: str = "",
    *,
    severity: Severity | None = None,
    status: AttentionStatus = OPEN,
    hours: int = 0,
    escalated: bool = False,
) -> AlertFact:
    return AlertFact(
        id=alert_id,
        type=alert_type,
        severity=severity,
        instrument_code=code,
        reason=reason or f"{alert_type} on {code}",
        status=status,
        opened_at=T0 + timedelta(hours=hours),
        escalated=escalated,
    )


def red(
    alert_id: int, code: str = "phq9", reason: str = PHQ_RED_RATIONAL, **kw: object
) -> AlertFact:
    return fact(alert_id, NOT, code, reason, severity=Severity.RED, **kw)  # type: ignore[arg-type]


def yellow(alert_id: int, reason: str = PHQ_YELLOW_RATIONAL, **kw: object) -> AlertFact:
    return fact(alert_id, NOT, "phq9", reason, severity=Severity.YELLOW, **kw)  # type: ignore[arg-type]


def card_of(*facts: AlertFact) -> Card:
    card = attention_card(facts)
    assert card is not None
    return card


def test_no_unresolved_alerts_make_no_card() -> None:
    assert attention_card([]) is None


# --- merging: (alerts on the episode) -> (headline, level, words, types) of its one reason ----
MERGES = [
    pytest.param(
        [red(1), fact(2, RD, reason=PHQ_RD)],
        (RD, Level.RED, PHQ_RD, (RD, NOT)),
        id="red not-on-track and reliable deterioration on PHQ-9 are one red reason "
        "headed by the deterioration; the rational band words only repeat it",
    ),
    pytest.param(
        [red(1, reason=PHQ_RED_EMPIRICAL_RD), fact(2, RD, reason=PHQ_RD)],
        (RD, Level.RED, f"{PHQ_RD}; expected 13.2 for clients who started here", (RD, NOT)),
        id="under the empirical method the merged reason keeps the expected score and says "
        "the deterioration once",
    ),
    pytest.param(
        [red(1, reason=PHQ_RED_EMPIRICAL), fact(2, RD, reason=PHQ_RD)],
        (
            RD,
            Level.RED,
            f"{PHQ_RD}; expected 13.2 for clients who started here; "
            "beyond the 90% tolerance line at 17.8",
            (RD, NOT),
        ),
        id="an empirical red band beyond the tolerance line keeps all its band words",
    ),
    pytest.param(
        [red(1), fact(2, RD, reason=PHQ_RD), fact(3, NRC, reason=PHQ_NRC)],
        (RD, Level.RED, PHQ_RD, (RD, NOT, NRC)),
        id="no reliable improvement next to a deterioration is folded in without words",
    ),
    pytest.param(
        [yellow(1), fact(2, NRC, reason=PHQ_NRC)],
        (NOT, Level.YELLOW, PHQ_NRC, (NOT, NRC)),
        id="yellow not-on-track and no reliable change are one yellow reason, said once",
    ),
    pytest.param(
        [yellow(1, reason=PHQ_YELLOW_EMPIRICAL), fact(2, NRC, reason=PHQ_NRC)],
        (
            NOT,
            Level.YELLOW,
            f"{PHQ_NRC}; expected 10.2 for clients who started here; "
            "beyond the 75% tolerance line at 12.5",
            (NOT, NRC),
        ),
        id="empirical yellow with no reliable change keeps both the intake and the band",
    ),
    pytest.param(
        [red(1, reason=PHQ_RED_EMPIRICAL)],
        (NOT, Level.RED, PHQ_RED_EMPIRICAL, (NOT,)),
        id="a red not-on-track alone is told in its own words",
    ),
    pytest.param(
        [fact(2, RD, reason=PHQ_RD)],
        (RD, Level.RED, PHQ_RD, (RD,)),
        id="a reliable deterioration alone is red",
    ),
    pytest.param(
        [fact(3, NRC, reason=PHQ_NRC)],
        (NRC, Level.OTHER, PHQ_NRC, (NRC,)),
        id="no reliable change alone is neither red nor yellow",
    ),
    pytest.param(
        [fact(1, NOT, reason=PHQ_YELLOW_EMPIRICAL)],
        (NOT, Level.OTHER, f"{PHQ_YELLOW_EMPIRICAL}", (NOT,)),
        id="a not-on-track without a severity is not coloured",
    ),
    pytest.param(
        [red(1, reason="PHQ-9 red"), fact(2, RD, reason=PHQ_RD)],
        (RD, Level.RED, f"{PHQ_RD}; PHQ-9 red", (RD, NOT)),
        id="band words without a score part are kept whole",
    ),
]


@pytest.mark.parametrize(("facts", "expected"), MERGES)
def test_outcome_alerts_on_one_measure_are_one_reason(
    facts: list[AlertFact], expected: tuple[AlertType, Level, str, tuple[AlertType, ...]]
) -> None:
    (reason,) = card_of(*facts).reasons
    assert (reason.headline, reason.level, reason.text, reason.types) == expected
    assert reason.group == Group.OUTCOME and reason.key == "outcome-phq9"
    assert sorted(reason.alert_ids) == sorted(f.id for f in facts)


def test_the_same_alerts_on_two_measures_stay_two_reasons() -> None:
    card = card_of(
        red(1), fact(2, RD, reason=PHQ_RD), red(3, "gad7", GAD_RED), fact(4, RD, "gad7", GAD_RD)
    )
    assert [(r.key, r.text) for r in card.reasons] == [
        ("outcome-gad7", GAD_RD),
        ("outcome-phq9", PHQ_RD),
    ]


def test_other_alerts_are_not_merged_across_types() -> None:
    card = card_of(fact(1, LOW, "srs", LOW_TEXT), fact(2, RUPTURE, "srs", RUPTURE_TEXT))
    assert [(r.key, r.headline, r.text) for r in card.reasons] == [
        ("alliance_rupture-srs", RUPTURE, RUPTURE_TEXT),
        ("low_alliance-srs", LOW, LOW_TEXT),
    ]


def test_two_alerts_with_one_key_are_one_reason_saying_each_thing_once() -> None:
    card = card_of(fact(1, RISK, reason=RISK_TEXT), fact(2, RISK, reason=RISK_TEXT))
    assert [(r.text, r.alert_ids) for r in card.reasons] == [(RISK_TEXT, (1, 2))]


# --- ordering: the keys of the reasons, most need first ---------------------------------------
ORDERS = [
    pytest.param(
        [
            fact(7, OVERDUE, "", OVERDUE_TEXT),
            fact(6, LOW, "srs", LOW_TEXT),
            red(1),
            fact(2, RD, reason=PHQ_RD),
            red(3, "gad7", GAD_RED),
            fact(4, RD, "gad7", GAD_RD),
            fact(5, RISK, reason=RISK_TEXT),
        ],
        ["risk_item-phq9", "outcome-gad7", "outcome-phq9", "low_alliance-srs", "overdue_measure"],
        id="risk, then outcome, then alliance, then overdue (the demo client's card)",
    ),
    pytest.param(
        [yellow(1), red(2, "gad7", GAD_RED)],
        ["outcome-gad7", "outcome-phq9"],
        id="red before yellow within a group",
    ),
    pytest.param(
        [yellow(1), fact(2, NRC, "core10")],
        ["outcome-phq9", "outcome-core10"],
        id="yellow before an uncoloured reason within a group",
    ),
    pytest.param(
        [fact(1, RISK, "phq9"), fact(2, RISK, "core10")],
        ["risk_item-core10", "risk_item-phq9"],
        id="same group and level: by measure",
    ),
]


@pytest.mark.parametrize(("facts", "keys"), ORDERS)
def test_reasons_are_ordered_by_need(facts: list[AlertFact], keys: list[str]) -> None:
    assert [r.key for r in card_of(*facts).reasons] == keys


def test_the_demo_clients_card_starts_with_risk_in_words() -> None:
    card = card_of(fact(5, RISK, reason=RISK_TEXT), red(1), fact(2, RD, reason=PHQ_RD))
    first = card.reasons[0]
    assert (first.group, first.level, first.text, first.severity) == (
        Group.RISK,
        Level.RISK,
        RISK_TEXT,
        None,
    )
    assert card.reasons[1].severity == Severity.RED


# --- card state -------------------------------------------------------------------------------
STATES = [
    pytest.param(
        [red(1), fact(2, RD, reason=PHQ_RD)],
        (OPEN, False, Level.RED),
        id="all open: open, not escalated, red",
    ),
    pytest.param(
        [red(1, status=ACK), fact(2, RD, reason=PHQ_RD, status=ACK)],
        (ACK, False, Level.RED),
        id="all acknowledged: acknowledged",
    ),
    pytest.param(
        [red(1, status=ACK), fact(2, RD, reason=PHQ_RD, status=ACK), fact(3, LOW, "srs")],
        (OPEN, False, Level.RED),
        id="a new reason after an acknowledgement reopens the card",
    ),
    pytest.param(
        [yellow(1, escalated=True), fact(2, LOW, "srs")],
        (OPEN, True, Level.YELLOW),
        id="escalated when any alert is escalated; the level is the worst reason's",
    ),
    pytest.param(
        [fact(1, LOW, "srs"), fact(2, RISK, status=ACK)],
        (OPEN, False, Level.RISK),
        id="risk is the worst level even when acknowledged",
    ),
]


@pytest.mark.parametrize(("facts", "expected"), STATES)
def test_card_state(facts: list[AlertFact], expected: tuple[AttentionStatus, bool, Level]) -> None:
    card = card_of(*facts)
    assert (card.status, card.escalated, card.level) == expected
    assert card.is_open == (expected[0] == OPEN)


def test_a_reason_is_open_when_any_alert_behind_it_is_open() -> None:
    card = card_of(red(1, status=ACK), fact(2, RD, reason=PHQ_RD))
    (reason,) = card.reasons
    assert reason.is_open and reason.status == OPEN
    assert card.open_alert_ids == (1, 2)


def test_open_alert_ids_leave_out_acknowledged_reasons() -> None:
    card = card_of(fact(5, RISK, status=ACK), fact(9, LOW, "srs"), fact(3, OVERDUE, ""))
    assert card.open_alert_ids == (3, 9)


def test_card_opened_at_is_the_oldest_alert() -> None:
    card = card_of(
        red(1, hours=5), fact(2, RD, reason=PHQ_RD, hours=2), fact(3, LOW, "srs", hours=9)
    )
    assert card.opened_at == T0 + timedelta(hours=2)
    assert card.reasons[0].opened_at == T0 + timedelta(hours=2)


# --- checklist --------------------------------------------------------------------------------
def test_checklist_is_the_union_of_the_open_reasons_prompts_risk_first() -> None:
    card = card_of(red(1), fact(5, RISK, reason=RISK_TEXT), fact(6, OVERDUE, ""))
    assert card.checklist == (
        SupportAction.RISK_ASSESSMENT,
        SupportAction.SUPERVISION,
        SupportAction.SOCIAL_SUPPORT,
        SupportAction.MEDICATION_REVIEW,
        SupportAction.REVIEW_ALLIANCE,
        SupportAction.MOTIVATION_GOALS,
        SupportAction.CHANGE_APPROACH,
        SupportAction.DISCUSSED_NO_CHANGE,
    )


def test_checklist_leaves_out_acknowledged_reasons() -> None:
    card = card_of(fact(5, RISK, status=ACK), fact(6, OVERDUE, ""))
    assert card.checklist == (
        SupportAction.MOTIVATION_GOALS,
        SupportAction.REVIEW_ALLIANCE,
        SupportAction.DISCUSSED_NO_CHANGE,
    )


def test_an_acknowledged_card_has_no_checklist() -> None:
    assert card_of(fact(5, RISK, status=ACK)).checklist == ()


# --- sorting cards by need (the supervisor's queue) -------------------------------------------
def test_cards_sort_escalated_then_risk_then_open_then_level_then_oldest() -> None:
    cards = {
        "escalated yellow": card_of(yellow(1, escalated=True)),
        "risk acknowledged": card_of(fact(2, RISK, status=ACK)),
        "open red, older": card_of(red(3, hours=1)),
        "open red, newer": card_of(red(4, hours=5)),
        "open alliance": card_of(fact(5, LOW, "srs")),
        "acknowledged red": card_of(red(6, status=ACK)),
    }
    assert sorted(cards, key=lambda name: cards[name].need) == list(cards)


def test_the_input_is_not_changed() -> None:
    facts = [red(1), fact(2, RD, reason=PHQ_RD)]
    before = [replace(f) for f in facts]
    card_of(*facts)
    assert facts == before
