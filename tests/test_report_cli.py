"""``flask report outcomes``: the hand count of tests/report_seed.py, and the page's figures."""

from __future__ import annotations

import json
import statistics
from datetime import date, timedelta

import pytest

from tests.conftest import World
from tests.report_seed import NORTH_PRE, seed

ARGS = ["report", "outcomes", "--measure", "phq9", "--from", "2026-01-01", "--to", "2026-12-31"]


def _json(runner, *extra: str) -> dict:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=[*ARGS, *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _r(n: int, of: int) -> tuple[int, int]:
    return n, of


def test_json_matches_the_hand_calculation(runner, world: World) -> None:
    seed(world)
    report = _json(runner, "--team", "North")
    assert report["measure"] == "phq9"
    assert report["episodes"]["closed"] == 9 and report["episodes"]["with_pre_and_post"] == 8
    assert report["pre"]["mean"] == pytest.approx(13.75)
    assert report["post"]["mean"] == pytest.approx(10.12, abs=0.006)  # 81 / 8 = 10.125
    assert report["pre"]["sd"] == pytest.approx(statistics.stdev(NORTH_PRE), abs=0.005)
    rates = report["rates"]
    assert (rates["reliable_improvement"]["n"], rates["reliable_improvement"]["of"]) == (4, 8)
    assert rates["reliable_improvement"]["rate"] == 0.5
    assert rates["reliable_improvement"]["ci"] == [0.2152, 0.7848]
    assert (rates["no_reliable_change"]["n"], rates["no_reliable_change"]["of"]) == (3, 8)
    assert (rates["reliable_deterioration"]["n"], rates["reliable_deterioration"]["of"]) == (1, 8)
    assert (rates["recovery"]["n"], rates["recovery"]["of"]) == (3, 7)
    assert (rates["reliable_recovery"]["n"], rates["reliable_recovery"]["of"]) == (2, 7)
    assert report["effect_size"]["d"] > 0 and len(report["effect_size"]["ci"]) == 2
    assert report["dropout"]["n"] == 1
    assert {"therapists", "feedback", "funnel", "open_episodes"} <= report.keys()


def test_whole_service_includes_every_team(runner, world: World) -> None:
    seed(world)
    report = _json(runner)
    assert report["scope"] == "Whole service"
    assert report["episodes"]["closed"] == 10  # North's 9 and Carol's R-C1
    assert report["rates"]["reliable_improvement"]["n"] == 5


def test_cli_agrees_with_the_page(runner, login_as, world: World) -> None:
    seed(world)
    query = f"date_from=2026-01-01&date_to=2026-12-31&team={world.north.id}&min_episodes=5"
    client = login_as(world.sam)
    page_csv = client.get(f"/reports/outcomes/all.csv?{query}").get_data().decode("utf-8-sig")
    cli = runner.invoke(args=[*ARGS, "--team", "North", "--format", "csv", "--min-episodes", "5"])
    assert cli.exit_code == 0, cli.output
    assert cli.output.splitlines() == page_csv.splitlines()  # the same file, bar line ends
    report = _json(runner, "--team", "North", "--min-episodes", "5")
    page = client.get(f"/reports/outcomes?{query}").get_data(as_text=True)
    for figure in report["rates"].values():
        assert f"{figure['n']} of {figure['of']} — {100 * figure['rate']:.1f}%" in page
    lo, hi = report["effect_size"]["ci"]
    assert f"{report['effect_size']['d']:.3f}" in page and f"{lo:.3f} to {hi:.3f}" in page
    assert [t["therapist"] for t in report["therapists"]] == ["Alice", "Others (merged)"]


def test_cli_output_has_no_client_codes(runner, world: World) -> None:
    seed(world)
    for fmt in ("json", "csv"):
        result = runner.invoke(args=[*ARGS, "--format", fmt, "--min-episodes", "1"])
        assert result.exit_code == 0 and "R-A" not in result.output and "R-B" not in result.output


def test_default_period_is_the_last_365_days(runner, world: World) -> None:
    result = runner.invoke(args=["report", "outcomes", "--measure", "phq9"])
    assert result.exit_code == 0, result.output
    period = json.loads(result.output)["period"]
    assert period == {
        "from": (date.today() - timedelta(days=365)).isoformat(),
        "to": date.today().isoformat(),
    }


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--team", "Nowhere"], "No team named"),
        (["--measure", "srs"], "No outcome measure srs"),
        (["--from", "2026-12-31", "--to", "2026-01-01"], "--from is after --to"),
    ],
)
def test_cli_refuses_bad_input(runner, world: World, extra: list[str], message: str) -> None:
    result = runner.invoke(args=[*ARGS, *extra])
    assert result.exit_code != 0 and message in result.output
