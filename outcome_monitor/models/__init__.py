"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from outcome_monitor.models.account import Role, Team, User, team_supervisor
from outcome_monitor.models.administration import Administration, EntryMode
from outcome_monitor.models.alert import Alert, AlertStatus
from outcome_monitor.models.audit import AuditEvent
from outcome_monitor.models.care import Client, Episode, EpisodeStatus, TherapySession
from outcome_monitor.models.feedback import JobRun, TrajectoryModelVersion
from outcome_monitor.models.handover import DraftAnswer, HandOver, HandOverStatus, RemoteLink
from outcome_monitor.models.link_schedule import LinkSchedule, ScheduleOutcome
from outcome_monitor.models.settings import InstrumentSetting, ServiceSetting, ThresholdOverride

__all__ = [
    "Administration",
    "Alert",
    "AlertStatus",
    "AuditEvent",
    "Client",
    "DraftAnswer",
    "EntryMode",
    "Episode",
    "EpisodeStatus",
    "HandOver",
    "HandOverStatus",
    "InstrumentSetting",
    "JobRun",
    "LinkSchedule",
    "RemoteLink",
    "Role",
    "ScheduleOutcome",
    "ServiceSetting",
    "Team",
    "TherapySession",
    "ThresholdOverride",
    "TrajectoryModelVersion",
    "User",
    "team_supervisor",
]
