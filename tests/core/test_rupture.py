"""Alliance-rupture detector (reference §5.2): drop > k·max(own SD, service SD) and > RC; the own
SD leaves out earlier sessions the rule flagged."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcome_monitor.core.errors import NormsError
from outcome_monitor.core.measure import Cutoff, Direction, MeasureRules, ReliableChangeThreshold
from outcome_monitor.core.rupture import RuptureSettings, check_rupture, service_session_sd
from outcome_monitor.core.trajectories import ScorePoint

SRS = MeasureRules("srs", Direction.HIGHER_IS_BETTER, 0, 40, Cutoff(36, inclusive=False), None)
RC = ReliableChangeThreshold(4.0, inclusive=False)
SETTINGS = RuptureSettings(k=2, service_sd=1.5, reliable_change=RC)


def points(*scores: float) -> tuple[ScorePoint, ...]:
    return tuple(
        ScorePoint(i, date(2024, 1, 1) + timedelta(days=7 * i), s)
        for i, s in enumerate(scores, start=1)
    )


def test_ceiling_client_with_tiny_own_sd_does_not_flag_a_one_point_dip() -> None:
    check = check_rupture(points(40, 40, 40, 39), SRS, SETTINGS)
    assert check is not None and check.own_sd == 0
    assert check.reference_sd == 1.5 and not check.is_rupture


def test_planted_large_drop_flags() -> None:
    check = check_rupture(points(38, 39, 38.5, 30), SRS, SETTINGS)
    assert check is not None and check.is_rupture
    assert check.baseline == pytest.approx(38.5) and check.drop == pytest.approx(8.5)


def test_noisy_client_needs_a_bigger_drop() -> None:
    noisy = points(30, 38, 31, 37, 31)  # own SD ≈ 3.8, so 2·SD ≈ 7.7 > drop ≈ 4.3
    check = check_rupture(noisy, SRS, SETTINGS)
    assert check is not None and check.own_sd is not None and check.own_sd > 3
    assert not check.is_rupture


def test_drop_must_also_exceed_the_reliable_change() -> None:
    settings = RuptureSettings(k=1, service_sd=1.0, reliable_change=RC)
    at_rc = check_rupture(points(38, 34), SRS, settings)  # drop 4 = RC, non-inclusive
    above = check_rupture(points(38, 33.9), SRS, settings)
    assert at_rc is not None and not at_rc.is_rupture
    assert above is not None and above.is_rupture


def test_an_earlier_rupture_no_longer_masks_a_later_one() -> None:
    # Session 4 (27) is a rupture: drop 36.17 - 27 = 9.17 > 2 * 1.5 and > RC 4. Kept in, it
    # makes the own SD of sessions 1-7 3.414, so 2 * 3.414 = 6.83 would hide the fall to 30
    # (drop 35.83 - 30 = 5.83). Left out, the own SD is 0.316 and the service SD 1.5 applies:
    # 5.83 > 3 and > 4, a rupture.
    history = points(36, 36.5, 36, 27, 35.5, 36, 36, 30)

    check = check_rupture(history, SRS, SETTINGS)

    assert check is not None and check.is_rupture
    assert check.excluded_sessions == (4,)
    assert check.own_sd == pytest.approx(statistics.stdev([36, 36.5, 36, 35.5, 36, 36]))
    assert check.drop == pytest.approx((35.5 + 36 + 36) / 3 - 30)
    old_sd = statistics.stdev([36, 36.5, 36, 27, 35.5, 36, 36])
    assert old_sd == pytest.approx(3.4139, abs=5e-5) and 2 * old_sd > check.drop


def test_leaving_out_a_rupture_can_leave_too_few_scores_for_an_own_sd() -> None:
    # Session 2 (30, drop 8) is flagged; 38 and 38.5 remain, fewer than 3, so the service SD
    # applies: drop (38 + 30 + 38.5) / 3 - 30 = 5.5 > 3 and > 4. With all three scores the own
    # SD 4.77 would have needed a drop above 9.5.
    check = check_rupture(points(38, 30, 38.5, 30), SRS, SETTINGS)

    assert check is not None and check.is_rupture
    assert check.excluded_sessions == (2,) and check.own_sd is None
    assert check.reference_sd == 1.5 and check.drop == pytest.approx(5.5)


def test_a_client_without_earlier_ruptures_keeps_every_score_in_the_own_sd() -> None:
    check = check_rupture(points(30, 38, 31, 37, 31), SRS, SETTINGS)

    assert check is not None and check.excluded_sessions == ()
    assert check.own_sd == pytest.approx(statistics.stdev([30, 38, 31, 37]))


def test_too_few_scores_give_no_check_and_no_own_sd() -> None:
    assert check_rupture(points(38), SRS, SETTINGS) is None
    two = check_rupture(points(38, 30), SRS, SETTINGS)
    assert two is not None and two.own_sd is None and two.is_rupture


def test_rise_is_never_a_rupture_and_direction_mirrors() -> None:
    rise = check_rupture(points(30, 39), SRS, SETTINGS)
    assert rise is not None and rise.drop < 0 and not rise.is_rupture
    worse_is_higher = MeasureRules("x", Direction.HIGHER_IS_WORSE, 0, 40, None, RC)
    up = check_rupture(points(10, 19), worse_is_higher, SETTINGS)
    assert up is not None and up.is_rupture


def test_missing_reliable_change_raises() -> None:
    with pytest.raises(NormsError, match=r"RuptureSettings\.reliable_change"):
        check_rupture(points(38, 30), SRS, RuptureSettings())


def test_measure_threshold_used_when_no_override() -> None:
    rules = MeasureRules("srs", Direction.HIGHER_IS_BETTER, 0, 40, None, RC)
    check = check_rupture(points(38, 30), rules, RuptureSettings())
    assert check is not None and check.reliable_change == 4.0


def test_unordered_history_is_sorted_without_mutation() -> None:
    history = list(reversed(points(38, 39, 38.5, 30)))
    before = list(history)
    check = check_rupture(history, SRS, SETTINGS)
    assert history == before and check is not None and check.session == 4


@pytest.mark.parametrize(
    "kwargs", [{"k": 0}, {"service_sd": 0}, {"baseline_window": 0}, {"min_own_scores": 1}]
)
def test_invalid_settings_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(NormsError):
        RuptureSettings(**kwargs)  # type: ignore[arg-type]


def test_service_session_sd_pools_within_client_variance() -> None:
    assert service_session_sd([(1.0, 3.0), (5.0, 5.0, 8.0), (7.0,)]) == pytest.approx(
        ((2 + 6) / 3) ** 0.5
    )
    with pytest.raises(NormsError):
        service_session_sd([(4.0,), (3.0, 3.0)])


@given(st.lists(st.floats(30, 40), min_size=3, max_size=8), st.floats(0, 1))
def test_a_dip_no_bigger_than_one_point_never_flags(earlier: list[float], dip: float) -> None:
    latest = sum(earlier[-3:]) / len(earlier[-3:]) - dip  # one point below the baseline
    check = check_rupture(points(*earlier, latest), SRS, SETTINGS)
    assert check is not None and not check.is_rupture


@given(st.lists(st.floats(0, 40).map(lambda x: round(x, 1)), min_size=2, max_size=12))
def test_excluded_sessions_are_the_sessions_the_live_rule_flagged(scores: list[float]) -> None:
    # One rule path: replaying check_rupture session by session (as the live system does) must
    # flag exactly the sessions the final check leaves out of its own SD.
    history = points(*scores)
    live = [
        t
        for t in range(2, len(history))
        if (c := check_rupture(history[:t], SRS, SETTINGS)) is not None and c.is_rupture
    ]

    check = check_rupture(history, SRS, SETTINGS)

    assert check is not None and list(check.excluded_sessions) == live
