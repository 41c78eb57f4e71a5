"""Choosing the alert thresholds on the service's own closed episodes, to an alert budget.

Reference §3.1 step 5 and §3.5: calibrate the band percentiles (and the prognosis) on the
service's own data by cross-validation over episodes — never over sessions, so no episode
informs its own threshold — to a flag budget the service chooses.

Procedure (``calibrate``):

1. Split the usable reference episodes into ``folds`` groups by position (episode i goes to fold
   i mod folds). For each fold, fit the method on the other folds and compute, for every
   held-out episode, its *flag score* at sessions 2..``by_session``: the largest number of
   SDs by which a score lay on the worse side of its intake-only expected score (+∞ at a
   reliable deterioration from intake). An episode is flagged at percentile p by session 3 exactly
   when its flag score exceeds z_p, the live rule's own comparison (``flag_z``).
2. The yellow percentile is the smallest whose out-of-fold share of flagged episodes stays
   within ``budget``; the red percentile likewise for ``red_budget`` (both kept in 50–99.9).
3. The prognosis of each held-out episode, made after its scores up to session
   min(by_session, n − 1) — never the session that defines its outcome — is recalibrated with a
   logistic fit (Platt) against the observed outcome, and its calibration by decile recorded.
4. Out-of-fold sensitivity, specificity, PPV, share flagged and alerts per 100 sessions are
   recorded with the thresholds, and the sensitivity the service would buy at other budgets.

Every figure counts only alerts raised before the episode's last session, whose score defines
the outcome (an alert raised at the last session is the outcome, not a warning of it). The
budget itself counts what a therapist sees: every alert by session 3.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.trajectories.base import (
    FIRST_FOLLOW_UP,
    ReferenceEpisode,
    ScorePoint,
    is_functional,
    reliably_deteriorated,
)
from outcome_monitor.core.trajectories.course import (
    Course,
    Recalibration,
    prognosis,
    worse_z,
)

Array = npt.NDArray[np.float64]
CourseFor = Callable[[float], Course]
Fitter = Callable[[Sequence[ReferenceEpisode]], CourseFor]

DEFAULT_BUDGET = 0.20  # share of episodes with an outcome alert by session 3 (issue 8; §3.5 e.g.)
DEFAULT_RED_BUDGET = 0.10  # PBHI ALERT targeted ≈ 10% of cases at highest risk [V] (§4.1)
BY_SESSION = 3  # Hannan et al. 2005: 85% of deteriorators identified by session 3 [V] (§4.1)
CURVE_BUDGETS = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40)
MIN_EVENTS = 10  # episodes of each outcome before the prognosis is recalibrated [U]
RIDGE = 1.0  # pull of the recalibration toward the identity [U]
MAX_PERCENTILE = 99.9
MIN_PERCENTILE = 50.0
_NORMAL = NormalDist()


def flag_z(
    course: Course, rules: MeasureRules, *, intake: float, session: int, score: float
) -> float:
    """The live rule's comparison value for one follow-up score (module docstring, step 1).

    +∞ at a reliable deterioration from intake (always red); otherwise ``worse_z``. A score is
    beyond the p-th percentile band iff this exceeds z_p. The band comes before "white" (past
    the cut-off), as in the order of reference §3.1 step 5: a client who started in the
    functional range and worsens more than expected is flagged even below the cut-off.
    """
    if reliably_deteriorated(rules, intake=intake, score=score):
        return math.inf
    return worse_z(course, rules, session=session, score=score)


def percentile_for(z: float) -> float:
    """The percentile whose standard-normal quantile is ``z``, kept in [50, 99.9]."""
    if not math.isfinite(z):
        return MAX_PERCENTILE if z > 0 else MIN_PERCENTILE
    return min(max(100 * _NORMAL.cdf(z), MIN_PERCENTILE), MAX_PERCENTILE)


@dataclass(frozen=True)
class Calibration:
    """What the refit chose and how it did out of fold; stored with the model version."""

    budget: float
    red_budget: float
    folds: int
    n_episodes: int
    typical_last_session: int
    deterioration: Recalibration = field(default_factory=Recalibration)
    recovery: Recalibration = field(default_factory=Recalibration)
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; ``Calibration.from_dict`` reverses it."""
        return {
            "budget": self.budget,
            "red_budget": self.red_budget,
            "folds": self.folds,
            "n_episodes": self.n_episodes,
            "typical_last_session": self.typical_last_session,
            "deterioration": [self.deterioration.alpha, self.deterioration.beta],
            "recovery": [self.recovery.alpha, self.recovery.beta],
            "metrics": self.metrics,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        det, rec = data["deterioration"], data["recovery"]
        return cls(
            budget=float(data["budget"]),
            red_budget=float(data["red_budget"]),
            folds=int(data["folds"]),
            n_episodes=int(data["n_episodes"]),
            typical_last_session=int(data["typical_last_session"]),
            deterioration=Recalibration(float(det[0]), float(det[1])),
            recovery=Recalibration(float(rec[0]), float(rec[1])),
            metrics=dict(data.get("metrics", {})),
        )


@dataclass(frozen=True)
class HeldOut:
    """Out-of-fold values of one episode (module docstring, steps 1 and 3)."""

    live_score: float  # flag score over sessions 2..by_session (what the therapist sees)
    honest_score: float  # the same over sessions before the last one only
    deteriorated: bool  # eventual reliable deterioration (last score against intake)
    case: bool  # clinical at intake
    recovered: bool  # a case at intake, past the cut-off at the end
    p_deterioration: float
    p_recovery: float | None
    sessions: int


def typical_last_session(episodes: Sequence[ReferenceEpisode]) -> int:
    """The median last session of the reference episodes (at least 2): the prognosis horizon."""
    if not episodes:
        raise TrajectoryError("no reference episodes")
    return max(FIRST_FOLLOW_UP, int(np.median([e.sessions[-1] for e in episodes])))


def _points(episode: ReferenceEpisode) -> list[ScorePoint]:
    return [
        ScorePoint(s, date.min, v) for s, v in zip(episode.sessions, episode.scores, strict=True)
    ]


def held_out(
    episode: ReferenceEpisode,
    course: Course,
    rules: MeasureRules,
    *,
    horizon: int,
    by_session: int = BY_SESSION,
) -> HeldOut:
    """One episode's out-of-fold values, given the course fitted without it."""
    intake, last = episode.scores[0], episode.sessions[-1]
    live = honest = -math.inf
    for session, score in zip(episode.sessions[1:], episode.scores[1:], strict=True):
        if session > by_session:
            break
        z = flag_z(course, rules, intake=intake, session=session, score=score)
        live = max(live, z)
        if session < last:
            honest = max(honest, z)
    seen = [p for p in _points(episode) if p.session < last and p.session <= by_session]
    outlook = prognosis(course, rules, intake=intake, history=seen, session=max(horizon, 2))
    case = rules.cutoff is not None and not is_functional(rules, intake)
    return HeldOut(
        live_score=live,
        honest_score=honest,
        deteriorated=reliably_deteriorated(rules, intake=intake, score=episode.scores[-1]),
        case=case,
        recovered=case and is_functional(rules, episode.scores[-1]),
        p_deterioration=outlook.p_deterioration,
        p_recovery=outlook.p_recovery,
        sessions=len(episode.sessions),
    )


def threshold_for(scores: Sequence[float], budget: float) -> float:
    """The smallest z such that the share of ``scores`` strictly above it is ≤ ``budget``.

    +∞ scores (reliable deterioration) are always flagged and use up budget first; when they
    alone exceed it, the threshold is +∞ (the band adds nothing).
    """
    if not 0 < budget < 1:
        raise TrajectoryError(f"the alert budget must lie between 0 and 1, got {budget}")
    ordered = sorted(scores, reverse=True)
    if not ordered:
        raise TrajectoryError("no episodes to choose a threshold on")
    return ordered[math.floor(budget * len(ordered) + 1e-9)]  # < len: budget < 1


def _share(flags: Array) -> float:
    return round(float(flags.mean()), 4) if len(flags) else 0.0


def accuracy(rows: Sequence[HeldOut], z: float) -> dict[str, Any]:
    """Honest accuracy at threshold ``z`` (alerts before the last session; by session 3)."""
    honest = np.array([r.honest_score > z for r in rows], dtype=bool)
    live = np.array([r.live_score > z for r in rows], dtype=bool)
    worse = np.array([r.deteriorated for r in rows], dtype=bool)

    def ratio(a: int, b: int) -> float | None:
        return None if b == 0 else round(a / b, 4)

    sessions = sum(r.sessions for r in rows)
    return {
        "episodes": len(rows),
        "deteriorated": int(worse.sum()),
        "sensitivity": ratio(int((honest & worse).sum()), int(worse.sum())),
        "specificity": ratio(int((~honest & ~worse).sum()), int((~worse).sum())),
        "ppv": ratio(int((honest & worse).sum()), int(honest.sum())),
        "share_flagged": _share(live),
        "share_flagged_before_last_session": _share(honest),
        "alerts_per_100_sessions": None if sessions == 0 else round(100 * live.sum() / sessions, 2),
    }


def curve(
    rows: Sequence[HeldOut], budgets: Sequence[float] = CURVE_BUDGETS
) -> list[dict[str, Any]]:
    """What each budget buys: the threshold it gives and the honest accuracy at it."""
    scores = [r.live_score for r in rows]
    out = []
    for budget in budgets:
        z = threshold_for(scores, budget)
        out.append(
            {"budget": budget, "percentile": round(percentile_for(z), 2), **accuracy(rows, z)}
        )
    return out


def _logit(p: Array) -> Array:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float64)


def fit_recalibration(predicted: Sequence[float], observed: Sequence[bool]) -> Recalibration:
    """Logistic regression of the outcome on logit(p) by Newton's method (Platt scaling).

    A small ridge penalty (λ = 1) pulls (alpha, beta) toward the identity (0, 1), which keeps
    the fit finite when a small sample separates. Returns the identity with fewer than
    ``MIN_EVENTS`` episodes of either outcome (too few to recalibrate).
    """
    y = np.asarray(observed, dtype=float)
    if min(y.sum(), len(y) - y.sum()) < MIN_EVENTS:
        return Recalibration()
    x = np.column_stack([np.ones_like(y), _logit(np.asarray(predicted, dtype=float))])
    prior = np.array([0.0, 1.0])
    w = prior.copy()
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -35, 35)))
        gradient = x.T @ (y - p) - RIDGE * (w - prior)
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + RIDGE * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        w = w + step
        if np.abs(step).max() < 1e-9:
            break
    return Recalibration(float(w[0]), float(w[1]))


def calibration_table(
    predicted: Sequence[float], observed: Sequence[bool], groups: int = 10
) -> list[dict[str, Any]]:
    """Mean predicted against observed rate in ``groups`` equal-sized groups by prediction."""
    order = np.argsort(np.asarray(predicted, dtype=float), kind="stable")
    p = np.asarray(predicted, dtype=float)[order]
    y = np.asarray(observed, dtype=float)[order]
    table = []
    for index, chunk in enumerate(np.array_split(np.arange(len(p)), groups)):
        if len(chunk) == 0:
            continue
        table.append(
            {
                "group": index + 1,
                "n": len(chunk),
                "predicted": round(float(p[chunk].mean()), 4),
                "observed": round(float(y[chunk].mean()), 4),
            }
        )
    return table


@dataclass(frozen=True)
class CalibrationResult:
    """The chosen band percentiles and the record of how they were chosen."""

    yellow_percentile: float
    red_percentile: float
    calibration: Calibration


def out_of_fold(
    episodes: Sequence[ReferenceEpisode],
    rules: MeasureRules,
    fit: Fitter,
    *,
    folds: int,
    horizon: int,
) -> list[HeldOut]:
    """Step 1 and 3's raw material: every episode's values from a model fitted without it."""
    if folds < 2 or len(episodes) < folds:
        raise TrajectoryError(f"cross-validation needs at least {max(folds, 2)} episodes and folds")
    rows: list[HeldOut | None] = [None] * len(episodes)
    for fold in range(folds):
        train = [e for i, e in enumerate(episodes) if i % folds != fold]
        course_for = fit(train)
        for i in range(fold, len(episodes), folds):
            episode = episodes[i]
            rows[i] = held_out(episode, course_for(episode.scores[0]), rules, horizon=horizon)
    return [r for r in rows if r is not None]


def _recalibrations(rows: Sequence[HeldOut]) -> tuple[Recalibration, Recalibration]:
    deterioration = fit_recalibration(
        [r.p_deterioration for r in rows], [r.deteriorated for r in rows]
    )
    cases = [r for r in rows if r.p_recovery is not None]
    recovery = fit_recalibration([r.p_recovery or 0.0 for r in cases], [r.recovered for r in cases])
    return deterioration, recovery


def calibrate(
    episodes: Sequence[ReferenceEpisode],
    rules: MeasureRules,
    fit: Fitter,
    *,
    budget: float = DEFAULT_BUDGET,
    red_budget: float = DEFAULT_RED_BUDGET,
    folds: int = 5,
) -> CalibrationResult:
    """Choose yellow and red percentiles by cross-validation over episodes (module docstring).

    Raises TrajectoryError for a budget outside (0, 1), a red budget larger than the budget,
    or fewer episodes than folds.
    """
    if not 0 < red_budget <= budget < 1:
        raise TrajectoryError("budgets need 0 < red budget ≤ alert budget < 1")
    horizon = typical_last_session(episodes)
    rows = out_of_fold(episodes, rules, fit, folds=folds, horizon=horizon)
    scores = [r.live_score for r in rows]
    z_yellow, z_red = threshold_for(scores, budget), threshold_for(scores, red_budget)
    yellow, red = percentile_for(z_yellow), percentile_for(z_red)
    if red <= yellow:
        red = min(yellow + 0.05, MAX_PERCENTILE)
        yellow = min(yellow, red - 0.05)
    deterioration, recovery = _recalibrations(rows)
    recalibrated = [deterioration.apply(r.p_deterioration) for r in rows]
    metrics = {
        "yellow": accuracy(rows, z_yellow),
        "red": accuracy(rows, z_red),
        "curve": curve(rows),
        "calibration_deterioration": calibration_table(
            recalibrated, [r.deteriorated for r in rows]
        ),
    }
    calibration = Calibration(
        budget=budget,
        red_budget=red_budget,
        folds=folds,
        n_episodes=len(rows),
        typical_last_session=horizon,
        deterioration=deterioration,
        recovery=recovery,
        metrics=metrics,
    )
    return CalibrationResult(round(yellow, 3), round(red, 3), calibration)


def assess(
    episodes: Sequence[ReferenceEpisode],
    rules: MeasureRules,
    course_for: CourseFor,
    calibration: Calibration,
    *,
    budgets: Sequence[float] = (0.10, 0.20, 0.30),
) -> dict[str, Any]:
    """A fitted, calibrated model on new episodes: the curve and the prognosis calibration.

    For each budget, the threshold the reference data chose for it (out of fold) is applied to
    ``episodes`` with the live comparison; the figures are honest as in ``accuracy``. The
    prognosis of each episode after its scores up to session min(3, n − 1) is compared with its
    outcome by decile.
    """
    horizon = calibration.typical_last_session
    rows = [held_out(e, course_for(e.scores[0]), rules, horizon=horizon) for e in episodes]
    chosen = {row["budget"]: row["percentile"] for row in calibration.metrics.get("curve", [])}
    points = []
    for budget in budgets:
        if budget not in chosen:
            continue
        z = _NORMAL.inv_cdf(chosen[budget] / 100)
        points.append({"budget": budget, "percentile": chosen[budget], **accuracy(rows, z)})
    recalibrated = [calibration.deterioration.apply(r.p_deterioration) for r in rows]
    return {
        "curve": points,
        "calibration_deterioration": calibration_table(
            recalibrated, [r.deteriorated for r in rows]
        ),
    }
