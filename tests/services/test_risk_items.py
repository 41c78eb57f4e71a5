"""Risk items are never silently skipped: a blank one is stored as flagged and unanswered, and a
client on the tablet or a link must answer it or choose "prefer not to say". Synthetic data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Alert, AuditEvent, DraftAnswer, EntryMode
from outcome_monitor.services import (
    ServiceError,
    care,
    drafts,
    instruments,
    links,
    measures,
    settings_changes,
)
from outcome_monitor.services import handover as handovers
from outcome_monitor.services.drafts import IncompleteMeasure, RiskItemUnchosen
from tests.conftest import World, count

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
PHQ9_NO_ITEM_9 = {str(i): 2.0 for i in range(1, 9)}
CORE10_NO_ITEM_6 = {str(i): 1.0 for i in range(1, 11) if i != 6}


def _record(world: World, code: str, answers: dict[str, float | None]) -> Administration:
    episode = world.alices_client.current_episode
    session = care.record_session(
        episode=episode, session_date=date(2026, 9, 1), attended=True, by=world.alice
    )
    return measures.record_administration(
        episode=episode,
        session_id=session.id,
        instrument_code=code,
        answers=answers,
        entry_mode=EntryMode.PAPER,
        by=world.alice,
    ).administration


# The one scoring path -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "answers", "item", "total"),
    [
        pytest.param("phq9", PHQ9_NO_ITEM_9 | {"9": None}, "9", 18, id="PHQ-9 item 9 None"),
        pytest.param("phq9", PHQ9_NO_ITEM_9, "9", 18, id="PHQ-9 item 9 absent"),
        # Items 2 and 3 are reversed (1 -> 3): 10 x 13 / 9 answered.
        pytest.param(
            "core10", CORE10_NO_ITEM_6 | {"6": None}, "6", 130 / 9, id="CORE-10 item 6 None"
        ),
    ],
)
def test_a_blank_risk_item_is_stored_as_flagged_with_no_answer(
    world: World, code: str, answers: dict[str, float | None], item: str, total: float
) -> None:
    administration = _record(world, code, answers)

    assert administration.risk_items == [item]
    assert administration.answers.get(item) is None
    assert (administration.total, administration.prorated) == (pytest.approx(total), True)
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "administration.record")
    ).one()
    assert event.details["risk_unanswered"] == [item]


def test_a_blank_risk_item_raises_the_risk_alert(world: World) -> None:
    _record(world, "phq9", PHQ9_NO_ITEM_9 | {"9": None})

    assert count(Alert, Alert.type == "risk_item") == 1


def test_an_answered_risk_item_keeps_its_answer_and_an_unflagged_one_is_not_listed(
    world: World,
) -> None:
    triggered = _record(world, "phq9", PHQ9_NO_ITEM_9 | {"9": 2.0})
    safe = _record(world, "phq9", PHQ9_NO_ITEM_9 | {"9": 0.0})

    assert (triggered.risk_items, triggered.answers["9"]) == (["9"], 2.0)
    assert safe.risk_items == []


def test_interpretation_tells_unanswered_from_answered_risk_items(world: World) -> None:
    blank = measures.interpret(_record(world, "phq9", PHQ9_NO_ITEM_9 | {"9": None}))
    answered = measures.interpret(_record(world, "phq9", PHQ9_NO_ITEM_9 | {"9": 1.0}))
    label = "Thoughts of being better off dead or of self-harm"

    assert (blank.risk_labels, blank.risk_unanswered_labels) == ((), (label,))
    assert (answered.risk_labels, answered.risk_unanswered_labels) == ((label,), ())


# A screening measure is not tracked session by session -----------------------------------------


def test_a_screening_measure_has_no_intake_change_or_reliable_change(world: World) -> None:
    settings_changes.override_threshold(
        code="auditc",
        field="reliable_change",
        value=2,
        old_value=None,
        reason="synthetic test",
        by=world.ada,
    )
    _record(world, "auditc", {"1": 1, "2": 0, "3": 0})
    later = _record(world, "auditc", {"1": 4, "2": 4, "3": 4})

    view = measures.interpret(later)

    assert (view.intake, view.change, view.rules.reliable_change) == (None, None, None)
    assert count(Alert) == 0  # 1 -> 12 would be a reliable deterioration on a tracked measure


def test_a_screening_measure_is_offered_as_one(app: Flask) -> None:
    library = instruments.library()

    assert instruments.choice_label(library["auditc"]).endswith(
        "past-year screening, not tracked session by session"
    )
    assert instruments.choice_label(library["phq9"]) == library["phq9"].name


# Tablet hand-over and remote link: answer or "prefer not to say" ---------------------------------


def _handover(world: World, *codes: str):  # type: ignore[no-untyped-def]
    return handovers.start_handover(
        episode=world.alices_client.current_episode,
        session_id=None,
        codes=codes or ("phq9",),
        by=world.alice,
        now=NOW,
    )


def test_prefer_not_to_say_is_recorded_as_not_answered_and_flagged(world: World) -> None:
    handover = _handover(world)

    recorded = handovers.submit_measure(
        handover=handover, code="phq9", answers=PHQ9_NO_ITEM_9, declined=["9"], now=NOW
    )

    administration = recorded.administration
    assert administration.risk_items == ["9"] and administration.answers.get("9") is None
    assert administration.entry_mode == EntryMode.CLIENT_TABLET
    assert count(Alert, Alert.type == "risk_item") == 1


def test_a_blank_risk_item_is_refused_and_nothing_is_recorded(world: World) -> None:
    handover = _handover(world)

    with pytest.raises(RiskItemUnchosen, match="Prefer not to say") as raised:
        handovers.submit_measure(handover=handover, code="phq9", answers=PHQ9_NO_ITEM_9, now=NOW)

    assert raised.value.missing == ("9",)
    assert count(Administration) == 0
    assert drafts.draft_answers(handover, "phq9") == PHQ9_NO_ITEM_9  # the answers are kept


def test_another_item_may_still_be_skipped(world: World) -> None:
    handover = _handover(world)
    answers = {k: v for k, v in PHQ9_NO_ITEM_9.items() if k != "1"} | {"9": 0.0}

    recorded = handovers.submit_measure(handover=handover, code="phq9", answers=answers, now=NOW)

    assert recorded.administration.prorated and recorded.administration.risk_items == []


def test_a_decline_is_kept_as_a_draft_and_an_answer_replaces_it(world: World) -> None:
    handover = _handover(world)
    drafts.save_answers(owner=handover, code="phq9", answers={}, declined=["9"], now=NOW)

    assert drafts.declined_items(handover, "phq9") == {"9"}
    assert drafts.draft_answers(handover, "phq9") == {}
    progress = drafts.progress(handover)[0]
    assert "9" not in progress.missing and progress.declined == {"9"}

    drafts.save_answers(owner=handover, code="phq9", answers={"9": 1.0}, now=NOW)

    assert drafts.declined_items(handover, "phq9") == frozenset()
    assert drafts.draft_answers(handover, "phq9") == {"9": 1.0}
    assert count(DraftAnswer) == 1


@pytest.mark.parametrize(
    ("answers", "declined"),
    [
        pytest.param({}, ["1"], id="a non-risk item"),
        pytest.param({"9": 1.0}, ["9"], id="an item answered at once"),
        pytest.param({}, ["99"], id="an unknown item"),
    ],
)
def test_only_an_unanswered_risk_item_can_be_declined(
    world: World, answers: dict[str, float], declined: list[str]
) -> None:
    handover = _handover(world)

    with pytest.raises(ServiceError, match="not one of the choices"):
        drafts.save_answers(
            owner=handover, code="phq9", answers=answers, declined=declined, now=NOW
        )

    assert count(DraftAnswer) == 0


def test_a_decline_counts_as_missing_for_the_prorating_rule(world: World) -> None:
    handover = _handover(world)
    answers = {k: v for k, v in PHQ9_NO_ITEM_9.items() if k != "1"}

    with pytest.raises(IncompleteMeasure) as raised:
        handovers.submit_measure(
            handover=handover, code="phq9", answers=answers, declined=["9"], now=NOW
        )

    assert not isinstance(raised.value, RiskItemUnchosen)
    assert raised.value.missing == ("1",)  # the one the client can still answer
    assert count(Administration) == 0


def test_require_risk_choices_names_a_blank_risk_item_on_its_page(world: World) -> None:
    handover = _handover(world, "core10")
    drafts.save_answers(owner=handover, code="core10", answers={"5": 1.0}, now=NOW)

    drafts.require_risk_choices(owner=handover, code="core10", item_ids=["5"])
    with pytest.raises(RiskItemUnchosen) as raised:
        drafts.require_risk_choices(owner=handover, code="core10", item_ids=["6"])

    assert raised.value.missing == ("6",)
    drafts.save_answers(owner=handover, code="core10", answers={}, declined=["6"], now=NOW)
    drafts.require_risk_choices(owner=handover, code="core10", item_ids=["6"])


def test_a_link_records_prefer_not_to_say_as_not_answered(world: World) -> None:
    issued = links.issue_link(
        episode=world.alices_client.current_episode,
        codes=["core10"],
        by=world.alice,
        now=NOW,
        valid_days=4,
    )

    with pytest.raises(RiskItemUnchosen):
        links.submit_link_measure(
            link=issued.link, code="core10", answers=CORE10_NO_ITEM_6, now=NOW
        )
    recorded = links.submit_link_measure(
        link=issued.link, code="core10", answers={}, declined=["6"], now=NOW
    )

    administration = recorded.administration
    assert administration.entry_mode == EntryMode.REMOTE_LINK
    assert administration.risk_items == ["6"] and administration.answers.get("6") is None
    assert issued.link.used_at is not None
