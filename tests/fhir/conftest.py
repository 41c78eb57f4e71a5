"""Fixtures for the FHIR tests: a scored history for Alice's client, and synthetic text packs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from outcome_monitor.core.instruments import load_library
from outcome_monitor.fhir import codes
from outcome_monitor.fhir.importer import import_bundle
from outcome_monitor.instruments import BUNDLED_DIR
from outcome_monitor.models import Administration, EntryMode, TokenScope, User
from outcome_monitor.services import api_tokens, care, instruments, measures
from tests.conftest import World

# Synthetic stand-ins for licensed wording: they must never leave the app through FHIR.
PACK_TEXT = "SYNTHETIC LICENSED WORDING"
SCORING_ONLY = ("core10", "ors", "srs", "waisr")
WITH_WORDING = ("phq9", "gad7", "pcl5", "auditc")
PHQ9 = codes.questionnaire_url("phq9") + "|1"


@pytest.fixture
def as_user(client: FlaskClient) -> Callable[..., FlaskClient]:
    """The test client sending a personal access token of ``user`` (/fhir/ is a token path:
    no session cookie is read there)."""

    def _as(user: User, scope: TokenScope = TokenScope.READ_WRITE) -> FlaskClient:
        issued = api_tokens.create_token(
            user=user, name="fhir test", scope=scope, expires_days=1, by=user, now=datetime.now(UTC)
        )
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issued.secret}"
        return client

    return _as


@dataclass
class History:
    phq9_first: Administration
    phq9_second: Administration
    gad7: Administration
    core10: Administration
    ors: Administration


def record(world: World, session: Any, code: str, answers: dict[str, float | None]) -> Any:
    episode = world.alices_client.current_episode
    return measures.record_administration(
        episode=episode,
        session_id=session.id,
        instrument_code=code,
        answers=answers,
        entry_mode=EntryMode.THERAPIST,
        by=world.alice,
    ).administration


@pytest.fixture
def history(world: World) -> History:
    episode = world.alices_client.current_episode
    assert episode is not None
    first = care.record_session(
        episode=episode, session_date=date(2026, 9, 1), attended=True, by=world.alice
    )
    second = care.record_session(
        episode=episode, session_date=date(2026, 9, 15), attended=True, by=world.alice
    )
    phq9 = {str(i): 2 for i in range(1, 10)} | {"9": 0}
    core10 = {str(i): 1 for i in range(1, 11)} | {"4": None}
    return History(
        phq9_first=record(world, first, "phq9", phq9),
        phq9_second=record(world, second, "phq9", {k: 1 for k in phq9} | {"9": 0}),
        gad7=record(world, first, "gad7", {str(i): 3 for i in range(1, 8)}),
        core10=record(world, second, "core10", core10),
        ors=record(world, first, "ors", {"1": 4.5, "2": 5.1, "3": 6.0, "4": 3.2}),
    )


@pytest.fixture
def text_packs(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install synthetic text packs for every scoring-only instrument, for this test only."""
    base = load_library(BUNDLED_DIR)
    for code in SCORING_ONLY:
        definition = base[code]
        lines = [
            f'instrument = "{code}"',
            f'version = "{definition.version}"',
            'licence_note = "Synthetic test licence"',
            f'instructions = "{PACK_TEXT} instructions {code}"',
        ]
        for item in definition.items:
            lines += [f'[items."{item.id}"]', f'text = "{PACK_TEXT} {code} item {item.id}"']
        (tmp_path / f"{code}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    packed = load_library(BUNDLED_DIR, text_pack_dir=tmp_path)
    assert all(packed[code].text_installed for code in SCORING_ONLY)
    monkeypatch.setitem(app.extensions, instruments.LIBRARY_KEY, packed)
    return tmp_path


def entries(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"]
        for e in bundle.get("entry", [])
        if e["resource"]["resourceType"] == resource_type
    ]


def dumps(data: Any) -> str:
    return json.dumps(data)


def response(
    code: str = "P-1",
    *,
    authored: str = "2025-03-04",
    answers: dict[str, int] | None = None,
    identifier: str | None = "r1",
    questionnaire: str = PHQ9,
    status: str = "completed",
) -> dict[str, Any]:
    answers = answers if answers is not None else {str(i): 1 for i in range(1, 10)}
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "status": status,
        "questionnaire": questionnaire,
        "subject": {"identifier": {"system": codes.CLIENT_CODE_SYSTEM, "value": code}},
        "authored": authored,
        "item": [{"linkId": k, "answer": [{"valueInteger": v}]} for k, v in answers.items()],
    }
    if identifier:
        resource["identifier"] = {"system": "https://other.example/qr", "value": identifier}
    return resource


def bundle(*resources: dict[str, Any], kind: str = "transaction") -> str:
    entries = [
        {"resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
        if kind == "transaction"
        else {"resource": r}
        for r in resources
    ]
    return json.dumps({"resourceType": "Bundle", "type": kind, "entry": entries})


def run(text: str, therapist: User | None, **kwargs: Any) -> Any:
    return import_bundle(
        text=text, library=instruments.library(), by=None, therapist=therapist, **kwargs
    )
