"""The one family of errors raised by the core; never sentinels."""

from __future__ import annotations


class CoreError(Exception):
    """Base class of every error the core raises."""


class DefinitionError(CoreError):
    """An instrument definition (or text pack) is invalid; the message names file and field."""


class ScoringError(CoreError):
    """Answers cannot be scored: out of range, unknown item, or too many missing items."""


class NormsError(CoreError):
    """Norms or parameters are unusable: zero or negative SD, reliability outside (0, 1), ..."""


class TrajectoryError(CoreError):
    """An expected trajectory cannot be fitted or evaluated (too little reference data, ...)."""


class AnalysisError(CoreError):
    """A cohort analysis input is invalid; the message names the row or column."""
