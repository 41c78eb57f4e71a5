"""Prospective alliance-rupture detection, reference §5.2.

At the latest alliance administration ``a_t`` (scale direction from the rules; SRS/WAI/ORS-like
measures are higher-is-better)::

    baseline  = mean of the client's last ``baseline_window`` earlier scores   (window 1 = a_{t−1})
    drop      = direction · (baseline − a_t)                  (positive = the alliance got worse)
    sd_own    = SD of all the client's earlier scores, only with ≥ ``min_own_scores`` of them
    sd_ref    = max(sd_own, service_sd)                       (Gumz et al.: the stricter of the two)
    RUPTURE  <=> drop > k · sd_ref  AND  the drop reaches the reliable-change threshold (§1.1)

The RC guard and the service SD floor stop noise and ceiling effects (a client at 40, 40, 40 has
an own SD of 0) from raising it. ``k`` = 2 is the Stiles-type strict criterion [V threshold; the
choice of reference SD is U]; the benchmark in docs/alerts.md shows its detection/false-alarm
figures. The V-shape (repair) is only visible afterwards and is not used here.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from outcome_monitor.core.errors import NormsError
from outcome_monitor.core.measure import MeasureRules, ReliableChangeThreshold
from outcome_monitor.core.trajectories.base import ScorePoint


@dataclass(frozen=True)
class RuptureSettings:
    """Detector parameters. ``service_sd`` is the service's pooled within-client session SD of
    the alliance measure (``service_session_sd``), default 1.5 SRS points [U]; ``reliable_change``
    replaces the measure's own threshold and is required when the measure has none (§1.1)."""

    k: float = 2.0
    service_sd: float = 1.5
    baseline_window: int = 3
    min_own_scores: int = 3
    reliable_change: ReliableChangeThreshold | None = None

    def __post_init__(self) -> None:
        if self.k <= 0 or self.service_sd <= 0 or self.baseline_window < 1:
            raise NormsError("rupture k and service_sd must be positive, baseline_window ≥ 1")
        if self.min_own_scores < 2:
            raise NormsError("an own SD needs min_own_scores of at least 2")


@dataclass(frozen=True)
class RuptureCheck:
    """Every number the rule used, so the reason can be shown and audited."""

    session: int
    score: float
    baseline: float
    drop: float
    own_sd: float | None
    reference_sd: float
    sd_threshold: float
    reliable_change: float
    is_rupture: bool


def rupture_threshold(rules: MeasureRules, settings: RuptureSettings) -> ReliableChangeThreshold:
    """The RC guard: the settings' override, else the measure's own; NormsError if neither."""
    threshold = settings.reliable_change or rules.reliable_change
    if threshold is None:
        raise NormsError(
            f"{rules.code} has no reliable-change threshold; pass one computed per reference "
            "§1.1 in RuptureSettings.reliable_change"
        )
    return threshold


def check_rupture(
    history: Sequence[ScorePoint], rules: MeasureRules, settings: RuptureSettings
) -> RuptureCheck | None:
    """Apply the module's rule to the latest point of ``history``; None with fewer than 2 points.

    Points are ordered by session; the input is not modified.
    """
    ordered = sorted(history, key=lambda p: p.session)
    if len(ordered) < 2:
        return None
    latest, earlier = ordered[-1], [p.score for p in ordered[:-1]]
    baseline = statistics.fmean(earlier[-settings.baseline_window :])
    drop = rules.direction * (baseline - latest.score)
    own_sd = statistics.stdev(earlier) if len(earlier) >= settings.min_own_scores else None
    reference_sd = max(own_sd or 0.0, settings.service_sd)
    threshold = rupture_threshold(rules, settings)
    is_rupture = drop > settings.k * reference_sd and threshold.is_reliable(drop)
    return RuptureCheck(
        latest.session,
        latest.score,
        baseline,
        drop,
        own_sd,
        reference_sd,
        settings.k * reference_sd,
        threshold.value,
        is_rupture,
    )


def service_session_sd(episodes: Iterable[Sequence[float]]) -> float:
    """Pooled within-client SD of session scores: ``sqrt(Σ_i Σ_t (a_it − ā_i)² / Σ_i (n_i − 1))``.

    Only episodes with at least 2 scores contribute. Raises NormsError when none do or the
    pooled SD is zero (every client gave the same score every time).
    """
    squares, freedom = 0.0, 0
    for scores in episodes:
        if len(scores) >= 2:
            mean = statistics.fmean(scores)
            squares += sum((s - mean) ** 2 for s in scores)
            freedom += len(scores) - 1
    if freedom == 0 or squares == 0:
        raise NormsError("a service SD needs episodes with at least 2 differing alliance scores")
    return math.sqrt(squares / freedom)
