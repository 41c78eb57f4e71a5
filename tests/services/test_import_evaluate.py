"""``import scores --evaluate-open`` (issue 12): the episodes a file leaves open are evaluated
once, as of their last score, through the live alert path; closed ones never are."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Alert,
    AlertStatus,
    AuditEvent,
    CaseStatus,
    Client,
    Episode,
    EpisodeStatus,
)
from outcome_monitor.services import care
from outcome_monitor.services.importing import evaluate
from tests.conftest import World, count
from tests.services.import_files import csv_bytes, row, run_import, weekly

WORSE = [10, 14, 18, 22]  # a reliable deterioration on the PHQ-9 (RCI threshold about 6)


def _episode_rows(client: str, totals: list[int], *, closed: str = "", item9: int = 0):  # type: ignore[no-untyped-def]
    days = weekly(date(2026, 9, 7), len(totals))
    rows = []
    for k, total in enumerate(totals):
        last = k == len(totals) - 1
        if last and item9:
            items = [3] * ((total - item9) // 3) + [(total - item9) % 3]
            items += [0] * (8 - len(items)) + [item9]
            cells = {"items": items}
        else:
            cells = {"total": total}
        rows.append(
            row(
                client=client,
                session=k + 1,
                day=days[k],
                closed=closed,
                planned_end="yes" if closed else "",
                **cells,  # type: ignore[arg-type]
            )
        )
    return rows


def _file() -> bytes:
    return csv_bytes(
        [
            *_episode_rows("OPEN-1", WORSE),
            *_episode_rows("SHUT-1", WORSE, closed="2026-10-12"),
            *_episode_rows("RISK-1", [12, 11, 12], item9=2),
        ]
    )


def _unresolved(code: str) -> list[str]:
    return sorted(
        db.session.scalars(
            sa.select(Alert.type)
            .join(Episode, Episode.id == Alert.episode_id)
            .join(Client, Client.id == Episode.client_id)
            .where(Client.code == code, Alert.status != AlertStatus.RESOLVED)
        )
    )


def test_without_the_flag_imported_scores_raise_no_alerts(world: World) -> None:
    result = run_import(_file())
    assert result.written and result.evaluated is None
    assert count(Alert) == 0


def test_an_open_episode_not_on_track_gets_its_alerts_and_a_closed_one_none(
    world: World,
) -> None:
    result = run_import(_file(), evaluate_open=True)
    assert result.evaluated is not None and result.evaluated.episodes == 2
    assert "reliable_deterioration" in _unresolved("OPEN-1")
    assert _unresolved("SHUT-1") == []
    assert _unresolved("RISK-1") == ["risk_item"]
    opened = db.session.scalar(
        sa.select(Episode).join(Client).where(Client.code == "OPEN-1")
    )
    stored = db.session.get_one(CaseStatus, opened.id)
    assert stored.open_alerts == len(_unresolved("OPEN-1")) and stored.colour == "red"
    audit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "scores.evaluate_open")
    ).one()
    assert audit.details["episodes"] == 2 and audit.actor_id is None


def test_importing_again_with_the_flag_creates_no_duplicate_alerts(world: World) -> None:
    run_import(_file(), evaluate_open=True)
    before = sorted(db.session.scalars(sa.select(Alert.id)))
    again = run_import(_file(), evaluate_open=True)
    assert again.skipped == again.rows and again.evaluated is not None
    assert again.evaluated.episodes == 2
    assert sorted(db.session.scalars(sa.select(Alert.id))) == before
    assert count(Alert, Alert.status == AlertStatus.RESOLVED) == 0


def test_an_episode_closed_before_the_evaluation_is_skipped(world: World) -> None:
    """Only episodes still active when the evaluation runs are evaluated (a closure between
    the import's commit and the evaluation wins)."""
    result = run_import(_file())
    episode = db.session.scalar(sa.select(Episode).join(Client).where(Client.code == "OPEN-1"))
    care.close_episode(
        episode=episode, closed_on=date(2026, 10, 5), status=EpisodeStatus.CLOSED, reason="",
        by=world.ada,
    )  # fmt: skip
    done = evaluate.evaluate_open(result.open_episodes, file="scores.csv", batch_size=1)
    assert done.episodes == 1
    assert _unresolved("OPEN-1") == [] and _unresolved("RISK-1") == ["risk_item"]


def test_the_command_prints_the_evaluation_and_refuses_a_dry_run(
    runner, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "scores.csv"
    path.write_bytes(_file())
    dry = runner.invoke(args=["import", "scores", str(path), "--dry-run", "--evaluate-open"])
    assert dry.exit_code == 2 and "--evaluate-open runs after a real import" in dry.stderr
    assert count(Alert) == 0
    done = runner.invoke(args=["import", "scores", str(path), "--evaluate-open"])
    assert done.exit_code == 0, done.output
    assert "Evaluated 2 open episodes as of their last scores" in done.stdout
    helped = runner.invoke(args=["import", "scores", "--help"])
    assert "--evaluate-open" in helped.stdout and "leaves open" in helped.stdout
