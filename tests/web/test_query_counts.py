"""Constant-query pages (CONVENTIONS §9, issue 12): the caseload, the client page and a score
submission run as many SQL statements for a small caseload or a short episode as for a large
or a long one."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from outcome_monitor.extensions import db
from outcome_monitor.models import Episode, EpisodeStatus
from outcome_monitor.services import care
from tests.builders import count_statements, new_episode, phq9, phq9_sessions, record_sessions, srs
from tests.conftest import World

START = date(2026, 9, 1)


def _statements(client: FlaskClient, method: str, path: str, **kwargs: object) -> int:
    db.session.expire_all()
    with count_statements() as statements:
        response = client.open(path, method=method, **kwargs)  # type: ignore[arg-type]
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    return len(statements)


def _scored_client(world: World, code: str, scores: int, *, risk: bool = False) -> Episode:
    """A client of Alice with ``scores`` weekly PHQ-9 sessions (and an SRS each), deteriorating
    so that alerts are open; ``risk`` answers the risk item at the last one."""
    last = scores - 1
    given = [
        (
            ("phq9", phq9(min(10 + week, 24), item9=1 if risk and week == last else 0)),
            ("srs", srs(30.0 if week == last else 38.0)),
        )
        for week in range(scores)
    ]
    return record_sessions(new_episode(world.alice, code), *given, by=world.alice)


def _caseload(world: World, n: int, start: int = 0) -> None:
    for i in range(start, n):
        _scored_client(world, f"Q-{i:03}", 2, risk=i % 3 == 0)


@pytest.mark.slow
@pytest.mark.parametrize("sort", ["attention", "client", "last_session", "sessions"])
def test_caseload_queries_do_not_grow_with_the_clients(
    login_as, world: World, sort: str
) -> None:
    client = login_as(world.alice)
    _caseload(world, 3)
    small = _statements(client, "GET", f"/clients/?sort={sort}")

    _caseload(world, 30, start=3)
    large = _statements(client, "GET", f"/clients/?sort={sort}")

    assert large == small
    page = client.get(f"/clients/?sort={sort}").get_data(as_text=True)
    assert "Q-029" in page or "Q-000" in page


@pytest.mark.slow
def test_supervisor_caseload_queries_do_not_grow_with_the_clients(
    login_as, world: World
) -> None:
    client = login_as(world.sam)
    _caseload(world, 3)
    small = _statements(client, "GET", "/clients/")

    _caseload(world, 30, start=3)

    assert _statements(client, "GET", "/clients/") == small


@pytest.mark.slow
def test_client_page_queries_do_not_grow_with_the_scores(login_as, world: World) -> None:
    short = _scored_client(world, "S-SHORT", 3, risk=True)
    long = _scored_client(world, "S-LONG", 30, risk=True)
    client = login_as(world.alice)

    few = _statements(client, "GET", f"/clients/{short.client_id}")
    many = _statements(client, "GET", f"/clients/{long.client_id}")

    assert many == few


def _steady_client(world: World, code: str, scores: int) -> Episode:
    """An intake of 10, then PHQ-9 20 at every session: the same open alerts from session 4
    on, however long the episode (so a new 20 changes the same rows in a short and a long
    episode, and only the length differs)."""
    totals = [10 if week == 0 else 20 for week in range(scores)]
    return record_sessions(new_episode(world.alice, code), *phq9_sessions(*totals), by=world.alice)


@pytest.mark.slow
def test_score_submission_queries_do_not_grow_with_the_scores(login_as, world: World) -> None:
    short = _steady_client(world, "P-SHORT", 5)
    long = _steady_client(world, "P-LONG", 30)
    client = login_as(world.alice)

    counts = []
    for episode in (short, long):
        session = care.record_session(
            episode=episode, session_date=START + timedelta(weeks=40), attended=True, by=world.alice
        )
        answers = {f"item_{k}": int(v) for k, v in phq9(20).items()}
        path = f"/clients/episodes/{episode.id}/measures/phq9"
        counts.append(_statements(client, "POST", path, data=answers | {"session_id": session.id}))

    assert counts[0] == counts[1]
    assert counts[0] < 40


def test_caseload_pages_hold_fifty_clients(login_as, world: World) -> None:
    for i in range(52):
        new_episode(world.alice, f"N-{i:03}")
    client = login_as(world.alice)

    first = client.get("/clients/?sort=client").get_data(as_text=True)
    second = client.get("/clients/?sort=client&page=2").get_data(as_text=True)

    assert "A-001" in first and "N-048" in first and "N-049" not in first
    assert "N-049" in second and "N-051" in second and "A-001" not in second
    assert "1–50 of 53" in first and "51–53 of 53" in second
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_a_caseload_page_past_the_end_still_knows_the_total(login_as, world: World) -> None:
    # The page carries its total on every row (count(*) OVER ()); an empty page asks apart.
    for i in range(52):
        new_episode(world.alice, f"N-{i:03}")
    client = login_as(world.alice)

    past = client.get("/clients/?sort=client&page=3")

    assert past.status_code == 200
    text = past.get_data(as_text=True)
    assert "N-0" not in text and "A-001" not in text
    assert "No rows on this page (53 in all)." in text
    assert 'rel="prev"' in text and "Page 3 of 2" in text


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5"])
def test_a_bad_page_number_shows_the_first_page_with_a_message(
    login_as, world: World, bad: str
) -> None:
    response = login_as(world.alice).get(f"/clients/?page={bad}")

    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "The page number must be a whole number from 1" in text
    assert "A-001" in text


def test_an_episode_without_a_stored_status_shows_grey(login_as, world: World) -> None:
    from outcome_monitor.models.case_status import CaseStatus

    db.session.execute(sa.delete(CaseStatus))
    db.session.commit()

    text = login_as(world.alice).get("/clients/").get_data(as_text=True)

    assert "grey: status not computed yet" in text
    assert "A-001" in text




def _returning_client(world: World, code: str, past: int) -> int:
    """A client of Alice's with ``past`` closed episodes (a few sessions each) and an open one."""
    client = care.create_client(code=code, therapist=world.alice, by=world.alice)
    opened = START - timedelta(days=400)
    for _ in range(past):
        episode = care.open_episode(client=client, opened_on=opened, by=world.alice)
        for week in range(3):
            care.record_session(episode=episode, session_date=opened + timedelta(weeks=week),
                                attended=True, by=world.alice)  # fmt: skip
        care.close_episode(
            episode=episode, closed_on=opened + timedelta(weeks=4),
            status=EpisodeStatus.CLOSED, reason="", by=world.alice,
        )  # fmt: skip
        opened += timedelta(weeks=6)
    care.open_episode(client=client, opened_on=START, by=world.alice)
    return client.id


def test_client_page_queries_do_not_grow_with_past_episodes(login_as, world: World) -> None:
    """The past episodes' session counts come with the client, not one query per episode."""
    once = _returning_client(world, "R-ONCE", 1)
    often = _returning_client(world, "R-OFTEN", 5)
    client = login_as(world.alice)

    assert _statements(client, "GET", f"/clients/{often}") == _statements(
        client, "GET", f"/clients/{once}"
    )
    page = client.get(f"/clients/{often}").get_data(as_text=True)
    assert page.count(", 3 sessions") == 5


def test_a_score_post_loads_each_row_once(login_as, world: World) -> None:
    """The user and the client are read once (the session keeps objects only while something
    refers to them: the access check hands the client to the episode), and nothing is read
    again after the commit to answer with the redirect or to audit it."""
    episode = _steady_client(world, "P-ONCE", 5)
    client = login_as(world.alice)
    answers = {f"item_{k}": int(v) for k, v in phq9(20).items()}
    db.session.expire_all()
    with count_statements() as statements:
        response = client.post(
            f"/clients/episodes/{episode.id}/measures/phq9", data=answers | {"session_id": 0}
        )
    assert response.status_code == 302
    # The rows each SELECT loads: the tables of its own FROM and JOINs, not of its subqueries
    # (the episode comes with its client; the access check's subquery names the user table).
    read_from = Counter(
        table
        for statement in statements
        if statement.lstrip().startswith("SELECT")
        for table in set(re.findall(r'\s(?:FROM|JOIN)\s+"?(\w+)', _outer(statement)))
    )
    assert read_from["user"] == 1 and read_from["client"] == 1, read_from
    assert not [s for s in statements if re.search(r"WHERE administration\.id = ", s)]


def _outer(statement: str) -> str:
    """``statement`` without its parenthesised parts (subqueries, argument lists)."""
    while (inner := re.sub(r"\([^()]*\)", "", statement)) != statement:
        statement = inner
    return statement
