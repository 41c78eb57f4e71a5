"""The simulate command writes deterministic long-format CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from outcome_monitor.analysis.simulate_cli import simulate_command


def test_simulate_writes_long_csv_with_alliance(tmp_path: Path) -> None:
    out = tmp_path / "sim.csv"
    result = CliRunner().invoke(
        simulate_command, ["--episodes", "20", "--seed", "3", "--alliance", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == [
        "episode_id",
        "session",
        "phq9",
        "srs",
        "planted_rupture",
        "response_class",
    ]
    assert rows[0]["session"] == "1" and len({r["episode_id"] for r in rows}) == 20
    assert {r["planted_rupture"] for r in rows} <= {"0", "1"}


def test_simulate_is_deterministic_on_stdout() -> None:
    runner = CliRunner()
    args = ["--episodes", "5", "--seed", "9", "--measure", "gad7"]
    first, second = runner.invoke(simulate_command, args), runner.invoke(simulate_command, args)
    assert first.exit_code == 0 and first.stdout == second.stdout
    header = next(csv.reader(io.StringIO(first.stdout)))
    assert header == ["episode_id", "session", "gad7", "response_class"]


def test_simulate_rejects_unknown_measure() -> None:
    result = CliRunner().invoke(simulate_command, ["--measure", "oq45"])
    assert result.exit_code == 2 and "oq45" in result.output
