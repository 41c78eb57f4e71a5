from __future__ import annotations

import pytest

from outcome_monitor.core.support import (
    ACTION_LABELS,
    SupportAction,
    needs_reason,
    prompts_for,
)


@pytest.mark.parametrize(
    ("alert_type", "first"),
    [
        ("not_on_track", SupportAction.REVIEW_ALLIANCE),
        ("risk_item", SupportAction.RISK_ASSESSMENT),
        ("alliance_rupture", SupportAction.REVIEW_ALLIANCE),
        ("overdue_measure", SupportAction.MOTIVATION_GOALS),
        ("unknown_type", SupportAction.REVIEW_ALLIANCE),
    ],
)
def test_prompts_put_the_most_relevant_first_and_end_with_no_change(alert_type, first) -> None:
    prompts = prompts_for(alert_type)
    assert prompts[0] == first
    assert prompts[-1] == SupportAction.DISCUSSED_NO_CHANGE


def test_progress_alerts_offer_all_five_support_areas() -> None:
    prompts = set(prompts_for("not_on_track"))
    assert {
        SupportAction.REVIEW_ALLIANCE,
        SupportAction.MOTIVATION_GOALS,
        SupportAction.SOCIAL_SUPPORT,
        SupportAction.RISK_ASSESSMENT,
        SupportAction.SUPERVISION,
    } <= prompts


def test_every_action_has_a_label() -> None:
    assert set(ACTION_LABELS) == set(SupportAction)


def test_only_discussed_no_change_needs_a_reason() -> None:
    assert needs_reason((SupportAction.DISCUSSED_NO_CHANGE,))
    assert not needs_reason((SupportAction.SUPERVISION, SupportAction.RISK_ASSESSMENT))
