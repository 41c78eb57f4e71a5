"""NHS Talking Therapies (formerly IAPT) outcomes for a paired PHQ-9 and GAD-7.

Service-level conventions, not Jacobson-Truax (reference §1.3):

* Caseness: PHQ-9 >= 10 or GAD-7 >= 8 [V] (the instruments' cut-offs, inclusive).
* Recovery: a case at intake and not a case at the end [V].
* Reliable improvement: a reliable decrease (PHQ-9 >= 6, GAD-7 >= 4 points, inclusive) on at
  least one measure and a reliable increase on neither [V for the thresholds].
* Reliable deterioration: a reliable increase on either measure [S].
* Reliable recovery: recovery and reliable improvement [S].

UNVERIFIED [U]: how the two measures combine (that "not a case" needs BOTH measures below
caseness, and that a reliable increase on one measure cancels a reliable decrease on the other)
is our reading; the exact rule is in the NHS Talking Therapies Manual / Data Handbook, which
was not retrieved. Check it before reporting these figures externally. Thresholds come from
the instruments' MeasureRules, so a service override applies here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from outcome_monitor.core.errors import NormsError
from outcome_monitor.core.measure import Direction, MeasureRules, Tag

NHS_TT_LOGIC_TAG = Tag.UNVERIFIED  # the multi-measure combination, see module docstring


@dataclass(frozen=True)
class NhsTtOutcome:
    """The NHS Talking Therapies flags for one course of treatment.

    ``recovery`` and ``reliable_recovery`` are None when the client was not a case at intake:
    such a course does not enter the recovery rate.
    """

    case_at_intake: bool
    case_at_end: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    recovery: bool | None
    reliable_recovery: bool | None


def nhs_talking_therapies(
    *,
    phq9: MeasureRules,
    gad7: MeasureRules,
    phq9_pre: float,
    phq9_post: float,
    gad7_pre: float,
    gad7_post: float,
) -> NhsTtOutcome:
    """Classify a paired PHQ-9/GAD-7 course (rules above; both scales higher = worse).

    NormsError when either MeasureRules lacks a cut-off or an RC threshold, or is not a
    higher-is-worse measure.
    """
    measures = ((phq9, phq9_pre, phq9_post), (gad7, gad7_pre, gad7_post))
    for rules, _, _ in measures:
        _check(rules)
    case_pre = any(_case(rules, pre) for rules, pre, _ in measures)
    case_post = any(_case(rules, post) for rules, _, post in measures)
    reliable_down = any(
        _reliable(rules, post - pre, decrease=True) for rules, pre, post in measures
    )
    reliable_up = any(_reliable(rules, post - pre, decrease=False) for rules, pre, post in measures)
    improvement = reliable_down and not reliable_up
    recovery = (not case_post) if case_pre else None
    return NhsTtOutcome(
        case_at_intake=case_pre,
        case_at_end=case_post,
        reliable_improvement=improvement,
        reliable_deterioration=reliable_up,
        recovery=recovery,
        reliable_recovery=None if recovery is None else recovery and improvement,
    )


def _check(rules: MeasureRules) -> None:
    ok = rules.cutoff is not None and rules.reliable_change is not None
    if not ok or rules.direction is not Direction.HIGHER_IS_WORSE:
        raise NormsError(f"{rules.code}: NHS TT needs a higher-is-worse cut-off and RC threshold")


def _case(rules: MeasureRules, score: float) -> bool:
    assert rules.cutoff is not None  # checked by _check
    return rules.cutoff.is_clinical(score, rules.direction)


def _reliable(rules: MeasureRules, change: float, *, decrease: bool) -> bool:
    assert rules.reliable_change is not None  # checked by _check
    moved = change < 0 if decrease else change > 0
    return moved and rules.reliable_change.is_reliable(change)
