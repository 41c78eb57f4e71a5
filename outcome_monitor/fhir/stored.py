"""The rows an import compares with (already imported?) and the rows it creates."""

from __future__ import annotations

import hashlib
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import db
from outcome_monitor.fhir.parse import ParsedResponse
from outcome_monitor.models import Administration, EntryMode, Episode, TherapySession, User

CHUNK = 500


def submission_key(identifier: tuple[str, str]) -> str:
    """The stored key of an imported identifier (fits Administration.submission_key)."""
    system, value = identifier
    return "fhir:" + hashlib.sha256(f"{system}|{value}".encode()).hexdigest()[:59]


def unchanged_note(existing: Administration, response: ParsedResponse) -> str | None:
    same = (
        existing.total == response.total_only
        if response.total_only is not None
        else {k: float(v) for k, v in (existing.answers or {}).items() if v is not None}
        == response.answers
    )
    return "already imported" if same else "already imported with other answers; not changed"


def scored_administration(
    episode: Episode,
    session: TherapySession,
    response: ParsedResponse,
    by: User | None,
    key: str | None,
) -> Administration:
    definition, result = response.definition, response.result
    if result is None:
        total = response.total_only
        band = (
            definition.severity.band_for(total)
            if definition.severity and total is not None
            else None
        )
        extra = {"subscales": {}, "n_missing": 0, "prorated": False, "risk_items": []}
    else:
        total, band = result.total, result.band
        extra = {
            "subscales": dict(result.subscales),
            "n_missing": result.n_missing,
            "prorated": result.prorated,
            "risk_items": list(result.risk_flagged),
        }
    return Administration(
        episode=episode,
        session=session,
        instrument_code=definition.code,
        instrument_version=definition.version,
        answers=dict(response.answers),
        total=total,
        severity=band.label if band else None,
        entry_mode=EntryMode.IMPORT.value,
        entered_by=by,
        submission_key=key,
        **extra,
    )


def by_submission_key(keys: set[str]) -> dict[str, Administration]:
    """The administrations stored under ``keys``, whoever's they are, with their episodes (the
    importer checks that a match belongs to the client the response names)."""
    found: dict[str, Administration] = {}
    wanted = sorted(keys)
    for start in range(0, len(wanted), CHUNK):
        query = (
            sa.select(Administration)
            .where(Administration.submission_key.in_(wanted[start : start + CHUNK]))
            .options(so.joinedload(Administration.episode))
        )
        found.update((a.submission_key or "", a) for a in db.session.scalars(query))
    return found


def by_day(client_ids: list[int]) -> dict[tuple[int, str, date], Administration]:
    """The clients' administrations by (client, measure, day): the session's, else the save's."""
    found: dict[tuple[int, str, date], Administration] = {}
    for start in range(0, len(client_ids), CHUNK):
        query = (
            sa.select(Administration, Episode.client_id, TherapySession.date)
            .join(Episode, Administration.episode_id == Episode.id)
            .outerjoin(TherapySession, Administration.session_id == TherapySession.id)
            .where(Episode.client_id.in_(client_ids[start : start + CHUNK]))
        )
        for administration, client_id, session_date in db.session.execute(query):
            day = session_date or administration.created_at.date()
            found.setdefault((client_id, administration.instrument_code, day), administration)
    return found
