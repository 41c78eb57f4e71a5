"""Every view of a client's record, and every refused attempt, writes one audit event."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask, Response

from outcome_monitor.extensions import db
from outcome_monitor.models import (
    AuditEvent,
    AuditOutcome,
    Client,
    EntryMode,
    Team,
    TokenScope,
    User,
)
from outcome_monitor.services import api_tokens, audit, measures
from outcome_monitor.web import read_audit
from tests.builders import count_statements
from tests.conftest import USING_POSTGRES, World

PHQ9 = {str(i): 1.0 for i in range(1, 10)}


def events(action: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def reads() -> list[AuditEvent]:
    """The events written by the read audit (they carry the request's method and path)."""
    return [e for e in events() if "path" in e.details and "method" in e.details]


def _score(world: World) -> int:
    episode = world.alices_client.current_episode
    recorded = measures.record_administration(
        episode=episode,
        session_id=None,
        instrument_code="phq9",
        answers=PHQ9,
        entry_mode=EntryMode.THERAPIST,
        by=world.alice,
    )
    return recorded.administration.id


def test_opening_own_client_writes_one_allowed_read_naming_the_client(
    login_as, world: World
) -> None:
    client = login_as(world.alice)
    assert client.get(f"/clients/{world.alices_client.id}").status_code == 200
    [event] = events("client.view")
    assert (event.actor_id, event.outcome, event.client_code) == (
        world.alice.id,
        AuditOutcome.ALLOWED,
        "A-001",
    )
    assert (event.object_type, event.object_id) == ("Client", str(world.alices_client.id))
    assert event.details == {
        "method": "GET",
        "path": f"/clients/{world.alices_client.id}",
        "status": 200,
    }
    assert event.at <= datetime.now(UTC)


def test_a_foreign_client_is_denied_with_its_code_and_a_missing_one_without(
    login_as, world: World
) -> None:
    client = login_as(world.alice)
    foreign = client.get(f"/clients/{world.carols_client.id}")
    missing = client.get("/clients/999999")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data() == missing.get_data()  # the audit tells them apart, not the user
    denied = [(e.outcome, e.client_code, e.object_id) for e in events("client.view")]
    assert denied == [
        (AuditOutcome.DENIED, "C-001", str(world.carols_client.id)),
        (AuditOutcome.DENIED, None, "999999"),
    ]


def test_chart_data_is_audited_allowed_and_denied(login_as, world: World) -> None:
    client = login_as(world.alice)
    own = world.alices_client.current_episode.id
    foreign = world.carols_client.current_episode.id
    assert client.get(f"/clients/episodes/{own}/chart.json").status_code == 200
    assert client.get(f"/clients/episodes/{foreign}/chart.json").status_code == 404
    found = [(e.outcome, e.client_code, e.object_type) for e in events("chart.view")]
    assert found == [
        (AuditOutcome.ALLOWED, "A-001", "Episode"),
        (AuditOutcome.DENIED, "C-001", "Episode"),
    ]


def test_a_score_page_is_audited_and_refused_to_another_team(
    client, login_as, world: World
) -> None:
    administration_id = _score(world)
    assert (
        login_as(world.alice).get(f"/clients/administrations/{administration_id}").status_code
        == 200
    )
    client.post("/logout")
    login_as(world.carol).get(f"/clients/administrations/{administration_id}")
    found = [(e.actor_id, e.outcome, e.client_code) for e in events("administration.view")]
    assert found == [
        (world.alice.id, AuditOutcome.ALLOWED, "A-001"),
        (world.carol.id, AuditOutcome.DENIED, "A-001"),
    ]


def test_a_refused_write_on_a_foreign_episode_is_audited(login_as, world: World) -> None:
    episode = world.carols_client.current_episode
    response = login_as(world.alice).post(
        f"/clients/episodes/{episode.id}/sessions", data={"session_date": "2026-10-01"}
    )
    assert response.status_code == 404
    [event] = events("clients.record_session")
    assert (event.actor_id, event.outcome, event.client_code) == (
        world.alice.id,
        AuditOutcome.DENIED,
        "C-001",
    )
    assert event.details["method"] == "POST"


def test_an_anonymous_attempt_is_denied_without_an_actor(client, world: World) -> None:
    response = client.get(f"/clients/{world.alices_client.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    [event] = events("client.view")
    assert (event.actor_id, event.outcome, event.client_code) == (
        None,
        AuditOutcome.DENIED,
        "A-001",
    )


def test_the_admin_reaching_for_the_caseload_is_denied(login_as, world: World) -> None:
    assert login_as(world.ada).get("/clients/").status_code == 404
    [event] = events("caseload.view")
    assert (event.actor_id, event.outcome, event.client_code) == (
        world.ada.id,
        AuditOutcome.DENIED,
        None,
    )


def test_pages_about_no_client_write_nothing(login_as, world: World) -> None:
    client = login_as(world.ada)
    before = len(events())
    assert client.get("/admin/users").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert len(events()) == before


def test_a_read_costs_one_statement_and_no_extra_query(app: Flask, login_as, world: World) -> None:
    client = login_as(world.alice)
    path = f"/clients/{world.alices_client.id}"
    client.get(path)  # warm caches (settings, instruments)
    with count_statements() as seen:
        client.get(path)
    audit_statements = [s for s in seen if "audit_event" in s]
    assert len(audit_statements) == 1
    assert audit_statements[0].lstrip().upper().startswith("INSERT INTO AUDIT_EVENT")


def test_fhir_reads_are_audited_with_the_client_they_name(client, world: World) -> None:
    issued = api_tokens.create_token(
        user=world.alice,
        name="t",
        scope=TokenScope.READ,
        expires_days=1,
        by=world.alice,
        now=datetime.now(UTC),
    )
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issued.secret}"
    client.get("/fhir/r4/Observation?patient=A-001")
    client.get("/fhir/r4/QuestionnaireResponse?patient=C-001")
    client.get(f"/fhir/r4/Patient/{world.carols_client.id}")
    found = [(e.outcome, e.client_code) for e in events() if e.action.startswith("fhir.")]
    assert found == [
        (AuditOutcome.ALLOWED, "A-001"),
        (AuditOutcome.DENIED, "C-001"),
        (AuditOutcome.DENIED, "C-001"),
    ]


def test_api_reads_are_audited_once(client, world: World) -> None:
    issued = api_tokens.create_token(
        user=world.alice,
        name="t",
        scope=TokenScope.READ,
        expires_days=1,
        by=world.alice,
        now=datetime.now(UTC),
    )
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get(f"/api/clients/{world.alices_client.id}", headers=headers).status_code == 200
    about_the_client = [e for e in events() if e.client_code == "A-001" and e.actor_id]
    assert [e.outcome for e in about_the_client if e.details.get("status") == 200] == [
        AuditOutcome.ALLOWED
    ]


def test_an_audit_failure_fails_the_read_closed_and_is_logged(
    login_as, world: World, monkeypatch, caplog
) -> None:
    client = login_as(world.alice)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(read_audit, "_write", broken)
    with caplog.at_level(logging.ERROR, logger=read_audit.__name__):
        page = client.get(f"/clients/{world.alices_client.id}")
        chart = client.get(f"/clients/episodes/{world.alices_client.current_episode.id}/chart.json")
        refused = client.get(f"/clients/{world.carols_client.id}")
    assert page.status_code == 503 and "A-001" not in page.get_data(as_text=True)
    assert chart.status_code == 503 and chart.is_json
    assert refused.status_code == 404  # nothing was shown: the refusal stands
    assert len([r for r in caplog.records if "not written" in r.getMessage()]) == 3


def test_a_request_that_audited_itself_is_not_audited_twice(app: Flask, world: World) -> None:
    with app.test_request_context(f"/clients/{world.alices_client.id}"):
        app.preprocess_request()
        read_audit.mark_recorded()
        read_audit.audit_response(Response(status=404))
    assert events("client.view") == []


def test_ids_beyond_the_database_range_name_no_client() -> None:
    assert read_audit.SUBJECTS["client_id"].code_of(2**70) is None
    assert read_audit.SUBJECTS["episode_id"].code_of("abc") is None
    assert read_audit.SUBJECTS["client_code"].code_of("X" * 41) is None


def test_registering_a_read_with_an_unknown_kind_of_id_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown audit subject"):
        read_audit.register_read("x.y", "x.view", arg="patient_number")
    with pytest.raises(ValueError, match="unknown audit subject"):
        read_audit.audited_read("x.view", arg="patient_number")


def test_the_client_code_a_request_names_is_found_for_code_that_audits_itself(
    app: Flask, world: World
) -> None:
    with app.test_request_context("/fhir/r4/Observation?patient=C-001"):
        assert read_audit.requested_client_code() == "C-001"
    episode = world.alices_client.current_episode
    with app.test_request_context(f"/clients/episodes/{episode.id}/chart.json"):
        assert read_audit.requested_client_code() == "A-001"
    with app.test_request_context("/clients/424242"):
        assert read_audit.requested_client_code() is None


def test_downloading_the_list_of_episodes_with_client_codes_is_audited(
    login_as, world: World
) -> None:
    from tests.report_seed import seed

    seed(world)
    query = "date_from=2026-01-01&date_to=2026-12-31"
    response = login_as(world.bob).get(f"/reports/outcomes/episodes.csv?{query}")
    assert response.status_code == 200
    [event] = events("report.episodes_export")
    assert (event.actor_id, event.outcome, event.client_code) == (
        world.bob.id,
        AuditOutcome.ALLOWED,
        None,
    )
    assert event.details["path"] == f"/reports/outcomes/episodes.csv?{query}"


def _read_event() -> None:
    audit.record_read(
        actor_id=None,
        action="test.read",
        object_type="Page",
        object_id=None,
        details={},
        outcome=AuditOutcome.ALLOWED,
        client_code=None,
        at=datetime.now(UTC),
    )


@pytest.mark.parametrize("flushed", [False, True])
def test_a_read_event_never_saves_what_the_request_left_uncommitted(
    world: World, flushed: bool
) -> None:
    world.alice.display_name = "Not saved"
    if flushed:
        db.session.flush()  # written to the transaction, not committed
    _read_event()
    db.session.expire_all()
    assert world.alice.display_name == "Alice"
    assert len(events("test.read")) == 1


def test_a_read_event_after_an_unchanged_page_keeps_what_was_loaded(world: World) -> None:
    alice = db.session.get(User, world.alice.id)
    assert alice is not None and alice.display_name == "Alice"  # loaded
    _read_event()
    assert "display_name" in sa.inspect(alice).dict  # not expired: nothing changed
    assert len(events("test.read")) == 1
    alice.display_name = "Changed later"
    db.session.commit()  # the session expires on commit again afterwards
    assert "display_name" not in sa.inspect(alice).dict


def _fresh_name(user_id: int) -> str:
    with db.engine.connect() as connection:
        return connection.scalar(sa.select(User.display_name).where(User.id == user_id))


def _audit_rows() -> int:
    with db.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "test.read"))


# ---- regressions found by a helper attacking the first version of the fast path -------------


def test_audit_never_saves_an_uncommitted_core_update(world: World) -> None:
    """a Core/ORM-bulk UPDATE is neither in session.new/dirty/deleted
    nor a flush, so record_read skips its rollback and its commit saves the request's
    uncommitted write."""
    alice_id = world.alice.id
    db.session.execute(sa.update(User).where(User.id == alice_id).values(display_name="Not saved"))
    _read_event()
    assert _audit_rows() == 1
    assert _fresh_name(alice_id) == "Alice"


@pytest.mark.skipif(
    not USING_POSTGRES,
    reason="pysqlite commits a SAVEPOINT's work at RELEASE when no BEGIN came before it "
    "(no code of the app uses savepoints)",
)
def test_audit_never_saves_an_uncommitted_core_update_in_a_savepoint(world: World) -> None:
    alice_id = world.alice.id
    with db.session.begin_nested():
        db.session.execute(
            sa.update(User)
            .where(User.id == alice_id)
            .values(display_name="Not saved")
            .execution_options(synchronize_session=False)
        )
    _read_event()
    assert _fresh_name(alice_id) == "Alice"


def test_audit_never_saves_an_uncommitted_bulk_insert(world: World) -> None:
    db.session.execute(sa.insert(Team), [{"name": "Ghost"}])
    _read_event()
    with db.engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).where(Team.name == "Ghost")) == 0


def test_audit_after_a_caught_failed_flush_is_written_and_saves_nothing(world: World) -> None:
    """after a failed flush the session is inactive but new/dirty are
    empty and no flush was noted, so no rollback: the audit INSERT raises PendingRollbackError
    (an allowed read turns 503, a denied one loses its row)."""
    db.session.add(Team(name="North"))  # a duplicate name
    db.session.add(Team(name="Fresh"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    _read_event()
    assert _audit_rows() == 1
    with db.engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).where(Team.name == "Fresh")) == 0


def test_audit_after_a_caught_failed_flush_in_a_savepoint(world: World) -> None:
    world.bob.display_name = "Flushed"
    db.session.flush()
    try:
        with db.session.begin_nested():
            db.session.add(Team(name="North"))
    except sa.exc.IntegrityError:
        pass
    _read_event()
    assert _fresh_name(world.bob.id) == "Bob"


@pytest.mark.skipif(not USING_POSTGRES, reason="an aborted transaction is PostgreSQL's")
def test_audit_is_written_after_a_caught_statement_error(world: World) -> None:
    """A view that caught a failed statement (and did not roll back) still gets its row; it
    did before the change, whose unconditional rollback cleared the aborted transaction."""
    with pytest.raises(sa.exc.DBAPIError):
        db.session.execute(sa.text("SELECT 1/0"))
    _read_event()
    assert _audit_rows() == 1


def test_a_later_request_in_the_same_app_context_sees_a_changed_client(
    login_as, world: World
) -> None:
    """Only where one app context serves several requests (tests, a CLI command):
    the audit commit no longer expires, so the second page shows the identity map's stale
    code. Production (one app context per request) is not affected."""
    client = login_as(world.alice)
    cid = world.alices_client.id
    assert "A-001" in client.get(f"/clients/{cid}").get_data(as_text=True)
    with db.engine.begin() as connection:
        connection.execute(sa.update(Client).where(Client.id == cid).values(code="A-999"))
    assert "A-999" in client.get(f"/clients/{cid}").get_data(as_text=True)
