"""The second pass: insert what the first pass planned, in batches, in the caller's transaction.

Clients and episodes are inserted first (all of them are known after the first pass), then the
spooled rows a chunk at a time: the chunk's missing sessions, then its administrations. Every
insert is one executemany per batch; new ids are read back by natural key (client code;
client and label; episode and session number) with one ``IN`` query per batch, because a
``RETURNING`` in parameter order makes SQLite insert one row per statement. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Client, EntryMode, Episode, TherapySession
from outcome_monitor.services.alert_batches import batched
from outcome_monitor.services.importing.checker import SpooledRow
from outcome_monitor.services.importing.ledger import EpisodePlan, Ledger

BATCH = 5000


def _insert(model: type[Any], rows: list[dict[str, Any]]) -> None:
    db.session.execute(sa.insert(cast(sa.Table, model.__table__)), rows)


def insert_clients(ledger: Ledger, now: datetime) -> int:
    """Create the new clients; each belongs to the therapist of its latest episode in the file."""
    new = [c for c in ledger.clients.values() if c.db_id is None]
    for batch in batched(new, BATCH):
        rows = [
            {
                "code": c.code,
                "therapist_id": max(c.episodes, key=lambda e: e.opened_on).therapist_id,
                "created_at": now,
            }
            for c in batch
        ]
        _insert(Client, rows)
        by_code = {c.code: c for c in batch}
        for id_, code in db.session.execute(
            sa.select(Client.id, Client.code).where(Client.code.in_(by_code))
        ):
            by_code[code].db_id = id_
    return len(new)


def insert_episodes(ledger: Ledger) -> list[int]:
    """Create the new episodes; return every episode's id by its index in the ledger."""
    plans = list(ledger.episodes.values())
    for batch in batched((p for p in plans if p.db_id is None), BATCH):
        _insert(Episode, [_episode_row(p) for p in batch])
        by_key: dict[tuple[Any, Any], EpisodePlan] = {(p.client.db_id, p.label): p for p in batch}
        stored = db.session.execute(
            sa.select(Episode.id, Episode.client_id, Episode.label).where(
                Episode.client_id.in_({p.client.db_id for p in batch}), Episode.label.is_not(None)
            )
        )
        for id_, client_id, label in stored:
            plan = by_key.get((client_id, label))
            if plan is not None:
                plan.db_id = id_
    ids_by_index = [0] * len(plans)
    for plan in plans:
        ids_by_index[plan.index] = plan.db_id or 0
    return ids_by_index


def _episode_row(plan: EpisodePlan) -> dict[str, Any]:
    return {
        "client_id": plan.client.db_id,
        "therapist_id": plan.therapist_id,
        "opened_on": plan.opened_on,
        "closed_on": plan.closed,
        "status": plan.status.value,
        "closing_reason": None,
        "label": plan.label,
    }


class ScoreWriter:
    """Inserts spooled chunks of rows: their missing sessions, then their administrations."""

    def __init__(self, episode_ids: list[int], versions: Mapping[str, str], now: datetime) -> None:
        self._episode_ids = episode_ids
        self._versions = versions
        self._now = now
        self.sessions = 0
        self.administrations = 0

    def write(self, chunk: list[SpooledRow]) -> None:
        session_ids = self._sessions(chunk)
        rows = [self._administration(row, session_ids) for row in chunk]
        _insert(Administration, rows)
        self.administrations += len(rows)

    def _sessions(self, chunk: list[SpooledRow]) -> dict[tuple[int, int], int]:
        wanted = {(self._episode_ids[row[0]], row[1]): row[2] for row in chunk}
        episodes = {episode for episode, _n in wanted}
        ids = _session_ids(episodes)
        missing = [key for key in wanted if key not in ids]
        if missing:
            rows = [
                {"episode_id": e, "number": n, "date": wanted[(e, n)], "attended": True}
                for e, n in missing
            ]
            _insert(TherapySession, rows)
            ids = _session_ids(episodes)
            self.sessions += len(missing)
        return ids

    def _administration(
        self, row: SpooledRow, session_ids: Mapping[tuple[int, int], int]
    ) -> dict[str, Any]:
        index, number, _day, code, answers, total, subscales, severity, missing, prorated, risk = (
            row
        )
        episode_id = self._episode_ids[index]
        return {
            "episode_id": episode_id,
            "session_id": session_ids[(episode_id, number)],
            "instrument_code": code,
            "instrument_version": self._versions[code],
            "answers": answers,
            "total": total,
            "subscales": subscales,
            "severity": severity,
            "n_missing": missing,
            "prorated": prorated,
            "risk_items": risk,
            "entry_mode": EntryMode.IMPORT.value,
            "entered_by_id": None,
            "submission_key": None,
            "created_at": self._now,
        }


def _session_ids(episode_ids: set[int]) -> dict[tuple[int, int], int]:
    stored = db.session.execute(
        sa.select(TherapySession.episode_id, TherapySession.number, TherapySession.id).where(
            TherapySession.episode_id.in_(episode_ids)
        )
    )
    return {(e, n): id_ for e, n, id_ in stored}
