"""The first pass: stream the file, check every row, and spool the rows to write.

Nothing is written to the database here. Rows are handled in chunks; for each chunk the clients,
episodes, sessions and scores already stored are looked up with ``IN`` queries. The rows to
insert are pickled, a chunk at a time, to a temporary file, so the second pass neither reads the
CSV again nor scores any row twice, and memory stays bounded by the chunk size plus the ledger.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, BinaryIO

from outcome_monitor.services.importing.columns import Columns, read_header
from outcome_monitor.services.importing.csvsource import CsvSource, Issue, Record
from outcome_monitor.services.importing.known import (
    KnownScores,
    known_clients,
    known_scores,
    same_score,
)
from outcome_monitor.services.importing.ledger import ClientPlan, EpisodePlan, Ledger
from outcome_monitor.services.importing.rows import RowContext, ScoreRow, parse_row

Progress = Callable[[str, int, int], None]
SpooledRow = tuple[Any, ...]


class Checker:
    """Runs the first pass; afterwards ``issues``, ``ledger`` and the counts describe the file."""

    def __init__(
        self,
        context: RowContext,
        *,
        team_of: Mapping[int, int | None],
        spool: IO[bytes] | None,
        chunk_size: int,
        max_issues: int,
    ) -> None:
        self.context = context
        self.ledger = Ledger(sorted(context.library))
        self.issues: list[Issue] = []
        self.n_issues = 0
        self.skipped = 0
        self.to_write = 0
        self.digest = hashlib.sha256()
        self._team_of = team_of
        self._spool = spool
        self._chunk_size = chunk_size
        self._max_issues = max_issues

    def run(self, stream: BinaryIO, *, size: int, progress: Progress | None = None) -> None:
        source = CsvSource(_hashed(stream, self.digest))
        records = source.records()
        columns = self._header(source, records)
        if columns is None:
            return
        chunk: list[ScoreRow] = []
        for item in records:
            parsed = parse_row(item, columns, self.context) if isinstance(item, Record) else [item]
            if isinstance(parsed, list):
                self._report(parsed)
                continue
            chunk.append(parsed)
            if len(chunk) >= self._chunk_size:
                self._check_chunk(chunk)
                chunk = []
                if progress is not None:
                    progress("Checking", source.bytes_read, size)
        self._check_chunk(chunk)
        if progress is not None:
            progress("Checking", source.bytes_read, size)
        self._report(self.ledger.finish())
        self.issues.sort(key=lambda issue: issue.line)

    def _header(self, source: CsvSource, records: Iterator[Record | Issue]) -> Columns | None:
        first = next(records, None)
        if first is None:
            self._report([Issue(1, None, "the file is empty (it needs a header row)")])
            return None
        if isinstance(first, Issue):
            self._report([first])
            return None
        source.header = first.fields
        columns, issues = read_header(first)
        self._report(issues)
        return columns

    def _report(self, issues: list[Issue]) -> None:
        self.n_issues += len(issues)
        room = self._max_issues - len(self.issues)
        self.issues += issues[: max(room, 0)]
        if issues:
            self._spool = None  # nothing will be written: stop spooling

    def _check_chunk(self, rows: list[ScoreRow]) -> None:
        self._resolve_clients(rows)
        plans = [self.ledger.episode_for(row) for row in rows]
        known = known_scores({p.db_id for p in plans if p.db_id is not None})
        out: list[SpooledRow] = []
        for row, plan in zip(rows, plans, strict=True):
            stored, new_session = self._against_database(row, plan, known)
            self._report(self.ledger.add(row, plan, new_session=new_session))
            if stored:
                self.skipped += 1
            else:
                self.to_write += 1
                out.append(_spooled(row, plan))
        if self._spool is not None and out:
            pickle.dump(out, self._spool, protocol=pickle.HIGHEST_PROTOCOL)

    def _against_database(
        self, row: ScoreRow, plan: EpisodePlan, known: KnownScores
    ) -> tuple[bool, bool]:
        """(score already stored, session new): what is stored must have the row's values."""
        key = (plan.db_id or 0, row.session)
        day = known.sessions.get(key)
        if day is not None and day != row.day:
            message = f"session {row.session} of this episode is dated {day} in the database"
            self._report([Issue(row.line, "date", message)])
        stored = known.scores.get((*key, row.measure))
        if stored is not None and not same_score(stored, row):
            message = (
                f"{row.measure} at session {row.session} of this episode is already in the "
                "database with other values; the import never overwrites"
            )
            self._report([Issue(row.line, None, message)])
        return stored is not None, day is None

    def _resolve_clients(self, rows: list[ScoreRow]) -> None:
        first_lines: dict[str, int] = {}
        for row in rows:
            if row.client not in self.ledger.clients:
                first_lines.setdefault(row.client, row.line)
        found = known_clients(list(first_lines))
        for code, line in first_lines.items():
            plan = ClientPlan(code, line)
            client = found.get(code)
            if client is not None:
                plan.db_id, plan.db_therapist_id, plan.known = (
                    client.id,
                    client.therapist_id,
                    (client.episodes),
                )
                self._check_team(plan)
            self.ledger.clients[code] = plan

    def _check_team(self, plan: ClientPlan) -> None:
        team_id = self.context.team_id
        if team_id is not None and self._team_of.get(plan.db_therapist_id or 0) != team_id:
            self._report(
                [
                    Issue(
                        plan.first_line,
                        "client",
                        f"{plan.code} is a client of a "
                        f"therapist outside team {self.context.team_name}",
                    )
                ]
            )


def _spooled(row: ScoreRow, plan: EpisodePlan) -> SpooledRow:
    result = row.score
    return (
        plan.index,
        row.session,
        row.day,
        row.measure,
        row.answers or {},
        result.total,
        dict(result.subscales),
        result.band.label if result.band else None,
        result.n_missing,
        result.prorated,
        list(result.risk_flagged),
    )


def read_spool(spool: IO[bytes]) -> Iterator[list[SpooledRow]]:
    spool.seek(0)
    while True:
        try:
            yield pickle.load(spool)
        except EOFError:
            return


class _hashed:
    """A binary line iterator that feeds a digest (the audit row names the file's SHA-256)."""

    def __init__(self, stream: BinaryIO, digest: Any) -> None:
        self._stream = stream
        self._digest = digest

    def __iter__(self) -> Iterator[bytes]:
        for line in self._stream:
            self._digest.update(line)
            yield line
