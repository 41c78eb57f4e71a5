"""``backtest``: fit on a reference CSV, replay an evaluation CSV, report alerts and accuracy.

A plain click command (no Flask); the lead attaches it as ``flask --app wsgi outcomes backtest``.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import click

from outcome_monitor.analysis.backtest import (
    Episode,
    ReplaySetup,
    read_episodes,
    replay,
    summarise,
)
from outcome_monitor.analysis.csv_input import open_text
from outcome_monitor.core.alerts import AlertSettings
from outcome_monitor.core.change import reliable_change_threshold
from outcome_monitor.core.errors import CoreError
from outcome_monitor.core.instruments import load_library
from outcome_monitor.core.measure import MeasureRules, ReliableChangeThreshold, Tag
from outcome_monitor.core.rupture import RuptureSettings, service_session_sd
from outcome_monitor.core.trajectories import (
    EmpiricalModel,
    Method,
    NeighboursModel,
    TrajectoryParams,
    choose_model,
    course_for,
)
from outcome_monitor.core.trajectories.calibration import (
    DEFAULT_BUDGET,
    DEFAULT_RED_BUDGET,
    assess,
)
from outcome_monitor.instruments import BUNDLED_DIR


@lru_cache(maxsize=1)
def _library() -> dict[str, Any]:
    return dict(load_library(BUNDLED_DIR))


def measure_rules(code: str) -> MeasureRules:
    """The bundled instrument's MeasureRules (helper-1's library, no service overrides)."""
    library = _library()
    if code not in library:
        known = ", ".join(sorted(library))
        raise click.BadParameter(f"unknown measure {code!r}; bundled: {known}")
    rules: MeasureRules = library[code].rules()
    return rules


@dataclass(frozen=True)
class BacktestRequest:
    """The command's options as one value."""

    reference: Path
    evaluate: Path
    measure: str
    score_column: str
    alliance_measure: str | None = None
    alliance_column: str | None = None
    alliance_rc: float | None = None
    alliance_reliability: float | None = None
    method: str = "empirical"
    minimum: int = 200
    budget: float = DEFAULT_BUDGET
    red_budget: float = DEFAULT_RED_BUDGET


def _read(path: Path, score: str, alliance: str | None) -> tuple[Episode, ...]:
    return read_episodes(
        open_text(path), score_column=score, alliance_column=alliance, name=path.name
    )


def alliance_threshold(
    reference: tuple[Episode, ...], *, rc: float | None, reliability: float | None
) -> ReliableChangeThreshold | None:
    """``--alliance-rc`` as given, or computed per reference §1.1 from ``--alliance-reliability``
    and the SD of the reference episodes' first alliance scores; None if neither is given."""
    if rc is not None:
        return ReliableChangeThreshold(
            rc, inclusive=False, source="backtest --alliance-rc", tag=Tag.UNVERIFIED
        )
    if reliability is None:
        return None
    sd = statistics.stdev(e.alliance[0] for e in reference)
    return reliable_change_threshold(sd=sd, reliability=reliability)


def _settings(request: BacktestRequest, reference: tuple[Episode, ...]) -> AlertSettings:
    if request.alliance_measure is None:
        return AlertSettings()
    threshold = alliance_threshold(
        reference, rc=request.alliance_rc, reliability=request.alliance_reliability
    )
    sd = service_session_sd(e.alliance for e in reference)
    return AlertSettings(rupture=RuptureSettings(service_sd=sd, reliable_change=threshold))


def run(request: BacktestRequest) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read, fit (with rational fallback), replay and summarise; CoreError on bad input."""
    rules = measure_rules(request.measure)
    alliance = None if request.alliance_measure is None else measure_rules(request.alliance_measure)
    ref = _read(request.reference, request.score_column, request.alliance_column)
    evaluated = _read(request.evaluate, request.score_column, request.alliance_column)
    params = TrajectoryParams(budget=request.budget, red_budget=request.red_budget)
    choice = choose_model(
        request.method, (e.reference() for e in ref), rules, minimum=request.minimum, params=params
    )
    settings = _settings(request, ref)
    if (
        alliance is not None
        and (settings.rupture.reliable_change or alliance.reliable_change) is None
    ):
        raise CoreError(
            f"{alliance.code} has no reliable-change threshold for the rupture rule's guard; "
            "give --alliance-rc or --alliance-reliability (reference §1.1)"
        )
    results = replay(evaluated, ReplaySetup(rules, choice.model, settings, alliance))
    summary = summarise(evaluated, results, rules)
    summary["model"] = _model_summary(choice.model, choice.fell_back, choice.reason)
    fitted = choice.model
    if isinstance(fitted, EmpiricalModel | NeighboursModel) and fitted.calibration is not None:
        summary["evaluation"] = assess(
            [e.reference() for e in evaluated if len(e.scores) >= 2],
            rules,
            lambda intake: course_for(fitted, intake=intake),
            fitted.calibration,
        )
    if alliance is not None:
        rc = settings.rupture.reliable_change or alliance.reliable_change
        summary["rupture"] = {
            "service_sd": round(settings.rupture.service_sd, 3),
            "k": settings.rupture.k,
            "reliable_change": None if rc is None else round(rc.value, 3),
        }
    return summary, [r.to_dict() for r in results]


def _model_summary(model: Any, fell_back: bool, reason: str) -> dict[str, Any]:
    summary = {
        "method": str(model.method),
        "fell_back": fell_back,
        "reason": reason,
        "n_reference": model.n_reference,
    }
    calibration = getattr(model, "calibration", None)
    if calibration is not None:
        summary |= {
            "budget": calibration.budget,
            "red_budget": calibration.red_budget,
            "yellow_percentile": model.yellow_percentile,
            "red_percentile": model.red_percentile,
            "out_of_fold": calibration.metrics,
        }
    return summary


def _print_text(summary: dict[str, Any], episodes: list[dict[str, Any]]) -> None:
    for episode in episodes:
        alerts = "; ".join(
            f"s{a['session']} {a['type']}" + (f" {a['severity']}" if a["severity"] else "")
            for a in episode["alerts"]
        )
        click.echo(f"{episode['episode_id']} ({episode['sessions']} sessions): {alerts or '-'}")
    click.echo(json.dumps(summary, indent=2))


@click.command("backtest")
@click.option(
    "--reference",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Closed episodes to fit the model on (long CSV).",
)
@click.option(
    "--evaluate",
    "evaluate",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Episodes to replay session by session (long CSV).",
)
@click.option("--measure", required=True, help="Outcome measure code, e.g. phq9.")
@click.option("--score-column", required=True)
@click.option("--alliance-measure", help="Alliance measure code, e.g. srs.")
@click.option("--alliance-column")
@click.option(
    "--alliance-rc",
    type=float,
    help="Reliable-change threshold for an alliance measure without one (§1.1).",
)
@click.option(
    "--alliance-reliability",
    type=float,
    help="Or: reliability to compute it from the SD of the reference's first alliance scores.",
)
@click.option(
    "--method", type=click.Choice([str(m) for m in Method]), default="empirical", show_default=True
)
@click.option("--minimum", type=click.IntRange(min=1), default=200, show_default=True)
@click.option(
    "--budget",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=DEFAULT_BUDGET,
    show_default=True,
    help="Share of episodes allowed an outcome alert by session 3 (fitted methods).",
)
@click.option(
    "--red-budget",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=DEFAULT_RED_BUDGET,
    show_default=True,
    help="Share of episodes allowed a red alert by session 3 (at most --budget).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def backtest_command(as_json: bool, **options: Any) -> None:
    """Replay EVALUATE through the live alert rules with a model fitted on REFERENCE."""
    request = BacktestRequest(**options)
    if (request.alliance_measure is None) != (request.alliance_column is None):
        raise click.UsageError("--alliance-measure and --alliance-column go together")
    try:
        summary, episodes = run(request)
    except CoreError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps({"summary": summary, "episodes": episodes}))
    else:
        _print_text(summary, episodes)


if __name__ == "__main__":  # pragma: no cover
    backtest_command()
