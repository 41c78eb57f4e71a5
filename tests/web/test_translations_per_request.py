"""The request's translations are looked up once per request (extensions._RequestDomain),
not once per string: a caseload puts every row's status and many labels into words."""

from __future__ import annotations

from typing import Any

import flask_babel
from flask import Flask
from flask_babel import get_translations, gettext

from tests.builders import new_episode, phq9, record_sessions
from tests.conftest import World


def _counting_lookups(monkeypatch: Any) -> list[int]:
    looked_up = [0]
    original = flask_babel.Domain.get_translations

    def counted(self: flask_babel.Domain) -> Any:
        looked_up[0] += 1
        return original(self)

    monkeypatch.setattr(flask_babel.Domain, "get_translations", counted)
    return looked_up


def test_a_page_looks_up_its_translations_once(login_as, world: World, monkeypatch) -> None:
    for i in range(3):
        episode = new_episode(world.alice, f"T-{i:03}")
        record_sessions(episode, (("phq9", phq9(12 + i)),), by=world.alice)
    client = login_as(world.alice)
    looked_up = _counting_lookups(monkeypatch)

    page = client.get("/clients/")

    assert page.status_code == 200
    assert "T-002" in page.get_data(as_text=True)
    assert looked_up[0] == 1
    client.get("/clients/")
    assert looked_up[0] == 2  # the next request looks them up again: nothing outlives it


def test_outside_a_request_nothing_is_kept(app: Flask, monkeypatch) -> None:
    looked_up = _counting_lookups(monkeypatch)
    assert gettext("Caseload") == "Caseload"
    assert get_translations() is not None
    assert looked_up[0] == 2
