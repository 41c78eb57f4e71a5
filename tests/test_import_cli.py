"""``flask import scores`` and ``flask export scores``: exit codes, messages, encodings, refit."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from outcome_monitor.core.simulate import preset, simulate
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, AuditEvent, Client, EpisodeStatus
from outcome_monitor.services import care, feedback, settings_changes
from tests.conftest import World, count
from tests.services.import_files import csv_bytes, row

BAD_DATE = "scores.csv: line 3, column date: '2025-02-30' is not a date (YYYY-MM-DD)"


def _file(tmp_path: Path, data: bytes, name: str = "scores.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_an_import_prints_what_it_created_and_exits_zero(runner, world: World, tmp_path) -> None:
    path = _file(tmp_path, csv_bytes([row(total=12), row(session=2, day="2025-01-13", total=9)]))

    result = runner.invoke(args=["import", "scores", path])

    assert result.exit_code == 0, result.output
    assert (
        "Imported scores.csv: 2 rows; created 1 clients, 1 episodes, 2 sessions, 2 scores; "
        "0 rows already present (skipped)." in result.stdout
    )
    assert count(Administration) == 2


def test_errors_are_printed_one_a_line_and_the_exit_code_is_non_zero(
    runner, world: World, tmp_path
) -> None:
    rows = [row(total=12), row(client="C-2", day="2025-02-30", total=30)]
    path = _file(tmp_path, csv_bytes(rows))

    result = runner.invoke(args=["import", "scores", path])

    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        BAD_DATE,
        "scores.csv: line 3, column total: 30 is outside the phq9 range 0-27",
    ]
    assert "Error: 2 error(s) in scores.csv; nothing was written." in result.stderr
    assert count(Administration) == 0


def test_a_dry_run_names_the_bad_row_then_the_fixed_file_imports(
    runner, world: World, tmp_path
) -> None:
    bad = _file(tmp_path, csv_bytes([row(total=12), row(client="C-2", day="2025-02-30", total=3)]))
    fixed = _file(tmp_path, csv_bytes([row(total=12), row(client="C-2", total=3)]), "fixed.csv")

    first = runner.invoke(args=["import", "scores", bad, "--dry-run"])
    second = runner.invoke(args=["import", "scores", fixed, "--dry-run"])

    assert first.exit_code == 1 and BAD_DATE in first.stderr
    assert second.exit_code == 0
    assert (
        "Dry run: fixed.csv has no errors in 2 rows. It would create 2 clients, 2 episodes, "
        "2 sessions, 2 scores; 0 rows already present (skipped). Nothing was written."
    ) in second.stdout
    assert count(Administration) == 0
    assert runner.invoke(args=["import", "scores", fixed]).exit_code == 0
    assert count(Administration) == 2


def test_a_file_with_a_byte_order_mark_imports(runner, world: World, tmp_path) -> None:
    path = _file(tmp_path, csv_bytes([row(client="bom-1", total=12)], bom=True))

    result = runner.invoke(args=["import", "scores", path])

    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Client.code).where(Client.code == "BOM-1")) == "BOM-1"


def test_a_latin1_file_is_refused_with_the_line_of_its_first_foreign_byte(
    runner, world: World, tmp_path
) -> None:
    text = csv_bytes([row(total=12), row(client="Zoë-2", total=9)]).decode("utf-8")
    path = _file(tmp_path, text.encode("latin-1"))

    result = runner.invoke(args=["import", "scores", path])

    assert result.exit_code == 1
    assert (
        "scores.csv: line 3, column client: not UTF-8 text (byte 0xEB); save the file as UTF-8"
        in result.stderr
    )
    assert count(Administration) == 0


def test_refit_with_a_dry_run_is_a_usage_error(runner, world: World, tmp_path) -> None:
    path = _file(tmp_path, csv_bytes([row(total=12)]))

    result = runner.invoke(args=["import", "scores", path, "--dry-run", "--refit"])

    assert result.exit_code == 2 and "--refit runs after a real import" in result.stderr


def test_an_unknown_team_exits_non_zero(runner, world: World, tmp_path) -> None:
    path = _file(tmp_path, csv_bytes([row(total=12)]))

    result = runner.invoke(args=["import", "scores", path, "--team", "West"])

    assert result.exit_code == 1 and "No team called West" in result.stderr


def _history(n: int) -> bytes:
    """``n`` simulated, closed PHQ-9 episodes of Alice (synthetic; reference §6.3)."""
    start = date(2024, 1, 1)
    rows = []
    for i, episode in enumerate(simulate(preset("phq9"), episodes=n, seed=11)):
        days = [start + timedelta(days=i + 7 * k) for k in range(len(episode.scores))]
        closed = (days[-1] + timedelta(days=7)).isoformat()
        for k, total in enumerate(episode.scores):
            rows.append(row(client=f"H-{i:03d}", session=k + 1, day=days[k].isoformat(),
                            total=f"{total:g}", closed=closed, planned_end="yes"))  # fmt: skip
    return csv_bytes(rows)


def test_refit_after_an_import_puts_the_empirical_method_in_use(
    runner, world: World, tmp_path
) -> None:
    settings_changes.update_settings(
        changes={"empirical_min_episodes": 20, "trajectory_method": "empirical"}, by=world.ada
    )
    assert feedback.model_in_use("phq9").version is None
    path = _file(tmp_path, _history(30))

    result = runner.invoke(args=["import", "scores", path, "--refit"])

    assert result.exit_code == 0, result.output
    assert "Refit: stored" in result.stdout and "phq9/empirical (n=30)" in result.stdout
    in_use = feedback.model_in_use("phq9")
    assert in_use.version is not None and in_use.version.method == "empirical"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_writes_items_or_the_total_and_the_closing_on_every_row(
    runner, world: World, tmp_path
) -> None:
    rows = [
        row(items=[3, 2, 2, 2, 1, 2, 1, 1, 0], closed="2025-02-03", planned_end="no"),
        row(session=2, day="2025-01-13", total=11.5),
        row(client="C-2", measure="srs", items=[9.5, 8, 9.1, 10]),
    ]
    runner.invoke(args=["import", "scores", _file(tmp_path, csv_bytes(rows))])
    out = tmp_path / "out.csv"

    result = runner.invoke(args=["export", "scores", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert "Wrote 3 rows (2 episodes)" in result.stdout
    exported = _read(out)
    assert [
        (r["client"], r["session"], r["total"], r["item_1"], r["item_9"]) for r in exported
    ] == [
        ("C-1", "1", "", "3", "0"),
        ("C-1", "2", "11.5", "", ""),
        ("C-2", "1", "", "9.5", ""),
    ]
    assert [(r["closed"], r["planned_end"]) for r in exported] == [
        ("2025-02-03", "no"),
        ("2025-02-03", "no"),
        ("", ""),
    ]
    assert list(exported[0])[-2:] == ["closed", "planned_end"]
    assert "item_10" not in exported[0]  # no exported measure has ten items


def test_export_filters_by_team_and_closed_episodes(runner, world: World, tmp_path) -> None:
    rows = [
        row(client="N-1", total=12, closed="2025-02-03"),
        row(client="N-2", total=12),
        row(client="S-1", therapist="carol@example.test", total=5, closed="2025-02-03"),
    ]
    runner.invoke(args=["import", "scores", _file(tmp_path, csv_bytes(rows))])
    out = tmp_path / "north.csv"

    result = runner.invoke(args=["export", "scores", "--out", str(out), "--team", "North",
                                 "--closed-only"])  # fmt: skip

    assert result.exit_code == 0, result.output
    assert [r["client"] for r in _read(out)] == ["N-1"]
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "scores.export")
    ).one()
    assert event.details["rows"] == 1 and event.details["team"] == "North"
    assert event.details["closed_only"] is True


def test_export_to_an_unknown_team_writes_no_file(runner, world: World, tmp_path) -> None:
    out = tmp_path / "none.csv"

    result = runner.invoke(args=["export", "scores", "--out", str(out), "--team", "West"])

    assert result.exit_code == 1 and "No team called West" in result.stderr
    assert not out.exists()


def test_export_keeps_the_later_of_two_scores_in_one_session(
    runner, world: World, tmp_path
) -> None:
    episode = world.alices_client.current_episode
    session = care.record_session(
        episode=episode, session_date=date(2026, 9, 1), attended=True, by=world.alice
    )
    for total in (12.0, 14.0):
        db.session.add(Administration(episode=episode, session=session, instrument_code="phq9",
                                      instrument_version="1", answers={}, total=total,
                                      entry_mode="import"))  # fmt: skip
    db.session.commit()
    out = tmp_path / "out.csv"

    result = runner.invoke(args=["export", "scores", "--out", str(out)])

    assert [r["total"] for r in _read(out)] == ["14"]
    assert "Left out 1 earlier scores of a measure given twice in one session" in result.stdout
    assert episode.status == EpisodeStatus.ACTIVE
