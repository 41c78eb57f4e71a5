"""Expected course of the most similar past clients (nearest neighbours), reference §3.4.

Similarity is by intake score only (the one intake variable every episode has; other intake
variables are not used yet). Because the neighbour set depends only on the intake, the fit
precomputes a table on an intake grid (every ``grid_step`` points across the measure's range):
for each grid intake, the ``k`` reference episodes with the nearest intake (ties broken by the
order of the reference data), and for each session 2..``max_session`` the neighbours' mean
score and the ``yellow``/``red`` percentiles of their scores on the worse side. Evaluation
interpolates linearly between grid intakes, so 10,000 clients cost table look-ups only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.measure import Direction, MeasureRules
from outcome_monitor.core.trajectories.base import (
    DEFAULT_MAX_SESSION,
    FIRST_FOLLOW_UP,
    ExpectedBand,
    Method,
    ReferenceEpisode,
    check_percentiles,
)

Array = npt.NDArray[np.float64]
Table = tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class NeighboursModel:
    """Precomputed neighbour curves: ``expected[g][t − 2]`` etc. for grid intake ``grid[g]``."""

    grid: tuple[float, ...]
    expected: Table
    yellow: Table
    red: Table
    k: int
    n_reference: int
    yellow_percentile: float = 75.0
    red_percentile: float = 90.0
    measure_code: str = ""
    method: Method = Method.NEIGHBOURS

    @property
    def max_session(self) -> int:
        return FIRST_FOLLOW_UP + len(self.expected[0]) - 1

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
            "expected": [list(row) for row in self.expected],
            "yellow": [list(row) for row in self.yellow],
            "red": [list(row) for row in self.red],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NeighboursModel:
        def table(rows: list[list[float]]) -> Table:
            return tuple(tuple(float(v) for v in row) for row in rows)

        return cls(
            grid=tuple(float(g) for g in data["grid"]),
            expected=table(data["expected"]),
            yellow=table(data["yellow"]),
            red=table(data["red"]),
            k=int(data["k"]),
            n_reference=int(data["n_reference"]),
            yellow_percentile=float(data["yellow_percentile"]),
            red_percentile=float(data["red_percentile"]),
            measure_code=str(data.get("measure_code", "")),
        )


def _score_matrix(episodes: Sequence[ReferenceEpisode], max_session: int) -> Array:
    """Episodes × sessions 1..max_session, NaN where a session was not measured."""
    matrix = np.full((len(episodes), max_session), np.nan)
    for row, episode in enumerate(episodes):
        for session, score in zip(episode.sessions, episode.scores, strict=True):
            if session <= max_session:
                matrix[row, session - 1] = score
    if not np.isfinite(matrix[:, 0]).all() or np.isinf(matrix).any():
        raise TrajectoryError("reference scores must be finite numbers")
    return matrix


def _curves(scores: Array, *, direction: Direction, pcts: tuple[float, float], min_n: int) -> Array:
    """Rows expected/yellow/red per session column; a thin column repeats the previous one."""
    out = np.empty((3, scores.shape[1]))
    worse = [p if direction == Direction.HIGHER_IS_WORSE else 100 - p for p in pcts]
    for col in range(scores.shape[1]):
        values = scores[:, col][np.isfinite(scores[:, col])]
        if len(values) >= min_n:
            out[:, col] = [values.mean(), *np.percentile(values, worse)]
        elif col == 0:
            raise TrajectoryError(f"fewer than {min_n} neighbours have a score at session 2")
        else:
            out[:, col] = out[:, col - 1]
    return out


def fit_neighbours(
    episodes: Sequence[ReferenceEpisode],
    rules: MeasureRules,
    *,
    k: int = 150,
    yellow_percentile: float = 75.0,
    red_percentile: float = 90.0,
    grid_step: float = 1.0,
    max_session: int = DEFAULT_MAX_SESSION,
    min_per_session: int = 10,
) -> NeighboursModel:
    """Build the neighbour table from usable reference ``episodes`` (see module docstring).

    k defaults to 150 (reference §3.4: k ≈ 50–150 [U]); when fewer episodes exist, all are used.
    """
    check_percentiles(yellow_percentile, red_percentile)
    if k < min_per_session or grid_step <= 0:
        raise TrajectoryError("k must be at least min_per_session and grid_step positive")
    matrix = _score_matrix(episodes, max_session)
    intakes = matrix[:, 0]
    grid = np.arange(math.floor(rules.score_min), math.ceil(rules.score_max) + grid_step, grid_step)
    if len(grid) < 2:
        raise TrajectoryError("the measure's score range is narrower than one grid step")
    tables = []
    for g in grid:
        nearest = np.argsort(np.abs(intakes - g), kind="stable")[:k]
        tables.append(
            _curves(
                matrix[nearest, 1:],
                direction=rules.direction,
                pcts=(yellow_percentile, red_percentile),
                min_n=min_per_session,
            )
        )
    stacked = np.round(np.stack(tables), 4)

    def as_table(i: int) -> Table:
        return tuple(tuple(float(v) for v in row) for row in stacked[:, i, :])

    return NeighboursModel(
        grid=tuple(float(g) for g in grid),
        expected=as_table(0),
        yellow=as_table(1),
        red=as_table(2),
        k=min(k, len(episodes)),
        n_reference=len(episodes),
        yellow_percentile=yellow_percentile,
        red_percentile=red_percentile,
        measure_code=rules.code,
    )


def _interpolate(model: NeighboursModel, table: Table, intake: float, column: int) -> float:
    grid = model.grid
    position = (min(max(intake, grid[0]), grid[-1]) - grid[0]) / (grid[1] - grid[0])
    low = min(int(position), len(grid) - 2)
    weight = position - low
    return (1 - weight) * table[low][column] + weight * table[low + 1][column]


def neighbours_band(
    model: NeighboursModel, rules: MeasureRules, *, intake: float, session: int
) -> ExpectedBand:
    """Neighbours' mean and worse-side percentiles at ``session`` for this ``intake``.

    Intakes outside the grid use the nearest grid end; sessions after ``max_session`` use the
    last session's values (a plateau). The client's later scores do not move the band.
    """
    column = min(session, model.max_session) - FIRST_FOLLOW_UP
    tables = (model.expected, model.yellow, model.red)
    values = [_interpolate(model, table, intake, column) for table in tables]
    return ExpectedBand(session, values[0], values[1], values[2], rules.direction)
