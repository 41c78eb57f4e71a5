"""The shared test builders: ``unchanged`` notices what a refused request must not do, and
shared builders live in builders and conftest modules, never in another test module."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, AuditEvent, AuditOutcome
from outcome_monitor.services import accounts
from tests.builders import crisis, unchanged
from tests.conftest import World


def test_unchanged_notices_an_added_row(world: World) -> None:
    with pytest.raises(AssertionError, match="team"), unchanged():
        accounts.create_team(name="East", by=None)


def test_unchanged_notices_an_updated_row(world: World) -> None:
    episode = crisis(world)
    alert = db.session.scalars(sa.select(Alert).where(Alert.episode_id == episode.id)).first()
    assert alert is not None
    with pytest.raises(AssertionError, match="alert"), unchanged():
        alert.updated_at += timedelta(minutes=1)
        db.session.commit()


def test_unchanged_lets_the_audit_row_of_a_refusal_pass(world: World) -> None:
    with unchanged():
        db.session.add(
            AuditEvent(
                action="read.client", object_type="Client", details={}, outcome=AuditOutcome.DENIED
            )
        )
        db.session.commit()


def test_no_test_module_imports_another() -> None:
    """Builders and fixtures that several modules use live in ``tests/builders.py``, a
    ``conftest.py`` or a helper module, so each test module can be read (and run) alone."""
    imports = []
    for path in Path(__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests"):
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            imports += [(path.name, n) for n in names if n.rpartition(".")[2].startswith("test_")]
    assert imports == []
