"""Backtest: CSV validation, prospective replay, once-per-episode alerts, summary, command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from outcome_monitor.analysis import backtest_cli
from outcome_monitor.analysis.backtest import (
    DETERIORATION_FLAGS,
    RED_FLAGS,
    Episode,
    ReplaySetup,
    accuracy,
    read_episodes,
    replay_episode,
    summarise,
)
from outcome_monitor.analysis.backtest_cli import backtest_command
from outcome_monitor.analysis.simulate_cli import write_csv
from outcome_monitor.core.alerts import AlertType
from outcome_monitor.core.errors import AnalysisError
from outcome_monitor.core.measure import Cutoff, Direction, MeasureRules, ReliableChangeThreshold
from outcome_monitor.core.simulate import preset, simulate
from outcome_monitor.core.trajectories import RationalModel

PHQ = MeasureRules(
    "phq9",
    Direction.HIGHER_IS_WORSE,
    0,
    27,
    Cutoff(10, inclusive=True),
    ReliableChangeThreshold(6, inclusive=True),
)
SETUP = ReplaySetup(PHQ, RationalModel(measure_code="phq9"))


def parse(text: str, alliance: str | None = None) -> tuple[Episode, ...]:
    return read_episodes(io.StringIO(text), score_column="phq9", alliance_column=alliance)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("episode_id,session\nA,1\n", "missing column(s) phq9"),
        ("episode_id,session,phq9\nA,1,x\n", "row 2: phq9 'x' is not a number"),
        ("episode_id,session,phq9\nA,1,\n", "row 2: phq9 '' is not a number"),
        ("episode_id,session,phq9\nA,1,nan\n", "row 2: phq9 'nan' is not a finite number"),
        (
            "episode_id,session,phq9\nA,1,3\nA,3,4\n",
            "row 3: episode A has session 3 but no session 2",
        ),
        ("episode_id,session,phq9\nA,1,3\nA,1,4\n", "row 3: episode A session 1 repeats row 2"),
        ("episode_id,session,phq9\nA,1.5,3\n", "row 2: session '1.5' is not a whole number"),
        ("episode_id,session,phq9\nA,0,3\n", "row 2: session '0' is not a whole number"),
        ("episode_id,session,phq9\n,1,3\n", "row 2: episode_id is empty"),
    ],
    ids=[
        "missing column",
        "non-numeric score",
        "empty score",
        "nan score",
        "gap in sessions",
        "duplicate session",
        "fractional session",
        "session zero",
        "empty episode id",
    ],
)
def test_bad_input_names_the_row(text: str, message: str) -> None:
    with pytest.raises(AnalysisError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


def test_rows_in_any_order_are_assembled_by_session() -> None:
    episodes = parse("episode_id,session,phq9,srs\nB,2,5,30\nA,1,9,31\nB,1,7,29\n", "srs")
    assert episodes == (Episode("B", (7.0, 5.0), (29.0, 30.0)), Episode("A", (9.0,), (31.0,)))


def test_alert_raised_once_per_type_with_escalation() -> None:
    result = replay_episode(Episode("A", (16, 15, 14, 12, 23, 24)), SETUP)
    assert [(a.session, str(a.type), a.severity) for a in result.alerts] == [
        (4, "not_on_track", "yellow"),
        (4, "no_reliable_change", None),
        (5, "reliable_deterioration", None),
    ]
    assert [(a.session, a.severity) for a in result.escalations] == [(5, "red")]
    assert result.first(DETERIORATION_FLAGS) == 4  # any outcome alert: yellow at session 4
    assert result.first(RED_FLAGS) == 5


def test_altering_future_sessions_does_not_change_earlier_alerts() -> None:
    base = replay_episode(Episode("A", (16, 15, 14, 12, 10, 9)), SETUP)
    changed = replay_episode(Episode("A", (16, 15, 14, 12, 27, 27)), SETUP)
    assert [a for a in changed.alerts if a.session <= 4] == list(base.alerts)


def test_accuracy_counts() -> None:
    results = [
        replay_episode(Episode(str(i), scores), SETUP)
        for i, scores in enumerate([(16, 23), (16, 17, 18, 19, 23), (16, 10, 5), (16, 23, 10)])
    ]
    positive = [True, True, False, False]
    summary = accuracy(results, positive, DETERIORATION_FLAGS)
    # (16, 23): the alert at session 2 is the outcome itself (last session): not a warning.
    # (16, ..., 19, 23): yellow at 4, before the end: warned. (16, 23, 10): warned at 2.
    assert summary["sensitivity"] == 0.5 and summary["specificity"] == 0.5
    assert summary["ppv"] == 0.5
    assert summary["sensitivity_by_session_3"] == 0.0
    assert summary["share_flagged_by_session_3"] == 0.25
    assert summary["share_flagged_by_session_3_live"] == 0.5  # what therapists saw by session 3
    assert summary["sensitivity_before_last_session"] == 0.5
    assert accuracy([], [], DETERIORATION_FLAGS)["sensitivity"] is None


def test_summarise_excludes_intake_only_episodes() -> None:
    episodes = (Episode("A", (16.0,)), Episode("B", (16.0, 23.0)))
    results = [replay_episode(e, SETUP) for e in episodes]
    summary = summarise(episodes, results, PHQ)
    assert summary["excluded_intake_only"] == 1 and summary["episodes"] == 1
    assert summary["reliable_deterioration"]["positives"] == 1


@pytest.fixture(scope="module")
def csv_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("backtest")
    paths = folder / "ref.csv", folder / "eval.csv"
    for path, n, seed in zip(paths, (300, 60), (1, 2), strict=True):
        with path.open("w", encoding="utf-8") as handle:
            write_csv(
                handle,
                simulate(preset("phq9", alliance=True), episodes=n, seed=seed),
                measure="phq9",
                alliance=True,
            )
    return paths


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(backtest_command, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("method", ["rational", "empirical", "neighbours"])
def test_command_prints_json_per_episode(csv_files: tuple[Path, Path], method: str) -> None:
    code, output = invoke(
        "--reference",
        str(csv_files[0]),
        "--evaluate",
        str(csv_files[1]),
        "--measure",
        "phq9",
        "--score-column",
        "phq9",
        "--method",
        method,
        "--json",
    )
    assert code == 0, output
    data = json.loads(output)
    assert data["summary"]["model"]["method"] == method
    assert len(data["episodes"]) == 60
    first = data["episodes"][0]
    assert set(first) >= {"episode_id", "sessions", "alerts"}
    assert all(
        set(a) == {"session", "type", "severity"} for e in data["episodes"] for a in e["alerts"]
    )


def test_command_falls_back_and_prints_text(csv_files: tuple[Path, Path]) -> None:
    code, output = invoke(
        "--reference",
        str(csv_files[1]),
        "--evaluate",
        str(csv_files[1]),
        "--measure",
        "phq9",
        "--score-column",
        "phq9",
    )
    assert code == 0, output
    assert "fell back to the rational method" in output
    assert output.startswith("E000001 (")


def test_command_with_alliance(csv_files: tuple[Path, Path]) -> None:
    code, output = invoke(
        "--reference",
        str(csv_files[0]),
        "--evaluate",
        str(csv_files[1]),
        "--measure",
        "phq9",
        "--score-column",
        "phq9",
        "--alliance-measure",
        "srs",
        "--alliance-column",
        "srs",
        "--alliance-reliability",
        "0.88",
        "--json",
    )
    assert code == 0, output
    rupture = json.loads(output)["summary"]["rupture"]
    assert rupture["k"] == 2.0 and rupture["reliable_change"] > 0
    code, output = invoke(
        "--reference",
        str(csv_files[0]),
        "--evaluate",
        str(csv_files[1]),
        "--measure",
        "phq9",
        "--score-column",
        "phq9",
        "--alliance-measure",
        "srs",
        "--alliance-column",
        "srs",
        "--alliance-rc",
        "4",
        "--json",
    )
    assert code == 0 and json.loads(output)["summary"]["rupture"]["reliable_change"] == 4


def test_command_errors(csv_files: tuple[Path, Path], tmp_path: Path) -> None:
    ref, ev = str(csv_files[0]), str(csv_files[1])
    base = ["--reference", ref, "--evaluate", ev, "--measure", "phq9"]
    code, output = invoke(*base, "--score-column", "gad7")
    assert code == 1 and "missing column(s) gad7" in output
    code, output = invoke(*base, "--score-column", "phq9", "--alliance-measure", "srs")
    assert code == 2 and "go together" in output
    code, output = invoke(
        *base, "--score-column", "phq9", "--alliance-measure", "auditc", "--alliance-column", "srs"
    )
    assert code == 1 and "reliable-change threshold" in output
    bad = tmp_path / "bad.csv"
    bad.write_text("episode_id,session,phq9\nA,1,3\nA,3,4\n", encoding="utf-8")
    code, output = invoke(
        "--reference", ref, "--evaluate", str(bad), "--measure", "phq9", "--score-column", "phq9"
    )
    assert code == 1 and "row 3: episode A has session 3 but no session 2" in output
    code, output = invoke(
        "--reference", ref, "--evaluate", ev, "--measure", "oq45", "--score-column", "phq9"
    )
    assert code == 2 and "unknown measure 'oq45'" in output


def test_measure_rules_come_from_the_instrument_library() -> None:
    rules = backtest_cli.measure_rules("phq9")
    assert rules.direction == Direction.HIGHER_IS_WORSE and rules.reliable_change is not None
    assert str(AlertType.NOT_ON_TRACK) == "not_on_track"
