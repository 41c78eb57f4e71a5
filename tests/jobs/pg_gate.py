"""Hold two concurrent job runs at their first write on PostgreSQL, then let them race.

Locking a table IN EXCLUSIVE MODE still lets both runs read (each loads the same list of due
work) but blocks their first UPDATE; once both wait on the lock it is released, so two runs
holding the same stale list race to claim every row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from outcome_monitor.extensions import db


def waiting_on_lock(table: str) -> int:
    """How many backends wait for a lock on ``table``."""
    with db.engine.connect() as connection:
        return connection.scalar(
            sa.text(
                "SELECT count(*) FROM pg_locks WHERE relation = CAST(:t AS regclass) "
                "AND NOT granted"
            ),
            {"t": table},
        )


@contextmanager
def writes_gated(table: str, waiters: int) -> Iterator[Callable[[], None]]:
    """Hold writes to ``table`` back; the yielded function releases them once ``waiters`` wait."""
    db.session.rollback()
    connection = db.engine.connect()
    transaction = connection.begin()
    connection.execute(sa.text(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))

    def release_when_all_wait() -> None:
        deadline = time.monotonic() + 30
        while waiting_on_lock(table) < waiters:
            assert time.monotonic() < deadline, "the runs never reached their first claim"
            time.sleep(0.02)
        transaction.commit()

    try:
        yield release_when_all_wait
    finally:
        if transaction.is_active:
            transaction.rollback()
        connection.close()
