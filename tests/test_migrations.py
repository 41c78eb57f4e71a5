"""Migrations: one head, and `upgrade head` on an empty database matches the models.

Runs on SQLite always, and on PostgreSQL (a throwaway database on the same server) when
TEST_DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from config import TestingConfig
from outcome_monitor import create_app
from outcome_monitor.extensions import db

ROOT = Path(__file__).resolve().parents[1]


def test_migrations_have_exactly_one_head(app) -> None:
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_database_url: str) -> None:
    class Fresh(TestingConfig):
        def __init__(self) -> None:
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = empty_database_url

    app = create_app(Fresh)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == []
