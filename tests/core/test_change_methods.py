"""Alternative RCI methods (reference §1.5), checked against hand-computed values."""

from __future__ import annotations

import pytest

from outcome_monitor.core.change import ChangeCategory, CutoffStatus, categorise
from outcome_monitor.core.errors import NormsError
from outcome_monitor.core.measure import Direction
from outcome_monitor.core.rci_methods import (
    HA_CRITICAL,
    SampleMoments,
    en_rci,
    estimated_true_pre,
    gln_rci,
    ha_cs_index,
    ha_cutoffs,
    ha_rci,
    ha_status,
    hageman_arrindell,
    hll_rci,
    nk_rci,
)

# Synthetic sample: intake mean 18 (SD 5), end mean 12 (SD 6), pre-post r .5; reliability .8.
SAMPLE = SampleMoments(mean_pre=18, sd_pre=5, mean_post=12, sd_post=6, r_pre_post=0.5)
COMMON = {"pre": 20.0, "post": 10.0, "mean_pre": 18.0, "sd_pre": 5.0, "reliability": 0.8}


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        # [(10 - 18) - .8 (20 - 18)] / (5 sqrt(1 - .64)) = -9.6 / 3
        pytest.param(lambda: gln_rci(**COMMON), -3.2, id="GLN"),
        # [(10 - 12) - .8 (20 - 18)] / 3
        pytest.param(lambda: hll_rci(**COMMON, mean_post=12.0), -1.2, id="HLL"),
        # true pre 19.6; (10 - 19.6) / (5 sqrt(.2))
        pytest.param(lambda: en_rci(**COMMON), -4.29325, id="EN"),
        # -9.6 / sqrt(.64 * 25 * .2 + 25 * .2)
        pytest.param(lambda: nk_rci(**COMMON, reliability_post=0.8), -3.35247, id="NK"),
        # r_dd = 21/31; [-10 r_dd - 6 (1 - r_dd)] / (sqrt(r_dd) sqrt(10))
        pytest.param(
            lambda: ha_rci(pre=20, post=10, sample=SAMPLE, reliability=0.8), -3.34636, id="HA"
        ),
    ],
)
def test_alternative_indices_match_hand_computation(index, expected: float) -> None:  # type: ignore[no-untyped-def]
    assert index() == pytest.approx(expected, abs=5e-5)


def test_estimated_true_pre_regresses_towards_the_mean() -> None:
    assert estimated_true_pre(pre=20, mean_pre=18, reliability=0.8) == pytest.approx(19.6)


def test_hageman_arrindell_reliabilities() -> None:
    ha = hageman_arrindell(SAMPLE, reliability=0.8)

    assert ha.r_pre == 0.8
    assert ha.r_post == pytest.approx(31 / 36)
    assert ha.r_difference == pytest.approx(21 / 31)
    assert ha.se_measurement**2 == pytest.approx(5)


def test_hageman_arrindell_true_score_cutoffs_on_a_higher_is_worse_scale() -> None:
    # SE^2 = 25 * .2 = 5; r_xx1 = (25 - 5) / 25 = .8; functional r0 = (16 - 5) / 16 = 11/16,
    # so the functional true SD s0 sqrt(r0) = sqrt(11) = 3.316625; clinical s1 sqrt(r_xx1) =
    # sqrt(20) = 4.472136. Direction -1 (higher is worse):
    #   a = 18 - 2 sqrt(20) = 9.055728
    #   b = 8 + 2 sqrt(11) = 14.633250 (functional SD and reliability). The R package
    #       clinicalsignificance (.calc_cutoff_ha, v3.0.0) and reference §1.5 print
    #       b = M0 - d 2 s1 sqrt(r_xx1) = 8 + 2 sqrt(20) = 16.944272: the clinical SD, the error
    #       fixed in issue 8, so our b deliberately differs from the package's here.
    #   c = (sqrt(20) 8 + sqrt(11) 18) / (sqrt(20) + sqrt(11)) = 95.476338 / 7.788761 = 12.258219
    cutoffs = ha_cutoffs(
        SAMPLE,
        reliability=0.8,
        direction=Direction.HIGHER_IS_WORSE,
        mean_functional=8,
        sd_functional=4,
    )

    assert cutoffs.a == pytest.approx(9.05573, abs=5e-5)
    assert cutoffs.b == pytest.approx(14.63325, abs=5e-5)
    assert cutoffs.c == pytest.approx(12.25822, abs=5e-5)


def test_hageman_arrindell_cutoff_b_equals_the_packages_only_when_the_sds_are_equal() -> None:
    # s0 = s1 = 5: r0 = r_xx1 = .8, so b = 30 - 2 * 5 * sqrt(.8) = 21.055728 either way
    # (higher is better); the two definitions part only when s0 != s1.
    cutoffs = ha_cutoffs(
        SAMPLE,
        reliability=0.8,
        direction=Direction.HIGHER_IS_BETTER,
        mean_functional=30,
        sd_functional=5,
    )

    assert cutoffs.b == pytest.approx(30 - 2 * 5 * 0.8**0.5)
    assert cutoffs.b == pytest.approx(21.05573, abs=5e-5)


def test_hageman_arrindell_without_functional_norms_has_only_cutoff_a() -> None:
    cutoffs = ha_cutoffs(SAMPLE, reliability=0.8, direction=Direction.HIGHER_IS_BETTER)

    assert cutoffs.a == pytest.approx(18 + 2 * 5 * 0.8**0.5)
    assert (cutoffs.b, cutoffs.c) == (None, None)


def test_hageman_arrindell_clinical_significance_index() -> None:
    index = ha_cs_index(post=10, sample=SAMPLE, reliability=0.8, cutoff=12.258218860212583)

    assert index == pytest.approx(-0.95444, abs=5e-5)


# Hageman-Arrindell categories on SAMPLE (higher is worse, d = -1), cut-off c = 12.258219 from
# functional norms 8 / 4 (test above). From SAMPLE: r_dd = 21/31, r_xx2 = 31/36, SE^2 = 5.
#   RC = [(x2 - x1) 21/31 + (12 - 18) 10/31] / (sqrt(21/31) sqrt(10)),  denominator 2.602728
#   CS = [12 + (x2 - 12) 31/36 - 12.258219] / sqrt(31/36 * 5),          denominator 2.074983
# reliable when d RC beyond 1.65; functional when d CS > 1.65, dysfunctional when d CS < -1.65.
C_TRUE = 12.258218860212583


def _ha_status(pre: float, post: float) -> CutoffStatus:
    return ha_status(
        pre=pre,
        post=post,
        sample=SAMPLE,
        reliability=0.8,
        direction=Direction.HIGHER_IS_WORSE,
        cutoff=C_TRUE,
    )


@pytest.mark.parametrize(
    ("pre", "post", "rc", "cs", "expected"),
    [
        # RC = (-294 - 60)/31 / 2.602728 = -4.38745; CS = (6.833333 - 12.258219) / 2.074983
        pytest.param(20, 6, -4.38745, -2.61442, ChangeCategory.RECOVERED, id="recovered"),
        # RC = (-168 - 60)/31 / 2.602728 = -3.34636; CS = (10.277778 - 12.258219) / 2.074983
        pytest.param(20, 10, -3.34636, -0.95444, ChangeCategory.IMPROVED, id="better, uncertain"),
        # 10 <= c: not clinical. RC = (210 - 60)/31 / 2.602728 = 1.85909;
        # CS = (18.888889 - 12.258219) / 2.074983 = 3.19553, d CS = -3.20 < -1.65
        pytest.param(10, 20, 1.85909, 3.19553, ChangeCategory.HARMED, id="harmed"),
        # Same reliable worsening, but CS = (15.444444 - 12.258219) / 2.074983 = 1.53554 lies in
        # the uncertain zone: deteriorated. The old rule ("not clearly functional") said harmed.
        pytest.param(6, 16, 1.85909, 1.53554, ChangeCategory.DETERIORATED, id="worse, uncertain"),
        # RC = (147 - 60)/31 / 2.602728 = 1.07827 is not reliable although CS = 1.95054
        pytest.param(10, 17, 1.07827, 1.95054, ChangeCategory.UNCHANGED, id="not reliable"),
    ],
)
def test_hageman_arrindell_categories_match_hand_computation(
    pre: float, post: float, rc: float, cs: float, expected: ChangeCategory
) -> None:
    d = Direction.HIGHER_IS_WORSE
    index = ha_rci(pre=pre, post=post, sample=SAMPLE, reliability=0.8)
    status = _ha_status(pre, post)

    category = categorise(
        improved=d * index > HA_CRITICAL, deteriorated=d * index < -HA_CRITICAL, status=status
    )

    assert index == pytest.approx(rc, abs=5e-5)
    assert ha_cs_index(post=post, sample=SAMPLE, reliability=0.8, cutoff=C_TRUE) == pytest.approx(
        cs, abs=5e-5
    )
    assert category is expected


def test_hageman_arrindell_status_separates_functional_uncertain_and_dysfunctional() -> None:
    functional, uncertain, dysfunctional = _ha_status(20, 6), _ha_status(6, 16), _ha_status(10, 20)

    assert functional == CutoffStatus(True, True, dysfunctional_post=False)
    assert uncertain == CutoffStatus(False, False, dysfunctional_post=False)
    assert dysfunctional == CutoffStatus(False, False, dysfunctional_post=True)


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        pytest.param(SampleMoments(18, 5, 12, 0, 0.5), "sd_post", id="zero post SD"),
        pytest.param(SampleMoments(18, 5, 12, 6, 1.5), "r_pre_post", id="correlation above 1"),
        pytest.param(
            SampleMoments(18, 5, 12, 2, 0.5), "must be positive", id="post SD below the error"
        ),
        pytest.param(
            SampleMoments(10, 10, 20, 15, 1.0), "must be positive", id="difference is pure error"
        ),
        pytest.param(
            SampleMoments(10, 10, 20, 10, 1.0), "must be positive", id="no spread of differences"
        ),
    ],
)
def test_hageman_arrindell_with_unusable_sample_raises(sample: SampleMoments, message: str) -> None:
    with pytest.raises(NormsError, match=message):
        hageman_arrindell(sample, reliability=0.8)


def test_hageman_arrindell_functional_sd_below_measurement_error_raises() -> None:
    with pytest.raises(NormsError, match="functional SD"):
        ha_cutoffs(
            SAMPLE,
            reliability=0.8,
            direction=Direction.HIGHER_IS_WORSE,
            mean_functional=8,
            sd_functional=2,
        )


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: gln_rci(**{**COMMON, "sd_pre": 0}), id="GLN zero SD"),
        pytest.param(
            lambda: hll_rci(**{**COMMON, "reliability": 1.0}, mean_post=12), id="HLL reliability 1"
        ),
        pytest.param(lambda: en_rci(**{**COMMON, "reliability": 0.0}), id="EN reliability 0"),
        pytest.param(lambda: nk_rci(**COMMON, reliability_post=1.2), id="NK post reliability 1.2"),
    ],
)
def test_alternative_indices_with_unusable_norms_raise(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NormsError):
        call()
