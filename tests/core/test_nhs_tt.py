"""NHS Talking Therapies paired PHQ-9/GAD-7 outcomes, with the bundled thresholds."""

from __future__ import annotations

import pytest

from outcome_monitor.core.errors import NormsError
from outcome_monitor.core.instruments import load_library
from outcome_monitor.core.measure import Direction, MeasureRules
from outcome_monitor.core.nhs_tt import NhsTtOutcome, nhs_talking_therapies
from outcome_monitor.instruments import BUNDLED_DIR

LIBRARY = load_library(BUNDLED_DIR)
PHQ9, GAD7 = LIBRARY["phq9"].rules(), LIBRARY["gad7"].rules()


def _assess(phq: tuple[float, float], gad: tuple[float, float]) -> NhsTtOutcome:
    return nhs_talking_therapies(
        phq9=PHQ9, gad7=GAD7, phq9_pre=phq[0], phq9_post=phq[1], gad7_pre=gad[0], gad7_post=gad[1]
    )


@pytest.mark.parametrize(
    ("phq", "gad", "expected"),
    [
        pytest.param(
            (16, 8), (12, 7), (True, False, True, False, True, True), id="reliable recovery"
        ),
        pytest.param(
            (12, 9),
            (9, 7),
            (True, False, False, False, True, False),
            id="recovery without reliable change",
        ),
        pytest.param(
            (18, 12),
            (14, 9),
            (True, True, True, False, False, False),
            id="reliable improvement, still a case on both",
        ),
        pytest.param(
            (15, 9),
            (7, 8),
            (True, True, True, False, False, False),
            id="end case on GAD-7 at exactly 8",
        ),
        pytest.param(
            (15, 9),
            (5, 9),
            (True, True, False, True, False, False),
            id="PHQ down 6 but GAD up 4: deterioration",
        ),
        pytest.param(
            (10, 15), (5, 5), (True, True, False, False, False, False), id="PHQ up 5: below the RC"
        ),
        pytest.param(
            (10, 16),
            (5, 5),
            (True, True, False, True, False, False),
            id="PHQ up 6: reliable deterioration",
        ),
        pytest.param(
            (9, 3),
            (7, 2),
            (False, False, True, False, None, None),
            id="not a case at intake: no recovery",
        ),
        pytest.param(
            (9, 9),
            (7, 11),
            (False, True, False, True, None, None),
            id="GAD up 4 from non-case: deterioration",
        ),
    ],
)
def test_nhs_talking_therapies_outcomes(
    phq: tuple[float, float], gad: tuple[float, float], expected: tuple[object, ...]
) -> None:
    result = _assess(phq, gad)

    got = (
        result.case_at_intake,
        result.case_at_end,
        result.reliable_improvement,
        result.reliable_deterioration,
        result.recovery,
        result.reliable_recovery,
    )
    assert got == expected


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(
            MeasureRules("phq9", Direction.HIGHER_IS_WORSE, 0, 27, None, PHQ9.reliable_change),
            id="no cut-off",
        ),
        pytest.param(
            MeasureRules("phq9", Direction.HIGHER_IS_WORSE, 0, 27, PHQ9.cutoff, None), id="no RC"
        ),
        pytest.param(
            MeasureRules(
                "ors", Direction.HIGHER_IS_BETTER, 0, 40, PHQ9.cutoff, PHQ9.reliable_change
            ),
            id="higher is better",
        ),
    ],
)
def test_nhs_talking_therapies_needs_cutoff_rc_and_higher_is_worse(broken: MeasureRules) -> None:
    with pytest.raises(NormsError, match="NHS TT needs"):
        nhs_talking_therapies(
            phq9=broken, gad7=GAD7, phq9_pre=10, phq9_post=5, gad7_pre=8, gad7_post=4
        )


def test_service_override_of_the_rc_threshold_applies() -> None:
    strict = LIBRARY["phq9"].rules(rc_value=7)

    result = nhs_talking_therapies(
        phq9=strict, gad7=GAD7, phq9_pre=16, phq9_post=10, gad7_pre=7, gad7_post=7
    )

    assert result.reliable_improvement is False
    assert result.recovery is False
