"""Severity bands: contiguous score ranges with explicit bounds.

Publications give bands as integer ranges ("0-4 minimal, 5-9 mild"). A prorated total can fall
between two integers (9.5 on the PHQ-9), so every band is stored as a half-open interval
``[lower, upper)`` and only the top band is closed (``[lower, upper]``). Integer scores land in
exactly the published band; fractional scores land in the band whose lower bound they reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from outcome_monitor.core.errors import ScoringError
from outcome_monitor.core.measure import Tag


@dataclass(frozen=True)
class SeverityBand:
    """One band: ``lower <= score < upper`` (``<= upper`` when ``upper_inclusive``)."""

    label: str
    lower: float
    upper: float
    upper_inclusive: bool = False

    def contains(self, score: float) -> bool:
        """True when ``score`` lies inside this band's explicit bounds."""
        if self.upper_inclusive:
            return self.lower <= score <= self.upper
        return self.lower <= score < self.upper


@dataclass(frozen=True)
class SeverityScale:
    """The ordered bands of one instrument, with the source and tag of the cut points."""

    bands: tuple[SeverityBand, ...]
    source: str
    tag: Tag

    def band_for(self, score: float) -> SeverityBand:
        """The band containing ``score``.

        Raises ScoringError when the score lies outside every band (outside the score range);
        a validated scale covers the instrument's whole range without gaps or overlaps.
        """
        for band in self.bands:
            if band.contains(score):
                return band
        raise ScoringError(f"score {score} lies outside every severity band")
