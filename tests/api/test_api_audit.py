"""Every API call writes one audit row: who, what, about which record, allowed or denied."""

from __future__ import annotations

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, AuditOutcome, TokenScope
from tests.api.conftest import issue
from tests.builders import phq9
from tests.conftest import World


def _api_events() -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.action.like("api.%")).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def test_an_allowed_read_names_the_user_the_record_and_the_token(api, world: World) -> None:
    secret = issue(world.alice)
    api("GET", f"/api/clients/{world.alices_client.id}", secret)
    [event] = _api_events()
    assert (event.actor_id, event.action, event.outcome) == (
        world.alice.id,
        "api.get_client",
        AuditOutcome.ALLOWED,
    )
    assert (event.object_type, event.object_id) == ("Client", str(world.alices_client.id))
    assert event.client_code == "A-001"
    assert event.details["token"] == secret[:12]
    assert event.details["status"] == 200


def test_a_refused_read_of_a_foreign_record_is_denied_and_names_its_client(
    api, world: World
) -> None:
    api("GET", f"/api/clients/{world.alices_client.id}", issue(world.carol))
    [event] = _api_events()
    assert (event.actor_id, event.outcome, event.client_code) == (
        world.carol.id,
        AuditOutcome.DENIED,
        "A-001",
    )
    assert event.details["status"] == 404


def test_a_refused_token_is_recorded_by_its_prefix_only(api, world: World) -> None:
    guess = "omt_" + "g" * 43
    api("GET", "/api/clients", guess)
    [event] = _api_events()
    assert event.actor_id is None and event.outcome == AuditOutcome.DENIED
    assert event.details["token"] == guess[:12]
    assert guess not in repr(event.details)


def test_a_refused_write_is_audited_and_a_recorded_one_names_the_score(api, world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    path = f"/api/episodes/{episode.id}/administrations"
    body = {"instrument_code": "phq9", "answers": phq9(6)}
    api("POST", path, issue(world.alice, TokenScope.READ), json=body)
    created = api("POST", path, issue(world.alice), json=body).get_json()
    refused, recorded = _api_events()
    assert (refused.outcome, refused.details["status"]) == (AuditOutcome.DENIED, 403)
    assert (recorded.object_type, recorded.object_id) == (
        "Administration",
        str(created["administration"]["id"]),
    )
    assert recorded.outcome == AuditOutcome.ALLOWED and recorded.client_code == "A-001"
