"""Backtest the alert rules: replay episodes session by session through ``alerts.evaluate``.

Pure apart from reading CSV text. The model is fitted on reference episodes only; every
evaluated episode is replayed as the live system would see it: at session t the rules get the
points of sessions 1..t and nothing later. Like the live system, an alert type is raised once per
episode, when it first appears (an open condition is updated, not duplicated).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TextIO

from outcome_monitor.analysis.csv_input import CheckedDictReader
from outcome_monitor.core.alerts import (
    AlertSettings,
    AlertType,
    EpisodeActivity,
    Severity,
    evaluate,
)
from outcome_monitor.core.errors import AnalysisError
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.trajectories import ReferenceEpisode, ScorePoint, TrajectoryModel
from outcome_monitor.core.trajectories.base import reliably_deteriorated, reliably_improved

FIRST_DAY = date(2000, 1, 3)
TRACKED = 3  # "by session 3": the early-warning benchmark session (reference §4.1, Hannan 2005)


@dataclass(frozen=True)
class Episode:
    """One episode from a long CSV: scores for sessions 1..n, alliance scores if requested."""

    episode_id: str
    scores: tuple[float, ...]
    alliance: tuple[float, ...] = ()

    def reference(self) -> ReferenceEpisode:
        return ReferenceEpisode(tuple(range(1, len(self.scores) + 1)), self.scores)


@dataclass(frozen=True)
class RaisedAlert:
    """The first appearance of an alert type in an episode."""

    session: int
    type: AlertType
    severity: str | None


Flag = tuple[AlertType, str | None]  # (type, required severity or None for any)


@dataclass(frozen=True)
class EpisodeResult:
    """Alerts raised in one episode (first appearance per type), escalations of an open
    condition to a higher severity (yellow → red), and every session a rupture fired."""

    episode_id: str
    sessions: int
    alerts: tuple[RaisedAlert, ...]
    escalations: tuple[RaisedAlert, ...] = ()
    rupture_sessions: tuple[int, ...] = ()

    def first_raising(self, flag: Flag) -> int | None:
        """The first session at which ``flag`` (type and, if given, severity) held."""
        kind, severity = flag
        return min(
            (
                a.session
                for a in (*self.alerts, *self.escalations)
                if a.type == kind and severity in (None, a.severity)
            ),
            default=None,
        )

    def first(self, flags: Iterable[Flag]) -> int | None:
        """The first session at which any of ``flags`` held."""
        sessions = [s for f in flags if (s := self.first_raising(f)) is not None]
        return min(sessions, default=None)

    def to_dict(self) -> dict[str, Any]:
        def listed(alerts: tuple[RaisedAlert, ...]) -> list[dict[str, Any]]:
            return [
                {"session": a.session, "type": str(a.type), "severity": a.severity} for a in alerts
            ]

        return {
            "episode_id": self.episode_id,
            "sessions": self.sessions,
            "alerts": listed(self.alerts),
            "escalations": listed(self.escalations),
        }


def _number(text: str | None, *, row: int, column: str) -> float:
    try:
        value = float(text or "")
    except ValueError:
        raise AnalysisError(f"row {row}: {column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise AnalysisError(f"row {row}: {column} {text!r} is not a finite number")
    return value


def _session(text: str | None, *, row: int) -> int:
    value = _number(text, row=row, column="session")
    if value != int(value) or value < 1:
        raise AnalysisError(f"row {row}: session {text!r} is not a whole number from 1")
    return int(value)


def _check_header(fields: Sequence[str] | None, columns: Sequence[str], name: str) -> None:
    missing = [c for c in ("episode_id", "session", *columns) if c not in (fields or ())]
    if missing:
        raise AnalysisError(f"{name}: missing column(s) {', '.join(missing)}")


def _assemble(rows: dict[str, dict[int, tuple[int, tuple[float, ...]]]]) -> tuple[Episode, ...]:
    episodes = []
    for episode_id, by_session in rows.items():
        for expected, session in enumerate(sorted(by_session), start=1):
            if session != expected:
                row = by_session[session][0]
                raise AnalysisError(
                    f"row {row}: episode {episode_id} has session {session} but "
                    f"no session {expected}; sessions must run 1, 2, 3, ..."
                )
        values = [by_session[s][1] for s in sorted(by_session)]
        episodes.append(
            Episode(
                episode_id, tuple(v[0] for v in values), tuple(v[1] for v in values if len(v) > 1)
            )
        )
    return tuple(episodes)


def read_episodes(
    handle: TextIO, *, score_column: str, alliance_column: str | None = None, name: str = "input"
) -> tuple[Episode, ...]:
    """Parse a long CSV (``episode_id,session,<columns>``); AnalysisError names the bad row.

    Rows may come in any order; per episode the sessions must be exactly 1..n, without
    duplicates. Row numbers count the header as row 1, as a spreadsheet shows them.
    """
    reader = CheckedDictReader(handle, name=name)
    columns = [score_column] + ([alliance_column] if alliance_column else [])
    _check_header(reader.fieldnames, columns, name)
    rows: dict[str, dict[int, tuple[int, tuple[float, ...]]]] = {}
    for row_number, row in enumerate(reader, start=2):
        episode_id = (row["episode_id"] or "").strip()
        if not episode_id:
            raise AnalysisError(f"row {row_number}: episode_id is empty")
        session = _session(row["session"], row=row_number)
        values = tuple(_number(row[c], row=row_number, column=c) for c in columns)
        seen = rows.setdefault(episode_id, {})
        if session in seen:
            raise AnalysisError(
                f"row {row_number}: episode {episode_id} session {session} "
                f"repeats row {seen[session][0]}"
            )
        seen[session] = (row_number, values)
    return _assemble(rows)


def _points(scores: Sequence[float]) -> tuple[ScorePoint, ...]:
    return tuple(
        ScorePoint(s, FIRST_DAY + timedelta(days=7 * (s - 1)), v)
        for s, v in enumerate(scores, start=1)
    )


@dataclass(frozen=True)
class ReplaySetup:
    """Everything ``replay_episode`` needs besides the episode."""

    outcome_rules: MeasureRules
    model: TrajectoryModel
    settings: AlertSettings = field(default_factory=AlertSettings)
    alliance_rules: MeasureRules | None = None


def replay_episode(episode: Episode, setup: ReplaySetup) -> EpisodeResult:
    """Evaluate after every session using only sessions 1..t; keep each type's first raising."""
    outcome, alliance = _points(episode.scores), _points(episode.alliance)
    raised: dict[AlertType, RaisedAlert] = {}
    escalations: list[RaisedAlert] = []
    ruptures = []
    for t in range(1, len(outcome) + 1):
        findings = evaluate(
            outcome_history=outcome[:t],
            outcome_rules=setup.outcome_rules,
            model=setup.model,
            as_of=outcome[t - 1].on,
            alliance_history=alliance[:t],
            alliance_rules=setup.alliance_rules,
            settings=setup.settings,
            activity=EpisodeActivity(FIRST_DAY, held=tuple(range(1, t + 1)), last_measured=t),
        )
        for finding in findings:
            alert = RaisedAlert(t, finding.type, finding.severity and str(finding.severity))
            first = raised.setdefault(finding.type, alert)
            if _escalates(first, escalations, alert):
                escalations.append(alert)
            if finding.type == AlertType.ALLIANCE_RUPTURE:
                ruptures.append(t)
    # dict order is the order of first appearance: by session, then evaluate's rule order
    return EpisodeResult(
        episode.episode_id,
        len(outcome),
        tuple(raised.values()),
        tuple(escalations),
        tuple(ruptures),
    )


def _escalates(first: RaisedAlert, earlier: list[RaisedAlert], alert: RaisedAlert) -> bool:
    """A red finding of a type first raised as yellow, not yet escalated."""
    return (
        alert.severity == Severity.RED
        and first.severity == Severity.YELLOW
        and all(e.type != alert.type for e in earlier)
    )


def replay(episodes: Iterable[Episode], setup: ReplaySetup) -> tuple[EpisodeResult, ...]:
    """``replay_episode`` for every episode, in input order."""
    return tuple(replay_episode(e, setup) for e in episodes)


# An outcome alert (issue 8's target): yellow or red not on track, or reliable deterioration.
DETERIORATION_FLAGS: tuple[Flag, ...] = (
    (AlertType.NOT_ON_TRACK, None),
    (AlertType.RELIABLE_DETERIORATION, None),
)
RED_FLAGS: tuple[Flag, ...] = (
    (AlertType.NOT_ON_TRACK, Severity.RED),
    (AlertType.RELIABLE_DETERIORATION, None),
)
NO_IMPROVEMENT_FLAGS: tuple[Flag, ...] = (
    (AlertType.NOT_ON_TRACK, None),
    (AlertType.RELIABLE_DETERIORATION, None),
    (AlertType.NO_RELIABLE_CHANGE, None),
)


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _both(a: Sequence[bool], b: Sequence[bool]) -> int:
    return sum(x and y for x, y in zip(a, b, strict=True))


def accuracy(
    results: Sequence[EpisodeResult], positive: Sequence[bool], flags: Sequence[Flag]
) -> dict[str, Any]:
    """Sensitivity, specificity, PPV, flag share and alerts per 100 sessions for one target.

    Honest by construction: an alert raised at an episode's last session does not count, since
    that session's score defines the outcome (it is the outcome, not a warning of it). "By
    session 3" counts raisings at sessions 2..3 that came before the last session;
    ``share_flagged_by_session_3_live`` is what therapists see — every raising by session 3,
    the last session included — which is what the alert budget limits. Undefined ratios
    (no positives, no flags) are None.
    """
    first = [r.first(flags) for r in results]
    warned = [f is not None and f < r.sessions for f, r in zip(first, results, strict=True)]
    early = [w and f is not None and f <= TRACKED for w, f in zip(warned, first, strict=True)]
    live = [f is not None and f <= TRACKED for f in first]
    negative = [not p for p in positive]
    n_alerts = sum(
        (s := r.first_raising(f)) is not None and s < r.sessions for r in results for f in flags
    )
    sessions = sum(r.sessions for r in results)
    pos = sum(positive)
    return {
        "flags": [f"{t}:{s}" if s else str(t) for t, s in flags],
        "episodes": len(results),
        "positives": pos,
        "sensitivity": _ratio(_both(warned, positive), pos),
        "specificity": _ratio(_both([not f for f in warned], negative), len(results) - pos),
        "ppv": _ratio(_both(warned, positive), sum(warned)),
        "share_flagged": _ratio(sum(warned), len(results)),
        "alerts_per_100_sessions": None if sessions == 0 else round(100 * n_alerts / sessions, 2),
        "sensitivity_by_session_3": _ratio(_both(early, positive), pos),
        "specificity_by_session_3": _ratio(
            _both([not e for e in early], negative), len(results) - pos
        ),
        "ppv_by_session_3": _ratio(_both(early, positive), sum(early)),
        "share_flagged_by_session_3": _ratio(sum(early), len(results)),
        "share_flagged_by_session_3_live": _ratio(sum(live), len(results)),
        "sensitivity_before_last_session": _ratio(_both(warned, positive), pos),
    }


def summarise(
    episodes: Sequence[Episode], results: Sequence[EpisodeResult], rules: MeasureRules
) -> dict[str, Any]:
    """Accuracy for eventual reliable deterioration and eventual no reliable improvement.

    The eventual outcome is the last score against the intake with the measure's RC threshold
    (NHS TT convention: last observed score). Episodes with only an intake have no outcome and
    are left out (``excluded_intake_only``).
    """
    kept = [(e, r) for e, r in zip(episodes, results, strict=True) if len(e.scores) >= 2]
    eps, res = [e for e, _ in kept], [r for _, r in kept]
    worse = [reliably_deteriorated(rules, intake=e.scores[0], score=e.scores[-1]) for e in eps]
    stuck = [not reliably_improved(rules, intake=e.scores[0], score=e.scores[-1]) for e in eps]
    by_type = {str(t): sum(1 for r in res for a in r.alerts if a.type == t) for t in AlertType}
    sessions = sum(r.sessions for r in res)
    return {
        "episodes": len(eps),
        "sessions": sessions,
        "excluded_intake_only": len(episodes) - len(eps),
        "alerts_per_100_sessions_by_type": {
            k: round(100 * v / sessions, 2) if sessions else None for k, v in by_type.items()
        },
        "reliable_deterioration": accuracy(res, worse, DETERIORATION_FLAGS),
        "reliable_deterioration_red_only": accuracy(res, worse, RED_FLAGS),
        "no_reliable_improvement": accuracy(res, stuck, NO_IMPROVEMENT_FLAGS),
    }
