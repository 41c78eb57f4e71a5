"""Import of historic scores from a long-format CSV file (issue 11); see docs/interop.md.

Historic scores are not live care: by default no alert is raised for them (the alert engine is
bypassed on purpose: an old deterioration would otherwise land in today's worklist), but their
closed episodes feed the next trajectory refit. ``evaluate_open`` (``--evaluate-open``) evaluates
the episodes the file leaves open once, after the import (``importing.evaluate``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import Team, User
from outcome_monitor.services import ServiceError, case_status, instruments
from outcome_monitor.services.audit import record
from outcome_monitor.services.importing import evaluate
from outcome_monitor.services.importing.checker import Checker, read_spool
from outcome_monitor.services.importing.csvsource import Issue
from outcome_monitor.services.importing.evaluate import Evaluated
from outcome_monitor.services.importing.rows import Account, RowContext
from outcome_monitor.services.importing.scorer import Scorer
from outcome_monitor.services.importing.writer import ScoreWriter, insert_clients, insert_episodes

__all__ = ["ImportResult", "Issue", "import_scores"]

Progress = Callable[[str, int, int], None]
CHUNK_ROWS = 5000
MAX_ISSUES = 500


@dataclass
class ImportResult:
    """What a file holds and what was (or, in a dry run, would be) created.

    ``issues`` keeps the first ``MAX_ISSUES`` errors in line order; ``n_issues`` counts all.
    """

    rows: int = 0
    skipped: int = 0
    clients: int = 0
    episodes: int = 0
    sessions: int = 0
    administrations: int = 0
    issues: list[Issue] = field(default_factory=list)
    n_issues: int = 0
    written: bool = False
    sha256: str = ""
    # The episodes the file leaves open (ids, after a real import) and, with evaluate_open,
    # what evaluating them found.
    open_episodes: list[int] = field(default_factory=list)
    evaluated: Evaluated | None = None

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "clients": self.clients,
            "episodes": self.episodes,
            "sessions": self.sessions,
            "administrations": self.administrations,
            "skipped": self.skipped,
        }


def import_scores(
    *,
    stream: BinaryIO,
    name: str,
    today: date,
    now: datetime,
    team: str | None = None,
    dry_run: bool = False,
    operator: str | None = None,
    size: int = 0,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
    evaluate_open: bool = False,
) -> ImportResult:
    """Check a whole score file, then (unless a dry run or any error) write it; one commit.

    1. First pass (``Checker``): stream the file in chunks; check each row, score item
       answers with the instrument definitions, look up what is already stored per chunk with
       ``IN`` queries, and spool the rows to write to a temporary file.
    2. Cross-row checks (``Ledger.finish``): duplicates, one date per session, one therapist,
       closing date and planned end per episode, at most one open episode per client.
    3. Any error, or a dry run: return the result; nothing was written (all or nothing).
    4. Second pass: insert clients, episodes, sessions and administrations in batches (rows
       already stored with the same values are skipped), one audit row, one commit. If the
       database changed meanwhile (e.g. a client code taken in the app), everything is rolled
       back and ServiceError raised.
    5. With ``evaluate_open``, after that commit: the alert engine once for every episode the
       file leaves open, as of its last score (``importing.evaluate``); without it imported
       scores raise no alerts.
    The audit row's actor is the system (a CLI has no login); ``operator`` names who ran it.
    """
    context, team_of = _context(team, today)
    with tempfile.TemporaryFile() as spool:
        checker = Checker(
            context,
            team_of=team_of,
            spool=None if dry_run else spool,
            chunk_size=chunk_rows,
            max_issues=MAX_ISSUES,
        )
        checker.run(stream, size=size, progress=progress)
        result = _planned(checker)
        if result.n_issues or dry_run:
            return result
        try:
            _write(checker, result, spool, now, progress)
        except sa.exc.IntegrityError as error:
            db.session.rollback()
            raise ServiceError(
                _l("The database changed during the import; nothing was written. Run it again.")
            ) from error
    record(
        by=None,
        action="scores.import",
        obj=None,
        object_type="ScoreImport",
        details={
            "file": name,
            "sha256": result.sha256,
            "team": team,
            "operator": operator,
            **result.counts(),
        },
    )
    db.session.commit()
    result.written = True
    if evaluate_open:
        result.evaluated = evaluate.evaluate_open(result.open_episodes, file=name)
    return result


def _context(team_name: str | None, today: date) -> tuple[RowContext, dict[int, int | None]]:
    team = None
    if team_name is not None:
        team = db.session.scalar(sa.select(Team).where(Team.name == team_name.strip()))
        if team is None:
            raise ServiceError(_l("No team called %(name)s.", name=team_name))
    users = db.session.execute(sa.select(User.id, User.email, User.role, User.team_id)).all()
    accounts = {email.lower(): Account(id_, role, team_id) for id_, email, role, team_id in users}
    library = instruments.library()
    context = RowContext(
        library=library,
        accounts=accounts,
        today=today,
        scorer=Scorer(library),
        team_id=team.id if team else None,
        team_name=team.name if team else None,
    )
    return context, {id_: team_id for id_, _e, _r, team_id in users}


def _planned(checker: Checker) -> ImportResult:
    ledger = checker.ledger
    return ImportResult(
        rows=ledger.rows,
        skipped=checker.skipped,
        clients=sum(1 for c in ledger.clients.values() if c.db_id is None),
        episodes=sum(1 for e in ledger.episodes.values() if e.db_id is None),
        sessions=ledger.new_sessions() if ledger.rows else 0,
        administrations=checker.to_write,
        issues=checker.issues,
        n_issues=checker.n_issues,
        sha256=checker.digest.hexdigest(),
    )


def _write(
    checker: Checker,
    result: ImportResult,
    spool: BinaryIO,
    now: datetime,
    progress: Progress | None,
) -> None:
    insert_clients(checker.ledger, now)
    episode_ids = insert_episodes(checker.ledger)
    result.open_episodes = [
        p.db_id for p in checker.ledger.episodes.values() if p.closed is None and p.db_id
    ]
    versions = {code: d.version for code, d in checker.context.library.items()}
    writer = ScoreWriter(episode_ids, versions, now)
    for chunk in read_spool(spool):
        writer.write(chunk)
        if progress is not None:
            progress("Writing", writer.administrations, result.administrations)
    # The imported episodes' stored status (colour, last score, open card) in the same commit.
    case_status.refresh_many(episode_ids)
