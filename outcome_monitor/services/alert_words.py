"""The one table of alert titles and severity words, keyed by the enums.

The alert cards and the queue (``web/alerts/words.py``), the chart legend and hover headings
(``web/chart/words.py``) and the service report (``report_cells``) all name an alert from here,
so the same alert has the same title everywhere. It lives in ``services/`` rather than ``web/``
because the report is built by a service; the strings are Flask-Babel lazy strings, which keeps
them out of ``core/``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from outcome_monitor.core.alerts import AlertType, Severity
from outcome_monitor.models.alert import AlertStatus

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

ALERT_STATUS_WORDS: dict[AlertStatus, LazyString] = {
    AlertStatus.OPEN: _l("open"),
    AlertStatus.ACKNOWLEDGED: _l("acknowledged"),
    AlertStatus.RESOLVED: _l("resolved"),
}


def type_title(alert_type: str) -> str:
    """The title of an alert type; an unknown type (an old row) is its code with spaces."""
    if alert_type not in set(AlertType):
        return alert_type.replace("_", " ")
    return str(ALERT_TITLES[AlertType(alert_type)])


def alert_title(alert_type: str, severity: str | None = None) -> str:
    """'Not on track (red)': the title of an alert type with its colour word, if any."""
    title = type_title(alert_type)
    if severity in set(Severity):
        return f"{title} ({SEVERITY_WORDS[Severity(severity)]})"
    return title


def status_words(status: str) -> str:
    """'acknowledged', 'resolved': an alert's lifecycle state (the code itself if unknown)."""
    if status not in set(AlertStatus):
        return status
    return str(ALERT_STATUS_WORDS[AlertStatus(status)])
