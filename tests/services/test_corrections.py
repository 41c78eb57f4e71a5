"""Corrections without loss: a voided or corrected score stays in the record and counts nowhere.

Synthetic data only.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from outcome_monitor.api import queries as api_queries
from outcome_monitor.extensions import db
from outcome_monitor.fhir import export as fhir_export
from outcome_monitor.fhir import search as fhir_search
from outcome_monitor.models import (
    Administration,
    Alert,
    AlertStatus,
    AuditEvent,
    Client,
    EntryMode,
    Episode,
)
from outcome_monitor.models.case_status import CaseStatus
from outcome_monitor.services import (
    NotFound,
    ServiceError,
    charting,
    corrections,
    exporting,
    feedback,
    instruments,
    report_scope,
    reports,
)
from outcome_monitor.services.corrections import AlreadyVoided
from outcome_monitor.services.reports import ReportRequest
from tests.builders import give_score, mistaken_high, phq9, week_date
from tests.conftest import World, count
from tests.report_seed import PERIOD, seed

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _open_types() -> set[str]:
    rows = db.session.scalars(sa.select(Alert).where(Alert.status != AlertStatus.RESOLVED))
    return {a.type for a in rows}


def _chart_scores(world: World) -> list[float]:
    outcome = charting.episode_chart_data(world.alices_client.current_episode).outcome
    return [p.score for p in outcome.points] if outcome else []


def _void(world: World, administration: Administration, reason: str = "typed 19 for 9"):  # type: ignore[no-untyped-def]
    return corrections.void_administration(
        user=world.alice, administration_id=administration.id, reason=reason, now=NOW
    )


def _correct(world: World, administration: Administration, total: int, **kwargs):  # type: ignore[no-untyped-def]
    return corrections.correct_administration(
        user=kwargs.pop("user", world.alice),
        administration_id=administration.id,
        answers=kwargs.pop("answers", phq9(total)),
        reason=kwargs.pop("reason", "entered the wrong client's form"),
        now=NOW,
        **kwargs,
    )


def _snapshot() -> tuple[int, int, int, list[tuple[int, object]]]:
    voided = db.session.execute(sa.select(Administration.id, Administration.voided_at)).all()
    return count(Administration), count(AuditEvent), count(Alert), sorted(voided)


def test_voiding_keeps_the_score_with_who_when_and_why(world: World) -> None:
    mistaken = mistaken_high(world)
    _void(world, mistaken, reason="  typed 19 for 9  ")
    db.session.expire_all()
    kept = db.session.get(Administration, mistaken.id)
    assert kept is not None and not kept.is_current
    assert (kept.voided_by, kept.voided_at, kept.void_reason) == (
        world.alice,
        NOW,
        "typed 19 for 9",
    )
    assert kept.replaced_by is None and kept.total == 19
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "administration.void")
    )
    assert event is not None and event.details["reason"] == "typed 19 for 9"
    assert event.object_id == str(mistaken.id) and event.client_code == "A-001"


def test_a_voided_score_leaves_the_chart_history_and_status(world: World) -> None:
    mistaken = mistaken_high(world)
    assert _chart_scores(world) == [12, 19]
    _void(world, mistaken)
    assert _chart_scores(world) == [12]
    episode = world.alices_client.current_episode
    assert [a.total for a in feedback.episode_administrations(episode)] == [12]
    assert [a.total for a in feedback.episode_administrations(episode, include_voided=True)] == [
        12,
        19,
    ]
    status = db.session.get(CaseStatus, episode.id)
    assert status is not None and (status.last_score, status.scores_counted) == (12, 1)


def test_voiding_a_mistaken_high_score_resolves_its_alerts_as_score_corrected(
    world: World,
) -> None:
    mistaken = mistaken_high(world)
    assert {"reliable_deterioration", "not_on_track"} <= _open_types()
    _void(world, mistaken)
    assert _open_types() == set()
    resolved = db.session.scalars(sa.select(Alert)).all()
    assert all(a.resolved_automatically and a.resolved_at == NOW for a in resolved)
    assert all("score corrected" in (a.action_note or "") for a in resolved)
    reasons = db.session.scalars(
        sa.select(AuditEvent.details).where(AuditEvent.action == "alert.auto_resolve")
    ).all()
    assert reasons and all(d["reason"] == "score corrected" for d in reasons)


def test_correcting_to_another_high_score_keeps_the_alert_on_the_correction(world: World) -> None:
    mistaken = mistaken_high(world)
    before = db.session.scalar(sa.select(Alert).where(Alert.type == "reliable_deterioration"))
    assert before is not None
    replacement = _correct(world, mistaken, 20)
    assert "reliable_deterioration" in _open_types()
    db.session.refresh(before)
    assert before.status != AlertStatus.RESOLVED and before.administration_id == replacement.id
    assert _chart_scores(world) == [12, 20]


def test_correcting_to_a_plausible_score_resolves_the_alerts(world: World) -> None:
    mistaken = mistaken_high(world)
    replacement = _correct(world, mistaken, 11)
    assert _open_types() == set()
    assert _chart_scores(world) == [12, 11]
    db.session.expire_all()
    original = db.session.get(Administration, mistaken.id)
    assert original is not None and original.replaced_by_id == replacement.id
    assert original.void_reason == "entered the wrong client's form"


def test_a_correction_is_a_new_administration_in_the_same_place(world: World) -> None:
    mistaken = mistaken_high(world)
    replacement = _correct(world, mistaken, 11)
    assert replacement.id != mistaken.id and replacement.is_current
    assert (replacement.session_id, replacement.episode_id) == (
        mistaken.session_id,
        mistaken.episode_id,
    )
    assert replacement.entry_mode == EntryMode.THERAPIST
    assert replacement.created_at == mistaken.created_at
    assert replacement.submission_key and len(replacement.submission_key) == 64
    assert replacement.submission_key != mistaken.submission_key
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.action.like("administration.%"))
    ).all()
    assert actions.count("administration.correct") == 1
    assert actions.count("administration.record") == 3


def test_a_risk_alert_raised_by_a_voided_score_resolves(world: World) -> None:
    give_score(world, "phq9", phq9(12), week_date(0))
    mistaken = give_score(world, "phq9", phq9(12, item9=2), week_date(1)).administration
    assert "risk_item" in _open_types()
    _void(world, mistaken)
    assert "risk_item" not in _open_types()


def test_a_risk_alert_stays_when_the_correction_also_triggers_it(world: World) -> None:
    give_score(world, "phq9", phq9(12), week_date(0))
    mistaken = give_score(world, "phq9", phq9(12, item9=2), week_date(1)).administration
    replacement = _correct(world, mistaken, 0, answers=phq9(13, item9=1))
    risk = db.session.scalar(sa.select(Alert).where(Alert.type == "risk_item"))
    assert risk is not None and risk.status != AlertStatus.RESOLVED
    assert risk.administration_id == replacement.id


def test_the_supervisor_of_the_team_may_correct(world: World) -> None:
    mistaken = mistaken_high(world)
    replacement = _correct(world, mistaken, 11, user=world.sam)
    assert replacement.entered_by == world.sam
    assert db.session.get(Administration, mistaken.id).voided_by == world.sam  # type: ignore[union-attr]


@pytest.mark.parametrize("who", ["carol", "bob", "ada"])
def test_others_get_not_found_and_nothing_changes(world: World, who: str) -> None:
    mistaken = mistaken_high(world)
    before = _snapshot()
    user = getattr(world, who)
    with pytest.raises(NotFound):
        corrections.void_administration(
            user=user, administration_id=mistaken.id, reason="x", now=NOW
        )
    with pytest.raises(NotFound):
        _correct(world, mistaken, 11, user=user)
    assert _snapshot() == before


def test_a_missing_score_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        corrections.void_administration(
            user=world.alice, administration_id=999, reason="x", now=NOW
        )


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501, "bad\x00reason"])
def test_a_missing_or_unusable_reason_changes_nothing(world: World, reason: str) -> None:
    mistaken = mistaken_high(world)
    before = _snapshot()
    with pytest.raises(ServiceError):
        _void(world, mistaken, reason=reason)
    with pytest.raises(ServiceError):
        _correct(world, mistaken, 11, reason=reason)
    assert _snapshot() == before
    assert {"reliable_deterioration", "not_on_track"} <= _open_types()


def test_voiding_twice_is_a_clear_error(world: World) -> None:
    mistaken = mistaken_high(world)
    _void(world, mistaken)
    before = _snapshot()
    with pytest.raises(AlreadyVoided, match="already voided by Alice on 2026-11-20"):
        _void(world, mistaken)
    with pytest.raises(AlreadyVoided):
        _correct(world, mistaken, 11)
    assert _snapshot() == before


def test_a_corrected_score_cannot_be_corrected_again(world: World) -> None:
    mistaken = mistaken_high(world)
    _correct(world, mistaken, 11)
    with pytest.raises(AlreadyVoided, match="already corrected"):
        _correct(world, mistaken, 10)


def test_answers_that_cannot_be_scored_change_nothing(world: World) -> None:
    mistaken = mistaken_high(world)
    before = _snapshot()
    with pytest.raises(ServiceError):
        _correct(world, mistaken, 0, answers={"1": 1.0, "9": 0.0})
    assert _snapshot() == before


def test_a_second_submit_of_the_same_correction_form_returns_the_first(world: World) -> None:
    mistaken = mistaken_high(world)
    key = "a" * 64
    first = _correct(world, mistaken, 11, submission_key=key)
    again = _correct(world, mistaken, 11, submission_key=key)
    assert again.id == first.id
    assert count(Administration) == 3


def _report(world: World) -> reports.ServiceReport:
    scope = report_scope.scope_for(world.sam, world.north.id)
    return reports.build_report(scope, ReportRequest("phq9", *PERIOD))


def _scored(code: str, total: int) -> Administration:
    found = db.session.scalar(
        sa.select(Administration)
        .join(Episode, Administration.episode_id == Episode.id)
        .join(Client, Episode.client_id == Client.id)
        .where(Client.code == code, Administration.total == total)
    )
    assert found is not None
    return found


def test_reports_count_only_the_current_value(world: World) -> None:
    seed(world)
    before = _report(world)
    assert (before.activity.completeness.n, before.activity.sessions.attended_with_measure) == (
        8,
        19,
    )
    assert before.rates.reliable_deterioration.n == 1  # R-A5: 10 then 17
    _void(world, _scored("R-A2", 9))  # R-A2 keeps one score only
    _correct(world, _scored("R-A5", 17), 11)  # 10 then 11: no reliable change
    after = _report(world)
    assert (after.activity.completeness.n, after.activity.sessions.attended_with_measure) == (7, 18)
    assert after.rates.reliable_deterioration.n == 0


def test_the_export_writes_only_current_scores(world: World) -> None:
    mistaken = mistaken_high(world)
    _correct(world, mistaken, 11)
    out = io.StringIO()
    exporting.export_scores(out=out, name="scores.csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    totals = {row["session"]: sum(float(row[f"item_{i}"]) for i in range(1, 10)) for row in rows}
    assert totals == {"1": 12, "2": 11}


def test_fhir_and_the_api_leave_voided_scores_out(world: World) -> None:
    mistaken = mistaken_high(world)
    _void(world, mistaken)
    episode = world.alices_client.current_episode
    page = fhir_search.administrations(
        world.alices_client, instrument_codes=None, offset=0, count=10
    )
    assert ([a.total for a in page.administrations], page.total) == ([12], 1)
    out = io.StringIO()
    counts = fhir_export.export_bundle(
        out, library=instruments.library(), base="https://om.example", client_code="A-001", by=None
    )
    assert (counts.responses, counts.observations) == (1, 1)
    listed, total = api_queries.administrations(episode, limit=10, offset=0)
    assert ([a.total for a in listed], total) == ([12], 1)
    assert api_queries.administration(world.alice, mistaken.id).voided_at == NOW
