"""Write every (or one) client's responses as a FHIR collection Bundle, streamed.

The Bundle is written entry by entry while administrations are read in batches, so memory
stays bounded whatever the size of the service. The export is audited: it discloses client
data (pseudonymous, but still clinical) outside the application.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TextIO

import sqlalchemy as sa
import sqlalchemy.orm as so
from fhir.resources.R4B.resource import Resource

from outcome_monitor.core.definitions import InstrumentDefinition
from outcome_monitor.extensions import db
from outcome_monitor.fhir import resources
from outcome_monitor.fhir.bundles import full_url
from outcome_monitor.models import Administration, Client, Episode, TherapySession, User
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import NotFound
from outcome_monitor.services.audit import record

BATCH = 500


@dataclass
class ExportCounts:
    patients: int = 0
    questionnaires: int = 0
    responses: int = 0
    observations: int = 0


def export_bundle(
    out: TextIO,
    *,
    library: Mapping[str, InstrumentDefinition],
    base: str,
    client_code: str | None,
    by: User | None,
) -> ExportCounts:
    """Write a collection Bundle to ``out``; NotFound for an unknown ``client_code``."""
    clients = _clients(client_code)
    counts = ExportCounts()
    header = {"resourceType": "Bundle", "type": "collection", "timestamp": utcnow().isoformat()}
    out.write(json.dumps(header)[:-1] + ', "entry": [\n')
    first = True
    for resource in _resources(library, clients, counts):
        out.write(("" if first else ",\n") + _entry(base, resource))
        first = False
    out.write("\n]}\n")
    record(
        by=by,
        action="fhir.export",
        obj=None,
        object_type="Bundle",
        details={"client": client_code, **counts.__dict__},
    )
    db.session.commit()
    return counts


def _entry(base: str, resource: Resource) -> str:
    url = json.dumps(full_url(base, resource))
    return f'{{"fullUrl": {url}, "resource": {resource.model_dump_json()}}}'


def _clients(client_code: str | None) -> list[Client]:
    query = sa.select(Client).order_by(Client.code)
    if client_code is not None:
        query = query.where(Client.code == client_code.strip().upper())
    clients = list(db.session.scalars(query))
    if client_code is not None and not clients:
        raise NotFound(f"No client {client_code}.")
    return clients


def _resources(
    library: Mapping[str, InstrumentDefinition], clients: list[Client], counts: ExportCounts
) -> Iterator[Resource]:
    for definition in sorted(library.values(), key=lambda d: d.code):
        counts.questionnaires += 1
        yield resources.questionnaire(definition)
    by_id = {c.id: c for c in clients}
    for client in clients:
        counts.patients += 1
        yield resources.patient(client)
    for administration, client_id in _administrations(list(by_id), set(library)):
        definition, client = library[administration.instrument_code], by_id[client_id]
        counts.responses += 1
        yield resources.questionnaire_response(administration, definition, client)
        total = resources.observation(administration, definition, client)
        if total is not None:
            counts.observations += 1
            yield total


def _administrations(
    client_ids: list[int], instrument_codes: set[str]
) -> Iterator[tuple[Administration, int]]:
    if not client_ids:
        return
    query = (
        sa.select(Administration, Episode.client_id)
        .join(Episode, Administration.episode_id == Episode.id)
        .outerjoin(TherapySession, Administration.session_id == TherapySession.id)
        .where(
            Administration.instrument_code.in_(sorted(instrument_codes)),
            Administration.current(),
        )
        .options(so.selectinload(Administration.session))
        .order_by(Episode.client_id, Episode.opened_on, TherapySession.number, Administration.id)
        .execution_options(yield_per=BATCH)
    )
    if len(client_ids) == 1:
        query = query.where(Episode.client_id == client_ids[0])
    yield from ((row[0], row[1]) for row in db.session.execute(query))
