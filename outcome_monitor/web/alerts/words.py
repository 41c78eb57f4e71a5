"""The one table of alert words, for the card, the queue and the chart legend.

Keyed by the core's enums; the strings are Flask-Babel lazy strings so they are extracted and
translated here, in the web layer, and never in ``core/``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from outcome_monitor.core.alerts import AlertType, Severity
from outcome_monitor.core.attention import AttentionStatus, Level, Reason
from outcome_monitor.core.support import ACTION_LABELS, SupportAction

ALERT_TITLES: dict[AlertType, LazyString] = {
    AlertType.NOT_ON_TRACK: _l("Not on track"),
    AlertType.RELIABLE_DETERIORATION: _l("Reliable deterioration"),
    AlertType.RISK_ITEM: _l("Risk item"),
    AlertType.LOW_ALLIANCE: _l("Low alliance rating"),
    AlertType.ALLIANCE_RUPTURE: _l("Possible alliance rupture"),
    AlertType.NO_RELIABLE_CHANGE: _l("No reliable improvement yet"),
    AlertType.OVERDUE_MEASURE: _l("Outcome measure overdue"),
}

SEVERITY_WORDS: dict[Severity, LazyString] = {
    Severity.RED: _l("red"),
    Severity.YELLOW: _l("yellow"),
}

STATUS_WORDS: dict[AttentionStatus, LazyString] = {
    AttentionStatus.OPEN: _l("waiting for acknowledgement"),
    AttentionStatus.ACKNOWLEDGED: _l("acknowledged"),
}


def alert_title(alert_type: str, severity: str | None = None) -> str:
    """'Not on track (red)': the title of an alert type with its colour word, if any.

    Unknown types (an old row) are shown as their code with underscores as spaces.
    """
    known = alert_type in set(AlertType)
    title = str(ALERT_TITLES[AlertType(alert_type)]) if known else alert_type.replace("_", " ")
    if severity in set(Severity):
        return f"{title} ({SEVERITY_WORDS[Severity(severity)]})"
    return title


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
