"""Prospective alliance-rupture detection, reference §5.2.

At the latest alliance administration ``a_t`` (scale direction from the rules; SRS/WAI/ORS-like
measures are higher-is-better)::

    baseline  = mean of the client's last ``baseline_window`` earlier scores   (window 1 = a_{t−1})
    drop      = direction · (baseline − a_t)                  (positive = the alliance got worse)
    sd_own    = SD of the client's earlier scores LEAVING OUT earlier sessions this rule flagged,
                only with ≥ ``min_own_scores`` scores left
    sd_ref    = max(sd_own, service_sd)                       (Gumz et al.: the stricter of the two)
    RUPTURE  <=> drop > k · sd_ref  AND  the drop reaches the reliable-change threshold (§1.1)

The RC guard and the service SD floor stop noise and ceiling effects (a client at 40, 40, 40 has
an own SD of 0) from raising it. ``k`` = 2 is the Stiles-type strict criterion [V threshold; the
choice of reference SD is U]. The V-shape (repair) is only visible afterwards and is not used here.

Why earlier ruptures are left out of ``sd_own`` (issue 8). A rupture is an outlier by
definition; kept in, it inflates the client's own SD so that a later rupture of the same size no
longer exceeds ``k · sd_own`` (36, 36.5, 36, 27, 35.5, 36, 36 has an SD of 3.4, so a fall to 30
is not flagged; without the 27 the SD is 0.3 and the service SD applies). Leaving out the
flagged sessions was preferred to the median absolute deviation × 1.4826 because
(1) the result stays an SD, the statistic of the pooled ``service_sd`` it is compared with and of
the SD multiples of Stiles 2004 / Strauss 2006; (2) with the 3-6 scores a client has early on
the MAD is erratic (with 3 scores it is 1.4826 × the smaller deviation from the middle one; about
37% efficiency under normal noise); (3) in bench/bench_ruptures.py, with a second rupture
planted later in each long-enough episode, k = 2 caught 94.9% of all ruptures (91.8% of the
later ones) against 93.3% (86.7%) for the MAD and 85.1% (60.3%) for the plain SD, at 0.01 false
alerts per 100 sessions for all three; on one-rupture data the three are alike. The flagged
sessions are recomputed from the history with the current settings, so the live rule and the
backtest replay agree (CONVENTIONS §9); after a change of settings they may differ from the
alerts raised at the time. Limits: an earlier dip the rule did not flag stays in, and so does
the lasting lower level after an unrepaired rupture. The baseline keeps flagged sessions: it
describes the current level, and without them every later session of an unrepaired rupture
would be flagged again. Leaving out is our choice [U], not from the literature.
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
    """Detector parameters, each default with its reference tag:

    * ``k`` = 2: the Stiles et al. 2004 2-SD criterion [V threshold; reference SD U].
    * ``service_sd`` = 1.5 SRS points [U]: the service's pooled within-client session SD of the
      alliance measure (``service_session_sd``); services replace it with their fitted value.
    * ``baseline_window`` = 3 [U]: §5.2's prospective form is window 1 (``a_{t−1} − a_t``); 3
      gave fewer false alerts at about the same catch rate (bench/bench_ruptures.py).
    * ``min_own_scores`` = 3 [U]: §5.2 "need ≥ 3 sessions", no published source.
    * ``reliable_change``: replaces the measure's own RC threshold and is required when the
      measure has none (SRS: none published; §1.1).
    """

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
    """Every number the rule used, so the reason can be shown and audited.

    ``excluded_sessions``: earlier sessions the rule flagged, left out of ``own_sd``.
    """

    session: int
    score: float
    baseline: float
    drop: float
    own_sd: float | None
    reference_sd: float
    sd_threshold: float
    reliable_change: float
    is_rupture: bool
    excluded_sessions: tuple[int, ...] = ()


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

    1. Order the points by session (the input is not modified).
    2. Replay the rule at every earlier session 2..t−1, each time on that session's past only,
       to find the sessions it flagged (exactly what the live system raised with these settings).
    3. Judge the latest point with those sessions left out of the own SD.

    NormsError when no RC threshold is available (``rupture_threshold``).
    """
    ordered = sorted(history, key=lambda p: p.session)
    if len(ordered) < 2:
        return None
    threshold = rupture_threshold(rules, settings)
    flagged: tuple[int, ...] = ()
    for end in range(2, len(ordered)):
        if _judge(ordered[:end], flagged, rules, settings, threshold).is_rupture:
            flagged += (ordered[end - 1].session,)
    return _judge(ordered, flagged, rules, settings, threshold)


def _judge(
    ordered: Sequence[ScorePoint],
    excluded: tuple[int, ...],
    rules: MeasureRules,
    settings: RuptureSettings,
    threshold: ReliableChangeThreshold,
) -> RuptureCheck:
    latest, earlier = ordered[-1], ordered[:-1]
    baseline = statistics.fmean(p.score for p in earlier[-settings.baseline_window :])
    drop = rules.direction * (baseline - latest.score)
    kept = [p.score for p in earlier if p.session not in excluded]
    own_sd = statistics.stdev(kept) if len(kept) >= settings.min_own_scores else None
    reference_sd = max(own_sd or 0.0, settings.service_sd)
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
        excluded,
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
