"""No module of the web layer touches the database session: views load and authorise through
``services.access`` (and the services that own a use-case), so there is one place that decides
who may see a row. The web layer still needs other extensions (csrf, limiter, login_manager),
so an import contract on ``outcome_monitor.extensions`` as a whole would not fit."""

from __future__ import annotations

import ast
from pathlib import Path

import outcome_monitor.web

WEB = Path(outcome_monitor.web.__file__).parent


def _db_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "outcome_monitor.extensions":
            found += [f"{path.name}:{node.lineno}" for a in node.names if a.name == "db"]
        elif isinstance(node, ast.ImportFrom) and node.module == "outcome_monitor":
            found += [f"{path.name}:{node.lineno}" for a in node.names if a.name == "extensions"]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name == "outcome_monitor.extensions"]
            found += [f"{path.name}:{node.lineno}" for _name in names]
    return found


def test_no_module_of_the_web_layer_imports_the_database() -> None:
    modules = sorted(WEB.rglob("*.py"))
    assert modules, "the web package was not found"
    offenders = [hit for path in modules for hit in _db_imports(path)]
    assert offenders == []


def test_the_check_finds_a_db_import(tmp_path: Path) -> None:
    module = tmp_path / "view.py"
    module.write_text("from outcome_monitor.extensions import csrf, db\n", encoding="utf-8")
    assert _db_imports(module) == ["view.py:1"]
