"""A world with one of everything on each side of a team boundary, and the ids the URL map asks
for. Shared by the route x role matrix and the form fuzz tests.

North: therapist Alice (client A-001), colleague Bob, supervisor Sam. South: therapist Carol
(client C-001). Admin Ada. Each client has an episode with a session, a score with a risk item
(so an alert), an open hand-over, a remote link and a scheduled link.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

from outcome_monitor.extensions import db
from outcome_monitor.models import ApiToken, Client, Episode, TokenScope, User
from outcome_monitor.services import api_tokens, care, link_schedules, links, measures
from outcome_monitor.services import handover as handovers
from outcome_monitor.web.converters import DB_INT_MAX
from tests.conftest import World

NOW = datetime.now(UTC)
MISSING_ID = DB_INT_MAX - 647  # in range for every database, and never used by the world
# Placeholders for string parts of a URL that name no record.
STRING_PARAMS = {
    "code": "phq9",
    "qid": "phq9",
    "key": "risk",
    "token": "no-such-token-0000000000000000000000000000",
    "name": "swagger-ui.css",
    "filename": "app.css",
    "path": "nothing-here",
    "rest": "Nothing/here",
}
# String parts of a URL that are record ids (FHIR's Patient/<pid> is the client's id).
STRING_ID_PARAMS: dict[str, type[Any]] = {"pid": Client}
# Id parts whose name fits several models: ``token_id`` on /account/tokens is an API token's.
PARAM_MODELS: dict[str, type[Any]] = {**STRING_ID_PARAMS, "token_id": ApiToken}
# Visible client codes by role: the world's facts, not the app's access rules.
VISIBLE = {
    "anonymous": frozenset(),
    "alice": frozenset({"A-001"}),
    "carol": frozenset({"C-001"}),
    "sam": frozenset({"A-001"}),
    "ada": frozenset(),
}
ALL_CODES = frozenset({"A-001", "C-001"})


@dataclass
class MatrixWorld:
    world: World
    users: dict[str, User]
    bearer: dict[str, str] = field(default_factory=dict)


def build(world: World) -> MatrixWorld:
    for therapist, client in (
        (world.alice, world.alices_client),
        (world.carol, world.carols_client),
    ):
        _fill_episode(therapist, client.current_episode)
    users = {"alice": world.alice, "carol": world.carol, "sam": world.sam, "ada": world.ada}
    found = MatrixWorld(world, users)
    for name, user in users.items():
        issued = api_tokens.create_token(
            user=user,
            name=f"{name} matrix",
            scope=TokenScope.READ_WRITE,
            expires_days=30,
            by=user,
            now=NOW,
        )
        found.bearer[name] = issued.secret
    return found


def _fill_episode(therapist: User, episode: Episode) -> None:
    session = care.record_session(
        episode=episode, session_date=date(2026, 9, 2), attended=True, by=therapist
    )
    measures.record_administration(
        episode=episode,
        session_id=session.id,
        instrument_code="phq9",
        answers={str(i): 2.0 for i in range(1, 10)},  # item 9 above 0: a risk alert
        entry_mode="therapist",  # type: ignore[arg-type]
        by=therapist,
    )
    handovers.start_handover(
        episode=episode, session_id=session.id, codes=["phq9", "srs"], by=therapist, now=NOW
    )
    links.issue_link(episode=episode, codes=["srs"], by=therapist, now=NOW, valid_days=4)
    link_schedules.schedule_link(
        episode=episode,
        codes=["srs"],
        send_on=NOW.date() + timedelta(days=3),
        email=None,
        by=therapist,
        now=NOW,
        today=NOW.date(),
    )


# --- ids for the URL map ----------------------------------------------------------------------


def model_for(param: str) -> type[Any] | None:
    """The model an id part names: ``handover_id`` HandOver, ``schedule_id`` LinkSchedule (the
    one class whose name ends so); None when no single model fits."""
    if param in PARAM_MODELS:
        return PARAM_MODELS[param]
    if not param.endswith("_id"):
        return None
    wanted = param.removesuffix("_id").replace("_", "").lower()
    classes = [mapper.class_ for mapper in db.Model.registry.mappers]
    exact = [c for c in classes if c.__name__.lower() == wanted]
    ending = [c for c in classes if c.__name__.lower().endswith(wanted)]
    return exact[0] if exact else (ending[0] if len(ending) == 1 else None)


def client_code_of(row: Any) -> str | None:
    """The code of the client a row belongs to (None: not a client's record)."""
    if isinstance(row, Client):
        return row.code
    if isinstance(row, Episode):
        return row.client.code
    episode = getattr(row, "episode", None)
    if isinstance(episode, Episode):
        return episode.client.code
    client = getattr(row, "client", None)
    return client.code if isinstance(client, Client) else None


def foreign_ids(model: type[Any], role: str, user: User | None) -> list[int]:
    """Ids of ``model``'s rows that ``role`` may not see: records of a client outside its
    caseload, and rows owned by another user (an API token)."""
    found = []
    for row in db.session.scalars(sa.select(model)):
        code = client_code_of(row)
        if code is not None:
            if code not in VISIBLE[role]:
                found.append(row.id)
        elif model is not User and getattr(row, "user_id", None) not in (None, user and user.id):
            found.append(row.id)
    return found


def id_params(rule: Rule) -> list[str]:
    """The parts of ``rule`` that are record ids."""
    return [
        name
        for name, converter in rule._converters.items()
        if isinstance(converter, IntegerConverter) or name in STRING_ID_PARAMS
    ]


def build_url(rule: Rule, values: dict[str, Any]) -> str:
    """``rule`` with ``values`` for its id parts and placeholders for the rest."""
    path = rule.rule
    for name in rule.arguments:
        value = values.get(name, STRING_PARAMS.get(name, "x"))
        path = re.sub(rf"<(?:[^:<>]+:)?{re.escape(name)}>", str(value), path)
    return path


def requestable_rules(app: Flask) -> Iterator[tuple[Rule, str]]:
    """Every (rule, method) of the app, HEAD and OPTIONS aside (Werkzeug answers those)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method
