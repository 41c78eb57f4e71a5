"""Expected recovery curves from a linear mixed model on ln(session), reference §3.1 and §3.5.

Model (fitted on sessions t ≥ 2, conditioned on the intake score y1)::

    y_it = β0 + β1·y1 + (γ0 + γ1·y1)·ln t + u0i + u1i·ln t + ε_it
    (u0i, u1i) ~ N(0, D),   ε_it ~ N(0, σ²)

Estimator (honestly: maximum likelihood by EM, not REML, no SAS PROC MIXED): β starts at the
OLS fit, then Laird–Ware EM iterations alternate the exact Gaussian E-step (posterior mean m_i and
covariance V_i of each episode's random effects) with closed-form M-steps for D, σ² and β. With
thousands of episodes ML and REML differ negligibly. Everything is vectorised over rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.trajectories.base import (
    Method,
    ReferenceEpisode,
    check_percentiles,
)
from outcome_monitor.core.trajectories.calibration import Calibration
from outcome_monitor.core.trajectories.course import Course

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EmpiricalModel:
    """A fitted §3.1 model: β = (β0, β1, γ0, γ1), D = (d00, d01, d11), residual σ²."""

    beta: tuple[float, float, float, float]
    d: tuple[float, float, float]
    sigma2: float
    n_reference: int
    n_observations: int
    iterations: int
    yellow_percentile: float = 75.0
    red_percentile: float = 90.0
    measure_code: str = ""
    calibration: Calibration | None = None
    method: Method = Method.EMPIRICAL

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; ``EmpiricalModel.from_dict`` reverses it exactly."""
        return {
            "calibration": self.calibration.to_dict() if self.calibration else None,
            "method": str(self.method),
            "measure_code": self.measure_code,
            "n_reference": self.n_reference,
            "n_observations": self.n_observations,
            "iterations": self.iterations,
            "beta": list(self.beta),
            "d": list(self.d),
            "sigma2": self.sigma2,
            "yellow_percentile": self.yellow_percentile,
            "red_percentile": self.red_percentile,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmpiricalModel:
        b, d = [float(x) for x in data["beta"]], [float(x) for x in data["d"]]
        return cls(
            beta=(b[0], b[1], b[2], b[3]),
            d=(d[0], d[1], d[2]),
            sigma2=float(data["sigma2"]),
            n_reference=int(data["n_reference"]),
            n_observations=int(data["n_observations"]),
            iterations=int(data["iterations"]),
            yellow_percentile=float(data["yellow_percentile"]),
            red_percentile=float(data["red_percentile"]),
            measure_code=str(data.get("measure_code", "")),
            calibration=Calibration.from_dict(data["calibration"])
            if data.get("calibration")
            else None,
        )


@dataclass(frozen=True)
class _Rows:
    episode: npt.NDArray[np.intp]
    log_t: Array
    y: Array
    x: Array
    n_episodes: int


def _rows(episodes: Sequence[ReferenceEpisode]) -> _Rows:
    lengths = np.array([len(e.sessions) - 1 for e in episodes])
    sessions = np.concatenate([np.asarray(e.sessions[1:], dtype=float) for e in episodes])
    y = np.concatenate([np.asarray(e.scores[1:], dtype=float) for e in episodes])
    intake = np.repeat(np.array([e.scores[0] for e in episodes], dtype=float), lengths)
    if not (np.isfinite(y).all() and np.isfinite(intake).all()):
        raise TrajectoryError("reference scores must be finite numbers")
    log_t = np.log(sessions)
    x = np.column_stack([np.ones_like(y), intake, log_t, intake * log_t])
    episode = np.repeat(np.arange(len(episodes)), lengths)
    return _Rows(episode, log_t, y, x, len(episodes))


def _sum_by_episode(rows: _Rows, values: Array) -> Array:
    sums = np.bincount(rows.episode, weights=values, minlength=rows.n_episodes)
    return sums.astype(np.float64, copy=False)


def _e_step(
    rows: _Rows, s: tuple[Array, Array, Array], resid: Array, d: Array, sigma2: float
) -> tuple[Array, Array, Array]:
    """Posterior mean (m0, m1) and covariance (v00, v01, v11) of every episode's effects."""
    di = np.linalg.inv(d)
    a00, a01, a11 = di[0, 0] + s[0] / sigma2, di[0, 1] + s[1] / sigma2, di[1, 1] + s[2] / sigma2
    det = a00 * a11 - a01 * a01
    v = np.stack([a11 / det, -a01 / det, a00 / det])
    c0 = _sum_by_episode(rows, resid) / sigma2
    c1 = _sum_by_episode(rows, resid * rows.log_t) / sigma2
    m = np.stack([v[0] * c0 + v[1] * c1, v[1] * c0 + v[2] * c1])
    return m[0], m[1], v


def _em(rows: _Rows, *, max_iterations: int, tolerance: float) -> tuple[Array, Array, float, int]:
    """Laird–Ware EM (numbered steps): 1 OLS start; 2 E-step; 3 M-step D, σ², β; 4 repeat."""
    xtx_inv_xt = np.linalg.pinv(rows.x)
    beta = xtx_inv_xt @ rows.y
    resid = rows.y - rows.x @ beta
    var = float(resid.var())
    d, sigma2 = np.diag([var / 2, var / 10]), var / 2
    s = tuple(_sum_by_episode(rows, rows.log_t**p) for p in (0, 1, 2))
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007 - count is reported
        m0, m1, v = _e_step(rows, (s[0], s[1], s[2]), resid, d, sigma2)
        new_d = np.array(
            [
                [np.mean(m0 * m0 + v[0]), np.mean(m0 * m1 + v[1])],
                [np.mean(m0 * m1 + v[1]), np.mean(m1 * m1 + v[2])],
            ]
        )
        random_part = m0[rows.episode] + m1[rows.episode] * rows.log_t
        err = resid - random_part
        trace = s[0] * v[0] + 2 * s[1] * v[1] + s[2] * v[2]
        new_sigma2 = float((np.sum(err * err) + np.sum(trace)) / len(rows.y))
        beta = xtx_inv_xt @ (rows.y - random_part)
        resid = rows.y - rows.x @ beta
        change = max(float(np.max(np.abs(new_d - d))), abs(new_sigma2 - sigma2))
        d, sigma2 = new_d, new_sigma2
        if change < tolerance * max(1.0, sigma2):
            break
    return beta, d, sigma2, iteration


def fit_empirical(
    episodes: Sequence[ReferenceEpisode],
    *,
    measure_code: str = "",
    yellow_percentile: float = 75.0,
    red_percentile: float = 90.0,
    max_iterations: int = 300,
    tolerance: float = 1e-6,
) -> EmpiricalModel:
    """Fit the §3.1 model on ``episodes`` (already filtered to usable ones by the caller).

    Raises TrajectoryError on non-finite scores or a degenerate design (e.g. every episode
    measured at the same single follow-up session, so ln t has no spread).
    """
    check_percentiles(yellow_percentile, red_percentile)
    rows = _rows(episodes)
    if np.ptp(rows.log_t) == 0:
        raise TrajectoryError("reference data need follow-up scores at more than one session")
    beta, d, sigma2, iterations = _em(rows, max_iterations=max_iterations, tolerance=tolerance)
    return EmpiricalModel(
        beta=(float(beta[0]), float(beta[1]), float(beta[2]), float(beta[3])),
        d=(float(d[0, 0]), float(d[0, 1]), float(d[1, 1])),
        sigma2=sigma2,
        n_reference=len(episodes),
        n_observations=len(rows.y),
        iterations=iterations,
        yellow_percentile=yellow_percentile,
        red_percentile=red_percentile,
        measure_code=measure_code,
    )


def empirical_course(model: EmpiricalModel, *, intake: float) -> Course:
    """The intake-only course of §3.1: ``a = β0 + β1·y1``, ``b = γ0 + γ1·y1``, the fitted D, σ²."""
    b0, b1, g0, g1 = model.beta
    return Course(a=b0 + b1 * intake, b=g0 + g1 * intake, d=model.d, sigma2=model.sigma2)
