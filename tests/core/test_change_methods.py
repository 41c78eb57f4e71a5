"""Alternative RCI methods (reference §1.5), checked against hand-computed values."""

from __future__ import annotations

import pytest

from outcome_monitor.core.errors import NormsError
from outcome_monitor.core.measure import Direction
from outcome_monitor.core.rci_methods import (
    SampleMoments,
    en_rci,
    estimated_true_pre,
    gln_rci,
    ha_cs_index,
    ha_cutoffs,
    ha_rci,
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
    cutoffs = ha_cutoffs(
        SAMPLE,
        reliability=0.8,
        direction=Direction.HIGHER_IS_WORSE,
        mean_functional=8,
        sd_functional=4,
    )

    assert cutoffs.a == pytest.approx(9.05573, abs=5e-5)
    assert cutoffs.b == pytest.approx(16.94427, abs=5e-5)
    assert cutoffs.c == pytest.approx(12.25822, abs=5e-5)


def test_hageman_arrindell_without_functional_norms_has_only_cutoff_a() -> None:
    cutoffs = ha_cutoffs(SAMPLE, reliability=0.8, direction=Direction.HIGHER_IS_BETTER)

    assert cutoffs.a == pytest.approx(18 + 2 * 5 * 0.8**0.5)
    assert (cutoffs.b, cutoffs.c) == (None, None)


def test_hageman_arrindell_clinical_significance_index() -> None:
    index = ha_cs_index(post=10, sample=SAMPLE, reliability=0.8, cutoff=12.258218860212583)

    assert index == pytest.approx(-0.95444, abs=5e-5)


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
