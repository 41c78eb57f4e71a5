"""Round trip: export scores to CSV, import the file into an empty database, same records."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Client, EntryMode, Episode, EpisodeStatus, User
from outcome_monitor.services import care, measures
from outcome_monitor.services.importing.known import episode_key
from tests.conftest import World
from tests.services.import_files import csv_bytes, row

KEEP = {"user", "team", "team_supervisor"}  # accounts stay: the file names therapists by email


def _score(episode: Episode, when: date, by: User, **answers: dict[str, float | None]) -> None:
    session = care.record_session(episode=episode, session_date=when, attended=True, by=by)
    for code, given in answers.items():
        measures.record_administration(
            episode=episode, session_id=session.id, instrument_code=code, answers=given,
            entry_mode=EntryMode.THERAPIST, by=by,
        )  # fmt: skip


def _phq9(*values: float | None) -> dict[str, float | None]:
    return {str(i): v for i, v in enumerate(values, start=1)}


def _service(world: World, tmp_path: Path, runner: Any) -> None:
    """Scores entered in the app (items, a missing item, an unanswered risk item, VAS) and
    imported ones (totals only), in active, closed and dropped-out episodes."""
    alices = world.alices_client.current_episode
    _score(alices, date(2026, 9, 1), world.alice, phq9=_phq9(3, 2, 2, 2, 1, 2, 1, 1, 1),
           srs={"1": 9.5, "2": 8.0, "3": 9.1, "4": 10.0})  # fmt: skip
    _score(alices, date(2026, 9, 8), world.alice, phq9=_phq9(2, 2, 1, 2, 1, 1, 1, 1, None),
           gad7={str(i): 1.0 for i in range(1, 8)})  # fmt: skip
    bobs = care.create_client(code="B-002", therapist=world.bob, by=world.bob)
    episode = care.open_episode(client=bobs, opened_on=date(2026, 6, 1), by=world.bob)
    for week, total in enumerate((19.0, 18.0, 17.0)):
        when = date(2026, 6, 1 + 7 * week)
        _score(episode, when, world.bob, phq9=_phq9(*([2.0] * 8), total - 16))
    care.close_episode(episode=episode, closed_on=date(2026, 6, 30),
                       status=EpisodeStatus.DROPPED_OUT, reason="", by=world.bob)  # fmt: skip
    carols = world.carols_client.current_episode
    _score(carols, date(2026, 9, 1), world.carol, core10={str(i): 2.0 for i in range(1, 11)})
    care.close_episode(episode=carols, closed_on=date(2026, 10, 1),
                       status=EpisodeStatus.CLOSED, reason="", by=world.carol)  # fmt: skip
    closed = {"client": "H-1", "episode": "2024", "closed": "2025-03-01", "planned_end": "yes"}
    history = [row(**closed, total=17), row(**closed, session=2, day="2025-01-13", total=12.5)]
    path = tmp_path / "history.csv"
    path.write_bytes(csv_bytes(history))
    assert runner.invoke(args=["import", "scores", str(path)]).exit_code == 0


def _canonical() -> dict[str, list[tuple[Any, ...]]]:
    """Every clinical record by its natural keys (database ids and provenance left out)."""
    episodes = {e.id: (e.client.code, episode_key(e.label, e.id)) for e in _all(Episode)}
    administrations = [
        (
            *episodes[a.episode_id], a.session.number, a.session.date, a.session.attended,
            a.instrument_code, a.instrument_version,
            sorted((k, None if v is None else float(v)) for k, v in a.answers.items()),
            a.total, sorted(a.subscales.items()), a.severity, a.n_missing, a.prorated,
            a.risk_items, a.total_only,
        )
        for a in _all(Administration)
    ]  # fmt: skip
    return {
        "clients": sorted((c.code, c.therapist.email) for c in _all(Client)),
        "episodes": sorted(
            (*episodes[e.id], e.therapist.email, e.opened_on, e.closed_on, e.status)
            for e in _all(Episode)
        ),
        "administrations": sorted(administrations, key=repr),
    }


def _all(model: Any) -> list[Any]:
    return list(db.session.scalars(sa.select(model)))


def _empty_clinical_tables() -> None:
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in KEEP:
                connection.execute(table.delete())


def test_export_then_import_into_an_empty_database_gives_the_same_records(
    runner, world: World, tmp_path: Path
) -> None:
    _service(world, tmp_path, runner)
    before = _canonical()
    out = tmp_path / "export.csv"
    assert runner.invoke(args=["export", "scores", "--out", str(out)]).exit_code == 0
    _empty_clinical_tables()
    assert _all(Administration) == [] and _all(Client) == []

    result = runner.invoke(args=["import", "scores", str(out)])

    assert result.exit_code == 0, result.output
    assert len(before["administrations"]) == 10
    assert _canonical() == before


def test_an_export_imported_into_its_own_database_changes_nothing(
    runner, world: World, tmp_path: Path
) -> None:
    _service(world, tmp_path, runner)
    before = _canonical()
    out = tmp_path / "export.csv"
    runner.invoke(args=["export", "scores", "--out", str(out)])

    result = runner.invoke(args=["import", "scores", str(out)])

    assert result.exit_code == 0, result.output
    assert "created 0 clients, 0 episodes, 0 sessions, 0 scores; 10 rows already present" in (
        result.stdout
    )
    assert _canonical() == before
