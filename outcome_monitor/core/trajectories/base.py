"""Plain values shared by the trajectory methods: points, reference episodes, bands, status.

Scale direction is always taken from ``MeasureRules.direction`` (reference §0): for a
higher-is-worse measure (PHQ-9) a band bound is an *upper* bound; for a higher-is-better measure
(ORS) it is a *lower* bound. "Beyond" a bound always means "on the worse side of it".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from statistics import NormalDist

from outcome_monitor.core.errors import TrajectoryError
from outcome_monitor.core.measure import Direction, MeasureRules, ReliableChangeThreshold

INTAKE_SESSION = 1
FIRST_FOLLOW_UP = 2
DEFAULT_MAX_SESSION = 20
MIN_MEASURED = 2  # intake + one follow-up (issue 8: quick recoverers stay in the reference)


class Method(StrEnum):
    """The three ways of building an expected trajectory."""

    RATIONAL = "rational"
    EMPIRICAL = "empirical"
    NEIGHBOURS = "neighbours"


class TrackStatus(StrEnum):
    """The OQ-Analyst-style colour of the latest administration (reference §3.1 step 5)."""

    WHITE = "white"
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    GREY = "grey"


@dataclass(frozen=True)
class ScorePoint:
    """One administration: the session number (1 = intake), its date and the total score."""

    session: int
    on: date
    score: float


@dataclass(frozen=True)
class ReferenceEpisode:
    """A closed episode used as reference data: session numbers (1 = intake) and scores."""

    sessions: tuple[int, ...]
    scores: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.sessions) != len(self.scores):
            raise TrajectoryError("a reference episode needs one score per session")
        if any(b <= a for a, b in zip(self.sessions, self.sessions[1:], strict=False)):
            raise TrajectoryError("reference sessions must be strictly increasing")

    @property
    def has_intake(self) -> bool:
        return bool(self.sessions) and self.sessions[0] == INTAKE_SESSION


@dataclass(frozen=True)
class ExpectedBand:
    """Expected score and tolerance bounds at one session, for one client.

    ``expected`` is None for the rational method, which has no expected curve. ``yellow`` and
    ``red`` are upper bounds on a higher-is-worse measure and lower bounds on a higher-is-better
    one; a score is flagged only when it lies strictly beyond a bound.
    """

    session: int
    expected: float | None
    yellow: float
    red: float
    direction: Direction


def usable_episodes(reference: Iterable[ReferenceEpisode]) -> tuple[ReferenceEpisode, ...]:
    """Episodes that can inform a curve: an intake (session 1) and at least one follow-up.

    Two measured sessions suffice: requiring three would leave out the clients who recover
    quickly and finish early, and make the expected course look slower than it is.
    """
    return tuple(e for e in reference if e.has_intake and len(e.sessions) >= MIN_MEASURED)


def beyond(score: float, bound: float, direction: Direction) -> bool:
    """True when ``score`` is strictly on the worse side of ``bound`` for this direction."""
    return direction * (bound - score) > 0


def bound_at(centre: float, spread: float, *, z: float, direction: Direction) -> float:
    """``centre − direction·z·spread``: the one-sided bound on the worse side of ``centre``."""
    return centre - direction * z * spread


@lru_cache(maxsize=64)
def z_for_percentile(percentile: float) -> float:
    """The standard-normal quantile of ``percentile`` (0 < percentile < 100)."""
    if not 0 < percentile < 100:
        raise TrajectoryError(f"percentile must lie between 0 and 100, got {percentile}")
    return NormalDist().inv_cdf(percentile / 100)


def check_percentiles(yellow: float, red: float) -> None:
    """Yellow must be a less extreme percentile than red, both between 50 and 100."""
    if not 50 <= yellow < red < 100:
        raise TrajectoryError(
            f"band percentiles need 50 <= yellow < red < 100, got yellow={yellow} red={red}"
        )


def reliable_change_of(rules: MeasureRules) -> ReliableChangeThreshold:
    """The measure's reliable-change threshold; a measure without one cannot be tracked."""
    if rules.reliable_change is None:
        raise TrajectoryError(
            f"{rules.code} has no reliable-change threshold; compute one (reference §1.1) first"
        )
    return rules.reliable_change


def reliably_deteriorated(rules: MeasureRules, *, intake: float, score: float) -> bool:
    """Reliable deterioration from intake: a worsening that reaches the RC threshold (§1.1)."""
    change = rules.improvement(before=intake, after=score)
    return change < 0 and reliable_change_of(rules).is_reliable(change)


def reliably_improved(rules: MeasureRules, *, intake: float, score: float) -> bool:
    """Reliable improvement from intake: an improvement that reaches the RC threshold (§1.1)."""
    change = rules.improvement(before=intake, after=score)
    return change > 0 and reliable_change_of(rules).is_reliable(change)


def is_functional(rules: MeasureRules, score: float) -> bool:
    """Past the clinical cut-off, in the functional range; False when the measure has none."""
    return rules.cutoff is not None and not rules.cutoff.is_clinical(score, rules.direction)
