"""Words of the attention cards and the queue: statuses, actions, the card's colour class.

Alert titles come from the one table in ``services/alert_words.py``. Keyed by the core's enums;
the strings are Flask-Babel lazy strings, so they are never translated in ``core/``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from outcome_monitor.core.attention import AttentionStatus, Level, Reason
from outcome_monitor.core.support import ACTION_LABELS, SupportAction
from outcome_monitor.services.alert_words import alert_title

STATUS_WORDS: dict[AttentionStatus, LazyString] = {
    AttentionStatus.OPEN: _l("waiting for acknowledgement"),
    AttentionStatus.ACKNOWLEDGED: _l("acknowledged"),
}


def reason_title(reason: Reason) -> str:
    """The title of a card's reason: its headline alert with the reason's colour."""
    return alert_title(reason.headline, reason.severity)


def action_label(action: str) -> str:
    """The checklist wording of a recorded action (the code itself if it is unknown)."""
    if action not in set(SupportAction):
        return action
    return ACTION_LABELS[SupportAction(action)]


def status_words(status: AttentionStatus) -> str:
    return str(STATUS_WORDS[status])


# The card's border colour reuses the alert-card styles: risk and red are red.
LEVEL_CLASSES: dict[Level, str] = {
    Level.RISK: "sev-red level-risk",
    Level.RED: "sev-red level-red",
    Level.YELLOW: "sev-yellow level-yellow",
    Level.OTHER: "sev-none level-other",
}


def level_class(level: Level) -> str:
    return LEVEL_CLASSES[level]
