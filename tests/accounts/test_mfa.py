"""Two-factor sign-in: enrolment with a QR code, the second login step, recovery codes, roles."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from outcome_monitor.extensions import db
from outcome_monitor.models import AuditEvent, RecoveryCode
from outcome_monitor.services import ServiceError, mfa
from tests.accounts.helpers import SECRET, code_for, enrol, frozen_clock
from tests.conftest import PASSWORD, World, count, login


def test_the_enrolment_page_draws_the_qr_code_as_inline_svg(login_as, world: World) -> None:
    page = login_as(world.alice).get("/account/mfa").get_data(as_text=True)
    assert '<div class="qr"><svg' in page
    assert "<img" not in page.split('<div class="qr">')[1].split("</div>")[0]
    assert SECRET.search(page)


def test_a_wrong_code_does_not_turn_it_on(login_as, world: World) -> None:
    client = login_as(world.alice)
    client.get("/account/mfa")
    page = client.post("/account/mfa", data={"code": "000000"}).get_data(as_text=True)
    assert "does not match" in page
    db.session.refresh(world.alice)
    assert not world.alice.mfa_enabled


def test_enrolment_shows_recovery_codes_once_and_stores_only_digests(
    login_as, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    _secret, codes = enrol(login_as(world.alice), clock.at)
    stored = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert len(stored) == 10
    assert not stored & set(codes)
    assert hashlib.sha256(codes[0].replace("-", "").encode()).hexdigest() in stored
    assert count(AuditEvent, AuditEvent.action == "user.mfa_enable") == 1


def test_login_needs_the_code_after_the_password(
    client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    login(client, world.alice)
    secret, _codes = enrol(client, clock.at)
    client.post("/logout")
    clock.advance(seconds=30)
    response = login(client, world.alice)
    assert response.headers["Location"].startswith("/login/code")
    assert client.get("/clients/").status_code == 302  # not signed in yet
    assert client.post("/login/code", data={"code": "123456"}).status_code == 200
    response = client.post("/login/code", data={"code": code_for(secret, clock.at)})
    assert response.status_code == 302
    assert client.get("/clients/").status_code == 200


def test_a_code_cannot_be_used_twice(
    client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    login(client, world.alice)
    secret, _codes = enrol(client, clock.at)
    client.post("/logout")
    clock.advance(seconds=30)
    code = code_for(secret, clock.at)
    login(client, world.alice)
    client.post("/login/code", data={"code": code})
    client.post("/logout")
    login(client, world.alice)
    page = client.post("/login/code", data={"code": code}).get_data(as_text=True)
    assert "not right, or was used already" in page
    assert client.get("/clients/").status_code == 302


def test_a_recovery_code_signs_in_once(
    client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    login(client, world.alice)
    _secret, codes = enrol(client, clock.at)
    for expected in (302, 200):
        client.post("/logout")
        login(client, world.alice)
        assert client.post("/login/code", data={"code": codes[0].upper()}).status_code == expected


def test_the_second_step_expires(
    client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    login(client, world.alice)
    secret, _codes = enrol(client, clock.at)
    client.post("/logout")
    login(client, world.alice)
    clock.advance(minutes=6)
    response = client.post("/login/code", data={"code": code_for(secret, clock.at)})
    assert response.headers["Location"].endswith("/login")
    assert client.get("/clients/").status_code == 302


def test_a_password_reset_between_the_steps_refuses_the_code(
    client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from outcome_monitor.services import invitations

    clock = frozen_clock(monkeypatch)
    login(client, world.alice)
    secret, _codes = enrol(client, clock.at)
    client.post("/logout")
    clock.advance(seconds=30)
    login(client, world.alice)
    invitations.issue_password_reset(
        user=world.alice, by=world.ada, now=clock.at, valid_for=timedelta(hours=1)
    )
    client.post("/login/code", data={"code": code_for(secret, clock.at)})
    assert client.get("/clients/").status_code == 302


def test_enrolling_ends_the_other_sessions(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    other = app.test_client()
    login(other, world.alice)
    login(client, world.alice)
    enrol(client, clock.at)
    assert client.get("/clients/").status_code == 200
    assert other.get("/clients/").status_code == 302


def test_a_required_role_is_sent_to_enrolment_and_reaches_nothing_else(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", ("admin", "supervisor"))
    clock = frozen_clock(monkeypatch)
    assert login(client, world.sam).headers["Location"].endswith("/account/mfa")
    for path in (
        "/clients/",
        "/alerts/",
        f"/clients/{world.alices_client.id}",
        "/account/password",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/account/mfa"
        ), path
    assert "Your role requires" in client.get("/account/mfa").get_data(as_text=True)
    enrol(client, clock.at)
    assert client.get("/clients/").status_code == 200


def test_an_unlisted_role_is_not_forced(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", ("admin", "supervisor"))
    assert login(client, world.alice).headers["Location"].endswith("/clients/")
    assert client.get("/clients/").status_code == 200


def test_with_no_required_roles_nobody_is_forced(client: FlaskClient, world: World) -> None:
    assert login(client, world.ada).headers["Location"].endswith("/admin/users")
    assert client.get("/admin/users").status_code == 200


def test_a_required_role_cannot_turn_it_off(world: World) -> None:
    with pytest.raises(ServiceError, match="requires"):
        mfa.disable(user=world.sam, password=PASSWORD, required=True)


def test_turning_it_off_needs_the_password(
    login_as, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    client = login_as(world.alice)
    enrol(client, clock.at)
    assert "not your current password" in client.post(
        "/account/mfa/off", data={"password": "wrong one!"}
    ).get_data(as_text=True)
    client.post("/account/mfa/off", data={"password": PASSWORD})
    db.session.refresh(world.alice)
    assert not world.alice.mfa_enabled
    assert count(RecoveryCode) == 0


def test_new_recovery_codes_replace_the_old(
    login_as, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    client = login_as(world.alice)
    secret, old = enrol(client, clock.at)
    clock.advance(seconds=30)
    page = client.post("/account/mfa/recovery-codes", data={"code": code_for(secret, clock.at)})
    new = [c for c in page.get_data(as_text=True).split("<code>")[1:]]
    assert len(new) == 10
    db.session.expire_all()
    digests = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert hashlib.sha256(old[0].replace("-", "").encode()).hexdigest() not in digests


def test_an_admin_removes_a_lost_authenticator(
    client: FlaskClient, login_as, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_clock(monkeypatch)
    login(client, world.alice)
    enrol(client, clock.at)
    client.post("/logout")
    admin = login_as(world.ada)
    admin.post(f"/admin/users/{world.alice.id}/mfa-reset")
    admin.post("/logout")
    db.session.refresh(world.alice)
    assert not world.alice.mfa_enabled
    assert login(client, world.alice).headers["Location"].endswith("/clients/")


def test_the_account_pages_render(login_as, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = frozen_clock(monkeypatch)
    client = login_as(world.alice)
    assert "Set up two-factor sign-in" in client.get("/account").get_data(as_text=True)
    enrol(client, clock.at)
    page = client.get("/account").get_data(as_text=True)
    assert "Recovery codes left: 10" in page
    for path in ("/account/password", "/account/mfa/recovery-codes", "/account/mfa/off"):
        assert client.get(path).status_code == 200, path
    assert client.get("/account/mfa").headers["Location"].endswith("/account")


def test_a_code_of_non_ascii_digits_is_refused_not_a_server_error() -> None:
    from datetime import UTC, datetime

    from outcome_monitor.services import mfa

    # Arabic-Indic digits pass str.isdigit(); they must be refused like any wrong code
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert mfa._matching_step(secret, "١٢٣٤٥٦", datetime.now(UTC)) is None
