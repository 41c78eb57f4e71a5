"""Migrations: one head, and `upgrade head` on an empty database matches the models.

Runs on SQLite always, and on PostgreSQL (a throwaway database on the same server) when
TEST_DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from outcome_monitor.extensions import db
from tests.conftest import migrated


def test_migrations_have_exactly_one_head(app) -> None:
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_database_url: str) -> None:
    with migrated(empty_database_url), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
