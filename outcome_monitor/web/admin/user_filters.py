"""The users list's filters and page, read from the query string and checked.

A role is one of the roles, a team one of the teams (or "no team"), a state one of the account
states; anything else is a message on the page and status 400, never a lookup or a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from flask_babel import gettext as _

from outcome_monitor.models import Role, Team
from outcome_monitor.services.accounts import NO_TEAM, AccountState, UserFilter
from outcome_monitor.web.paging import page_arg

FILTER_NAMES = ("role", "team", "state")


@dataclass
class UserQuery:
    filters: UserFilter
    page: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(self.values.values())


def parse_user_query(args: Mapping[str, str], teams: list[Team]) -> UserQuery:
    values = {name: (args.get(name) or "").strip() for name in FILTER_NAMES}
    errors: list[str] = []
    role = _member(values["role"], Role, errors, _("role"))
    state = _member(values["state"], AccountState, errors, _("account state"))
    team: int | None = None
    if values["team"]:
        allowed = {str(t.id) for t in teams} | {str(NO_TEAM)}
        if values["team"] in allowed:
            team = int(values["team"])
        else:
            errors.append(_unknown(_("team")))
    number = page_arg(args)
    if number.error:
        errors.append(number.error)
    return UserQuery(UserFilter(role, team, state), number.number, values, errors)


E = TypeVar("E", Role, AccountState)


def _member(raw: str, kind: type[E], errors: list[str], words: str) -> E | None:
    if not raw:
        return None
    if raw in {str(m) for m in kind}:
        return kind(raw)
    errors.append(_unknown(words))
    return None


def _unknown(words: str) -> str:
    return _("Unknown %(what)s in the filter: choose one from the list.", what=words)
