"""Grants of clinical access: recorded with the change, shown to the team's supervisors.

An administrator manages accounts but sees no client data. Whatever an administrator (or the
operator on the server) does that opens a team's clients to an account is written here in the
same transaction, and every supervisor of that team is shown it at their next sign-in until
they acknowledge it; the access report lists them all. Nothing here stops a grant: it makes
every grant visible to the people responsible for the team's clients.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import db
from outcome_monitor.models import AccessGrant, GrantKind, Role, Team, User, team_supervisor
from outcome_monitor.services.audit import record

CLINICAL_ROLES = (Role.THERAPIST, Role.SUPERVISOR)
REPORT_PAGE_SIZE = 100


def is_clinical(user: User) -> bool:
    return user.role in CLINICAL_ROLES


def grant(
    *,
    user: User,
    teams: Iterable[Team | None],
    kind: GrantKind,
    by: User | None,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one grant per team (None: a grant not tied to a team yet) to the caller's transaction."""
    for team in dict.fromkeys(teams):
        db.session.add(
            AccessGrant(user=user, team=team, kind=kind, by=by, at=now, details=details or {})
        )


def teams_of(user: User) -> list[Team | None]:
    """The teams whose clients ``user`` reaches: their own and those they supervise."""
    teams: list[Team | None] = [user.team] if user.team is not None else []
    if user.role == Role.SUPERVISOR:
        teams.extend(user.supervised_teams)
    return teams or [None]


def newest_grant_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(AccessGrant.id))) or 0


def _supervised_team_ids(supervisor: User) -> sa.Select[int]:
    return sa.select(team_supervisor.c.team_id).where(team_supervisor.c.user_id == supervisor.id)


def _with_names(query: sa.Select[AccessGrant]) -> sa.Select[AccessGrant]:
    return query.options(
        so.joinedload(AccessGrant.user),
        so.joinedload(AccessGrant.team),
        so.joinedload(AccessGrant.by),
    )


def pending_notices(supervisor: User) -> list[AccessGrant]:
    """Grants to the supervisor's teams they have not acknowledged (their own left out)."""
    if supervisor.role != Role.SUPERVISOR:
        return []
    query = sa.select(AccessGrant).where(
        AccessGrant.team_id.in_(_supervised_team_ids(supervisor)),
        AccessGrant.id > (supervisor.access_notices_seen_id or 0),
        AccessGrant.user_id != supervisor.id,
    )
    return list(db.session.scalars(_with_names(query).order_by(AccessGrant.id)))


def acknowledge_notices(*, supervisor: User, up_to: int) -> None:
    """The supervisor has read the grants up to ``up_to`` (the newest the page showed)."""
    seen = supervisor.access_notices_seen_id or 0
    if up_to <= seen:
        return
    supervisor.access_notices_seen_id = min(up_to, newest_grant_id())
    record(by=supervisor, action="access.acknowledge", obj=supervisor, details={"up_to": up_to})
    db.session.commit()


@dataclass(frozen=True)
class AccessReport:
    grants: list[AccessGrant]
    teams: list[Team]
    page: int
    has_more: bool


def access_report(viewer: User, *, page: int = 1) -> AccessReport:
    """Grants newest first and each team's current members: all for admins, own teams else.

    A constant number of queries whatever the number of grants or teams (pagination in SQL).
    """
    grants = sa.select(AccessGrant)
    teams = sa.select(Team).options(
        so.selectinload(Team.members), so.selectinload(Team.supervisors)
    )
    if viewer.role != Role.ADMIN:
        grants = grants.where(AccessGrant.team_id.in_(_supervised_team_ids(viewer)))
        teams = teams.where(Team.id.in_(_supervised_team_ids(viewer)))
    offset = (max(page, 1) - 1) * REPORT_PAGE_SIZE
    rows = list(
        db.session.scalars(
            _with_names(grants)
            .order_by(AccessGrant.id.desc())
            .offset(offset)
            .limit(REPORT_PAGE_SIZE + 1)
        )
    )
    return AccessReport(
        grants=rows[:REPORT_PAGE_SIZE],
        teams=list(db.session.scalars(teams.order_by(Team.name))),
        page=max(page, 1),
        has_more=len(rows) > REPORT_PAGE_SIZE,
    )
