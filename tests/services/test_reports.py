"""The service outcome report, checked against the hand count of tests/report_seed.py."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from outcome_monitor.core.alerts import AlertType
from outcome_monitor.core.service_stats import wilson_interval
from outcome_monitor.core.support import SupportAction
from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, Episode, EpisodeStatus
from outcome_monitor.services import (
    NotFound,
    alerting,
    attention,
    care,
    report_scope,
    reports,
)
from outcome_monitor.services.report_cells import Column, Table, count, text
from outcome_monitor.services.report_json import report_json
from outcome_monitor.services.report_scope import Audience
from outcome_monitor.services.report_tables import build_tables, flat_rows, to_csv, visible_points
from outcome_monitor.services.reports import ReportRequest
from tests.builders import count_statements, give, phq9_sessions
from tests.conftest import World
from tests.report_seed import NORTH_POST, NORTH_PRE, PERIOD, course, seed

PROGRESS = [AlertType.NOT_ON_TRACK, AlertType.RELIABLE_DETERIORATION, AlertType.NO_RELIABLE_CHANGE]


def _north(world: World, **kwargs) -> reports.ServiceReport:  # type: ignore[no-untyped-def]
    scope = report_scope.scope_for(world.sam, world.north.id)
    return reports.build_report(scope, ReportRequest("phq9", *PERIOD, **kwargs))


def _rate(p) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return p.n, p.of


def test_counts_match_the_hand_count(world: World) -> None:
    seed(world)
    report = _north(world)
    a = report.activity
    assert (a.opened, a.closed) == (10, 9)
    assert _rate(a.dropout) == (1, 9)
    assert _rate(a.completeness) == (8, 9)
    assert (a.sessions.attended, a.sessions.missed, a.sessions.attended_with_measure) == (19, 1, 19)
    assert _rate(a.sessions_measured) == (19, 19)


def test_rates_match_the_hand_count_with_wilson_intervals(world: World) -> None:
    seed(world)
    rates = _north(world).rates
    assert rates.with_pre_and_post == 8
    assert _rate(rates.reliable_improvement) == (4, 8)
    assert _rate(rates.no_reliable_change) == (3, 8)
    assert _rate(rates.reliable_deterioration) == (1, 8)
    assert _rate(rates.recovery) == (3, 7)
    assert _rate(rates.reliable_recovery) == (2, 7)
    assert rates.recovery.rate == pytest.approx(3 / 7)
    assert rates.recovery.ci == pytest.approx(wilson_interval(3, 7))


def test_means_and_effect_size_match_a_hand_calculation(world: World) -> None:
    seed(world)
    change = _north(world).change
    assert change.pre is not None and change.post is not None and change.effect is not None
    assert change.pre.mean == pytest.approx(110 / 8)
    assert change.post.mean == pytest.approx(81 / 8)
    assert change.pre.sd == pytest.approx(statistics.stdev(NORTH_PRE))
    d = (110 / 8 - 81 / 8) / statistics.stdev(NORTH_PRE)  # PHQ-9: lower is better
    r = statistics.correlation(NORTH_PRE, NORTH_POST)
    se = (2 * (1 - r) / 8 + d * d / 16) ** 0.5
    assert change.effect.d == pytest.approx(d)
    assert change.effect.ci == pytest.approx((d - 1.96 * se, d + 1.96 * se))


def test_team_scope_leaves_other_teams_and_other_periods_out(world: World) -> None:
    seed(world)
    codes = {c.episode.client_code for c in _north(world).courses}
    assert "R-C1" not in codes and "R-OLD" not in codes
    south = reports.build_report(
        report_scope.scope_for(world.ada, world.south.id), ReportRequest("phq9", *PERIOD)
    )
    assert [c.episode.client_code for c in south.courses] == ["R-C1"]


def test_therapist_rows_merge_therapists_below_the_minimum(world: World) -> None:
    seed(world)
    report = _north(world, min_episodes=5)
    assert [(r.label, r.closed, r.rates.with_pre_and_post) for r in report.therapists] == [
        ("Alice", 7, 6)
    ]
    assert report.others is not None
    assert (report.others.closed, report.others.rates.with_pre_and_post) == (2, 2)
    assert report.others.therapists == 1
    assert _rate(report.therapists[0].rates.reliable_improvement) == (3, 6)


def test_default_minimum_of_ten_leaves_no_therapist_row_and_no_funnel(world: World) -> None:
    seed(world)
    report = _north(world)
    assert report.therapists == [] and report.funnel is None
    assert report.others is not None and report.others.therapists == 2


def test_funnel_places_each_therapist_around_the_service_rate(world: World) -> None:
    seed(world)
    funnel = _north(world, min_episodes=5).funnel
    assert funnel is not None
    assert _rate(funnel.service) == (4, 8)
    [point] = funnel.points
    assert (point.label, _rate(point.share), point.zone.value) == ("Alice", (3, 6), "within")
    assert funnel.curve[0].n <= 6 <= funnel.curve[-1].n


def test_feedback_counts_agree_with_the_alert_rows(world: World) -> None:
    seeded = seed(world)
    north = [e.id for k, e in seeded.episodes.items() if k not in ("R-C1", "R-OLD")]
    alerts = db.session.scalars(sa.select(Alert).where(Alert.episode_id.in_(north))).all()
    flagged = {a.episode_id for a in alerts if a.type in PROGRESS}
    feedback = _north(world).feedback
    assert flagged, "the seeded courses raise progress alerts (R-A5 deteriorates reliably)"
    assert _rate(feedback.flagged) == (len(flagged), 9)
    assert sum(feedback.alerts_by_type.values()) == len(alerts) == feedback.acknowledged.of
    assert feedback.acknowledged.n == 0 and feedback.median_hours_to_acknowledge is None


def test_acknowledgement_time_actions_and_escalation(world: World) -> None:
    episode = _worsening_open_episode(world)
    opened = min(a.opened_at for a in _alerts(episode))
    attention.acknowledge_card(
        episode=episode,
        actions=[SupportAction.REVIEW_ALLIANCE.value, SupportAction.SUPERVISION.value],
        note="",
        by=world.alice,
        now=opened + timedelta(hours=5),
    )
    _close(episode, world)
    feedback = _north(world).feedback
    acknowledged = [a for a in _alerts(episode) if a.acknowledged_at is not None]
    assert feedback.acknowledged.n == len(acknowledged) >= 1
    assert feedback.median_hours_to_acknowledge == pytest.approx(
        statistics.median(
            (a.acknowledged_at - a.opened_at).total_seconds() / 3600 for a in acknowledged
        )
    )
    # One card acknowledged once: each action counts once, however many alerts it covered.
    assert feedback.actions == {"review_alliance": 1, "supervision": 1}
    assert feedback.escalated_alerts == 0


def test_escalations_are_counted(world: World) -> None:
    episode = _worsening_open_episode(world)
    alerting.escalate_overdue(now=datetime.now(UTC) + timedelta(days=30))
    _close(episode, world)
    escalated = [a for a in _alerts(episode) if a.escalated_at is not None]
    feedback = _north(world).feedback
    assert escalated, "a reliable deterioration left unacknowledged is escalated"
    assert (feedback.escalated_alerts, feedback.escalated_episodes) == (len(escalated), 1)


def _worsening_open_episode(world: World) -> Episode:
    episode = give(world, *phq9_sessions(10, 17))
    assert episode is not None
    return episode


def _alerts(episode: Episode) -> list[Alert]:
    return list(db.session.scalars(sa.select(Alert).where(Alert.episode_id == episode.id)))


def _close(episode: Episode, world: World) -> None:
    care.close_episode(
        episode=episode,
        closed_on=date(2026, 10, 1),
        status=EpisodeStatus.CLOSED,
        reason="synthetic",
        by=world.alice,
    )


def test_open_snapshot_counts_open_episodes_by_status(world: World) -> None:
    seed(world)
    course(world.bob, "R-OPEN", [16, 15], status=None)
    snapshot = _north(world).open
    assert snapshot.open == 2  # Alice's world episode (no score) and R-OPEN
    assert snapshot.by_status["no_score"] == 1
    assert sum(snapshot.by_status.values()) == 2


def test_an_empty_service_gives_empty_figures_not_errors(world: World) -> None:
    report = _north(world)
    assert report.activity.closed == 0 and report.change.effect is None
    assert report.rates.recovery.rate is None and report.funnel is None
    tables = build_tables(report)
    assert tables["change"].empty and tables["outcomes"].empty
    assert report_json(report)["rates"]["recovery"] == {"n": 0, "of": 0, "rate": None, "ci": None}


def test_scope_refuses_a_team_the_supervisor_does_not_supervise(world: World) -> None:
    with pytest.raises(NotFound):
        report_scope.scope_for(world.sam, world.south.id)
    with pytest.raises(NotFound):
        report_scope.scope_for(world.alice, world.north.id)


def test_scopes_by_role(world: World) -> None:
    assert report_scope.scope_for(world.alice, None).audience is Audience.CASELOAD
    assert report_scope.scope_for(world.sam, None).audience is Audience.TEAMS
    assert report_scope.scope_for(world.ada, None).audience is Audience.SERVICE
    assert [t.name for t in report_scope.report_teams(world.sam)] == ["North"]
    assert [t.name for t in report_scope.report_teams(world.ada)] == ["North", "South"]
    assert report_scope.report_teams(world.alice) == []


def test_a_therapist_report_covers_their_own_caseload_only(world: World) -> None:
    seed(world)
    report = reports.build_report(
        report_scope.scope_for(world.bob, None), ReportRequest("phq9", *PERIOD)
    )
    assert {c.episode.client_code for c in report.courses} == {"R-B1", "R-B2"}
    assert report.therapists == [] and report.funnel is None
    assert "therapists" not in build_tables(report)


def test_the_admin_tables_hide_small_cells_and_carry_no_client_codes(world: World) -> None:
    seed(world)
    report = reports.build_report(
        report_scope.scope_for(world.ada, world.north.id), ReportRequest("phq9", *PERIOD)
    )
    tables = build_tables(report)
    assert "episodes" not in tables
    cells = {(t, r, c): v for t, r, c, *v in flat_rows(tables)}
    ri = cells[("outcomes", "All closed episodes", "Reliable improvement")]
    assert ri[0] == "<5" and ri[2:5] == [None, None, None]
    rd = cells[("outcomes", "All closed episodes", "Reliable deterioration")]
    assert rd[0] == "<5"
    everything = repr(flat_rows(tables))
    assert "R-A" not in everything and "R-B" not in everything


def test_admin_funnel_drops_points_that_would_reveal_a_small_count(world: World) -> None:
    seed(world)
    request = ReportRequest("phq9", *PERIOD, min_episodes=5)
    admin = reports.build_report(report_scope.scope_for(world.ada, world.north.id), request)
    supervisor = reports.build_report(report_scope.scope_for(world.sam, world.north.id), request)
    assert [p.label for p in visible_points(supervisor)] == ["Alice"]
    assert visible_points(admin) == []  # Alice: 3 of 6, under 5


def test_unknown_or_disabled_measure_is_not_found(world: World) -> None:
    scope = report_scope.scope_for(world.sam, None)
    with pytest.raises(NotFound):
        reports.build_report(scope, ReportRequest("srs", *PERIOD))  # an alliance measure
    with pytest.raises(NotFound):
        reports.build_report(scope, ReportRequest("nope", *PERIOD))


def _queries(world: World) -> int:
    db.session.expire_all()
    with count_statements() as statements:
        report = _north(world, min_episodes=5)
        build_tables(report)
    return len(statements)


def test_the_report_runs_the_same_number_of_queries_for_few_and_many_episodes(
    world: World,
) -> None:
    seed(world)
    few = _queries(world)
    for n in range(12):
        course(world.bob, f"R-X{n}", [14 + n % 5, 6 + n % 7])
        course(world.alice, f"R-Y{n}", [15, 9], status=None)
    assert _north(world).activity.closed == 21
    assert _queries(world) == few


def test_csv_text_that_a_spreadsheet_would_run_is_defused() -> None:
    table = Table("t", "T", [Column("Therapist"), Column("Closed", "count")])
    table.rows.append([text("=HYPERLINK(1)"), count(-3)])
    lines = to_csv(table).splitlines()
    assert lines == ["Therapist,Closed", "'=HYPERLINK(1),-3"]  # numbers stay numbers


def test_the_long_csv_leaves_out_cells_with_nothing_to_report(world: World) -> None:
    seed(world)
    rows = flat_rows(build_tables(_north(world)))
    assert ("change", "First score (intake)", "95% CI") not in {r[:3] for r in rows}
    assert all(any(v is not None for v in r[3:]) for r in rows)
