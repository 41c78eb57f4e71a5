"""Alternative reliable-change indices: GLN, HLL, EN, NK and Hageman-Arrindell.

Formulas as coded in the R package clinicalsignificance v3.0.0 (R/calc_rci.R, R/calc_cutoff.R;
reference §1.5). ``mean_pre``/``sd_pre`` are the treated sample's intake mean and SD,
``mean_post``/``sd_post`` its end-of-treatment ones. Every index is signed on the raw scale
(positive = score went up); multiply by the direction to read it as improvement. GLN, HLL, EN
and NK use the critical value 1.96; Hageman-Arrindell uses 1.65 (one-sided 5%).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from outcome_monitor.core.change import (
    CutoffStatus,
    check_norms,
    standard_error_of_measurement,
)
from outcome_monitor.core.errors import NormsError
from outcome_monitor.core.measure import Direction

HA_CRITICAL = 1.65  # Hageman & Arrindell 1999, one-sided 5% (reference §1.5) [V]


def gln_rci(
    *, pre: float, post: float, mean_pre: float, sd_pre: float, reliability: float
) -> float:
    """Gulliksen-Lord-Novick (Hsu 1989): regression to the intake mean is removed.

    ``[(post - M1) - r * (pre - M1)] / (s1 * sqrt(1 - r^2))``. NormsError for bad sd/r.
    """
    check_norms(sd=sd_pre, reliability=reliability)
    residual = (post - mean_pre) - reliability * (pre - mean_pre)
    return residual / (sd_pre * math.sqrt(1 - reliability**2))


def hll_rci(
    *, pre: float, post: float, mean_pre: float, mean_post: float, sd_pre: float,
    reliability: float,
) -> float:  # fmt: skip
    """Hsu-Linn-Lord: as GLN with ``post`` centred on the post mean, so change is judged
    against the group's average change: ``[(post - M2) - r * (pre - M1)] / (s1 * sqrt(1-r^2))``.
    """
    check_norms(sd=sd_pre, reliability=reliability)
    residual = (post - mean_post) - reliability * (pre - mean_pre)
    return residual / (sd_pre * math.sqrt(1 - reliability**2))


def estimated_true_pre(*, pre: float, mean_pre: float, reliability: float) -> float:
    """Estimated true intake score ``r * (pre - M1) + M1`` (Speer 1992; the cortrudolph script's
    ``+ pre`` is a typo, reference §1.5)."""
    return reliability * (pre - mean_pre) + mean_pre


def en_rci(*, pre: float, post: float, mean_pre: float, sd_pre: float, reliability: float) -> float:
    """Edwards-Nunnally (Speer 1992): ``(post - true_pre) / SE_m``, ``SE_m = s1 * sqrt(1 - r)``."""
    true_pre = estimated_true_pre(pre=pre, mean_pre=mean_pre, reliability=reliability)
    return (post - true_pre) / standard_error_of_measurement(sd=sd_pre, reliability=reliability)


def nk_rci(
    *, pre: float, post: float, mean_pre: float, sd_pre: float, reliability: float,
    reliability_post: float,
) -> float:  # fmt: skip
    """NK: ``(post - true_pre) / sqrt(r^2 * s1^2 * (1 - r) + s1^2 * (1 - r_post))``.

    ``reliability_post`` is the reliability at the end of treatment. NormsError for bad values.
    """
    check_norms(sd=sd_pre, reliability=reliability)
    check_norms(sd=sd_pre, reliability=reliability_post)
    true_pre = estimated_true_pre(pre=pre, mean_pre=mean_pre, reliability=reliability)
    variance = reliability**2 * sd_pre**2 * (1 - reliability) + sd_pre**2 * (1 - reliability_post)
    return (post - true_pre) / math.sqrt(variance)


@dataclass(frozen=True)
class SampleMoments:
    """Means, SDs and pre-post correlation of the treated sample (Hageman-Arrindell inputs)."""

    mean_pre: float
    sd_pre: float
    mean_post: float
    sd_post: float
    r_pre_post: float


@dataclass(frozen=True)
class HagemanArrindell:
    """Reliabilities of Hageman & Arrindell (1999): intake, end and of the difference."""

    se_measurement: float
    r_pre: float
    r_post: float
    r_difference: float


def hageman_arrindell(sample: SampleMoments, *, reliability: float) -> HagemanArrindell:
    """``SE = s1 sqrt(1-r)``; ``r_xx1 = (s1^2 - SE^2)/s1^2``; ``r_xx2 = (s2^2 - SE^2)/s2^2``;
    ``r_dd = (s1^2 r_xx1 + s2^2 r_xx2 - 2 s1 s2 r12) / (s1^2 + s2^2 - 2 s1 s2 r12)``.

    NormsError when sd_post <= 0, r12 is outside [-1, 1], or a reliability is not positive
    (the post SD is at most the measurement error, or the difference is pure error).
    """
    se = standard_error_of_measurement(sd=sample.sd_pre, reliability=reliability)
    s1, s2, r12 = sample.sd_pre, sample.sd_post, sample.r_pre_post
    if not s2 > 0 or not -1 <= r12 <= 1:
        raise NormsError("Hageman-Arrindell needs sd_post > 0 and -1 <= r_pre_post <= 1")
    r_post = (s2**2 - se**2) / s2**2
    spread = s1**2 + s2**2 - 2 * s1 * s2 * r12
    r_dd = (s1**2 * reliability + s2**2 * r_post - 2 * s1 * s2 * r12) / spread if spread else 0
    if r_post <= 0 or r_dd <= 0:
        raise NormsError("Hageman-Arrindell reliabilities must be positive for these data")
    return HagemanArrindell(se, reliability, r_post, r_dd)


def ha_rci(*, pre: float, post: float, sample: SampleMoments, reliability: float) -> float:
    """``RC_indiv = [(x2-x1) r_dd + (M2-M1)(1-r_dd)] / (sqrt(r_dd) sqrt(2 SE^2))``.

    Reliable when its size exceeds 1.65 (``HA_CRITICAL``). NormsError as in hageman_arrindell.
    """
    ha = hageman_arrindell(sample, reliability=reliability)
    mean_change = sample.mean_post - sample.mean_pre
    numerator = (post - pre) * ha.r_difference + mean_change * (1 - ha.r_difference)
    return numerator / (math.sqrt(ha.r_difference) * math.sqrt(2 * ha.se_measurement**2))


@dataclass(frozen=True)
class TrueScoreCutoffs:
    """Hageman-Arrindell true-score cut-offs; ``b``/``c`` are None without functional norms."""

    a: float
    b: float | None
    c: float | None


def ha_cutoffs(
    sample: SampleMoments, *, reliability: float, direction: Direction,
    mean_functional: float | None = None, sd_functional: float | None = None,
) -> TrueScoreCutoffs:  # fmt: skip
    """True-score cut-offs (Hageman & Arrindell 1999; reference §1.5), each the Jacobson-Truax
    cut-off (§1.2) with every SD replaced by its true-score SD ``s * sqrt(r)``::

        SE   = s1 sqrt(1 - r)                 r_xx1 = (s1^2 - SE^2) / s1^2   (= r)
        r0   = (s0^2 - SE^2) / s0^2           (functional group's reliability)
        a    = M1 + d 2 s1 sqrt(r_xx1)        (2 true SDs beyond the clinical mean)
        b    = M0 - d 2 s0 sqrt(r0)           (within 2 true SDs of the FUNCTIONAL mean)
        c    = (s1 sqrt(r_xx1) M0 + s0 sqrt(r0) M1) / (s1 sqrt(r_xx1) + s0 sqrt(r0))

    ``d`` is the direction (+1 higher is better). ``s0 sqrt(r0) = sqrt(s0^2 - SE^2)``.

    Deliberate difference from the R package clinicalsignificance (v3.0.0 and 3.0.0.9000,
    ``.calc_cutoff_ha``): the package computes ``b = M0 - d 2 s1 sqrt(r_xx1)`` with the
    CLINICAL SD and reliability, and reference §1.5 transcribes it so. That is the same slip as
    the package's Jacobson-Truax b (§1.2): b is "within two SDs of the functional mean", so
    its spread is the functional group's, as in ``change.cutoff_b``. Our b therefore differs
    from the package's whenever ``s0^2 - SE^2 != s1^2 - SE^2``, i.e. whenever s0 != s1. Tag
    [C]: derived from the J&T definition [V] and the true-score logic of a and c [V package];
    Hageman & Arrindell's own text was not read (reference: [V abstract]).

    NormsError as in ``hageman_arrindell``, or when ``s0 <= SE`` (r0 would not be positive).
    """
    ha = hageman_arrindell(sample, reliability=reliability)
    a = sample.mean_pre + direction * 2 * sample.sd_pre * math.sqrt(ha.r_pre)
    if mean_functional is None or sd_functional is None:
        return TrueScoreCutoffs(a, None, None)
    if not sd_functional > 0 or sd_functional**2 <= ha.se_measurement**2:
        raise NormsError("Hageman-Arrindell needs a functional SD above the measurement error")
    r0 = (sd_functional**2 - ha.se_measurement**2) / sd_functional**2
    w1, w0 = sample.sd_pre * math.sqrt(ha.r_pre), sd_functional * math.sqrt(r0)
    b = mean_functional - direction * 2 * w0
    c = (w1 * mean_functional + w0 * sample.mean_pre) / (w1 + w0)
    return TrueScoreCutoffs(a, b, c)


def ha_cs_index(*, post: float, sample: SampleMoments, reliability: float, cutoff: float) -> float:
    """``CS_indiv = [M2 + (x2 - M2) r_xx2 - cutoff] / (sqrt(r_xx2) SE)``.

    Functional at the end when ``direction * CS_indiv > 1.65``, clearly dysfunctional when
    ``< -1.65`` (Hageman & Arrindell 1999; ``ha_status``).
    """
    ha = hageman_arrindell(sample, reliability=reliability)
    true_post = sample.mean_post + (post - sample.mean_post) * ha.r_post
    return (true_post - cutoff) / (math.sqrt(ha.r_post) * ha.se_measurement)


def ha_status(
    *, pre: float, post: float, sample: SampleMoments, reliability: float,
    direction: Direction, cutoff: float,
) -> CutoffStatus:  # fmt: skip
    """Hageman-Arrindell cut-off status for the §1.3 categories (``change.categorise``)::

        clinical_pre       = d pre < d cutoff            (the observed intake score, strict)
        functional_post    = d CS_indiv >  1.65
        dysfunctional_post = d CS_indiv < -1.65
        otherwise          : the uncertain zone, neither functional nor dysfunctional

    So recovered needs a CS index clearly on the functional side, and harmed (reliably
    deteriorated, not clinical at intake) one clearly on the dysfunctional side; a client in
    the uncertain zone is only improved or deteriorated. Boundaries are strict: ``|CS| = 1.65``
    is uncertain.

    Difference from the R package clinicalsignificance (v3.0.0 and 3.0.0.9000): its
    ``calc_cutoff_from_data.cs_ha`` computes the same dysfunctional test (column
    ``clinical_post = !clinical_pre & d cs_indiv < -crit``) but ``.calc_recovered_ha`` then sets
    ``harmed = FALSE`` for everyone, so the package never reports a harmed client with HA; we
    do, with the rule above. NormsError as in ``hageman_arrindell``.
    """
    index = ha_cs_index(post=post, sample=sample, reliability=reliability, cutoff=cutoff)
    return CutoffStatus(
        clinical_pre=direction * pre < direction * cutoff,
        functional_post=direction * index > HA_CRITICAL,
        dysfunctional_post=direction * index < -HA_CRITICAL,
    )
