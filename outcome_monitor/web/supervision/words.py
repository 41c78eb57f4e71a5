"""Supervision words: decisions, why a case is in the queue, the prognosis column.

Keyed by the enums; lazy strings so they are translated here, in the web layer.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString

from outcome_monitor.core.supervision import QueueFlag, days_since
from outcome_monitor.models import ReviewDecision
from outcome_monitor.services.case_outlook import NoPrognosis, Outlook
from outcome_monitor.services.instruments import measure_label
from outcome_monitor.web.chart.prognosis import chance_words

DECISION_WORDS: dict[ReviewDecision, LazyString] = {
    ReviewDecision.CONTINUE: _l("Continue as planned"),
    ReviewDecision.CHANGE_PLAN: _l("Change the plan"),
    ReviewDecision.INCREASE_FREQUENCY: _l("Increase the frequency of sessions"),
    ReviewDecision.REFER_ON: _l("Refer on"),
    ReviewDecision.PLAN_ENDING: _l("Plan the ending"),
}

FLAG_WORDS: dict[QueueFlag, LazyString] = {
    QueueFlag.REQUESTED: _l("Therapist asked for supervision"),
    QueueFlag.FOLLOW_UP_DUE: _l("Follow-up due"),
}

NO_PROGNOSIS_WORDS: dict[NoPrognosis, LazyString] = {
    NoPrognosis.RATIONAL: _l("no prognosis (rational method)"),
    NoPrognosis.NO_MEASURE: _l("no outcome measure yet"),
    NoPrognosis.TOO_FEW: _l("no prognosis yet (intake score only)"),
    NoPrognosis.UNAVAILABLE: _l("no prognosis for this measure"),
}


def decision_words(decision: ReviewDecision | str) -> str:
    """The words of a decision (the code itself if it is unknown)."""
    if decision not in set(ReviewDecision):
        return str(decision)
    return str(DECISION_WORDS[ReviewDecision(decision)])


def flag_words(flag: QueueFlag) -> str:
    return str(FLAG_WORDS[flag])


def outlook_words(outlook: Outlook | None) -> str:
    """'PHQ-9: about 3 in 10 end reliably worse (by session 8)', or why there is none (None:
    the episode's stored status is not computed yet)."""
    if outlook is None:
        return _("no prognosis yet")
    if outlook.prognosis is None:
        return str(NO_PROGNOSIS_WORDS[outlook.missing or NoPrognosis.UNAVAILABLE])
    return _(
        "%(label)s: %(chance)s end reliably worse (by session %(session)s)",
        label=measure_label(outlook.code or ""),
        chance=chance_words(outlook.prognosis.p_deterioration),
        session=outlook.prognosis.session,
    )


def days_open(start: date | datetime, today: date) -> str:
    """'open today', 'open 1 day', 'open 12 days'."""
    days = days_since(start, today=today)
    if days == 0:
        return _("open today")
    return ngettext("open %(num)s day", "open %(num)s days", days)
