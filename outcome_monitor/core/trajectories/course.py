"""A client's expected course given the intake only, and the separately labelled prognosis.

Both fitted methods reduce, for one client with intake ``y1``, to a Gaussian log-linear course
(reference §3.1 steps 2–4)::

    y_t = a + b·ln t + u0 + u1·ln t + ε_t,   (u0, u1) ~ N(0, D),   ε_t ~ N(0, σ²)

* empirical (§3.1): ``a = β0 + β1·y1``, ``b = γ0 + γ1·y1``, D and σ² from the mixed model;
* neighbours (§3.4): ``a, b`` the mean of the nearest past clients' own log-linear fits, D their
  spread (Lutz et al. 2006).

The **expected curve and its tolerance band** (``band``) depend on this prior course only: the
yardstick is fixed at intake and never moves with later scores (reference §3.1 step 6).

The **prognosis** (``prognosis``) answers another question — what is this client's likely score at
their last session? — with the exact empirical-Bayes update of §3.5 given the follow-up scores
so far. It is shown beside the chart, labelled as a prognosis, and never moves the band.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.trajectories.base import (
    FIRST_FOLLOW_UP,
    ExpectedBand,
    ScorePoint,
    bound_at,
    is_functional,
    reliable_change_of,
    z_for_percentile,
)

_NORMAL = NormalDist()
PROGNOSIS_INTERVAL = 80.0  # central % of the predictive distribution shown as the likely range


@dataclass(frozen=True)
class Course:
    """Prior Gaussian course of one client: mean ``a + b·ln t``, random-effect covariance
    ``D = (d00, d01, d11)`` and residual variance ``sigma2``."""

    a: float
    b: float
    d: tuple[float, float, float]
    sigma2: float

    def mean(self, session: int) -> float:
        """Expected score at ``session`` (before clipping to the measure's range)."""
        return self.a + self.b * math.log(session)

    def sd(self, session: int) -> float:
        """SD of a score at ``session``: √(z'Dz + σ²) with z = (1, ln t) (§3.1 step 4)."""
        lt = math.log(session)
        d00, d01, d11 = self.d
        return math.sqrt(max(d00 + 2 * d01 * lt + d11 * lt * lt, 0.0) + self.sigma2)


def clip(rules: MeasureRules, value: float) -> float:
    """``value`` clipped to the measure's score range."""
    return min(max(value, rules.score_min), rules.score_max)


def band(
    course: Course,
    rules: MeasureRules,
    *,
    session: int,
    yellow_percentile: float,
    red_percentile: float,
) -> ExpectedBand:
    """Expected score and one-sided tolerance bounds at ``session`` from the intake-only course.

    bound = mean ∓ z_p·sd on the worse side (upper for higher-is-worse); clipped to the range.
    """
    mean, sd = course.mean(session), course.sd(session)
    yellow, red = (
        bound_at(mean, sd, z=z_for_percentile(p), direction=rules.direction)
        for p in (yellow_percentile, red_percentile)
    )
    return ExpectedBand(
        session, clip(rules, mean), clip(rules, yellow), clip(rules, red), rules.direction
    )


def worse_z(course: Course, rules: MeasureRules, *, session: int, score: float) -> float:
    """How many SDs ``score`` lies on the worse side of the expected score (negative = better).

    A score lies beyond the p-th percentile bound exactly when this exceeds z_p, so the
    calibration (``calibration.py``) can choose thresholds on these values.
    """
    return -rules.direction * (score - course.mean(session)) / course.sd(session)


def posterior(
    course: Course, history: Sequence[ScorePoint]
) -> tuple[tuple[float, float], tuple[float, float, float]]:
    """Empirical-Bayes update of the random effects given follow-up points, reference §3.5.

    ``V = (D⁻¹ + Z'Z/σ²)⁻¹`` and ``m = V Z'(y − mean)/σ²`` over the points with session ≥ 2.
    Without follow-up points m = 0 and V = D. Raises TrajectoryError for a singular D.
    """
    d00, d01, d11 = course.d
    det_d = d00 * d11 - d01 * d01
    if det_d <= 0:
        raise TrajectoryError("the course's random-effect covariance is not positive definite")
    a00, a01, a11 = d11 / det_d, -d01 / det_d, d00 / det_d
    c0 = c1 = 0.0
    w = 1 / course.sigma2
    for point in history:
        if point.session < FIRST_FOLLOW_UP:
            continue
        lt = math.log(point.session)
        r = (point.score - course.mean(point.session)) * w
        a00, a01, a11 = a00 + w, a01 + lt * w, a11 + lt * lt * w
        c0, c1 = c0 + r, c1 + r * lt
    det = a00 * a11 - a01 * a01
    v = (a11 / det, -a01 / det, a00 / det)
    return (v[0] * c0 + v[1] * c1, v[1] * c0 + v[2] * c1), v


@dataclass(frozen=True)
class Recalibration:
    """Logistic recalibration ``p' = σ(alpha + beta·logit p)`` fitted out of fold (Platt)."""

    alpha: float = 0.0
    beta: float = 1.0

    def apply(self, p: float) -> float:
        """The recalibrated probability; p is kept inside (1e-6, 1 − 1e-6) first."""
        q = min(max(p, 1e-6), 1 - 1e-6)
        x = self.alpha + self.beta * math.log(q / (1 - q))
        return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


@dataclass(frozen=True)
class Prognosis:
    """Predicted score at ``session`` with its likely range, and the chance of two outcomes.

    ``p_deterioration``: P(reliably worse than intake at ``session``); ``p_recovery``: P(past the
    clinical cut-off at ``session``), None when the client was not a case at intake (or the
    measure has no cut-off). ``based_on`` counts the follow-up scores used.
    """

    session: int
    predicted: float
    low: float
    high: float
    p_deterioration: float
    p_recovery: float | None
    based_on: int


def _p_beyond(mean: float, sd: float, line: float, sign: int) -> float:
    """P(y on the side ``sign`` of ``line``) for y ~ N(mean, sd²): sign +1 above, −1 below."""
    return _NORMAL.cdf(sign * (mean - line) / sd)


def prognosis(
    course: Course,
    rules: MeasureRules,
    *,
    intake: float,
    history: Sequence[ScorePoint],
    session: int,
    deterioration: Recalibration = Recalibration(),
    recovery: Recalibration = Recalibration(),
) -> Prognosis:
    """The §3.5 prediction at ``session`` given the follow-up points of ``history`` (t ≥ 2).

    ``μ_T = mean_T + z_T'm`` and ``Var_T = z_T'Vz_T + σ²``. Reliable deterioration: y_T at least
    RC worse than the intake; recovery (cases at intake only): y_T on the functional side of the
    cut-off. Both probabilities then pass through the service's out-of-fold recalibration.
    """
    if session < FIRST_FOLLOW_UP:
        raise TrajectoryError("a prognosis is for session 2 or later")
    follow_up = [p for p in history if p.session >= FIRST_FOLLOW_UP]
    (m0, m1), (v00, v01, v11) = posterior(course, follow_up)
    lt = math.log(session)
    mu = course.mean(session) + m0 + m1 * lt
    sd = math.sqrt(max(v00 + 2 * v01 * lt + v11 * lt * lt, 0.0) + course.sigma2)
    rc = reliable_change_of(rules).value
    worse_line = intake - rules.direction * rc
    # worse side of the line: above it for higher-is-worse (direction −1), below otherwise
    p_worse = _p_beyond(mu, sd, worse_line, -int(rules.direction))
    p_recover = None
    if rules.cutoff is not None and not is_functional(rules, intake):
        p_recover = recovery.apply(_p_beyond(mu, sd, rules.cutoff.value, int(rules.direction)))
    half = z_for_percentile(50 + PROGNOSIS_INTERVAL / 2) * sd
    return Prognosis(
        session=session,
        predicted=clip(rules, mu),
        low=clip(rules, mu - half),
        high=clip(rules, mu + half),
        p_deterioration=deterioration.apply(p_worse),
        p_recovery=p_recover,
        based_on=len(follow_up),
    )
