"""Expected course of the most similar past clients (nearest neighbours), reference §3.4.

Lutz et al. (2006) select the neighbours before treatment and fit a growth curve to them. Here:

1. Every reference episode gets its own log-linear course ``y_t = a_i + b_i·ln t`` by least
   squares over all its measured sessions (intake included; two points fix the line). A client
   who recovered quickly and left still contributes a course at later sessions, so later
   sessions are not judged only by the slower clients who stayed (survivor bias of per-session
   percentiles).
2. Similarity is by intake score only (the one intake variable every episode has). For every
   point of an intake grid (``grid_step`` apart across the measure's range), the ``k`` episodes
   with the nearest intake (ties by the order of the reference data) give the course mean
   (mean a, mean b) and the covariance D of their (a_i, b_i).
3. The residual variance σ² is pooled over episodes with three or more points.

A client with intake y1 gets the ``Course`` interpolated linearly between the grid points around
y1: the same Gaussian machinery as the empirical model, so the band, the calibration and the
prognosis are computed the same way. The band depends on the intake only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.trajectories.base import (
    Method,
    ReferenceEpisode,
    check_percentiles,
)
from outcome_monitor.core.trajectories.calibration import Calibration
from outcome_monitor.core.trajectories.course import Course

Array = npt.NDArray[np.float64]
COLUMNS = ("a", "b", "d00", "d01", "d11")
RIDGE = 1e-6  # keeps each neighbour covariance positive definite when courses coincide


@dataclass(frozen=True)
class NeighboursModel:
    """Course parameters per grid intake: ``table[g]`` = (a, b, d00, d01, d11) for ``grid[g]``."""

    grid: tuple[float, ...]
    table: tuple[tuple[float, float, float, float, float], ...]
    sigma2: float
    k: int
    n_reference: int
    yellow_percentile: float = 75.0
    red_percentile: float = 90.0
    measure_code: str = ""
    calibration: Calibration | None = None
    method: Method = Method.NEIGHBOURS

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; ``NeighboursModel.from_dict`` reverses it exactly."""
        return {
            "method": str(self.method),
            "measure_code": self.measure_code,
            "n_reference": self.n_reference,
            "k": self.k,
            "yellow_percentile": self.yellow_percentile,
            "red_percentile": self.red_percentile,
            "grid": list(self.grid),
            "table": [list(row) for row in self.table],
            "sigma2": self.sigma2,
            "calibration": self.calibration.to_dict() if self.calibration else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NeighboursModel:
        if "table" not in data:
            raise TrajectoryError(
                "a neighbours model stored before the log-linear courses; run the refit"
            )
        rows = [tuple(float(v) for v in row) for row in data["table"]]
        return cls(
            grid=tuple(float(g) for g in data["grid"]),
            table=tuple((r[0], r[1], r[2], r[3], r[4]) for r in rows),
            sigma2=float(data["sigma2"]),
            k=int(data["k"]),
            n_reference=int(data["n_reference"]),
            yellow_percentile=float(data["yellow_percentile"]),
            red_percentile=float(data["red_percentile"]),
            measure_code=str(data.get("measure_code", "")),
            calibration=Calibration.from_dict(data["calibration"])
            if data.get("calibration")
            else None,
        )


def own_courses(episodes: Sequence[ReferenceEpisode]) -> tuple[Array, Array, float]:
    """Step 1 and 3: each episode's (a_i, b_i) and the pooled residual variance σ².

    Raises TrajectoryError for non-finite scores, an episode with fewer than two points, or no
    episode with three points (σ² cannot be estimated).
    """
    coefficients = np.empty((len(episodes), 2))
    rss = dof = 0.0
    for row, episode in enumerate(episodes):
        x = np.log(np.asarray(episode.sessions, dtype=float))
        y = np.asarray(episode.scores, dtype=float)
        if len(y) < 2 or not np.isfinite(y).all():
            raise TrajectoryError("each reference episode needs two finite scores")
        design = np.column_stack([np.ones_like(x), x])
        fit, *_ = np.linalg.lstsq(design, y, rcond=None)
        coefficients[row] = fit
        resid = y - design @ fit
        rss, dof = rss + float(resid @ resid), dof + len(y) - 2
    if dof == 0:
        raise TrajectoryError("no reference episode has three scores; σ² cannot be estimated")
    return coefficients[:, 0], coefficients[:, 1], max(rss / dof, 1e-6)


def _grid_row(a: Array, b: Array) -> tuple[float, float, float, float, float]:
    cov = np.cov(np.vstack([a, b])) + RIDGE * np.eye(2)
    a_mean, b_mean, d00, d01, d11 = (
        round(float(v), 6) for v in (a.mean(), b.mean(), cov[0, 0], cov[0, 1], cov[1, 1])
    )
    return (a_mean, b_mean, d00, d01, d11)


def fit_neighbours(
    episodes: Sequence[ReferenceEpisode],
    rules: MeasureRules,
    *,
    k: int = 150,
    yellow_percentile: float = 75.0,
    red_percentile: float = 90.0,
    grid_step: float = 1.0,
    min_neighbours: int = 10,
) -> NeighboursModel:
    """Build the neighbour table from usable reference ``episodes`` (module docstring).

    k defaults to 150 (reference §3.4: k ≈ 50–150 [U]); when fewer episodes exist, all are used.
    """
    check_percentiles(yellow_percentile, red_percentile)
    if k < min_neighbours or grid_step <= 0:
        raise TrajectoryError("k must be at least min_neighbours and grid_step positive")
    if len(episodes) < min_neighbours:
        raise TrajectoryError(f"the neighbours method needs {min_neighbours} episodes")
    a, b, sigma2 = own_courses(episodes)
    intakes = np.array([e.scores[0] for e in episodes], dtype=float)
    grid = np.arange(math.floor(rules.score_min), math.ceil(rules.score_max) + grid_step, grid_step)
    if len(grid) < 2:
        raise TrajectoryError("the measure's score range is narrower than one grid step")
    table = []
    for g in grid:
        nearest = np.argsort(np.abs(intakes - g), kind="stable")[:k]
        table.append(_grid_row(a[nearest], b[nearest]))
    return NeighboursModel(
        grid=tuple(float(g) for g in grid),
        table=tuple(table),
        sigma2=sigma2,
        k=min(k, len(episodes)),
        n_reference=len(episodes),
        yellow_percentile=yellow_percentile,
        red_percentile=red_percentile,
        measure_code=rules.code,
    )


def neighbours_course(model: NeighboursModel, *, intake: float) -> Course:
    """The course for ``intake``, interpolated between grid intakes (the ends beyond the grid)."""
    grid = model.grid
    position = (min(max(intake, grid[0]), grid[-1]) - grid[0]) / (grid[1] - grid[0])
    low = min(int(position), len(grid) - 2)
    weight = position - low
    values = [
        (1 - weight) * lo + weight * hi
        for lo, hi in zip(model.table[low], model.table[low + 1], strict=True)
    ]
    return Course(
        a=values[0], b=values[1], d=(values[2], values[3], values[4]), sigma2=model.sigma2
    )
