"""``flask export fhir`` and ``flask import fhir``."""

from __future__ import annotations

import json
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle

from outcome_monitor.models import Administration, AuditEvent, Client
from outcome_monitor.services.instruments import library
from tests.conftest import World, count
from tests.fhir.conftest import PACK_TEXT, WITH_WORDING, History, entries


def test_export_writes_a_valid_collection_bundle(runner, history: History, tmp_path: Path):
    out = tmp_path / "bundle.json"
    result = runner.invoke(args=["export", "fhir", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert Bundle.model_validate_json(text).type == "collection"
    data = json.loads(text)
    assert len(entries(data, "Questionnaire")) == len(library())
    assert {p["identifier"][0]["value"] for p in entries(data, "Patient")} == {"A-001", "C-001"}
    assert len(entries(data, "QuestionnaireResponse")) == 5
    assert len(entries(data, "Observation")) == 5
    assert count(AuditEvent, AuditEvent.action == "fhir.export") == 1


def test_export_of_one_client(runner, history: History, tmp_path: Path) -> None:
    out = tmp_path / "one.json"
    result = runner.invoke(args=["export", "fhir", "--out", str(out), "--client", "c-001"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [p["identifier"][0]["value"] for p in entries(data, "Patient")] == ["C-001"]
    assert entries(data, "QuestionnaireResponse") == []


def test_export_of_an_unknown_client_fails_and_leaves_no_file(runner, app, tmp_path: Path):
    out = tmp_path / "none.json"
    result = runner.invoke(args=["export", "fhir", "--out", str(out), "--client", "NOPE"])
    assert result.exit_code != 0 and "No client NOPE" in result.output
    assert not out.exists()


def test_exported_file_never_contains_licensed_wording(
    runner, history: History, text_packs, tmp_path: Path
) -> None:
    out = tmp_path / "bundle.json"
    assert runner.invoke(args=["export", "fhir", "--out", str(out)]).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert PACK_TEXT not in text
    texts = {q.get("text") for r in entries(json.loads(text), "Questionnaire") for q in r["item"]}
    for code in WITH_WORDING:
        assert {item.text for item in library()[code].items} <= texts


def _bundle_file(tmp_path: Path, answer: int) -> Path:
    path = tmp_path / "in.json"
    resource = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": "Questionnaire/gad7",
        "subject": {
            "identifier": {
                "system": "https://outcome-monitor.example/NamingSystem/client-code",
                "value": "N-9",
            }
        },
        "authored": "2025-01-10T09:30:00+00:00",
        "item": [{"linkId": str(i), "answer": [{"valueInteger": answer}]} for i in range(1, 8)],
    }
    path.write_text(
        json.dumps({"resourceType": "Bundle", "type": "batch", "entry": [{"resource": resource}]}),
        encoding="utf-8",
    )
    return path


def test_import_dry_run_then_import(runner, world: World, tmp_path: Path) -> None:
    path = _bundle_file(tmp_path, 2)
    args = ["import", "fhir", str(path), "--therapist", "alice@example.test"]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would import 1 response(s)" in dry.output
    assert count(Administration) == 0 and count(Client, Client.code == "N-9") == 0
    done = runner.invoke(args=args)
    assert done.exit_code == 0 and "Imported 1 response(s)" in done.output
    assert count(Administration, Administration.total == 14) == 1


def test_import_errors_name_the_entry_and_field(runner, world: World, tmp_path: Path) -> None:
    path = _bundle_file(tmp_path, 9)
    result = runner.invoke(args=["import", "fhir", str(path), "--therapist", "alice@example.test"])
    assert result.exit_code == 1
    assert "entry 0: resource.item[0].answer[0]: 9 is not an answer of gad7 item 1" in result.output
    assert count(Administration) == 0


def test_import_with_an_unknown_therapist_fails(runner, world: World, tmp_path: Path) -> None:
    path = _bundle_file(tmp_path, 1)
    result = runner.invoke(args=["import", "fhir", str(path), "--therapist", "nobody@x.test"])
    assert result.exit_code != 0 and "no user nobody@x.test" in result.output
