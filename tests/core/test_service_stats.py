"""Service outcome statistics: each with a published or hand-checked worked example."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcome_monitor.core.errors import AnalysisError
from outcome_monitor.core.instruments import load_library
from outcome_monitor.core.measure import Direction, MeasureRules
from outcome_monitor.core.service_stats import (
    ControlLimits,
    EpisodeOutcome,
    FunnelZone,
    Proportion,
    ReliableCategory,
    control_limits,
    episode_outcome,
    funnel_curve,
    funnel_zone,
    hidden_cells,
    outcome_rates,
    pre_post_effect_size,
    proportion,
    split_by_size,
    summarise,
    wilson_interval,
)
from outcome_monitor.instruments import BUNDLED_DIR

LIBRARY = load_library(BUNDLED_DIR)
PHQ9, ORS = LIBRARY["phq9"].rules(), LIBRARY["ors"].rules()
WORSE, BETTER = Direction.HIGHER_IS_WORSE, Direction.HIGHER_IS_BETTER


# Wilson score interval ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "of", "lower", "upper"),
    [
        # Newcombe 1998, Stat Med 17:857, Table I, method 3 (score interval, no correction).
        pytest.param(81, 263, 0.2553, 0.3662, id="Newcombe Table I: 81/263"),
        pytest.param(15, 148, 0.0624, 0.1605, id="Newcombe Table I: 15/148"),
        pytest.param(0, 20, 0.0, 0.1611, id="Newcombe Table I: 0/20"),
        pytest.param(1, 29, 0.0061, 0.1718, id="Newcombe Table I: 1/29"),
        # By hand: at n = N the lower limit is N / (N + z²) = 29 / 32.8416 = 0.8830.
        pytest.param(29, 29, 0.8830, 1.0, id="hand: 29/29, lower = N/(N+z^2)"),
    ],
)
def test_wilson_interval_reproduces_worked_examples(n, of, lower, upper) -> None:
    assert wilson_interval(n, of) == pytest.approx((lower, upper), abs=5e-5)


@pytest.mark.parametrize(("n", "of"), [(1, 0), (0, 0), (-1, 5), (6, 5), (0, -2)])
def test_wilson_interval_refuses_impossible_counts(n, of) -> None:
    with pytest.raises(AnalysisError):
        wilson_interval(n, of)


def test_proportion_carries_rate_and_interval() -> None:
    result = proportion(81, 263)
    assert (result.n, result.of) == (81, 263)
    assert result.rate == pytest.approx(0.30798, abs=1e-5)
    assert result.ci == pytest.approx((0.2553, 0.3662), abs=5e-5)


def test_proportion_of_nothing_has_no_rate() -> None:
    assert proportion(0, 0) == Proportion(0, 0, None, None)


def test_proportion_with_numerator_but_no_denominator_raises() -> None:
    with pytest.raises(AnalysisError):
        proportion(2, 0)


@given(st.integers(1, 500).flatmap(lambda of: st.tuples(st.integers(0, of), st.just(of))))
def test_wilson_interval_contains_the_rate_and_stays_in_0_1(pair) -> None:
    n, of = pair
    lower, upper = wilson_interval(n, of)
    assert 0 <= lower <= n / of <= upper <= 1


# Mean and SD --------------------------------------------------------------------------------


def test_summarise_uses_the_sample_sd() -> None:
    # By hand: mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32; SD = sqrt(32/7) = 2.1381.
    result = summarise([2, 4, 4, 4, 5, 5, 7, 9])
    assert (result.n, result.mean) == (8, 5)
    assert result.sd == pytest.approx(2.1381, abs=1e-4)


def test_summarise_of_one_score_raises() -> None:
    with pytest.raises(AnalysisError):
        summarise([12.0])


# Effect size --------------------------------------------------------------------------------


def test_effect_size_hand_checked_example() -> None:
    # By hand (Becker 1988, eq. 6):
    #   pre 10 14 18 22: mean 16, deviations -6 -2 2 6, SS 80, SD sqrt(80/3) = 5.1640
    #   post 6 8 12 14:  mean 10, deviations -4 -2 2 4, SS 40
    #   cross-products 24 + 4 + 4 + 24 = 56, r = 56 / sqrt(80 * 40) = 0.98995
    #   d = (16 - 10) / 5.1640 = 1.16190 (PHQ-9: lower is better, so positive = improvement)
    #   SE = sqrt(2(1 - 0.98995)/4 + 1.16190^2/8) = sqrt(0.005025 + 0.168750) = 0.41686
    #   CI = 1.16190 -/+ 1.96 * 0.41686 = 0.3449 .. 1.9789
    result = pre_post_effect_size([10, 14, 18, 22], [6, 8, 12, 14], direction=WORSE)
    assert result.n == 4
    assert result.d == pytest.approx(1.16190, abs=1e-5)
    assert result.r == pytest.approx(0.98995, abs=1e-5)
    assert result.se == pytest.approx(0.41686, abs=1e-5)
    assert result.ci == pytest.approx((0.3449, 1.9789), abs=1e-4)


def test_effect_size_on_a_higher_is_better_scale_is_positive_for_improvement() -> None:
    # ORS-like: pre 10 14 18 22 (SD 5.1640), post 16 20 24 28: mean change +6, d = 1.16190.
    result = pre_post_effect_size([10, 14, 18, 22], [16, 20, 24, 28], direction=BETTER)
    assert result.d == pytest.approx(1.16190, abs=1e-5)
    assert result.r == pytest.approx(1.0)
    # r = 1: SE = sqrt(d²/2n) = 1.16190 / sqrt(8) = 0.41079
    assert result.se == pytest.approx(0.41079, abs=1e-5)


def test_effect_size_with_constant_post_scores_has_no_interval() -> None:
    result = pre_post_effect_size([10, 14, 18, 22], [4, 4, 4, 4], direction=WORSE)
    assert result.d == pytest.approx(12 / math.sqrt(80 / 3))
    assert (result.ci, result.r, result.se) == (None, None, None)


@pytest.mark.parametrize(
    ("pre", "post"),
    [
        pytest.param([10, 12], [8], id="unequal lengths"),
        pytest.param([10], [8], id="one pair"),
        pytest.param([12, 12, 12], [8, 6, 4], id="pre SD zero"),
    ],
)
def test_effect_size_refuses_unusable_data(pre, post) -> None:
    with pytest.raises(AnalysisError):
        pre_post_effect_size(pre, post, direction=WORSE)


scores = st.lists(
    st.tuples(st.integers(0, 27), st.integers(0, 27)), min_size=3, max_size=30
).filter(lambda pairs: len({p for p, _ in pairs}) > 1 and len({q for _, q in pairs}) > 1)


@given(scores, st.integers(-20, 20), st.integers(1, 5))
def test_effect_size_ignores_location_and_scale(pairs, shift, factor) -> None:
    pre, post = [p for p, _ in pairs], [q for _, q in pairs]
    base = pre_post_effect_size(pre, post, direction=WORSE)
    moved = pre_post_effect_size(
        [factor * p + shift for p in pre], [factor * q + shift for q in post], direction=WORSE
    )
    assert moved.d == pytest.approx(base.d, abs=1e-9)
    # The SE takes sqrt(1 - r): when post equals pre, r is 1 within rounding (1 - r ~ 1e-16),
    # so one side may give an SE of ~1e-8 and the other exactly 0 (found by Hypothesis).
    assert moved.ci == pytest.approx(base.ci, abs=1e-7)


@given(scores)
def test_effect_size_direction_flips_the_sign(pairs) -> None:
    pre, post = [p for p, _ in pairs], [q for _, q in pairs]
    worse = pre_post_effect_size(pre, post, direction=WORSE)
    better = pre_post_effect_size(pre, post, direction=BETTER)
    assert better.d == pytest.approx(-worse.d)
    assert better.se == pytest.approx(worse.se)


# Funnel plot ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p0", "n", "expected"),
    [
        # By hand: SE = sqrt(.5 * .5 / 100) = .05; .5 -/+ 1.96 * .05 and .5 -/+ 3.09 * .05.
        pytest.param(0.5, 100, (0.402, 0.598, 0.3455, 0.6545), id="p0 .5, n 100"),
        # SE = sqrt(.2 * .8 / 25) = .08; 99.8% lower .2 - .2472 < 0 is clipped to 0.
        pytest.param(0.2, 25, (0.0432, 0.3568, 0.0, 0.4472), id="p0 .2, n 25: lower clipped"),
        # SE = sqrt(.9 * .1 / 9) = .1; 95% upper .9 + .196 > 1 is clipped to 1.
        pytest.param(0.9, 9, (0.704, 1.0, 0.591, 1.0), id="p0 .9, n 9: upper clipped"),
        pytest.param(0.0, 10, (0.0, 0.0, 0.0, 0.0), id="p0 0: no spread"),
    ],
)
def test_control_limits_hand_checked(p0, n, expected) -> None:
    limits = control_limits(p0, n)
    got = (limits.lower_95, limits.upper_95, limits.lower_998, limits.upper_998)
    assert got == pytest.approx(expected, abs=1e-4)
    assert limits.n == n


@pytest.mark.parametrize(("p0", "n"), [(-0.1, 10), (1.1, 10), (0.5, 0)])
def test_control_limits_refuse_bad_input(p0, n) -> None:
    with pytest.raises(AnalysisError):
        control_limits(p0, n)


@pytest.mark.parametrize(
    ("rate", "zone"),
    [
        (0.70, FunnelZone.ABOVE_998),
        (0.62, FunnelZone.ABOVE_95),
        (0.598, FunnelZone.WITHIN),  # exactly on the 95% limit: not flagged
        (0.50, FunnelZone.WITHIN),
        (0.38, FunnelZone.BELOW_95),
        (0.30, FunnelZone.BELOW_998),
    ],
)
def test_funnel_zone_of_a_rate(rate, zone) -> None:
    limits = ControlLimits(100, 0.402, 0.598, 0.3455, 0.6545)
    assert funnel_zone(rate, limits) is zone


def test_funnel_curve_spans_the_sizes() -> None:
    curve = funnel_curve(0.5, n_min=5, n_max=200, points=40)
    assert curve[0].n == 5 and curve[-1].n == 200
    assert len(curve) <= 41
    assert all(a.n < b.n for a, b in itertools.pairwise(curve))
    assert all(a.upper_95 >= b.upper_95 for a, b in itertools.pairwise(curve))


def test_funnel_curve_of_one_size() -> None:
    assert [c.n for c in funnel_curve(0.4, n_min=12, n_max=12)] == [12]


@pytest.mark.parametrize(("n_min", "n_max"), [(0, 10), (10, 9)])
def test_funnel_curve_refuses_bad_range(n_min, n_max) -> None:
    with pytest.raises(AnalysisError):
        funnel_curve(0.5, n_min=n_min, n_max=n_max)


# Reliable change and recovery -----------------------------------------------------------------

RI, NC, RD = (
    ReliableCategory.IMPROVEMENT,
    ReliableCategory.NO_CHANGE,
    ReliableCategory.DETERIORATION,
)


@pytest.mark.parametrize(
    ("rules", "pre", "post", "expected"),
    [
        # PHQ-9 (NHS Talking Therapies): case at 10 or more, reliable change 6 points or more.
        pytest.param(PHQ9, 16, 8, (RI, True, False, True, True), id="PHQ-9 reliable recovery"),
        pytest.param(PHQ9, 12, 9, (NC, True, False, True, False), id="PHQ-9 recovery, no RC"),
        pytest.param(PHQ9, 18, 12, (RI, True, True, False, False), id="PHQ-9 improved, a case"),
        pytest.param(PHQ9, 16, 10, (RI, True, True, False, False), id="PHQ-9 end at 10: a case"),
        pytest.param(PHQ9, 10, 16, (RD, True, True, False, False), id="PHQ-9 up 6: deteriorated"),
        pytest.param(PHQ9, 8, 2, (RI, False, False, None, None), id="PHQ-9 not a case at intake"),
        # ORS: higher is better, clinical below 25 (exclusive), reliable change 5 points.
        pytest.param(ORS, 18, 26, (RI, True, False, True, True), id="ORS reliable recovery"),
        pytest.param(ORS, 24, 25, (NC, True, False, True, False), id="ORS 25 is not clinical"),
    ],
)
def test_episode_outcome_worked_examples(rules, pre, post, expected) -> None:
    outcome = episode_outcome(rules, pre=pre, post=post)
    got = (
        outcome.reliable,
        outcome.case_at_intake,
        outcome.case_at_end,
        outcome.recovered,
        outcome.reliably_recovered,
    )
    assert got == expected


def test_episode_outcome_without_thresholds_has_no_categories() -> None:
    bare = MeasureRules("x", WORSE, 0, 40, cutoff=None, reliable_change=None)
    outcome = episode_outcome(bare, pre=30, post=10)
    assert outcome == EpisodeOutcome(None, None, None)
    assert outcome.recovered is None and outcome.reliably_recovered is None


def test_outcome_rates_hand_counted() -> None:
    # Six PHQ-9 courses: RI 16->8, 18->12, 8->2; no change 12->9, 11->11; RD 10->16.
    # Cases at intake: all but 8->2 (5). Recovered: 16->8, 12->9 (2). Reliably: 16->8 (1).
    courses = [(16, 8), (18, 12), (8, 2), (12, 9), (11, 11), (10, 16)]
    rates = outcome_rates([episode_outcome(PHQ9, pre=a, post=b) for a, b in courses])
    assert rates.with_pre_and_post == 6
    assert (rates.reliable_improvement.n, rates.reliable_improvement.of) == (3, 6)
    assert (rates.no_reliable_change.n, rates.no_reliable_change.of) == (2, 6)
    assert (rates.reliable_deterioration.n, rates.reliable_deterioration.of) == (1, 6)
    assert (rates.recovery.n, rates.recovery.of) == (2, 5)
    assert (rates.reliable_recovery.n, rates.reliable_recovery.of) == (1, 5)
    assert rates.recovery.ci == pytest.approx(wilson_interval(2, 5))


def test_outcome_rates_of_no_courses_are_empty() -> None:
    rates = outcome_rates([])
    assert rates.with_pre_and_post == 0
    assert rates.recovery == Proportion(0, 0, None, None)


# Grouping and small cells --------------------------------------------------------------------


def test_split_by_size_keeps_order() -> None:
    shown, merged = split_by_size({"a": 12, "b": 3, "c": 10, "d": 9}, minimum=10)
    assert (shown, merged) == (["a", "c"], ["b", "d"])


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        pytest.param([12, 8, 30], frozenset(), id="nothing small"),
        pytest.param([3, 8, 30], frozenset({0, 1}), id="one small: next smallest hidden too"),
        pytest.param([3, 2, 30], frozenset({0, 1}), id="two small: both hidden"),
        pytest.param([0, 9], frozenset({0, 1}), id="zero is small"),
        pytest.param([4], frozenset({0}), id="a single count"),
    ],
)
def test_hidden_cells(counts, hidden) -> None:
    assert hidden_cells(counts) == hidden


def test_effect_size_with_a_perfect_correlation_stays_defined() -> None:
    # post = pre + 5: r = 1, but computed naively it is 1.0000000000000002 and 2(1 - r) < 0.
    pre = [3, 15, 24, 14, 15]
    result = pre_post_effect_size(pre, [p + 5 for p in pre], direction=BETTER)
    assert result.r == pytest.approx(1.0) and result.r <= 1.0
    assert result.se == pytest.approx(result.d / math.sqrt(10))
