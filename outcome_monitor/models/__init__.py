"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from outcome_monitor.models.account import Role, Team, User, team_supervisor
from outcome_monitor.models.administration import Administration, EntryMode
from outcome_monitor.models.alert import Alert, AlertStatus
from outcome_monitor.models.audit import AuditEvent
from outcome_monitor.models.care import Client, Episode, EpisodeStatus, TherapySession

__all__ = [
    "Administration",
    "Alert",
    "AlertStatus",
    "AuditEvent",
    "Client",
    "EntryMode",
    "Episode",
    "EpisodeStatus",
    "Role",
    "Team",
    "TherapySession",
    "User",
    "team_supervisor",
]
