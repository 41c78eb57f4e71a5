"""Who a service outcome report covers and what its reader may see (docs/reports.md).

A therapist: their own caseload. A supervisor: the teams they supervise. An admin: any team or
the whole service, as aggregates with small cells hidden. The command line (an operator on the
server): any team or the whole service, as aggregates. Scopes are queries of therapist ids, so
an id from the browser never reaches the report without being checked here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import Role, Team, User, team_supervisor
from outcome_monitor.services import NotFound
from outcome_monitor.services.access import visible_therapist_ids


class Audience(StrEnum):
    CASELOAD = "caseload"  # a therapist: their own clients
    TEAMS = "teams"  # a supervisor: the teams they supervise
    SERVICE = "service"  # an admin: aggregates only, small cells hidden
    OPERATOR = "operator"  # the command line: aggregates only


@dataclass(frozen=True)
class Scope:
    """Whose episodes the report counts: a query of therapist ids, never a list from the browser."""

    label: str
    therapist_ids: sa.Select[int]
    audience: Audience

    @property
    def hides_small_cells(self) -> bool:
        return self.audience is Audience.SERVICE

    @property
    def shows_client_codes(self) -> bool:
        return self.audience in (Audience.CASELOAD, Audience.TEAMS)

    @property
    def compares_therapists(self) -> bool:
        return self.audience is not Audience.CASELOAD


def report_teams(user: User) -> list[Team]:
    """The teams ``user`` may choose: all (admin), the supervised ones (supervisor), none."""
    query = sa.select(Team).order_by(Team.name)
    if user.role == Role.SUPERVISOR:
        supervised = sa.select(team_supervisor.c.team_id).where(
            team_supervisor.c.user_id == user.id
        )
        query = query.where(Team.id.in_(supervised))
    elif user.role != Role.ADMIN:
        return []
    return list(db.session.scalars(query))


def scope_for(user: User, team_id: int | None) -> Scope:
    """The report scope of ``user`` for ``team_id`` (None: everything the user may report on).

    NotFound for a team the user may not report on: a team id from the browser is a claim.
    """
    if team_id is not None:
        team = next((t for t in report_teams(user) if t.id == team_id), None)
        if team is None:
            raise NotFound(_l("No such team."))
        audience = Audience.SERVICE if user.role == Role.ADMIN else Audience.TEAMS
        return Scope(team.name, _members(team), audience)
    if user.role == Role.ADMIN:
        return Scope(str(_l("Whole service")), sa.select(User.id), Audience.SERVICE)
    if user.role == Role.SUPERVISOR:
        return Scope(str(_l("All my teams")), visible_therapist_ids(user), Audience.TEAMS)
    return Scope(str(_l("My caseload")), visible_therapist_ids(user), Audience.CASELOAD)


def operator_scope(team: Team | None) -> Scope:
    """The command line's scope: one team or the whole service, aggregates only."""
    if team is None:
        return Scope(str(_l("Whole service")), sa.select(User.id), Audience.OPERATOR)
    return Scope(team.name, _members(team), Audience.OPERATOR)


def _members(team: Team) -> sa.Select[int]:
    return sa.select(User.id).where(User.team_id == team.id)
