"""The one table the bare app writes to (``bare_app.py``, ``POST /write``); bench_pages.py
creates it before the workers start, since two workers creating it would race."""

from __future__ import annotations

import sqlalchemy as sa

from config import normalise_database_url

bare_write = sa.Table(
    "bench_bare_write",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("note", sa.String(40)),
)


def create(url: str) -> None:
    engine = sa.create_engine(normalise_database_url(url))
    try:
        bare_write.create(engine, checkfirst=True)
    finally:
        engine.dispose()
