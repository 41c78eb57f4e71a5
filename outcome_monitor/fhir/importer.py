"""Import QuestionnaireResponses from another system: all or nothing per Bundle.

1. ``parse.parse_bundle`` validates the structure and scores every response (no database).
2. Clients by pseudonymous code, within what the importing user may see (the CLI sees all);
   a missing client is created for ``therapist`` when one is given, otherwise it is an error.
3. Idempotency: a response is unchanged when its identifier was imported before, or when the
   client already has the same measure on the same date (same client, episode, measure and
   session, because the session is found by its date).
4. Episode: the client's episode whose dates cover the response; else, with no active
   episode, a new active one opened on the earliest such date. A response dated before the
   client's active episode opened and in no earlier episode is refused.
5. Session: the episode's session on that date, else a new one (numbered by the exporter's
   session-number extension when that number is free, else after the last).
6. Administrations are stored scored, with entry mode "import" and an audit row each. Alerts
   are NOT evaluated: historic responses describe care that is over, as with the CSV import.
Any error rolls everything back; ``dry_run`` validates everything and rolls back too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.core.definitions import InstrumentDefinition
from outcome_monitor.extensions import db
from outcome_monitor.fhir import stored
from outcome_monitor.fhir.parse import EntryError, ParsedBundle, ParsedResponse, parse_bundle
from outcome_monitor.fhir.stored import CHUNK
from outcome_monitor.models import (
    Administration,
    Client,
    EntryMode,
    Episode,
    Role,
    TherapySession,
    User,
)
from outcome_monitor.services import ServiceError, case_status
from outcome_monitor.services.access import visible_clients
from outcome_monitor.services.audit import record

FOREIGN_IDENTIFIER = (
    "this identifier is already used by a response of another client: an identifier names one "
    "response of one client"
)


class ImportRefused(ServiceError):
    """The Bundle was not imported; ``errors`` names every entry and field at fault."""

    def __init__(self, errors: list[EntryError]) -> None:
        super().__init__(f"{len(errors)} error(s); nothing was imported")
        self.errors = errors


@dataclass(frozen=True)
class EntryOutcome:
    index: int
    status: str
    location: str | None = None
    note: str | None = None


@dataclass
class ImportReport:
    bundle_type: str
    dry_run: bool
    outcomes: list[EntryOutcome] = field(default_factory=list)
    created: int = 0
    unchanged: int = 0
    clients_created: int = 0
    episodes_created: int = 0
    sessions_created: int = 0


def import_bundle(
    *,
    text: str | bytes,
    library: Mapping[str, InstrumentDefinition],
    by: User | None,
    therapist: User | None,
    dry_run: bool = False,
) -> ImportReport:
    """Import one Bundle in one transaction; ImportRefused (nothing written) on any error.

    ``by`` is the importing user (None for the command line, which sees every client);
    ``therapist`` receives the clients the Bundle creates (None: unknown clients are errors).
    """
    if therapist is not None and (therapist.role != Role.THERAPIST or not therapist.active):
        raise ServiceError("new clients are assigned to an active therapist")
    parsed = parse_bundle(text, library)
    if parsed.errors:
        raise ImportRefused(parsed.errors)
    writer = _Writer(parsed, by=by, therapist=therapist, dry_run=dry_run)
    try:
        report = writer.run()
    except Exception:
        db.session.rollback()
        raise
    if writer.errors or dry_run:
        db.session.rollback()
        if writer.errors:
            raise ImportRefused(sorted(writer.errors, key=lambda e: (e.index or 0, e.field)))
        return report
    # The scores bypass record_administration: their episodes' stored status follows here.
    case_status.refresh_many(e.id for e in writer.episodes)
    record(by=by, action="fhir.import", obj=None, object_type="Bundle", details=_summary(report))
    db.session.commit()
    return report


def _summary(report: ImportReport) -> dict[str, int | str]:
    return {
        "type": report.bundle_type,
        "created": report.created,
        "unchanged": report.unchanged,
        "clients_created": report.clients_created,
        "episodes_created": report.episodes_created,
        "sessions_created": report.sessions_created,
    }


class _Writer:
    def __init__(
        self, parsed: ParsedBundle, *, by: User | None, therapist: User | None, dry_run: bool
    ) -> None:
        self.parsed = parsed
        self.by = by
        self.therapist = therapist
        self.errors: list[EntryError] = []
        self.report = ImportReport(parsed.bundle_type, dry_run)
        self.clients: dict[str, Client] = {}
        self.created_codes: set[str] = set()
        self.seen: dict[tuple[str, str, date], int] = {}
        self.seen_keys: dict[str, int] = {}
        self.episodes: list[Episode] = []

    def run(self) -> ImportReport:
        responses = sorted(self.parsed.responses, key=lambda r: (r.client_code, r.on, r.index))
        self._load_clients(responses)
        by_key = stored.by_submission_key(
            {stored.submission_key(r.identifier) for r in responses if r.identifier}
        )
        by_day = stored.by_day([c.id for c in self.clients.values() if c.id is not None])
        outcomes = {}
        for response in responses:
            if response.client_code in self.clients:
                outcomes[response.index] = self._store(response, by_key, by_day)
        self._other_entries(outcomes)
        self.report.outcomes = [outcomes[i] for i in sorted(outcomes)]
        return self.report

    def _load_clients(self, responses: list[ParsedResponse]) -> None:
        scope = visible_clients(self.by) if self.by is not None else sa.select(Client)
        scope = scope.options(so.selectinload(Client.episodes).selectinload(Episode.sessions))
        entries_of: dict[str, list[int]] = {}
        for response in responses:
            entries_of.setdefault(response.client_code, []).append(response.index)
        wanted = sorted(entries_of)
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            self.clients.update(
                (c.code, c) for c in db.session.scalars(scope.where(Client.code.in_(chunk)))
            )
            existing = set(db.session.scalars(sa.select(Client.code).where(Client.code.in_(chunk))))
            for code in chunk:
                if code not in self.clients:
                    self._new_client(code, code in existing, entries_of[code])

    def _new_client(self, code: str, exists: bool, indexes: list[int]) -> None:
        if exists:
            message = f"client {code} exists but is not one of the clients you may import for"
        elif self.therapist is None:
            message = f"no client {code}; name a therapist to create it"
        elif len(code) > 40:
            message = f"client code {code[:40]}... is longer than 40 characters"
        else:
            client = Client(code=code, therapist=self.therapist)
            db.session.add(client)
            record(
                by=self.by,
                action="client.create",
                obj=client,
                details={"code": code, "via": "fhir import"},
            )
            self.clients[code] = client
            self.created_codes.add(code)
            self.report.clients_created += 1
            return
        self.errors.extend(EntryError(i, "resource.subject", message) for i in indexes)

    def _store(
        self,
        response: ParsedResponse,
        by_key: Mapping[str, Administration],
        by_day: Mapping[tuple[int, str, date], Administration],
    ) -> EntryOutcome:
        client = self.clients[response.client_code]
        key = stored.submission_key(response.identifier) if response.identifier else None
        same_day = (response.client_code, response.definition.code, response.on)
        earlier = self.seen.get(same_day, self.seen_keys.get(key or "", -1))
        if earlier >= 0:
            self.errors.append(
                EntryError(response.index, "resource", f"same response as entry {earlier}")
            )
            return EntryOutcome(response.index, "400 Bad Request")
        self.seen[same_day] = response.index
        if key:
            self.seen_keys[key] = response.index
        known = by_key.get(key) if key else None
        if known is not None and known.episode.client_id != client.id:
            # Never followed, never named: the response stored under this identifier is
            # another client's (a foreign key, as the web forms refuse one; issue 9).
            self.errors.append(
                EntryError(response.index, "resource.identifier", FOREIGN_IDENTIFIER)
            )
            return EntryOutcome(response.index, "400 Bad Request")
        existing = known or by_day.get((client.id, response.definition.code, response.on))
        if existing:
            self.report.unchanged += 1
            return EntryOutcome(
                response.index,
                "200 OK",
                f"QuestionnaireResponse/{existing.id}",
                stored.unchanged_note(existing, response),
            )
        administration = self._administration(client, response, key)
        if administration is None:
            return EntryOutcome(response.index, "400 Bad Request")
        self.report.created += 1
        location = None if self.report.dry_run else f"QuestionnaireResponse/{administration.id}"
        return EntryOutcome(response.index, "201 Created", location)

    def _administration(
        self, client: Client, response: ParsedResponse, key: str | None
    ) -> Administration | None:
        episode = self._episode(client, response)
        if episode is None:
            return None
        session = self._session(episode, response)
        administration = stored.scored_administration(episode, session, response, self.by, key)
        db.session.add(administration)
        record(
            by=self.by,
            action="administration.import",
            obj=administration,
            details={
                "instrument": response.definition.code,
                "total": administration.total,
                "entry": response.index,
                "mode": EntryMode.IMPORT,
            },
        )
        self.episodes.append(episode)
        return administration

    def _episode(self, client: Client, response: ParsedResponse) -> Episode | None:
        covering = [
            e
            for e in client.episodes
            if e.opened_on <= response.on and (e.closed_on is None or response.on <= e.closed_on)
        ]
        if covering:
            return covering[-1]
        active = client.current_episode
        if active is not None:
            self.errors.append(
                EntryError(
                    response.index,
                    "resource.authored",
                    f"{response.on} is before client {client.code}'s active episode opened "
                    f"({active.opened_on}) and in none of the client's earlier episodes",
                )
            )
            return None
        episode = Episode(client=client, therapist=client.therapist, opened_on=response.on)
        db.session.add(episode)
        record(
            by=self.by,
            action="episode.open",
            obj=episode,
            details={"opened_on": str(response.on), "via": "fhir import"},
        )
        self.report.episodes_created += 1
        return episode

    def _session(self, episode: Episode, response: ParsedResponse) -> TherapySession:
        for session in episode.sessions:
            if session.date == response.on:
                return session
        numbers = {s.number for s in episode.sessions}
        hint = response.session_number
        number = hint if hint and hint > 0 and hint not in numbers else max(numbers, default=0) + 1
        session = TherapySession(episode=episode, number=number, date=response.on, attended=True)
        db.session.add(session)
        record(
            by=self.by,
            action="session.record",
            obj=session,
            details={"number": number, "via": "fhir import"},
        )
        self.report.sessions_created += 1
        return session

    def _other_entries(self, outcomes: dict[int, EntryOutcome]) -> None:
        for index, kind in enumerate(self.parsed.entry_types):
            if index in outcomes:
                continue
            code = self.parsed.patients.get(index)
            client = self.clients.get(code) if code else None
            if kind == "Patient" and client is not None:
                created = code in self.created_codes and not self.report.dry_run
                location = None if self.report.dry_run else f"Patient/{client.id}"
                outcomes[index] = EntryOutcome(
                    index, "201 Created" if created else "200 OK", location
                )
            else:
                outcomes[index] = EntryOutcome(index, "200 OK", note=f"{kind} not imported")
