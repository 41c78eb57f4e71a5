"""The tables the bare app writes to (``bare_app.py``: ``POST /write``, ``POST /form``);
bench_pages.py creates them before the workers start, since two workers creating them would
race."""

from __future__ import annotations

import sqlalchemy as sa

from config import normalise_database_url

bare_write = sa.Table(
    "bench_bare_write",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("note", sa.String(40)),
)

_metadata = bare_write.metadata

ITEMS = 9  # the answers of ``POST /form``'s form (item_1 ... item_9), as a PHQ-9 has

# ``POST /form``: a score (its answers in one JSON column, as the app keeps them) and an audit
# row, as small as the app's own can be.
bare_score = sa.Table(
    "bench_bare_score",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.Integer, nullable=False),
    sa.Column("answers", sa.JSON, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("submission_key", sa.String(64), nullable=False, unique=True),
)
bare_audit = sa.Table(
    "bench_bare_audit",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("score_id", sa.Integer, nullable=False),
)


def create(url: str) -> None:
    engine = sa.create_engine(normalise_database_url(url))
    try:
        _metadata.create_all(engine, checkfirst=True)
    finally:
        engine.dispose()
