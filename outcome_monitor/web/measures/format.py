"""Words for thresholds, shown wherever a threshold is shown."""

from __future__ import annotations

from flask_babel import gettext as _

from outcome_monitor.core.measure import Cutoff, Direction, ReliableChangeThreshold
from outcome_monitor.services import instruments
from outcome_monitor.web.measures import bp

# "PHQ-9" or "AUDIT-C — past-year screening, not tracked session by session" in pick lists.
bp.add_app_template_global(instruments.choice_label, "choice_label")


@bp.app_template_filter("num")
def num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


@bp.app_template_filter("cutoff_words")
def cutoff_words(cutoff: Cutoff, direction: Direction, screening: bool = False) -> str:
    """E.g. '10 or more is in the clinical range', 'below 36 is in the clinical range', or for a
    screening measure '3 or more is a positive screen'."""
    worse_is_higher = direction == Direction.HIGHER_IS_WORSE
    if worse_is_higher:
        bound = (
            _("%(v)s or more", v=num(cutoff.value))
            if cutoff.inclusive
            else _("above %(v)s", v=num(cutoff.value))
        )
    else:
        bound = (
            _("%(v)s or less", v=num(cutoff.value))
            if cutoff.inclusive
            else _("below %(v)s", v=num(cutoff.value))
        )
    if screening:
        return _("%(bound)s is a positive screen", bound=bound)
    return _("%(bound)s is in the clinical range", bound=bound)


@bp.app_template_filter("rc_words")
def rc_words(threshold: ReliableChangeThreshold) -> str:
    """E.g. 'a change of 6 points or more' or 'a change of more than 5.67 points'."""
    if threshold.inclusive:
        return _("a change of %(v)s points or more", v=num(threshold.value))
    return _("a change of more than %(v)s points", v=num(round(threshold.value, 2)))


@bp.app_template_filter("source_words")
def source_words(threshold: Cutoff | ReliableChangeThreshold) -> str:
    tag_words = {
        "V": _("verified"),
        "S": _("secondary source"),
        "U": _("UNVERIFIED"),
        "C": _("computed"),
    }
    return f"{threshold.source} [{threshold.tag.value}: {tag_words[threshold.tag.value]}]"
