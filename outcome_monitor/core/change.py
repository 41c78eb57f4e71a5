"""Jacobson-Truax reliable change, cut-offs a/b/c and clinical-significance categories.

Sources: Jacobson & Truax (1991) JCCP 59:12-19, as implemented in the R package
clinicalsignificance v3.0.0 (reference §1.1-1.3). Notation: ``pre`` is the intake score,
``post`` the current one; ``direction`` is +1 when higher scores are better and -1 when they are
worse. Boundaries: an index is reliable only when its size is strictly greater than the
critical value; a published raw threshold is applied as published
(``ReliableChangeThreshold.is_reliable``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from outcome_monitor.core.errors import CoreError, NormsError
from outcome_monitor.core.measure import Direction, MeasureRules, ReliableChangeThreshold, Tag

Z_95 = 1.96  # two-sided 95% (reference §1.1)
JT_SOURCE = "Jacobson & Truax 1991, JCCP 59:12-19 (computed)"


class ChangeCategory(StrEnum):
    """Combined Jacobson-Truax categories (reference §1.3)."""

    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"
    HARMED = "harmed"


@dataclass(frozen=True)
class CutoffStatus:
    """Where a person stood relative to the cut-off: clinical at intake; functional, or clearly
    dysfunctional, at the end.

    ``dysfunctional_post`` None (Jacobson-Truax, one observed score against one cut-off) means
    "not functional": with the R package's strict rule a score exactly at a computed cut-off is
    neither clinical nor functional, and counts as not functional. Hageman-Arrindell's
    individual CS index has an uncertain zone (``|CS| <= 1.65``) that is neither functional nor
    dysfunctional, so it sets ``dysfunctional_post`` explicitly (``rci_methods.ha_status``).
    Functional and dysfunctional at once is a CoreError.
    """

    clinical_pre: bool
    functional_post: bool
    dysfunctional_post: bool | None = None

    def __post_init__(self) -> None:
        if self.functional_post and self.dysfunctional_post:
            raise CoreError("an end score cannot be both functional and dysfunctional")

    @property
    def ends_dysfunctional(self) -> bool:
        """Dysfunctional at the end: ``dysfunctional_post``, or else not functional."""
        if self.dysfunctional_post is None:
            return not self.functional_post
        return self.dysfunctional_post


def check_norms(*, sd: float, reliability: float) -> None:
    """Raise NormsError unless ``sd > 0`` and ``0 < reliability < 1``."""
    if not sd > 0:
        raise NormsError(f"sd must be positive, got {sd}")
    if not 0 < reliability < 1:
        raise NormsError(f"reliability must lie strictly between 0 and 1, got {reliability}")


def standard_error_of_measurement(*, sd: float, reliability: float) -> float:
    """``SE_m = sd * sqrt(1 - reliability)`` (J&T 1991); sd of the clinical (intake) sample."""
    check_norms(sd=sd, reliability=reliability)
    return sd * math.sqrt(1 - reliability)


def standard_error_of_difference(*, sd: float, reliability: float) -> float:
    """``S_diff = sqrt(2) * SE_m``: the SE of a difference of two scores (Christensen &
    Mendoza 1986 added the sqrt(2) missing from Jacobson, Follette & Revenstorf 1984)."""
    return math.sqrt(2) * standard_error_of_measurement(sd=sd, reliability=reliability)


def reliable_change_threshold(
    *, sd: float, reliability: float, z: float = Z_95
) -> ReliableChangeThreshold:
    """The smallest raw change that is reliable: ``z * sqrt(2) * sd * sqrt(1 - reliability)``.

    Computed thresholds are strict (``inclusive=False``): a change equal to the value is not
    reliable, matching ``|RCI| > z``. The parameters are stored with the value. CORE-10:
    ``sd=7.7, reliability=.90, z=1.645`` gives 5.66 (printed 5.67 in reference §1.7), the
    published "6".
    Raises NormsError for sd <= 0, reliability outside (0, 1) or z <= 0.
    """
    if not z > 0:
        raise NormsError(f"z must be positive, got {z}")
    value = z * standard_error_of_difference(sd=sd, reliability=reliability)
    return ReliableChangeThreshold(
        value, inclusive=False, z=z, sd=sd, reliability=reliability, source=JT_SOURCE,
        tag=Tag.COMPUTED,
    )  # fmt: skip


def jacobson_truax_rci(*, pre: float, post: float, sd: float, reliability: float) -> float:
    """``RCI = (post - pre) / S_diff`` (J&T 1991; reference §1.1).

    The sign follows the raw scale (positive = score went up); multiply by the direction to
    read it as improvement. Worked example: sd 7.5, reliability .80, 32 -> 53 gives 4.43.
    Raises NormsError for sd <= 0 or reliability outside (0, 1).
    """
    return (post - pre) / standard_error_of_difference(sd=sd, reliability=reliability)


def cutoff_a(*, mean_clinical: float, sd_clinical: float, direction: Direction) -> float:
    """Cut-off a: two SDs beyond the clinical mean in the healthy direction,
    ``M1 + direction * 2 * s1`` (J&T 1991; reference §1.2). Raises NormsError for sd <= 0."""
    _positive(sd_clinical)
    return mean_clinical + direction * 2 * sd_clinical


def cutoff_b(*, mean_functional: float, sd_functional: float, direction: Direction) -> float:
    """Cut-off b: within two SDs of the functional mean, ``M0 - direction * 2 * s0``.

    Uses the FUNCTIONAL group's SD, as Jacobson & Truax (1991) and rciplot define it. The R
    package clinicalsignificance v3.0.0 uses the clinical SD here instead (reference §1.2), so
    its b differs whenever the two SDs differ. Raises NormsError for sd <= 0.
    """
    _positive(sd_functional)
    return mean_functional - direction * 2 * sd_functional


def cutoff_c(
    *, mean_clinical: float, sd_clinical: float, mean_functional: float, sd_functional: float
) -> float:
    """Cut-off c, where both distributions are equally likely (direction-free):
    ``(s1 * M0 + s0 * M1) / (s1 + s0)`` (J&T 1991; clinicalsignificance ``.calc_cutoff_jt``).
    CORE-10 norms (19.7, 7.7 clinical; 4.7, 4.8 general) give 10.46. Raises NormsError for
    sd <= 0."""
    _positive(sd_clinical)
    _positive(sd_functional)
    weighted = sd_clinical * mean_functional + sd_functional * mean_clinical
    return weighted / (sd_clinical + sd_functional)


def categorise(
    *, improved: bool, deteriorated: bool, status: CutoffStatus | None
) -> ChangeCategory:
    """Combine reliable change and cut-off status (clinicalsignificance ``.calc_recovered``).

    Without a cut-off (``status`` None) only improved / unchanged / deteriorated apply.
    Recovered: reliably improved, clinical at intake and functional at the end. Harmed:
    reliably deteriorated, NOT clinical at intake and dysfunctional at the end
    (``status.ends_dysfunctional``: for Jacobson-Truax "NOT functional", as §1.3; for
    Hageman-Arrindell only a CS index clearly on the dysfunctional side, so a client in the
    uncertain zone is deteriorated, not harmed). A change cannot be both improved and
    deteriorated (CoreError).
    """
    if improved and deteriorated:
        raise CoreError("a change cannot be both reliably improved and deteriorated")
    if improved:
        recovered = status is not None and status.clinical_pre and status.functional_post
        return ChangeCategory.RECOVERED if recovered else ChangeCategory.IMPROVED
    if deteriorated:
        harmed = status is not None and not status.clinical_pre and status.ends_dysfunctional
        return ChangeCategory.HARMED if harmed else ChangeCategory.DETERIORATED
    return ChangeCategory.UNCHANGED


def categorise_index(
    *, index: float, critical: float, direction: Direction, pre: float, post: float,
    cutoff: float | None,
) -> ChangeCategory:  # fmt: skip
    """Category from an index (any RCI method) and a computed cut-off, strict everywhere.

    Improved when ``direction * index > critical``, deteriorated when ``< -critical``;
    clinical at intake when ``direction * pre < direction * cutoff`` and functional at the end
    when ``direction * post > direction * cutoff`` (clinicalsignificance; reference §1.3).
    """
    signed = direction * index
    status = None
    if cutoff is not None:
        status = CutoffStatus(
            direction * pre < direction * cutoff, direction * post > direction * cutoff
        )
    return categorise(improved=signed > critical, deteriorated=signed < -critical, status=status)


@dataclass(frozen=True)
class ChangeSinceIntake:
    """Change on one instrument judged with its published thresholds.

    ``improvement`` is positive when the client got better whatever the scale direction. The
    reliability flags and ``category`` are None without an RC threshold; the clinical flags are
    None without a cut-off.
    """

    change: float
    improvement: float
    reliable_improvement: bool | None
    reliable_deterioration: bool | None
    clinical_pre: bool | None
    clinical_post: bool | None
    category: ChangeCategory | None


def change_since_intake(rules: MeasureRules, *, pre: float, post: float) -> ChangeSinceIntake:
    """Judge ``pre -> post`` with an instrument's (possibly overridden) thresholds.

    1. Reliable: ``rules.reliable_change.is_reliable`` (published thresholds inclusive,
       computed ones strict), in the direction of the scale.
    2. Clinical: ``rules.cutoff.is_clinical`` with the published inclusive/exclusive bound;
       functional at the end means not clinical.
    3. Category per §1.3 (recovered needs clinical at intake; harmed needs non-clinical intake).
    """
    improvement = rules.improvement(before=pre, after=post)
    clinical_pre = clinical_post = None
    status = None
    if rules.cutoff is not None:
        clinical_pre = rules.cutoff.is_clinical(pre, rules.direction)
        clinical_post = rules.cutoff.is_clinical(post, rules.direction)
        status = CutoffStatus(clinical_pre, not clinical_post)
    better = worse = category = None
    if rules.reliable_change is not None:
        reliable = rules.reliable_change.is_reliable(improvement)
        better, worse = reliable and improvement > 0, reliable and improvement < 0
        category = categorise(improved=better, deteriorated=worse, status=status)
    return ChangeSinceIntake(
        post - pre, improvement, better, worse, clinical_pre, clinical_post, category
    )


def _positive(sd: float) -> None:
    if not sd > 0:
        raise NormsError(f"sd must be positive, got {sd}")
