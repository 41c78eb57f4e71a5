"""The analysis commands answer an unreadable CSV with one clear line, never a traceback.

Each command is run as the evaluator runs it (click), on a file that is Latin-1 instead of
UTF-8, has a field longer than the csv module's limit (131,072 characters), or a short row.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from outcome_monitor.analysis.backtest_cli import backtest_command
from outcome_monitor.analysis.clinsig_cli import clinical_significance

CLINSIG = "id,time,score\na,1,32\na,2,53\nb,1,40\nb,2,41\nc,1,48\nc,2,30\n"
BACKTEST = "episode_id,session,phq9\ne1,1,20\ne1,2,18\ne2,1,15\ne2,2,12\n"


def _on_line_3(text: str, change: object) -> str:
    lines = text.split("\n")
    lines[2] = change(lines[2])  # type: ignore[operator]
    return "\n".join(lines)


DAMAGE = {
    # Latin-1 "é" (0xe9), as a spreadsheet in a Western-European locale saves a CSV.
    "latin-1": (
        lambda text: _on_line_3(text, lambda line: "é" + line).encode("latin-1"),
        "line 3: not UTF-8",
    ),
    "huge field": (
        lambda text: _on_line_3(text, lambda line: "x" * 140_000 + line).encode(),
        "line 3: a field is longer than 131,072 characters",
    ),
    "short row": (
        lambda text: _on_line_3(text, lambda line: line.rsplit(",", 1)[0]).encode(),
        "line 3: 2 field(s) where the header has 3",
    ),
}


def _clinsig(path: Path) -> list[str]:
    return [
        str(path),
        *("--id", "id", "--time", "time", "--outcome", "score", "--pre", "1", "--post", "2"),
        *("--reliability", "0.8", "--better", "lower"),
    ]


def _backtest(path: Path) -> list[str]:
    return [
        *("--reference", str(path), "--evaluate", str(path)),
        *("--measure", "phq9", "--score-column", "phq9", "--method", "rational"),
    ]


COMMANDS = {
    "clinical-significance": (clinical_significance, CLINSIG, _clinsig),
    "backtest": (backtest_command, BACKTEST, _backtest),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_damaged_csv_is_one_clear_line(tmp_path: Path, command: str, damage: str) -> None:
    run, text, arguments = COMMANDS[command]
    damaged, expected = DAMAGE[damage]
    path = tmp_path / "input.csv"
    path.write_bytes(damaged(text))

    result = CliRunner().invoke(run, arguments(path))

    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit | click.exceptions.Exit
    ), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: input.csv: "), result.output
    assert expected in lines[0]
    assert "Traceback" not in result.output


def test_a_bom_is_still_accepted(tmp_path: Path) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CLINSIG.encode())
    result = CliRunner().invoke(clinical_significance, _clinsig(path))
    assert result.exit_code == 0, result.output
