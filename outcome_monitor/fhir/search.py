"""Read-only searches behind the /fhir/r4/ endpoints, always within what the user may see.

Each search runs a fixed number of queries whatever the number of matches: the client (one),
the count (one), the page of administrations with their sessions (two).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from outcome_monitor.core.definitions import InstrumentDefinition
from outcome_monitor.extensions import db
from outcome_monitor.fhir import codes
from outcome_monitor.models import Administration, Client, Episode, TherapySession, User
from outcome_monitor.services import NotFound
from outcome_monitor.services.access import visible_clients
from outcome_monitor.web.converters import DB_INT_MAX

MAX_CODE_LENGTH = 40


@dataclass(frozen=True)
class Page:
    client: Client
    administrations: list[Administration]
    total: int


def visible_client(user: User, patient: str) -> Client:
    """The client named by a ``patient`` search value the user may see; NotFound otherwise.

    Accepted: the code (``A-001``), ``system|code`` with the client-code system, or
    ``Patient/<id>``. A client of another team and a code that does not exist are told apart
    by nobody: both are NotFound (and an admin sees no client at all).
    """
    query = visible_clients(user)
    if patient.startswith("Patient/"):
        client_id = patient.removeprefix("Patient/")
        # ids past PostgreSQL's integer range are no record of ours: NotFound before the query
        if not client_id.isascii() or not client_id.isdigit() or int(client_id) > DB_INT_MAX:
            raise NotFound(_l("No such patient."))
        query = query.where(Client.id == int(client_id))
    else:
        system, _, code = patient.rpartition("|")
        code = code.strip().upper()
        if system not in ("", codes.CLIENT_CODE_SYSTEM) or not code or len(code) > MAX_CODE_LENGTH:
            raise NotFound(_l("No such patient."))
        query = query.where(Client.code == code)
    client = db.session.scalar(query)
    if client is None:
        raise NotFound(_l("No such patient."))
    return client


def instruments_for_token(token: str, library: Iterable[InstrumentDefinition]) -> set[str]:
    """The instrument codes an Observation ``code`` token names (may be empty).

    ``phq9`` or ``<instrument system>|phq9`` name the local code; ``44261-6`` or
    ``http://loinc.org|44261-6`` the LOINC code of a total score.
    """
    if token.count("|") > 1:
        return set()
    system, _, code = token.rpartition("|")
    found = set()
    for definition in library:
        if system in ("", codes.INSTRUMENT_SYSTEM) and code == definition.code:
            found.add(definition.code)
        loinc = codes.TOTAL_SCORE_LOINC.get(definition.code)
        if loinc and system in ("", codes.LOINC) and code == loinc[0]:
            found.add(definition.code)
    return found


def administrations(
    client: Client,
    *,
    instrument_codes: set[str] | None,
    offset: int,
    count: int,
    with_total: bool = False,
) -> Page:
    """A page of the client's administrations in the order given (session, then saved)."""
    where = [Episode.client_id == client.id, Administration.current()]
    if instrument_codes is not None:
        where.append(Administration.instrument_code.in_(sorted(instrument_codes)))
    if with_total:
        where.append(Administration.total.is_not(None))
    base = sa.select(Administration).join(Episode, Administration.episode_id == Episode.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.where(*where).subquery()))
    query = (
        base.outerjoin(TherapySession, Administration.session_id == TherapySession.id)
        .where(*where)
        .options(so.selectinload(Administration.session))
        .order_by(
            sa.func.coalesce(TherapySession.date, Episode.opened_on),
            Administration.created_at,
            Administration.id,
        )
        .offset(offset)
        .limit(count)
    )
    return Page(client, list(db.session.scalars(query)), total or 0)
