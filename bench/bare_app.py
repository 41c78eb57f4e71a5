"""The yardstick of bench_pages.py: a bare Flask app that reads one row and says hello
(``GET /``), and writes one row and commits (``POST /write``, a second yardstick for the score
submission, which writes).

``/form`` is the third, for comparison only: the least any score submission does on this
stack (Flask, Flask-WTF, SQLAlchemy), with no outcome monitoring in it. ``GET`` signs the
session in (a user id in Flask's signed cookie) and sends the form's CSRF token (the load
client fills in nine answers 0-3 and a submission key of its own); ``POST`` reads the
signed-in user's row, validates the form (CSRF token, every answer in range, the key given),
writes a score (its answers as JSON) and an audit row with SQLAlchemy Core, commits once and
redirects (to a page that does not exist: the client does not follow it), as the app's score
POST does; no ORM, no access check of an episode, no trajectory, no alerts, no stored status.

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
from flask import Flask, redirect, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response
from wtforms import HiddenField, RadioField
from wtforms.validators import InputRequired

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bare_schema import ITEMS, bare_audit, bare_score, bare_write

from config import normalise_database_url
from outcome_monitor.database import configure_sqlite

engine = sa.create_engine(normalise_database_url(os.environ["DATABASE_URL"]))
configure_sqlite(engine, busy_timeout_ms=5000)
app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]
app.config["WTF_CSRF_TIME_LIMIT"] = None  # as the app's own settings
csrf = CSRFProtect(app)
_HIGHEST = int(os.environ.get("BARE_HIGHEST_ID", "1"))
_USER = sa.table("user", sa.column("id"))


class ScoreForm(FlaskForm):
    submission_key = HiddenField(validators=[InputRequired()])


for _n in range(1, ITEMS + 1):
    setattr(
        ScoreForm,
        f"item_{_n}",
        RadioField(choices=[(str(v), str(v)) for v in range(4)], validators=[InputRequired()]),
    )


@app.get("/")
def hello() -> str:
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT id, code FROM client WHERE id = :id"),
            {"id": random.randint(1, _HIGHEST)},
        ).one_or_none()
    return f"hello {row.code if row else 'nobody'}"


@app.post("/write")
@csrf.exempt  # one row written, nothing else: no form
def write() -> str:
    with engine.begin() as connection:
        connection.execute(sa.insert(bare_write).values(note="bare write"))
    return "written"


@app.route("/form", methods=["GET", "POST"])
def form() -> str | Response:
    if "user_id" not in session:
        session["user_id"] = 1
    with engine.begin() as connection:
        user = connection.execute(
            sa.select(_USER.c.id).where(_USER.c.id == session["user_id"])
        ).one_or_none()
        if user is None:
            return "nobody signed in"
        score = ScoreForm()
        if not score.validate_on_submit():
            return f'<form method="post">{score.csrf_token()}{score.submission_key()}</form>'
        answers = {f"item_{n}": int(getattr(score, f"item_{n}").data) for n in range(1, ITEMS + 1)}
        score_id = connection.execute(
            sa.insert(bare_score).values(
                client_id=random.randint(1, _HIGHEST),
                answers=answers,
                total=sum(answers.values()),
                submission_key=score.submission_key.data,
            )
        ).inserted_primary_key[0]
        connection.execute(
            sa.insert(bare_audit).values(user_id=user.id, action="score", score_id=score_id)
        )
    return redirect(f"/scores/{score_id}")
