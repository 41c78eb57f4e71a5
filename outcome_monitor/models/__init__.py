"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from outcome_monitor.models.access_grant import AccessGrant, GrantKind
from outcome_monitor.models.account import Role, Team, User, team_supervisor
from outcome_monitor.models.administration import Administration, EntryMode
from outcome_monitor.models.alert import Alert, AlertStatus
from outcome_monitor.models.api_token import ApiToken, TokenScope, TokenState
from outcome_monitor.models.audit import AuditEvent, AuditOutcome
from outcome_monitor.models.care import Client, Episode, EpisodeStatus, TherapySession
from outcome_monitor.models.case_status import CaseStatus
from outcome_monitor.models.credentials import (
    AccountToken,
    LoginThrottle,
    RecoveryCode,
    TokenPurpose,
)
from outcome_monitor.models.handover import DraftAnswer, HandOver, HandOverStatus, RemoteLink
from outcome_monitor.models.job_run import JobRun
from outcome_monitor.models.link_schedule import LinkSchedule, ScheduleState
from outcome_monitor.models.settings import InstrumentSetting, ServiceSetting, ThresholdOverride
from outcome_monitor.models.supervision import (
    RequestSource,
    ReviewDecision,
    SupervisionRequest,
    SupervisionReview,
)
from outcome_monitor.models.trajectory_model import TrajectoryModelVersion

__all__ = [
    "AccessGrant",
    "AccountToken",
    "Administration",
    "Alert",
    "AlertStatus",
    "ApiToken",
    "AuditEvent",
    "AuditOutcome",
    "CaseStatus",
    "Client",
    "DraftAnswer",
    "EntryMode",
    "Episode",
    "EpisodeStatus",
    "GrantKind",
    "HandOver",
    "HandOverStatus",
    "InstrumentSetting",
    "JobRun",
    "LinkSchedule",
    "LoginThrottle",
    "RecoveryCode",
    "RemoteLink",
    "RequestSource",
    "ReviewDecision",
    "Role",
    "ScheduleState",
    "ServiceSetting",
    "SupervisionRequest",
    "SupervisionReview",
    "Team",
    "TherapySession",
    "ThresholdOverride",
    "TokenPurpose",
    "TokenScope",
    "TokenState",
    "TrajectoryModelVersion",
    "User",
    "team_supervisor",
]
