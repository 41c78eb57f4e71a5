"""The yardstick of bench_pages.py: a bare Flask app that reads one row and says hello
(``GET /``), and writes one row and commits (``POST /write``, a second yardstick for the score
submission, which writes).

Served by the same gunicorn settings as the app, on the same database (``DATABASE_URL``), with
the same engine settings (WAL on a SQLite file, psycopg 3 on PostgreSQL), so the ratio of the
app's throughput to this one's is what the app's own work costs.
Run: DATABASE_URL=... gunicorn --chdir bench bare_app:app
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bare_schema import bare_write

from config import normalise_database_url
from outcome_monitor.database import configure_sqlite

engine = sa.create_engine(normalise_database_url(os.environ["DATABASE_URL"]))
configure_sqlite(engine, busy_timeout_ms=5000)
app = Flask(__name__)
_HIGHEST = int(os.environ.get("BARE_HIGHEST_ID", "1"))


@app.get("/")
def hello() -> str:
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT id, code FROM client WHERE id = :id"),
            {"id": random.randint(1, _HIGHEST)},
        ).one_or_none()
    return f"hello {row.code if row else 'nobody'}"


@app.post("/write")
def write() -> str:
    with engine.begin() as connection:
        connection.execute(sa.insert(bare_write).values(note="bare write"))
    return "written"
