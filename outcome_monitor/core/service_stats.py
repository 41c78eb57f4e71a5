"""Service-level outcome statistics: rates with Wilson intervals, the pre-post effect size with
its interval, funnel-plot control limits, reliable-change and recovery categories, and the
small-cell rule for figures shown outside the clinical team.

Plain values in, plain values out. Sources and formulas are in each docstring; docs/reports.md
defines every figure of the service outcome report in words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from outcome_monitor.core.change import change_since_intake
from outcome_monitor.core.errors import AnalysisError
from outcome_monitor.core.measure import Direction, MeasureRules

Z_95 = 1.96  # two-sided 95% (Newcombe 1998; Spiegelhalter 2005)
Z_998 = 3.09  # two-sided 99.8% (Spiegelhalter 2005, Stat Med 24:1185)
SMALL_CELL = 5  # counts under this are not shown outside the clinical team

K = TypeVar("K")


class ReliableCategory(StrEnum):
    """Where a course ended relative to its intake, judged with the measure's RC threshold."""

    IMPROVEMENT = "reliable_improvement"
    NO_CHANGE = "no_reliable_change"
    DETERIORATION = "reliable_deterioration"


class FunnelZone(StrEnum):
    """Where a unit's rate lies relative to the funnel's control limits (ties count as inside)."""

    ABOVE_998 = "above_99_8"
    ABOVE_95 = "above_95"
    WITHIN = "within"
    BELOW_95 = "below_95"
    BELOW_998 = "below_99_8"


@dataclass(frozen=True)
class Proportion:
    """``n`` of ``of``; ``rate`` and ``ci`` are None when the denominator is empty."""

    n: int
    of: int
    rate: float | None
    ci: tuple[float, float] | None


def wilson_interval(n: int, of: int, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for ``n`` successes in ``of`` trials, without continuity correction.

        ``centre = (p + z²/2N) / (1 + z²/N)``, ``half = z·sqrt(p(1-p)/N + z²/4N²) / (1 + z²/N)``,
        with ``p = n/N`` (Wilson 1927; Newcombe 1998, Stat Med 17:857, method 3). Unlike the Wald
        interval it stays inside 0..1 and is not empty at 0 or N successes (where the lower or upper
    limit is exactly 0 or 1). AnalysisError when
        ``of`` is not positive or ``n`` lies outside 0..of.
    """
    if of <= 0 or not 0 <= n <= of:
        raise AnalysisError(f"a proportion needs 0 <= n <= of and of > 0, got {n} of {of}")
    p = n / of
    denominator = 1 + z * z / of
    centre = (p + z * z / (2 * of)) / denominator
    half = z * math.sqrt(p * (1 - p) / of + z * z / (4 * of * of)) / denominator
    # At 0 and N successes the limits are exactly 0 and 1; rounding must not move them.
    lower = 0.0 if n == 0 else centre - half
    upper = 1.0 if n == of else centre + half
    return lower, upper


def proportion(n: int, of: int) -> Proportion:
    """``n`` of ``of`` with its Wilson 95% interval; no rate or interval when ``of`` is 0."""
    if of == 0 and n == 0:
        return Proportion(0, 0, None, None)
    ci = wilson_interval(n, of)
    return Proportion(n, of, n / of, ci)


@dataclass(frozen=True)
class Summary:
    """Mean and sample standard deviation (n - 1 in the denominator) of ``n`` scores."""

    n: int
    mean: float
    sd: float


def summarise(values: Sequence[float]) -> Summary:
    """Mean and sample SD; AnalysisError with fewer than two values (no SD exists)."""
    if len(values) < 2:
        raise AnalysisError(f"a mean and SD need at least two scores, got {len(values)}")
    mean = math.fsum(values) / len(values)
    variance = math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return Summary(len(values), mean, math.sqrt(variance))


@dataclass(frozen=True)
class EffectSize:
    """A pre-post effect size; ``ci`` is None when the pre-post correlation is undefined."""

    d: float
    ci: tuple[float, float] | None
    n: int
    r: float | None
    se: float | None


def pre_post_effect_size(
    pre: Sequence[float], post: Sequence[float], *, direction: Direction
) -> EffectSize:
    """Cohen's d of the mean change standardised by the SD of the pre (intake) scores, with a
    normal-approximation 95% interval (Becker 1988, Br J Math Stat Psychol 41:257, eq. 6):

        d  = direction · (mean(post) - mean(pre)) / sd(pre)      positive = improvement
        SE = sqrt(2(1 - r)/n + d²/(2n))                           r = Pearson r of pre and post
        CI = d ± 1.96 · SE

    No small-sample correction (this is d, not Hedges' g). It equals R's
    ``effectsize::rm_d(post, pre, method = "b", adjust = FALSE)`` up to the sign convention.
    AnalysisError when the lists differ in length, have fewer than two pairs, or the pre SD is
    zero. When every post score is the same, r is undefined: d is returned without an interval.
    """
    if len(pre) != len(post):
        raise AnalysisError(f"{len(pre)} pre scores but {len(post)} post scores")
    before, after = summarise(pre), summarise(post)
    if before.sd == 0:
        raise AnalysisError("the pre scores have zero variance: no standardised effect size")
    n = before.n
    d = direction * (after.mean - before.mean) / before.sd
    if after.sd == 0:
        return EffectSize(d, None, n, None, None)
    covariance = math.fsum(
        (x - before.mean) * (y - after.mean) for x, y in zip(pre, post, strict=True)
    ) / (n - 1)
    # Rounding can put a perfect correlation a hair outside -1..1 (and 1 - r below zero).
    r = max(-1.0, min(1.0, covariance / (before.sd * after.sd)))
    se = math.sqrt(2 * (1 - r) / n + d * d / (2 * n))
    return EffectSize(d, (d - Z_95 * se, d + Z_95 * se), n, r, se)


@dataclass(frozen=True)
class ControlLimits:
    """Funnel-plot limits around a target rate for a unit with ``n`` cases, clipped to 0..1."""

    n: int
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float


def control_limits(p0: float, n: int) -> ControlLimits:
    """``p0 ± z·sqrt(p0(1 - p0)/n)`` at z = 1.96 (95%) and 3.09 (99.8%), clipped to 0..1
    (Spiegelhalter 2005, Stat Med 24:1185, normal approximation to the binomial).

    AnalysisError when ``p0`` is outside 0..1 or ``n`` is not positive.
    """
    if not 0 <= p0 <= 1 or n <= 0:
        raise AnalysisError(f"control limits need 0 <= p0 <= 1 and n > 0, got {p0}, {n}")
    se = math.sqrt(p0 * (1 - p0) / n)
    return ControlLimits(
        n,
        max(0.0, p0 - Z_95 * se),
        min(1.0, p0 + Z_95 * se),
        max(0.0, p0 - Z_998 * se),
        min(1.0, p0 + Z_998 * se),
    )


def funnel_zone(rate: float, limits: ControlLimits) -> FunnelZone:
    """The zone of ``rate``; a rate exactly on a limit is inside it (not flagged)."""
    if rate > limits.upper_998:
        return FunnelZone.ABOVE_998
    if rate > limits.upper_95:
        return FunnelZone.ABOVE_95
    if rate < limits.lower_998:
        return FunnelZone.BELOW_998
    if rate < limits.lower_95:
        return FunnelZone.BELOW_95
    return FunnelZone.WITHIN


def funnel_curve(p0: float, *, n_min: int, n_max: int, points: int = 60) -> list[ControlLimits]:
    """Control limits at up to ``points`` whole-number sizes from ``n_min`` to ``n_max``
    (inclusive, evenly spaced) for drawing the funnel. AnalysisError when n_min < 1 or
    n_max < n_min."""
    if n_min < 1 or n_max < n_min:
        raise AnalysisError(f"a funnel needs 1 <= n_min <= n_max, got {n_min}..{n_max}")
    step = max(1, math.ceil((n_max - n_min) / max(points - 1, 1)))
    sizes = [*range(n_min, n_max, step), n_max]
    return [control_limits(p0, n) for n in sizes]


@dataclass(frozen=True)
class EpisodeOutcome:
    """One closed course judged on one measure: the reliable-change category (None without an
    RC threshold) and caseness at intake and at the end (None without a cut-off)."""

    reliable: ReliableCategory | None
    case_at_intake: bool | None
    case_at_end: bool | None

    @property
    def recovered(self) -> bool | None:
        """A case at intake and not a case at the end; None when not a case at intake."""
        if not self.case_at_intake:
            return None
        return not self.case_at_end

    @property
    def reliably_recovered(self) -> bool | None:
        """Recovered and reliably improved; None when not a case at intake."""
        if self.recovered is None:
            return None
        return self.recovered and self.reliable is ReliableCategory.IMPROVEMENT


def episode_outcome(rules: MeasureRules, *, pre: float, post: float) -> EpisodeOutcome:
    """Judge ``pre -> post`` with the measure's thresholds (``change.change_since_intake``):
    reliable improvement / deterioration by the RC threshold in the scale's direction, caseness
    by the cut-off. With PHQ-9 (case at 10 or more, RC 6) and GAD-7 (case at 8 or more, RC 4)
    these are the NHS Talking Therapies single-measure definitions (reference §1.3)."""
    change = change_since_intake(rules, pre=pre, post=post)
    reliable = None
    if change.reliable_improvement is not None:
        reliable = ReliableCategory.NO_CHANGE
        if change.reliable_improvement:
            reliable = ReliableCategory.IMPROVEMENT
        elif change.reliable_deterioration:
            reliable = ReliableCategory.DETERIORATION
    return EpisodeOutcome(reliable, change.clinical_pre, change.clinical_post)


@dataclass(frozen=True)
class OutcomeRates:
    """The five outcome rates of a group of courses with a pre and a post score.

    Reliable-change rates: denominator every course with a reliable-change category.
    Recovery and reliable recovery: denominator the courses that were a case at intake.
    """

    with_pre_and_post: int
    reliable_improvement: Proportion
    no_reliable_change: Proportion
    reliable_deterioration: Proportion
    recovery: Proportion
    reliable_recovery: Proportion


def outcome_rates(outcomes: Sequence[EpisodeOutcome]) -> OutcomeRates:
    """Count and rate each outcome over its eligible denominator (see ``OutcomeRates``)."""
    judged = [o.reliable for o in outcomes if o.reliable is not None]
    cases = [o for o in outcomes if o.recovered is not None]

    def share(category: ReliableCategory) -> Proportion:
        return proportion(sum(1 for c in judged if c is category), len(judged))

    return OutcomeRates(
        len(outcomes),
        share(ReliableCategory.IMPROVEMENT),
        share(ReliableCategory.NO_CHANGE),
        share(ReliableCategory.DETERIORATION),
        proportion(sum(1 for o in cases if o.recovered), len(cases)),
        proportion(sum(1 for o in cases if o.reliably_recovered), len(cases)),
    )


def split_by_size(sizes: Mapping[K, int], *, minimum: int) -> tuple[list[K], list[K]]:
    """Keys with at least ``minimum`` (shown on their own), and the rest (merged), in order."""
    shown = [key for key, size in sizes.items() if size >= minimum]
    merged = [key for key, size in sizes.items() if size < minimum]
    return shown, merged


def hidden_cells(counts: Sequence[int], *, threshold: int = SMALL_CELL) -> frozenset[int]:
    """Positions of ``counts`` to hide when they partition a total that is shown.

    1. Primary: every count under ``threshold`` (zero included: "none of 6" discloses too).
    2. Secondary: when exactly one count is hidden, the smallest other count is hidden too, so
       the hidden one cannot be worked out by subtracting the others from the total.
    """
    primary = {i for i, count in enumerate(counts) if count < threshold}
    if len(primary) != 1 or len(counts) < 2:
        return frozenset(primary)
    others = [i for i in range(len(counts)) if i not in primary]
    return frozenset({*primary, min(others, key=lambda i: counts[i])})
