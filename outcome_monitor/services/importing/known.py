"""What the database already holds for the rows of one chunk (a few ``IN`` queries a chunk)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Client, Episode, TherapySession
from outcome_monitor.services.importing.ledger import KnownEpisode
from outcome_monitor.services.importing.rows import ScoreRow

# Rows of the same client, episode, measure and session: equal within this tolerance.
TOTAL_TOLERANCE = 1e-9


@dataclass(frozen=True)
class KnownClient:
    id: int
    therapist_id: int
    episodes: dict[str, KnownEpisode]


def episode_key(label: str | None, episode_id: int) -> str:
    """How the file names an episode: its label; ``E<id>`` for one opened in the app.

    The export writes ``E<id>`` for an episode without a label, so importing an export into
    the database it came from finds those episodes instead of copying them.
    """
    return label if label is not None else f"E{episode_id}"


def known_clients(codes: Collection[str]) -> dict[str, KnownClient]:
    """The clients among ``codes`` that exist, each with all its episodes by file name."""
    if not codes:
        return {}
    rows = db.session.execute(
        sa.select(Client.id, Client.code, Client.therapist_id).where(Client.code.in_(codes))
    ).all()
    clients = {code: KnownClient(id_, therapist, {}) for id_, code, therapist in rows}
    by_id = {c.id: c for c in clients.values()}
    if by_id:
        episodes = db.session.execute(
            sa.select(
                Episode.id,
                Episode.client_id,
                Episode.label,
                Episode.therapist_id,
                Episode.closed_on,
                Episode.status,
            )
            .where(Episode.client_id.in_(by_id))
            .order_by(Episode.label.is_not(None), Episode.id)
        )
        for id_, client_id, label, therapist, closed_on, status in episodes:
            known = KnownEpisode(id_, therapist, closed_on, status)
            by_id[client_id].episodes[episode_key(label, id_)] = known
    return clients


@dataclass(frozen=True)
class KnownScores:
    """Sessions by (episode id, number) and the latest score by (episode, number, measure)."""

    sessions: Mapping[tuple[int, int], date]
    scores: Mapping[tuple[int, int, str], tuple[dict[str, Any], float | None]]


def known_scores(episode_ids: Collection[int]) -> KnownScores:
    if not episode_ids:
        return KnownScores({}, {})
    sessions = db.session.execute(
        sa.select(TherapySession.episode_id, TherapySession.number, TherapySession.date).where(
            TherapySession.episode_id.in_(episode_ids)
        )
    )
    scores = db.session.execute(
        sa.select(
            Administration.episode_id,
            TherapySession.number,
            Administration.instrument_code,
            Administration.answers,
            Administration.total,
        )
        .join(TherapySession, Administration.session_id == TherapySession.id)
        .where(Administration.episode_id.in_(episode_ids))
        .order_by(Administration.id)
    )
    return KnownScores(
        {(e, n): d for e, n, d in sessions},
        {(e, n, code): (answers or {}, total) for e, n, code, answers, total in scores},
    )


def same_score(known: tuple[dict[str, Any], float | None], row: ScoreRow) -> bool:
    """True when the stored score has the row's values (answers, or the total of a total-only)."""
    answers, total = known
    if row.answers is None:
        return not answers and total is not None and abs(total - row.score.total) <= TOTAL_TOLERANCE
    return _given(answers) == _given(row.answers)


def _given(answers: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in answers.items() if v is not None}
