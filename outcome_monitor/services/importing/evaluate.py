"""``import scores --evaluate-open``: the alert engine once for every episode an import leaves
open (issue 12), so a service that migrates with ongoing clients starts with the right open
alerts and statuses. Closed episodes stay unevaluated: they are history, not today's work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Episode, EpisodeStatus, TherapySession
from outcome_monitor.services import alert_batches, alerting, case_status, feedback
from outcome_monitor.services.audit import record

EVALUATE_BATCH = 200  # episodes evaluated, refreshed and committed together


@dataclass
class Evaluated:
    episodes: int = 0
    alerts: int = 0  # alert conditions true now (raised or updated)

    def text(self) -> str:
        return (
            f"Evaluated {self.episodes} open episodes as of their last scores: "
            f"{self.alerts} alerts open."
        )


def evaluate_open(
    episode_ids: Sequence[int], *, file: str, batch_size: int = EVALUATE_BATCH
) -> Evaluated:
    """Evaluate the episodes of ``episode_ids`` that are still active, a batch at a time.

    1. Per batch, one query loads the latest current administration of every measure given
       in each episode (with its episode, client and session).
    2. Each goes through ``alerting.evaluate_after_administration``, the live service's path
       (``core.alerts.evaluate`` as of that score's date, then ``reconcile``): a condition
       that already has an alert updates it, so running this again duplicates nothing.
    3. The batch's stored statuses are refreshed and the batch committed (each batch is its
       own use-case, like the jobs'); one audit row at the end says what was evaluated.
    """
    done = Evaluated()
    try:
        for batch in alert_batches.batched(sorted(set(episode_ids)), batch_size):
            latest = _latest_administrations(batch)
            for administration in latest:
                done.alerts += len(alerting.evaluate_after_administration(administration))
            done.episodes += len({a.episode_id for a in latest})
            case_status.refresh_many(batch)
            db.session.commit()
        record(
            by=None,
            action="scores.evaluate_open",
            obj=None,
            object_type="ScoreImport",
            details={"file": file, "episodes": done.episodes, "alerts": done.alerts},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return done


def _latest_administrations(episode_ids: list[int]) -> list[Administration]:
    """The latest current administration of each measure in each active episode of the list,
    "latest" in the order ``feedback.episode_administrations`` gives them."""
    rank = (
        sa.func.row_number()
        .over(
            partition_by=(Administration.episode_id, Administration.instrument_code),
            order_by=[key.desc() for key in feedback.given_order()],
        )
        .label("rank")
    )
    ranked = (
        sa.select(Administration.id, rank)
        .outerjoin(TherapySession, Administration.session_id == TherapySession.id)
        .join(Episode, Episode.id == Administration.episode_id)
        .where(
            Administration.episode_id.in_(episode_ids),
            Administration.current(),
            Episode.status == EpisodeStatus.ACTIVE,
        )
        .subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Administration)
            .where(Administration.id.in_(sa.select(ranked.c.id).where(ranked.c.rank == 1)))
            .options(
                so.joinedload(Administration.episode).joinedload(Episode.client),
                so.joinedload(Administration.session),
            )
            .order_by(Administration.episode_id, Administration.id)
        )
    )
