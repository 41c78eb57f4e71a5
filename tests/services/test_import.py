"""Importing historic scores from CSV: records created, all or nothing, idempotent, no alerts."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    AuditEvent,
    Client,
    EntryMode,
    Episode,
    EpisodeStatus,
    TherapySession,
)
from outcome_monitor.services import ServiceError, feedback, measures
from outcome_monitor.services.importing import checker
from tests.conftest import World, count
from tests.services.import_files import csv_bytes, row, run_import, weekly

PHQ9_ITEMS = [3, 2, 2, 2, 1, 2, 1, 1, 1]  # 15, risk item 9 answered 1


def _episode(client: str, label: str) -> Episode:
    return db.session.scalars(
        sa.select(Episode).join(Client).where(Client.code == client, Episode.label == label)
    ).one()


def _snapshot() -> list[tuple]:
    return db.session.execute(
        sa.select(
            Client.code, Episode.label, Episode.status, Episode.closed_on, TherapySession.number,
            TherapySession.date, Administration.instrument_code, Administration.total,
            Administration.answers,
        )
        .join(Episode, Administration.episode_id == Episode.id)
        .join(Client, Episode.client_id == Client.id)
        .join(TherapySession, Administration.session_id == TherapySession.id)
        .order_by(Administration.id)
    ).all()  # fmt: skip


def test_a_file_creates_clients_episodes_sessions_and_scored_administrations(world: World) -> None:
    r7 = {"client": "r-7", "episode": "2025a"}
    rows = [
        row(**r7, items=PHQ9_ITEMS, closed="2025-02-03", planned_end="yes"),
        row(**r7, session=2, day="2025-01-13", total=11),
        row(**r7, session=2, day="2025-01-13", measure="gad7", total=9),
        row(client="r-8", episode="b", therapist="bob@example.test", day="2025-03-03", total=20),
    ]

    result = run_import(csv_bytes(rows))

    assert result.written and result.n_issues == 0
    assert (result.clients, result.episodes, result.sessions, result.administrations) == (
        2,
        2,
        3,
        4,
    )
    episode = _episode("R-7", "2025a")
    assert (episode.client.therapist, episode.therapist) == (world.alice, world.alice)
    assert (episode.opened_on, episode.closed_on) == (date(2025, 1, 6), date(2025, 2, 3))
    assert episode.status == EpisodeStatus.CLOSED
    assert [(s.number, s.date) for s in episode.sessions] == [
        (1, date(2025, 1, 6)),
        (2, date(2025, 1, 13)),
    ]
    first = feedback.episode_administrations(episode, "phq9")[0]
    assert first.answers == {str(i): float(v) for i, v in enumerate(PHQ9_ITEMS, start=1)}
    assert (first.total, first.severity, first.risk_items) == (15.0, "moderately severe", ["9"])
    assert first.entry_mode == EntryMode.IMPORT and first.instrument_version == "1"
    assert not first.total_only
    assert _episode("R-8", "b").status == EpisodeStatus.ACTIVE
    assert _episode("R-8", "b").therapist == world.bob


def test_a_total_alone_is_stored_as_a_total_only_administration(world: World) -> None:
    run_import(csv_bytes([row(total=21)]))

    administration = db.session.scalars(sa.select(Administration)).one()
    assert administration.total_only
    assert administration.answers == {} and administration.risk_items == []
    assert (administration.total, administration.severity) == (21.0, "severe")
    assert (administration.n_missing, administration.prorated) == (0, False)


def test_a_missing_item_is_prorated_and_an_unanswered_risk_item_is_kept(world: World) -> None:
    run_import(csv_bytes([row(items=[2, 2, 2, 2, 2, 2, 2, 2, ""])]))

    administration = db.session.scalars(sa.select(Administration)).one()
    assert administration.answers["9"] is None
    assert (administration.total, administration.prorated, administration.n_missing) == (
        18,
        True,
        1,
    )
    assert administration.risk_items == ["9"]


def test_planned_end_no_closes_an_episode_as_dropped_out(world: World) -> None:
    rows = [
        row(total=18),
        row(session=2, day="2025-01-13", total=17, closed="2025-01-20", planned_end="no"),
    ]

    run_import(csv_bytes(rows))

    episode = _episode("C-1", "2025")
    assert (episode.status, episode.closed_on) == (EpisodeStatus.DROPPED_OUT, date(2025, 1, 20))


def test_closed_on_the_last_row_only_closes_the_episode(world: World) -> None:
    rows = [row(total=18), row(session=2, day="2025-01-13", total=17, closed="2025-01-20")]

    run_import(csv_bytes(rows))

    assert _episode("C-1", "2025").status == EpisodeStatus.CLOSED


def test_rows_of_an_episode_may_come_in_any_order_and_across_chunks(world: World) -> None:
    days = weekly(date(2025, 1, 6), 6)
    rows = [row(session=n, day=days[n - 1], total=20 - n) for n in (4, 2, 6, 1, 5, 3)]

    result = run_import(csv_bytes(rows), chunk_rows=2)

    episode = _episode("C-1", "2025")
    assert result.sessions == 6 and episode.opened_on == date(2025, 1, 6)
    assert [s.number for s in episode.sessions] == [1, 2, 3, 4, 5, 6]


def test_a_file_with_one_bad_row_writes_nothing(world: World) -> None:
    rows = [row(client=f"C-{i}", total=10) for i in range(50)] + [row(client="C-X", total=99)]
    audits = count(AuditEvent)

    result = run_import(csv_bytes(rows), chunk_rows=7)

    assert result.n_issues == 1 and not result.written
    assert count(Client) == 2 and count(Episode) == 2
    assert count(TherapySession) == 0 and count(Administration) == 0
    assert count(AuditEvent) == audits


def test_a_dry_run_checks_and_counts_but_writes_nothing(world: World) -> None:
    rows = [row(total=12), row(session=2, day="2025-01-13", total=10), row(client="C-2", total=3)]
    audits = count(AuditEvent)

    result = run_import(csv_bytes(rows), dry_run=True)

    assert (result.clients, result.episodes, result.sessions, result.administrations) == (
        2,
        2,
        3,
        3,
    )
    assert not result.written and result.n_issues == 0
    assert count(Client) == 2 and count(Administration) == 0 and count(AuditEvent) == audits


def test_importing_the_same_file_twice_changes_nothing(world: World) -> None:
    data = csv_bytes(
        [
            row(items=PHQ9_ITEMS, closed="2025-02-03", planned_end="yes"),
            row(session=2, day="2025-01-13", total=11.5, closed="2025-02-03", planned_end="yes"),
            row(measure="srs", items=[9.5, 8, 9.1, 10], closed="2025-02-03", planned_end="yes"),
        ]
    )
    run_import(data)
    before = _snapshot()

    again = run_import(data)

    assert again.written and again.n_issues == 0
    assert (again.skipped, again.administrations, again.clients, again.sessions) == (3, 0, 0, 0)
    assert _snapshot() == before


def test_a_second_file_adds_sessions_to_an_episode_of_the_first(world: World) -> None:
    run_import(csv_bytes([row(total=12)]))

    result = run_import(csv_bytes([row(total=12), row(session=2, day="2025-01-13", total=9)]))

    assert (result.skipped, result.administrations, result.sessions, result.episodes) == (
        1,
        1,
        1,
        0,
    )
    assert [s.number for s in _episode("C-1", "2025").sessions] == [1, 2]


def test_an_existing_client_gets_a_closed_historic_episode(world: World) -> None:
    rows = [row(client="a-001", episode="2024", total=14, closed="2025-01-31", planned_end="yes")]

    result = run_import(csv_bytes(rows))

    assert result.clients == 0 and result.episodes == 1
    assert len(world.alices_client.episodes) == 2
    assert world.alices_client.current_episode is not None
    assert world.alices_client.current_episode.label is None


def test_historic_scores_raise_no_alerts_though_live_ones_would(world: World) -> None:
    days = weekly(date(2025, 1, 6), 4)
    worsening = [row(session=n, day=days[n - 1], items=[3] * 9) for n in (2, 3, 4)]
    rows = [row(client="a-001", episode="old", day=days[0], items=[1] * 8 + [0]), *worsening]
    closed = [[*r[:-2], "2025-02-01", "yes"] for r in rows]

    run_import(csv_bytes(closed))

    stored = db.session.scalars(sa.select(Administration).order_by(Administration.id)).all()
    assert [a.risk_items for a in stored] == [[], ["9"], ["9"], ["9"]]
    assert count(Alert) == 0
    live = measures.record_administration(
        episode=world.alices_client.current_episode,
        session_id=None,
        instrument_code="phq9",
        answers={str(i): 3.0 for i in range(1, 10)},
        entry_mode=EntryMode.THERAPIST,
        by=world.alice,
    )
    assert live.alerts  # the engine is live: the same answers entered today raise an alert


def test_an_import_writes_one_audit_row_with_its_counts(world: World) -> None:
    run_import(csv_bytes([row(total=12), row(client="C-2", total=5)]), operator="ops")

    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "scores.import")
    ).one()
    assert event.actor_id is None and event.object_type == "ScoreImport"
    assert event.details["file"] == "scores.csv" and event.details["operator"] == "ops"
    assert event.details["administrations"] == 2 and event.details["clients"] == 2
    assert len(event.details["sha256"]) == 64
    assert count(AuditEvent, AuditEvent.action == "administration.record") == 0


def test_a_utf8_file_with_bom_reads_its_first_column(world: World) -> None:
    result = run_import(csv_bytes([row(client="ÉLAN-1", total=12)], bom=True))

    assert result.n_issues == 0
    assert db.session.scalar(sa.select(Client.code).where(Client.code == "ÉLAN-1"))


def test_quoted_fields_may_hold_commas_and_newlines(world: World) -> None:
    data = csv_bytes([row(episode="2025, first\nreferral", total=12), row(client="C-2", total=3)])

    result = run_import(data)

    assert result.n_issues == 0 and result.administrations == 2
    assert _episode("C-1", "2025, first\nreferral").client.code == "C-1"


def test_progress_is_reported_for_checking_then_writing(world: World) -> None:
    data = csv_bytes([row(client=f"C-{i}", total=10) for i in range(12)])
    calls: list[tuple[str, int, int]] = []

    run_import(data, size=len(data), chunk_rows=5, progress=lambda *c: calls.append(c))

    phases = [phase for phase, _done, _total in calls]
    assert phases == ["Checking"] * phases.count("Checking") + ["Writing"] * phases.count("Writing")
    assert calls[phases.count("Checking") - 1] == ("Checking", len(data), len(data))
    assert calls[-1] == ("Writing", 12, 12)


def test_a_client_created_meanwhile_rolls_the_whole_import_back(world: World, monkeypatch) -> None:
    # The first pass does not, as if the app created it after the check.
    monkeypatch.setattr(checker, "known_clients", lambda codes: {})
    rows = [
        row(client="N-1", total=3),
        row(client="a-001", episode="x", total=5, closed="2025-02-01"),
    ]

    with pytest.raises(ServiceError, match="database changed during the import"):
        run_import(csv_bytes(rows))

    assert count(Client) == 2 and count(Administration) == 0
    assert count(AuditEvent, AuditEvent.action == "scores.import") == 0
