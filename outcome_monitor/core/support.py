"""Clinical support prompts offered when a therapist acknowledges an alert.

The five support areas follow the clinical support tools of the OQ System and the Trier
Treatment Navigator (clinical-reference.md §3.4, §4.2: alliance, motivation, social support and
life events, risk; feedback with such tools helps not-on-track clients most). The order per
alert type puts the most relevant prompt first; the wording is ours.
"""

from __future__ import annotations

from enum import StrEnum

from outcome_monitor.core.alerts import AlertType


class SupportAction(StrEnum):
    """What the therapist did about an alert."""

    REVIEW_ALLIANCE = "review_alliance"
    MOTIVATION_GOALS = "motivation_goals"
    SOCIAL_SUPPORT = "social_support"
    RISK_ASSESSMENT = "risk_assessment"
    MEDICATION_REVIEW = "medication_review"
    CHANGE_APPROACH = "change_approach"
    SUPERVISION = "supervision"
    DISCUSSED_NO_CHANGE = "discussed_no_change"


ACTION_LABELS: dict[SupportAction, str] = {
    SupportAction.REVIEW_ALLIANCE: "Reviewed the alliance with the client",
    SupportAction.MOTIVATION_GOALS: "Explored motivation and goals",
    SupportAction.SOCIAL_SUPPORT: "Explored social support and life events",
    SupportAction.RISK_ASSESSMENT: "Risk assessment and safety plan",
    SupportAction.MEDICATION_REVIEW: "Medication review",
    SupportAction.CHANGE_APPROACH: "Changed the approach or treatment plan",
    SupportAction.SUPERVISION: "Taking it to supervision",
    SupportAction.DISCUSSED_NO_CHANGE: "Discussed, no change (give a reason)",
}

_PROGRESS = (
    SupportAction.REVIEW_ALLIANCE,
    SupportAction.MOTIVATION_GOALS,
    SupportAction.SOCIAL_SUPPORT,
    SupportAction.RISK_ASSESSMENT,
    SupportAction.MEDICATION_REVIEW,
    SupportAction.CHANGE_APPROACH,
    SupportAction.SUPERVISION,
)
_ALLIANCE = (
    SupportAction.REVIEW_ALLIANCE,
    SupportAction.CHANGE_APPROACH,
    SupportAction.MOTIVATION_GOALS,
    SupportAction.SUPERVISION,
)
_RISK = (
    SupportAction.RISK_ASSESSMENT,
    SupportAction.SUPERVISION,
    SupportAction.SOCIAL_SUPPORT,
    SupportAction.MEDICATION_REVIEW,
)
_OVERDUE = (SupportAction.MOTIVATION_GOALS, SupportAction.REVIEW_ALLIANCE)

PROMPTS: dict[str, tuple[SupportAction, ...]] = {
    AlertType.NOT_ON_TRACK: _PROGRESS,
    AlertType.RELIABLE_DETERIORATION: _PROGRESS,
    AlertType.NO_RELIABLE_CHANGE: _PROGRESS,
    AlertType.RISK_ITEM: _RISK,
    AlertType.LOW_ALLIANCE: _ALLIANCE,
    AlertType.ALLIANCE_RUPTURE: _ALLIANCE,
    AlertType.OVERDUE_MEASURE: _OVERDUE,
}


def prompts_for(alert_type: str) -> tuple[SupportAction, ...]:
    """The support prompts for ``alert_type``, always ending with 'discussed, no change'."""
    return (*PROMPTS.get(alert_type, _PROGRESS), SupportAction.DISCUSSED_NO_CHANGE)


def needs_reason(actions: tuple[SupportAction, ...]) -> bool:
    """'Discussed, no change' must come with a reason in words."""
    return SupportAction.DISCUSSED_NO_CHANGE in actions
