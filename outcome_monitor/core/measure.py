"""Direction-aware thresholds shared by scoring, alerts and trajectories.

These are the few facts about a measure that every rule needs, as plain frozen values, so that
alert and trajectory code never depends on the full instrument definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Direction(IntEnum):
    """What a higher score means. The integer is the ``direction`` factor of reference §0."""

    HIGHER_IS_BETTER = 1
    HIGHER_IS_WORSE = -1


class Tag(StrEnum):
    """Verification tag of a number, as in shared/docs/clinical-reference.md §0."""

    VERIFIED = "V"
    SECONDARY = "S"
    UNVERIFIED = "U"
    COMPUTED = "C"


@dataclass(frozen=True)
class Cutoff:
    """A clinical cut-off with an explicit bound.

    ``inclusive`` says whether a score exactly at ``value`` is on the clinical side: PHQ-9 "10 or
    more is a case" is ``Cutoff(10, inclusive=True)`` on a higher-is-worse measure; SRS "below 36
    signals concern" is ``Cutoff(36, inclusive=False)`` on a higher-is-better measure.
    """

    value: float
    inclusive: bool
    source: str = ""
    tag: Tag = Tag.UNVERIFIED

    def is_clinical(self, score: float, direction: Direction) -> bool:
        """True when ``score`` lies in the clinical (dysfunctional) range for this direction."""
        signed = direction * (self.value - score)
        return signed > 0 or (signed == 0 and self.inclusive)


@dataclass(frozen=True)
class ReliableChangeThreshold:
    """The smallest raw change that counts as reliable.

    A published raw threshold ("6 points or more") is applied as published: ``inclusive=True``.
    A threshold computed from an RCI (``z * sqrt(2) * sd * sqrt(1 - reliability)``) counts only
    a change strictly greater than it: ``inclusive=False`` (reference §1.1).
    """

    value: float
    inclusive: bool
    z: float | None = None
    sd: float | None = None
    reliability: float | None = None
    source: str = ""
    tag: Tag = Tag.UNVERIFIED

    def is_reliable(self, change: float) -> bool:
        """True when the absolute raw ``change`` reaches this threshold."""
        size = abs(change)
        return size > self.value or (self.inclusive and size == self.value)


@dataclass(frozen=True)
class MeasureRules:
    """What alert and trajectory rules need to know about one measure.

    ``label`` is the short name from the instrument definition (``PHQ-9``) that alert reasons
    use; rules built without one name the measure by its code, upper-cased.
    """

    code: str
    direction: Direction
    score_min: float
    score_max: float
    cutoff: Cutoff | None
    reliable_change: ReliableChangeThreshold | None
    label: str = ""

    @property
    def shown_label(self) -> str:
        """``label``, or the code upper-cased when the rules carry no label."""
        return self.label or self.code.upper()

    def improvement(self, *, before: float, after: float) -> float:
        """Signed change where a positive number is always an improvement."""
        return self.direction * (after - before)
