"""What needs attention: caseload status colours and open alerts per episode. (The supervisor's
case-review queue is ``services.review_queue``.)"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.core.attention import TYPE_RANK
from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, AlertStatus, Client, Episode, User
from outcome_monitor.services import care, feedback
from outcome_monitor.services.settings import get_settings

STATUS_WORDS = {
    "white": _l("in the non-clinical range"),
    "green": _l("on track"),
    "yellow": _l("less progress than expected"),
    "red": _l("not on track"),
    "grey": _l("too few data"),
}

# Lower ranks come first: who needs attention now.
STATUS_RANK = {"red": 0, "yellow": 1, "grey": 3, "green": 4, "white": 5}
URGENCY = {str(alert_type): rank for alert_type, rank in TYPE_RANK.items()}


def unresolved_by_episode(episode_ids: list[int]) -> dict[int, list[Alert]]:
    if not episode_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Alert)
        .where(Alert.episode_id.in_(episode_ids), Alert.status != AlertStatus.RESOLVED)
        .order_by(Alert.opened_at)
    )
    grouped: dict[int, list[Alert]] = defaultdict(list)
    for alert in rows:
        grouped[alert.episode_id].append(alert)
    return grouped


@dataclass
class CaseloadEntry:
    client: Client
    episode: Episode
    last_session: date | None
    sessions: int
    colour: str
    status_words: str
    alerts: list[Alert] = field(default_factory=list)

    @property
    def has_risk(self) -> bool:
        return any(a.type == "risk_item" for a in self.alerts)

    @property
    def has_rupture(self) -> bool:
        return any(a.type in ("alliance_rupture", "low_alliance") for a in self.alerts)

    @property
    def attention(self) -> tuple[int, int, str]:
        urgent = min((URGENCY.get(a.type, 9) for a in self.alerts), default=9)
        return (
            0 if self.has_risk else 1,
            STATUS_RANK.get(self.colour, 6) * 10 + urgent,
            self.client.code,
        )


SORTS = {
    "attention": lambda e: e.attention,
    "client": lambda e: e.client.code,
    "last_session": lambda e: (e.last_session is None, e.last_session or date.min),
    "sessions": lambda e: -e.sessions,
}


def caseload_entries(user: User, *, sort: str = "attention") -> list[CaseloadEntry]:
    """The caseload with status colours and open alerts; the clients needing attention first."""
    rows = [r for r in care.caseload(user) if r.episode is not None]
    alerts = unresolved_by_episode([r.episode.id for r in rows if r.episode])
    current = get_settings()
    entries = []
    for row in rows:
        assert row.episode is not None
        status = feedback.episode_status(row.episode, current)
        entries.append(
            CaseloadEntry(
                row.client,
                row.episode,
                row.last_session,
                row.sessions,
                status.colour,
                _status_words(status),
                alerts.get(row.episode.id, []),
            )
        )
    return sorted(entries, key=SORTS.get(sort, SORTS["attention"]))


def _status_words(status: feedback.EpisodeStatus) -> str:
    if status.reading is None or status.definition is None:
        return str(STATUS_WORDS["grey"])
    return f"{feedback.measure_label(status.definition.code)}: {STATUS_WORDS[status.colour]}"


def alert_history(episode: Episode) -> list[Alert]:
    return list(
        db.session.scalars(
            sa.select(Alert).where(Alert.episode_id == episode.id).order_by(Alert.opened_at.desc())
        )
    )
