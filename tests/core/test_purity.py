"""The core stays pure: no framework and no other layer of the app is imported from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "outcome_monitor" / "core"
FORBIDDEN = (
    "flask",
    "flask_sqlalchemy",
    "flask_wtf",
    "flask_login",
    "flask_babel",
    "sqlalchemy",
    "wtforms",
    "plotly",
    "apscheduler",
    "alembic",
    "werkzeug",
    "click",
    "outcome_monitor.models",
    "outcome_monitor.services",
    "outcome_monitor.web",
    "outcome_monitor.jobs",
    "outcome_monitor.extensions",
)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_no_framework_or_app_layer(path: Path) -> None:
    bad = {
        name
        for name in _imported_modules(path)
        for forbidden in FORBIDDEN
        if name == forbidden or name.startswith(forbidden + ".")
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_core_never_reads_the_clock() -> None:
    offenders = [
        p.name
        for p in CORE.rglob("*.py")
        if ".now(" in p.read_text(encoding="utf-8") or "today(" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
