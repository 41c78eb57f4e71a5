"""Import of QuestionnaireResponses: round trip, idempotency, all or nothing, named errors."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from fhir.resources.R4B.bundle import Bundle
from flask.testing import FlaskClient

from outcome_monitor.extensions import db
from outcome_monitor.fhir import codes
from outcome_monitor.fhir.export import export_bundle
from outcome_monitor.fhir.importer import ImportRefused
from outcome_monitor.models import (
    Administration,
    Alert,
    Client,
    EntryMode,
    Episode,
    Role,
    TherapySession,
    TokenScope,
    User,
)
from outcome_monitor.services import accounts
from outcome_monitor.services.instruments import library
from tests.conftest import World, count
from tests.fhir.conftest import History, bundle, response, run

BASE = "https://example.test/fhir/r4"


def exported(client_code: str | None = None) -> dict[str, Any]:
    out = io.StringIO()
    export_bundle(out, library=library(), base=BASE, client_code=client_code, by=None)
    Bundle.model_validate_json(out.getvalue())
    return json.loads(out.getvalue())


def scores() -> set[tuple[Any, ...]]:
    query = (
        sa.select(Administration, Client.code, TherapySession.date, TherapySession.number)
        .join(Episode, Administration.episode_id == Episode.id)
        .join(Client, Episode.client_id == Client.id)
        .join(TherapySession, Administration.session_id == TherapySession.id)
    )
    return {
        (
            code,
            day,
            number,
            a.instrument_code,
            a.total,
            a.prorated,
            tuple(sorted((k, v) for k, v in a.answers.items() if v is not None)),
        )
        for a, code, day, number in db.session.execute(query)
    }


def empty_database() -> None:
    db.session.expunge_all()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


def new_therapist(email: str = "tess@example.test") -> User:
    return accounts.create_user(
        email=email, display_name="Tess", role=Role.THERAPIST, password="x" * 12, team=None, by=None
    )


def test_round_trip_into_an_empty_database_gives_the_same_scores(history: History) -> None:
    before = scores()
    text = json.dumps(exported("A-001"))
    empty_database()
    therapist = new_therapist()
    report = run(text, therapist)
    assert report.created == 5 and report.clients_created == 1
    assert scores() == before
    client = db.session.scalar(sa.select(Client))
    assert client is not None and client.code == "A-001" and client.therapist_id == therapist.id


def test_imported_history_raises_no_alerts(app, world: World) -> None:
    high = {str(i): 3 for i in range(1, 10)}  # total 27 and the risk item answered 3
    run(bundle(response(answers=high)), world.alice)
    imported = db.session.scalar(sa.select(Administration))
    assert imported is not None and imported.entry_mode == EntryMode.IMPORT
    assert imported.total == 27 and imported.risk_items == ["9"]
    assert count(Alert) == 0


def test_importing_the_same_bundle_twice_changes_nothing(history: History) -> None:
    text = json.dumps(exported("A-001"))
    empty_database()
    therapist = new_therapist()
    run(text, therapist)
    rows = (count(Client), count(Episode), count(TherapySession), count(Administration))
    again = run(text, therapist)
    assert (again.created, again.unchanged) == (0, 5)
    assert (count(Client), count(Episode), count(TherapySession), count(Administration)) == rows


def test_same_client_measure_and_session_without_identifier_is_imported_once(
    app, world: World
) -> None:
    text = bundle(response(identifier=None))
    run(text, world.alice)
    again = run(text, world.alice)
    assert (again.created, again.unchanged) == (0, 1)
    assert count(Administration) == 1


def test_reimport_into_the_source_database_changes_nothing(history: History) -> None:
    before = count(Administration)
    report = run(json.dumps(exported()), None)
    assert report.created == 0 and report.unchanged == before
    assert count(Administration) == before


def test_same_identifier_with_other_answers_is_reported_not_applied(app, world: World) -> None:
    run(bundle(response()), world.alice)
    report = run(bundle(response(answers={str(i): 2 for i in range(1, 10)})), world.alice)
    assert report.unchanged == 1
    assert report.outcomes[0].note == "already imported with other answers; not changed"
    assert db.session.scalar(sa.select(Administration.total)) == 9


def test_dry_run_validates_and_writes_nothing(app, world: World) -> None:
    report = run(bundle(response()), world.alice, dry_run=True)
    assert report.created == 1 and report.clients_created == 1
    assert (count(Client, Client.code == "P-1"), count(Administration)) == (0, 0)


def test_new_client_without_a_therapist_is_an_error(app, world: World) -> None:
    with pytest.raises(ImportRefused) as refused:
        run(bundle(response()), None)
    assert [str(e) for e in refused.value.errors] == [
        "entry 0: resource.subject: no client P-1; name a therapist to create it"
    ]


def test_response_goes_into_the_covering_episode_and_its_session(app, world: World) -> None:
    episode = world.alices_client.current_episode
    run(bundle(response("A-001", authored="2026-09-03")), None)
    session = db.session.scalar(sa.select(TherapySession))
    assert session is not None and session.episode_id == episode.id
    assert (session.number, session.date) == (1, date(2026, 9, 3))


def test_response_before_the_active_episode_opened_is_refused(app, world: World) -> None:
    with pytest.raises(ImportRefused) as refused:
        run(bundle(response("A-001", authored="2026-08-01")), None)
    assert refused.value.errors[0].expression == "Bundle.entry[0].resource.authored"


def test_session_number_extension_is_kept_when_free(app, world: World) -> None:
    resource = response()
    resource["extension"] = [{"url": codes.SESSION_NUMBER_EXTENSION, "valueInteger": 4}]
    run(bundle(resource), world.alice)
    assert db.session.scalar(sa.select(TherapySession.number)) == 4


def test_total_only_response_round_trips(app, world: World) -> None:
    resource = response(answers={})
    resource["extension"] = [{"url": codes.TOTAL_SCORE_EXTENSION, "valueDecimal": 14}]
    run(bundle(resource), world.alice)
    stored = db.session.scalar(sa.select(Administration))
    assert stored is not None and (stored.total, stored.answers, stored.severity) == (
        14,
        {},
        "moderate",
    )
    out = exported("P-1")
    [qr] = [e["resource"] for e in out["entry"] if e["resource"]["resourceType"] != "Patient"][
        -2:-1
    ]
    assert qr["extension"][-1] == {"url": codes.TOTAL_SCORE_EXTENSION, "valueDecimal": 14}


def _two_patient_bundle() -> str:
    patient = {
        "resourceType": "Patient",
        "id": "x1",
        "identifier": [
            {"system": "https://nhs.example/number", "value": "943 476 5919"},
            {"system": codes.CLIENT_CODE_SYSTEM, "value": "p-2"},
        ],
    }
    qr = response("ignored")
    qr["subject"] = {"reference": "urn:uuid:4a6e1b9c-0000-4000-8000-000000000001"}
    entries = [
        {"fullUrl": "urn:uuid:4a6e1b9c-0000-4000-8000-000000000001", "resource": patient},
        {"resource": qr},
    ]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


def test_subject_reference_resolves_to_a_patient_entry_by_its_client_code(app, world) -> None:
    run(_two_patient_bundle(), world.alice)
    assert db.session.scalar(sa.select(Client.code).where(Client.code.like("P-%"))) == "P-2"
    assert "943" not in json.dumps([c.code for c in db.session.scalars(sa.select(Client))])


INVALID = [
    (
        "answer outside the options",
        {"item": [{"linkId": "3", "answer": [{"valueInteger": 7}]}]},
        "Bundle.entry[1].resource.item[0].answer[0]",
    ),
    (
        "unknown linkId",
        {"item": [{"linkId": "42", "answer": [{"valueInteger": 1}]}]},
        "Bundle.entry[1].resource.item[0].linkId",
    ),
    (
        "unparsable integer",
        {"item": [{"linkId": "1", "answer": [{"valueInteger": "x"}]}]},
        "Bundle.entry[1].resource.item[0].answer[0].valueInteger",
    ),
    ("unknown instrument", {"questionnaire": "http://x.example/Questionnaire/bdi"}, None),
    ("in progress", {"status": "in-progress"}, "Bundle.entry[1].resource.status"),
    ("partial date", {"authored": "2025-03"}, "Bundle.entry[1].resource.authored"),
    ("no subject", {"subject": None}, "Bundle.entry[1].resource.subject"),
    (
        "too many missing",
        {"item": [{"linkId": "1", "answer": [{"valueInteger": 1}]}]},
        "Bundle.entry[1].resource.item",
    ),
]


@pytest.mark.parametrize(
    ("change", "expression"), [(c, e) for _, c, e in INVALID], ids=[i for i, _, _ in INVALID]
)
def test_invalid_entry_is_named_and_nothing_is_written(
    app, world: World, change: dict[str, Any], expression: str | None
) -> None:
    bad = {k: v for k, v in (response(identifier="r2") | change).items() if v is not None}
    with pytest.raises(ImportRefused) as refused:
        run(bundle(response(), bad), world.alice)
    errors = refused.value.errors
    assert {e.index for e in errors} == {1}
    if expression:
        assert expression in [e.expression for e in errors]
    assert (count(Administration), count(Client, Client.code == "P-1")) == (0, 0)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        json.dumps({"resourceType": "Patient"}),
        json.dumps({"resourceType": "Bundle", "type": "searchset"}),
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [1]}),
    ],
)
def test_malformed_bundle_is_refused_as_a_whole(app, world: World, text: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        run(text, world.alice)
    assert all(e.index is None for e in refused.value.errors)


def test_unknown_resource_type_names_the_entry(app, world: World) -> None:
    with pytest.raises(ImportRefused) as refused:
        run(bundle(response(), {"resourceType": "Spaceship"}, kind="collection"), world.alice)
    assert [e.expression for e in refused.value.errors] == ["Bundle.entry[1].resource.resourceType"]


def test_the_same_response_twice_in_one_bundle_is_an_error(app, world: World) -> None:
    with pytest.raises(ImportRefused) as refused:
        run(bundle(response(), response(identifier="other")), world.alice)
    assert str(refused.value.errors[0]) == "entry 1: resource: same response as entry 0"


# The endpoint


def post(client: FlaskClient, text: str, mimetype: str = codes.FHIR_JSON) -> Any:
    return client.post("/fhir/r4/", data=text, content_type=mimetype)


def test_posted_transaction_creates_responses_for_the_posting_therapist(as_user, world) -> None:
    result = post(
        as_user(world.alice), bundle(response(), response(authored="2025-04-01", identifier="r3"))
    )
    assert result.status_code == 200, result.get_data(as_text=True)
    body = Bundle.model_validate_json(result.get_data(as_text=True))
    assert body.type == "transaction-response"
    assert [e.response.status for e in body.entry] == ["201 Created", "201 Created"]
    client = db.session.scalar(sa.select(Client).where(Client.code == "P-1"))
    assert client is not None and client.therapist_id == world.alice.id
    again = Bundle.model_validate_json(
        post(as_user(world.alice), bundle(response())).get_data(as_text=True)
    )
    assert again.entry[0].response.status == "200 OK"


def test_posting_for_another_teams_client_is_refused_with_the_entry(as_user, world) -> None:
    result = post(as_user(world.alice), bundle(response("C-001", authored="2026-09-02")))
    assert result.status_code == 422
    issue = result.get_json()["issue"][0]
    assert issue["expression"] == ["Bundle.entry[0].resource.subject"]
    assert count(Administration) == 0


def test_post_needs_a_json_content_type(as_user, world: World) -> None:
    result = post(as_user(world.alice), bundle(response()), "application/x-www-form-urlencoded")
    assert result.status_code == 415
    assert result.get_json()["resourceType"] == "OperationOutcome"


def test_admin_cannot_import(as_user, world: World) -> None:
    result = post(as_user(world.ada), bundle(response()))
    assert result.status_code == 404 and count(Administration) == 0


def test_posted_garbage_is_a_400_outcome(as_user, world: World) -> None:
    result = post(as_user(world.alice), "{not json")
    assert result.status_code == 400
    assert result.get_json()["issue"][0]["expression"] == ["Bundle"]


def test_read_only_token_cannot_import(as_user, world: World) -> None:
    result = post(as_user(world.alice, TokenScope.READ), bundle(response()))
    assert result.status_code == 403
    assert result.get_json()["resourceType"] == "OperationOutcome"
    assert count(Administration) == 0


def test_an_identifier_of_another_clients_response_is_refused_and_not_revealed(
    app, world: World
) -> None:
    """A response whose identifier is stored for another client is neither taken as "already
    imported" (which would answer with that client's record) nor written: the whole Bundle is
    refused, naming the entry, and nothing of the other record is told."""
    first = run(bundle(response("P-1", identifier="shared")), world.alice)
    assert first.created == 1
    other = {str(i): 2 for i in range(1, 10)}
    for importer, code in ((world.carol, "P-2"), (world.alice, "P-3")):
        with pytest.raises(ImportRefused) as refused:
            run(bundle(response(code, identifier="shared", answers=other)), importer)
        (error,) = refused.value.errors
        assert (error.index, error.field) == (0, "resource.identifier")
        assert "another client" in error.message
        assert "QuestionnaireResponse/" not in repr(refused.value.errors)
    assert count(Administration) == 1
    assert count(Client, Client.code.in_(["P-2", "P-3"])) == 0
    again = run(bundle(response("P-1", identifier="shared")), world.alice)
    assert (again.created, again.unchanged) == (0, 1)  # the owner's re-import is still unchanged
