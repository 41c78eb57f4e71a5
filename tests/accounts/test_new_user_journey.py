"""Tried as a new user would: invited by email, a password and MFA from the link, logout ends it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.accounts.helpers import code_for, copied_session, enrol, frozen_clock, invitation_link
from tests.conftest import World, login

PASSWORD = "dora chooses this one"


def test_invited_therapist_sets_a_password_enrols_mfa_and_logs_out(
    app: Flask,
    world: World,
    mail_inbox: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received = mail_inbox
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", ("admin", "supervisor", "therapist"))
    clock = frozen_clock(monkeypatch)

    # The admin invites Dora (the admin enrols first: the role requires it).
    admin = app.test_client()
    login(admin, world.ada)
    enrol(admin, clock.at)
    invited = admin.post(
        "/admin/users",
        data={
            "email": "dora@example.test",
            "display_name": "Dora",
            "role": "therapist",
            "team_id": world.north.id,
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "emailed to dora@example.test" in invited and "/account/setup/" not in invited

    # Dora opens the emailed link, chooses her password and is taken to MFA enrolment.
    dora = app.test_client()
    link = invitation_link(received[-1].get_payload())
    assert "Welcome, Dora" in dora.get(link).get_data(as_text=True)
    response = dora.post(
        link, data={"password": PASSWORD, "confirm": PASSWORD}, follow_redirects=True
    )
    assert "Set up two-factor sign-in" in response.get_data(as_text=True)
    assert dora.get("/clients/").headers["Location"].endswith("/account/mfa")  # nothing else yet
    secret, codes = enrol(dora, clock.at)
    assert len(codes) == 10
    assert dora.get("/clients/").status_code == 200

    # Logging out ends the session, also for a copy of the cookie.
    thief = copied_session(dora, app)
    dora.post("/logout")
    assert thief.get("/clients/").status_code == 302

    # Next day: password, then the code from her app.
    clock.advance(days=1)
    assert login(dora, "dora@example.test", PASSWORD).headers["Location"].startswith("/login/code")
    assert dora.post("/login/code", data={"code": code_for(secret, clock.at)}).status_code == 302
    assert "Caseload" in dora.get("/clients/").get_data(as_text=True)

    # Sam, who supervises North, is told about Dora's new access at his next sign-in.
    sam = app.test_client()
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", ())
    assert login(sam, world.sam).headers["Location"].startswith("/account/access-notices")
    assert "dora@example.test" in sam.get("/account/access-notices").get_data(as_text=True)
