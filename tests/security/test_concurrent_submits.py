"""Eight simultaneous posts of one score form save one administration and answer alike (no 500).

On PostgreSQL the eight requests are held at their first write (the administration table is
locked IN EXCLUSIVE MODE, tests/jobs/pg_gate.py) until all eight wait there, so every one has
already looked the key up and found nothing: they race on the unique key for real, and seven
get the IntegrityError that used to answer 500. On SQLite (a file database: the in-memory one
shares a single connection between threads) writers queue on the database lock; the requests
start together behind a barrier.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from config import TestingConfig
from outcome_monitor import create_app
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, AuditEvent, Episode, Role, User
from outcome_monitor.services import accounts, care, links, submissions
from tests.conftest import PASSWORD, USING_POSTGRES, login
from tests.jobs.pg_gate import writes_gated

THREADS = 8
PHQ9_FORM = {f"item_{i}": "1" for i in range(1, 10)} | {"session_id": "0"}
SRS_LINK = {"item-1": "8.0", "item-2": "8.5", "item-3": "9.0", "item-4": "9.0"}


@pytest.fixture
def threaded_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """An app whose requests may run in threads at once, on an empty database."""
    if USING_POSTGRES:
        yield app  # the shared app; the app fixture empties the tables afterwards
        return

    class FileConfig(TestingConfig):
        def __init__(self) -> None:
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'race.db'}"

    file_app = create_app(FileConfig)
    with file_app.app_context():
        db.create_all()
        yield file_app
        db.session.remove()
        db.engine.dispose()


def _alice_and_episode() -> tuple[User, Episode]:
    team = accounts.create_team(name="North", by=None)
    alice = accounts.create_user(
        email="alice@example.test",
        display_name="Alice",
        role=Role.THERAPIST,
        password=PASSWORD,
        team=team,
        by=None,
    )
    client = care.create_client(code="R-001", therapist=alice, by=alice)
    return alice, care.open_episode(client=client, opened_on=date(2026, 9, 1), by=alice)


def _gate(table: str) -> contextlib.AbstractContextManager[object]:
    if USING_POSTGRES:
        return writes_gated(table, waiters=THREADS)
    return contextlib.nullcontext(lambda: None)


def _race(app: Flask, post: object, table: str) -> list[tuple[int, str]]:
    """Run ``post()`` in THREADS threads at once; each returns (status, location)."""
    barrier = threading.Barrier(THREADS, timeout=30)
    results: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            barrier.wait()
            results.append(post())  # type: ignore[operator]
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(THREADS)]
    with _gate(table) as release:
        for thread in threads:
            thread.start()
        release()  # type: ignore[operator]
        for thread in threads:
            thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors
    return results


def test_eight_simultaneous_posts_of_one_score_form_save_it_once(threaded_app: Flask) -> None:
    alice, episode = _alice_and_episode()
    with threaded_app.test_request_context():
        token = submissions.issue_form_token(user=alice, episode=episode)
    url = f"/clients/episodes/{episode.id}/measures/phq9"
    first = threaded_app.test_client()
    assert login(first, "alice@example.test").status_code == 302
    cookie = first.get_cookie("session")
    assert cookie is not None
    pending = [threaded_app.test_client() for _ in range(THREADS)]
    for client in pending:  # one login, as eight tabs of one browser would share it
        client.set_cookie(cookie.key, cookie.value)

    def post() -> tuple[int, str]:
        response = pending.pop().post(url, data=PHQ9_FORM | {"submission_key": token})
        return response.status_code, response.headers.get("Location", "")

    results = _race(threaded_app, post, "administration")

    db.session.expire_all()
    saved = db.session.scalars(sa.select(Administration)).one()
    assert results == [(302, f"/clients/administrations/{saved.id}")] * THREADS
    recorded = sa.select(sa.func.count()).where(AuditEvent.action == "administration.record")
    assert db.session.scalar(recorded) == 1


def test_eight_simultaneous_posts_of_a_links_last_page_record_it_once(
    threaded_app: Flask,
) -> None:
    alice, episode = _alice_and_episode()
    issued = links.issue_link(
        episode=episode, codes=["srs"], by=alice, now=datetime.now(UTC), valid_days=4
    )
    links.begin_link(link=issued.link, language="en", now=datetime.now(UTC))
    url = f"/l/{issued.token}/q/srs"

    def post() -> tuple[int, str]:
        response = threaded_app.test_client().post(url, data=SRS_LINK)
        return response.status_code, response.headers.get("Location", "")

    results = _race(threaded_app, post, "draft_answer")

    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Administration)) == 1
    assert {status for status, _ in results} == {302}
    assert {location for _, location in results} == {"/l/done"}
    completed = sa.select(sa.func.count()).where(AuditEvent.action == "link.complete")
    assert db.session.scalar(completed) == 1
