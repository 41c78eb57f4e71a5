"""The rational (RCI-based) cold-start method, reference §3.2.

Needs no reference data. Red = reliable deterioration from intake; yellow = no reliable
improvement by session ``no_improvement_session`` (default 4 [U]); white = past the clinical
cut-off; green = otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.trajectories.base import ExpectedBand, Method, reliable_change_of

DEFAULT_NO_IMPROVEMENT_SESSION = 4


@dataclass(frozen=True)
class RationalModel:
    """Parameters of the rational rule. ``n_reference`` is always 0: it uses no data."""

    no_improvement_session: int = DEFAULT_NO_IMPROVEMENT_SESSION
    method: Method = Method.RATIONAL
    n_reference: int = 0
    measure_code: str = ""

    def __post_init__(self) -> None:
        if self.no_improvement_session < 2:
            raise TrajectoryError("no_improvement_session must be 2 or later")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; ``RationalModel.from_dict`` reverses it."""
        return {
            "method": str(self.method),
            "measure_code": self.measure_code,
            "n_reference": self.n_reference,
            "no_improvement_session": self.no_improvement_session,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RationalModel:
        return cls(
            no_improvement_session=int(data["no_improvement_session"]),
            measure_code=str(data.get("measure_code", "")),
        )


def rational_band(
    model: RationalModel, rules: MeasureRules, *, intake: float, session: int
) -> ExpectedBand:
    """The rational lines at ``session``: ``red = intake − direction·RC`` (deterioration line).

    From ``no_improvement_session`` on, ``yellow = intake + direction·RC`` (the line a client must
    pass to have improved reliably); before it, yellow equals red (no yellow zone). ``expected``
    is None: the rational rule has no expected curve. Exact-threshold semantics follow the
    measure's RC (``inclusive``); the status function applies them through ``is_reliable``.
    """
    rc = reliable_change_of(rules).value
    red = intake - rules.direction * rc
    yellow = intake + rules.direction * rc if session >= model.no_improvement_session else red
    return ExpectedBand(session, None, yellow, red, rules.direction)
