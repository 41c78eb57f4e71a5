"""Jacobson-Truax reliable change, cut-offs a/b/c and categories (reference §1.1-1.4, §1.7)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcome_monitor.core.change import (
    ChangeCategory,
    CutoffStatus,
    categorise,
    categorise_index,
    change_since_intake,
    check_norms,
    cutoff_a,
    cutoff_b,
    cutoff_c,
    jacobson_truax_rci,
    reliable_change_threshold,
    standard_error_of_measurement,
)
from outcome_monitor.core.errors import CoreError, NormsError
from outcome_monitor.core.measure import (
    Cutoff,
    Direction,
    MeasureRules,
    ReliableChangeThreshold,
    Tag,
)

BETTER, WORSE = Direction.HIGHER_IS_BETTER, Direction.HIGHER_IS_WORSE


def test_jacobson_truax_hypothetical_client_has_rci_4_43() -> None:
    rci = jacobson_truax_rci(pre=32, post=53, sd=7.5, reliability=0.80)

    assert rci == pytest.approx(4.427, abs=5e-4)


@pytest.mark.parametrize(
    ("cutoff", "expected"),
    [
        pytest.param(
            lambda: cutoff_a(mean_clinical=40, sd_clinical=7.5, direction=BETTER),
            55,
            id="J&T a = 55",
        ),
        pytest.param(
            lambda: cutoff_b(mean_functional=60, sd_functional=7.5, direction=BETTER),
            45,
            id="J&T b = 45",
        ),
        pytest.param(
            lambda: cutoff_c(
                mean_clinical=40, sd_clinical=7.5, mean_functional=60, sd_functional=7.5
            ),
            50,
            id="J&T c = 50",
        ),
        pytest.param(
            lambda: cutoff_c(
                mean_clinical=19.7, sd_clinical=7.7, mean_functional=4.7, sd_functional=4.8
            ),
            10.46,
            id="CORE-10 c = 10.46",
        ),
        pytest.param(
            lambda: cutoff_a(mean_clinical=19.7, sd_clinical=7.7, direction=WORSE),
            4.3,
            id="a below the clinical mean when higher is worse",
        ),
        pytest.param(
            lambda: cutoff_b(mean_functional=4.7, sd_functional=4.8, direction=WORSE),
            14.3,
            id="b above the functional mean when higher is worse",
        ),
    ],
)
def test_published_cutoffs(cutoff, expected: float) -> None:  # type: ignore[no-untyped-def]
    assert cutoff() == pytest.approx(expected, abs=5e-3)


def test_cutoff_b_uses_the_functional_sd_not_the_clinical_one() -> None:
    # The R package would give 60 - 2 * 10 = 40 with a clinical SD of 10; J&T give 60 - 2 * 5.
    assert cutoff_b(mean_functional=60, sd_functional=5, direction=BETTER) == 50


def test_jacobson_truax_hypothetical_client_is_recovered_with_cutoff_c() -> None:
    rci = jacobson_truax_rci(pre=32, post=53, sd=7.5, reliability=0.80)

    category = categorise_index(
        index=rci, critical=1.96, direction=BETTER, pre=32, post=53, cutoff=50
    )

    assert category is ChangeCategory.RECOVERED


def test_core10_published_threshold_reconstructs_at_90_percent() -> None:
    threshold = reliable_change_threshold(sd=7.7, reliability=0.90, z=1.645)

    # 5.6646; reference §1.7 prints 5.67. Either way it rounds to the published 6.
    assert threshold.value == pytest.approx(5.665, abs=5e-4)
    assert round(threshold.value) == 6
    assert (threshold.inclusive, threshold.tag, threshold.z) == (False, Tag.COMPUTED, 1.645)


def test_core10_inputs_at_95_percent_give_6_75() -> None:
    assert reliable_change_threshold(sd=7.7, reliability=0.90).value == pytest.approx(
        6.75, abs=5e-3
    )


def test_computed_threshold_is_strict_at_its_value() -> None:
    threshold = reliable_change_threshold(sd=7.5, reliability=0.80)

    assert not threshold.is_reliable(threshold.value)
    assert threshold.is_reliable(threshold.value + 1e-9)
    assert not threshold.is_reliable(threshold.value - 1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"sd": 0, "reliability": 0.8}, "sd must be positive", id="zero sd"),
        pytest.param({"sd": -1, "reliability": 0.8}, "sd must be positive", id="negative sd"),
        pytest.param({"sd": 5, "reliability": 0.0}, "reliability", id="reliability 0"),
        pytest.param({"sd": 5, "reliability": 1.0}, "reliability", id="reliability 1"),
        pytest.param({"sd": 5, "reliability": float("nan")}, "reliability", id="reliability NaN"),
    ],
)
def test_rci_with_unusable_norms_raises(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(NormsError, match=message):
        jacobson_truax_rci(pre=10, post=20, **kwargs)


def test_threshold_with_non_positive_z_raises() -> None:
    with pytest.raises(NormsError, match="z must be positive"):
        reliable_change_threshold(sd=5, reliability=0.8, z=0)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: cutoff_a(mean_clinical=1, sd_clinical=0, direction=BETTER), id="a"),
        pytest.param(
            lambda: cutoff_b(mean_functional=1, sd_functional=-2, direction=BETTER), id="b"
        ),
        pytest.param(
            lambda: cutoff_c(mean_clinical=1, sd_clinical=1, mean_functional=2, sd_functional=0),
            id="c functional",
        ),
        pytest.param(
            lambda: cutoff_c(mean_clinical=1, sd_clinical=0, mean_functional=2, sd_functional=1),
            id="c clinical",
        ),
    ],
)
def test_cutoff_with_non_positive_sd_raises(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NormsError):
        call()


def test_standard_error_of_measurement() -> None:
    assert standard_error_of_measurement(sd=7.5, reliability=0.8) == pytest.approx(3.3541, abs=1e-4)
    check_norms(sd=1, reliability=0.5)


@pytest.mark.parametrize(
    ("index", "pre", "post", "cutoff", "expected"),
    [
        pytest.param(
            2.0, 30, 55, 50, ChangeCategory.RECOVERED, id="reliable, clinical to functional"
        ),
        pytest.param(2.0, 30, 45, 50, ChangeCategory.IMPROVED, id="reliable but still clinical"),
        pytest.param(
            2.0,
            30,
            50,
            50,
            ChangeCategory.IMPROVED,
            id="ending exactly at the cut-off is not functional",
        ),
        pytest.param(
            2.0,
            50,
            70,
            50,
            ChangeCategory.IMPROVED,
            id="starting exactly at the cut-off is not clinical",
        ),
        pytest.param(
            1.96,
            30,
            55,
            50,
            ChangeCategory.UNCHANGED,
            id="index at the critical value is not reliable",
        ),
        pytest.param(
            -1.96, 55, 30, 50, ChangeCategory.UNCHANGED, id="negative index at the critical value"
        ),
        pytest.param(
            -2.0, 55, 45, 50, ChangeCategory.HARMED, id="functional to clinical, reliably worse"
        ),
        pytest.param(
            -2.0, 50, 45, 50, ChangeCategory.HARMED, id="from exactly the cut-off to clinical"
        ),
        pytest.param(
            -2.0, 45, 30, 50, ChangeCategory.DETERIORATED, id="clinical and reliably worse"
        ),
        pytest.param(
            -2.0, 70, 55, 50, ChangeCategory.DETERIORATED, id="worse but still functional"
        ),
        pytest.param(2.0, 30, 55, None, ChangeCategory.IMPROVED, id="no cut-off: never recovered"),
        pytest.param(
            -2.0, 55, 30, None, ChangeCategory.DETERIORATED, id="no cut-off: never harmed"
        ),
    ],
)
def test_categories_on_a_higher_is_better_scale(
    index: float, pre: float, post: float, cutoff: float | None, expected: ChangeCategory
) -> None:
    assert (
        categorise_index(
            index=index, critical=1.96, direction=BETTER, pre=pre, post=post, cutoff=cutoff
        )
        is expected
    )


def test_categories_are_mirrored_on_a_higher_is_worse_scale() -> None:
    category = categorise_index(
        index=-3.0, critical=1.96, direction=WORSE, pre=20, post=5, cutoff=11
    )

    assert category is ChangeCategory.RECOVERED


def test_a_change_cannot_be_both_improved_and_deteriorated() -> None:
    with pytest.raises(CoreError, match="both"):
        categorise(improved=True, deteriorated=True, status=CutoffStatus(True, True))


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(CutoffStatus(False, False), ChangeCategory.HARMED, id="JT: not functional"),
        pytest.param(
            CutoffStatus(False, False, dysfunctional_post=True),
            ChangeCategory.HARMED,
            id="clearly dysfunctional at the end",
        ),
        pytest.param(
            CutoffStatus(False, False, dysfunctional_post=False),
            ChangeCategory.DETERIORATED,
            id="uncertain zone: neither functional nor dysfunctional",
        ),
        pytest.param(
            CutoffStatus(True, False, dysfunctional_post=True),
            ChangeCategory.DETERIORATED,
            id="clinical at intake is never harmed",
        ),
    ],
)
def test_harmed_needs_an_end_on_the_dysfunctional_side(
    status: CutoffStatus, expected: ChangeCategory
) -> None:
    assert categorise(improved=False, deteriorated=True, status=status) is expected


def test_an_end_score_cannot_be_both_functional_and_dysfunctional() -> None:
    with pytest.raises(CoreError, match="functional and dysfunctional"):
        CutoffStatus(False, True, dysfunctional_post=True)


PHQ9 = MeasureRules(
    code="phq9",
    direction=WORSE,
    score_min=0,
    score_max=27,
    cutoff=Cutoff(10, inclusive=True),
    reliable_change=ReliableChangeThreshold(6, inclusive=True),
)


@pytest.mark.parametrize(
    ("pre", "post", "reliable_improvement", "category"),
    [
        pytest.param(15, 10, False, ChangeCategory.UNCHANGED, id="5 points down: just below RC 6"),
        pytest.param(
            15, 9, True, ChangeCategory.RECOVERED, id="6 points down to 9: at RC, below caseness"
        ),
        pytest.param(
            16, 10, True, ChangeCategory.IMPROVED, id="6 points down to exactly 10: still a case"
        ),
        pytest.param(
            20, 13, True, ChangeCategory.IMPROVED, id="7 points down: above RC, still a case"
        ),
    ],
)
def test_change_since_intake_applies_published_thresholds_inclusively(
    pre: float, post: float, reliable_improvement: bool, category: ChangeCategory
) -> None:
    result = change_since_intake(PHQ9, pre=pre, post=post)

    assert (result.reliable_improvement, result.category) == (reliable_improvement, category)
    assert result.improvement == pre - post
    assert result.change == post - pre


def test_change_since_intake_flags_harm_from_non_case_to_case() -> None:
    result = change_since_intake(PHQ9, pre=4, post=10)

    assert (result.clinical_pre, result.clinical_post) == (False, True)
    assert result.reliable_deterioration is True
    assert result.category is ChangeCategory.HARMED


def test_change_since_intake_without_thresholds_reports_only_the_change() -> None:
    rules = MeasureRules("waisr", BETTER, 12, 60, cutoff=None, reliable_change=None)

    result = change_since_intake(rules, pre=30, post=40)

    assert result.improvement == 10
    assert (result.reliable_improvement, result.clinical_pre, result.category) == (None, None, None)


@given(
    pre=st.floats(0, 100, allow_nan=False),
    post=st.floats(0, 100, allow_nan=False),
    sd=st.floats(0.1, 50),
    reliability=st.floats(0.01, 0.99),
)
def test_swapping_pre_and_post_flips_the_sign_of_the_rci(
    pre: float, post: float, sd: float, reliability: float
) -> None:
    forward = jacobson_truax_rci(pre=pre, post=post, sd=sd, reliability=reliability)
    backward = jacobson_truax_rci(pre=post, post=pre, sd=sd, reliability=reliability)

    assert math.isclose(forward, -backward, abs_tol=1e-9)


@given(
    change=st.floats(-40, 40, allow_nan=False),
    sd=st.floats(0.5, 20),
    reliability=st.floats(0.05, 0.95),
)
def test_rci_beyond_196_exactly_when_change_exceeds_the_computed_threshold(
    change: float, sd: float, reliability: float
) -> None:
    rci = jacobson_truax_rci(pre=50, post=50 + change, sd=sd, reliability=reliability)
    threshold = reliable_change_threshold(sd=sd, reliability=reliability)

    if not math.isclose(abs(rci), 1.96, abs_tol=1e-9):
        assert (abs(rci) > 1.96) == threshold.is_reliable(50 + change - 50)
