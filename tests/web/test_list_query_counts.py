"""The lists of issue 12 (synthetic data): a constant number of queries per page at two data
sizes, and pagination, sorting and filters done by the database.

Counted with SQLAlchemy's ``before_cursor_execute`` event; each request runs on an expired
session, as a fresh request would."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from outcome_monitor.core.alerts import AlertType
from outcome_monitor.core.supervision import CaseFilter, QueueFlag, queue_counts
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Alert,
    AuditEvent,
    AuditOutcome,
    Client,
    Episode,
    EpisodeStatus,
    Role,
    Team,
    User,
)
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import accounts, alerting, attention, care, review_queue, supervision
from outcome_monitor.services.paging import PAGE_SIZE
from tests.api.conftest import give, issue
from tests.builders import NOW, count_statements, crisis, flagged_case, insert_closed_episodes, phq9
from tests.conftest import PASSWORD, World, count

TODAY = date.today()
SIZES = (3, 40)
REPORT_PERIOD = f"date_from=2025-01-01&date_to={TODAY.isoformat()}&measure=phq9"


def _queries(client: FlaskClient, path: str, **headers: str) -> tuple[int, str]:
    db.session.expire_all()
    with count_statements() as statements:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return len(statements), response.get_data(as_text=True)


def _tbody(text: str) -> str:
    return text.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in text else ""


def _queue_rows(text: str) -> list[str]:
    return re.findall(r'id="case-\d+">\s*<td><a [^>]*>([A-Z]-\d{3})</a>', _tbody(text))


# ---- data ---------------------------------------------------------------------------------


def _supervise_both_teams(world: World) -> None:
    accounts.assign_teams(
        user=world.sam, team=None, supervised=[world.north, world.south], by=world.ada
    )


def _asked(world: World, therapist: User, code: str) -> None:
    """A client whose therapist asked for supervision: a case in the queue without alerts."""
    client = care.create_client(code=code, therapist=therapist, by=therapist)
    episode = care.open_episode(client=client, opened_on=date(2026, 9, 1), by=therapist)
    supervision.request_supervision(episode=episode, by=therapist, note="", now=NOW)


def _queue_cases(world: World, n: int, start: int = 0) -> None:
    """``n`` cases, by turns Bob's (North) and Carol's (South)."""
    for i in range(start, start + n):
        therapist = world.bob if i % 2 else world.carol
        _asked(world, therapist, f"{'B' if i % 2 else 'C'}-{100 + i:03d}")


def _flagged_by_alerts(world: World) -> None:
    """Two of Alice's cases with real alerts (a risk item, and a worse score)."""
    episode = world.alices_client.current_episode
    assert episode is not None
    give(episode, world.alice, phq9(12), weeks=0)
    give(episode, world.alice, phq9(21, item9=2), weeks=1)


def _users(world: World, n: int, start: int = 0) -> None:
    north, south = db.session.get(Team, world.north.id), db.session.get(Team, world.south.id)
    for i in range(start, start + n):
        accounts.create_user(
            email=f"user{i:03d}@example.test",
            display_name=f"User {i:03d}",
            role=Role.THERAPIST,
            password=PASSWORD,
            team=north if i % 2 else south,
            by=None,
        )


def _events(world: World, n: int, start: int = 0) -> None:
    at = utcnow() - timedelta(days=1)
    db.session.execute(
        sa.insert(AuditEvent),
        [
            {
                "actor_id": world.alice.id if i % 2 else None,
                "action": "client.view",
                "object_type": "Client",
                "object_id": str(world.alices_client.id),
                "at": at + timedelta(seconds=i),
                "details": {},
                "outcome": AuditOutcome.DENIED if i % 5 == 0 else AuditOutcome.ALLOWED,
                "client_code": "A-001",
            }
            for i in range(start, start + n)
        ],
    )
    db.session.commit()


# ---- constant queries ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", ["/alerts/", "/alerts/?team={north}"], ids=["all teams", "one team"]
)
def test_the_queue_runs_the_same_queries_for_3_and_40_cases(
    login_as, world: World, path: str
) -> None:
    _supervise_both_teams(world)
    _flagged_by_alerts(world)
    url = path.format(north=world.north.id)
    client = login_as(world.sam)
    _queue_cases(world, 2 * SIZES[0])
    small, text = _queries(client, url)
    assert len(_queue_rows(text)) >= SIZES[0]
    _queue_cases(world, 2 * (SIZES[1] - SIZES[0]), start=2 * SIZES[0])
    many, text = _queries(client, url)
    assert len(_queue_rows(text)) >= SIZES[1]
    assert many == small


def test_the_audit_list_runs_the_same_queries_for_3_and_40_events(login_as, world: World) -> None:
    client = login_as(world.ada)
    _events(world, SIZES[0])
    small, _text = _queries(client, "/admin/audit")
    _events(world, SIZES[1] - SIZES[0], start=SIZES[0])
    many, text = _queries(client, "/admin/audit")
    assert many == small
    total = count(AuditEvent)  # the 40 and what the world's set-up and the logins recorded
    assert f"1–{min(total, PAGE_SIZE)} of {total}" in text  # the position and the total


def test_the_users_list_runs_the_same_queries_for_3_and_40_users(login_as, world: World) -> None:
    accounts.assign_teams(user=world.sam, team=None, supervised=[world.north], by=world.ada)
    client = login_as(world.ada)
    _users(world, SIZES[0])
    small, _text = _queries(client, "/admin/users")
    _users(world, SIZES[1] - SIZES[0], start=SIZES[0])
    many, text = _queries(client, "/admin/users")
    assert many == small
    assert "user039@example.test" in text


def test_the_report_drill_down_runs_the_same_queries_for_3_and_40_episodes(
    login_as, world: World
) -> None:
    client = login_as(world.sam)
    insert_closed_episodes(world.alice, n=SIZES[0], seed=1)
    path = f"/reports/outcomes/episodes?{REPORT_PERIOD}"
    small, text = _queries(client, path)
    assert len(re.findall(r'<tr id="episode-', text)) == SIZES[0]
    insert_closed_episodes(world.bob, n=SIZES[1] - SIZES[0], seed=2)
    many, text = _queries(client, path)
    assert len(re.findall(r'<tr id="episode-', text)) == SIZES[1]
    assert many == small


@pytest.mark.slow
def test_the_api_alert_list_runs_the_same_queries_for_3_and_40_clients(
    client, world: World
) -> None:
    secret = issue(world.alice)

    def flagged(n: int, start: int) -> None:
        for i in range(start, start + n):
            patient = care.create_client(code=f"Q-{i:03d}", therapist=world.alice, by=world.alice)
            episode = care.open_episode(client=patient, opened_on=date(2026, 9, 1), by=world.alice)
            give(episode, world.alice, phq9(20, item9=2), weeks=0)

    flagged(SIZES[0], 0)
    small, text = _queries(client, "/api/alerts?limit=100", Authorization=f"Bearer {secret}")
    flagged(SIZES[1] - SIZES[0], SIZES[0])
    many, text = _queries(client, "/api/alerts?limit=100", Authorization=f"Bearer {secret}")
    assert many == small
    assert text.count('"episode_id"') >= SIZES[1]


# ---- pagination, sorting and filters in SQL -----------------------------------------------


@pytest.mark.slow
def test_the_queue_pages_by_50_in_the_databases_order(login_as, world: World) -> None:
    _flagged_by_alerts(world)
    for i in range(PAGE_SIZE + 4):
        _asked(world, world.bob, f"B-{200 + i:03d}")
    client = login_as(world.sam)
    first = client.get("/alerts/").get_data(as_text=True)
    second = client.get("/alerts/?page=2").get_data(as_text=True)
    rows = _queue_rows(first) + _queue_rows(second)
    assert len(_queue_rows(first)) == PAGE_SIZE and len(_queue_rows(second)) == 5
    # Alice's risk case first; then the requests, equal in need, by client code.
    assert rows[0] == "A-001"
    assert rows[1:] == sorted(rows[1:]) and len(set(rows)) == PAGE_SIZE + 5
    assert 'id="count-cases">55<' in second  # the counts are of the whole queue
    assert 'rel="next"' in first and 'rel="prev"' in second and 'rel="next"' not in second
    assert "51–55 of 55" in second
    filtered = client.get("/alerts/?reason=supervision_requested&page=2").get_data(as_text=True)
    assert _queue_rows(filtered) == rows[51:]  # filters in SQL, the page after them
    assert "page=2" in first and "reason=supervision_requested" in filtered


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "²"])
def test_a_bad_queue_page_is_a_clear_400(login_as, world: World, value: str) -> None:
    response = login_as(world.sam).get(f"/alerts/?page={value}")
    assert response.status_code == 400
    assert "The page number must be a whole number from 1" in response.get_data(as_text=True)


def test_a_queue_page_past_the_end_is_empty_with_a_way_back(login_as, world: World) -> None:
    _asked(world, world.bob, "B-300")
    response = login_as(world.sam).get("/alerts/?page=99999999999999999999")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert _queue_rows(text) == [] and "Back to the first page" in text


def test_the_audit_list_pages_newest_first_and_checks_the_page(login_as, world: World) -> None:
    client = login_as(world.ada)
    _events(world, PAGE_SIZE + 10)
    first = client.get("/admin/audit").get_data(as_text=True)
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    times = re.findall(r'<time datetime="([^"]+)"', first) + re.findall(
        r'<time datetime="([^"]+)"', second
    )
    assert times == sorted(times, reverse=True) and len(times) >= PAGE_SIZE + 10
    assert "Older" in first and "Newer" in second
    bad = client.get("/admin/audit?page=abc")
    assert bad.status_code == 400
    assert "The page number must be a whole number from 1" in bad.get_data(as_text=True)
    refused = client.get("/admin/audit?outcome=denied&page=1").get_data(as_text=True)
    assert "12 of 12" in refused  # every fifth of the 60 events was refused


def test_the_users_list_filters_and_pages_in_the_database(login_as, world: World) -> None:
    _users(world, PAGE_SIZE + 5)
    client = login_as(world.ada)
    first = client.get("/admin/users").get_data(as_text=True)
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    emails = re.findall(r">([\w.]+@example\.test)</a>", _tbody(first))
    emails += re.findall(r">([\w.]+@example\.test)</a>", _tbody(second))
    assert len(emails) == PAGE_SIZE + 10  # the world's five and the new ones
    assert len(set(emails)) == len(emails)
    supervisors = client.get("/admin/users?role=supervisor").get_data(as_text=True)
    assert re.findall(r">([\w.]+@example\.test)</a>", _tbody(supervisors)) == ["sam@example.test"]
    norths = client.get(f"/admin/users?role=therapist&team={world.north.id}&page=1")
    listed = re.findall(r">([\w.]+@example\.test)</a>", _tbody(norths.get_data(as_text=True)))
    assert "alice@example.test" in listed and "carol@example.test" not in listed
    assert listed == sorted(listed)  # by email within the role
    no_team = client.get("/admin/users?team=0").get_data(as_text=True)
    assert set(re.findall(r">([\w.]+@example\.test)</a>", _tbody(no_team))) == {
        "sam@example.test",
        "ada@example.test",
    }
    for query in ("role=king", "team=999999", "state=asleep", "page=zero"):
        response = client.get(f"/admin/users?{query}")
        assert response.status_code == 400, query
        assert "flash-error" in response.get_data(as_text=True)


def test_the_report_drill_down_sorts_filters_and_pages(login_as, world: World) -> None:
    insert_closed_episodes(world.alice, n=PAGE_SIZE + 3, seed=3)
    insert_closed_episodes(world.bob, n=4, seed=4, status=EpisodeStatus.DROPPED_OUT)
    client = login_as(world.sam)
    path = f"/reports/outcomes/episodes?{REPORT_PERIOD}"
    first = client.get(path + "&sort=client").get_data(as_text=True)
    second = client.get(path + "&sort=client&page=2").get_data(as_text=True)
    codes = re.findall(r'<tr id="episode-\d+">\s*<td>([^<]+)</td>', first + second)
    assert len(codes) == PAGE_SIZE + 7 and codes == sorted(codes)
    dropped = client.get(path + "&ending=dropped_out").get_data(as_text=True)
    assert len(re.findall(r'<tr id="episode-', dropped)) == 4
    for query in ("&sort=sideways", "&ending=vanished", "&page=-3"):
        assert client.get(path + query).status_code == 400, query
    client.post("/logout")
    assert login_as(world.ada).get(path).status_code == 404  # no client codes for an admin


@pytest.mark.slow
def test_the_databases_order_filters_and_counts_are_the_cores(login_as, world: World) -> None:
    """On a varied queue (escalated risk, worse scores, requests, due follow-ups, an
    acknowledged card), the SQL order is ``CaseState.need`` then the client code, each filter
    keeps what ``CaseFilter.admits`` keeps, and the counts are ``queue_counts``."""
    crisis(world)
    risk = db.session.scalars(sa.select(Alert).where(Alert.type == "risk_item")).one()
    alerting.escalate_overdue(now=risk.opened_at + timedelta(hours=30))
    for n in range(6):
        flagged_case(world, n)
    acknowledged = db.session.scalars(
        sa.select(Episode).join(Client).where(Client.code == "B-004")
    ).one()
    entry = attention.episode_card(acknowledged)
    assert entry is not None
    attention.acknowledge_card(
        episode=acknowledged,
        actions=[entry.card.checklist[0]],
        note="Talked it through",
        by=world.bob,
        now=NOW + timedelta(days=1),
    )
    rows = review_queue.review_queue(world.sam, today=TODAY).rows
    keys = [(row.state.need, row.episode.client.code) for row in rows]
    assert keys == sorted(keys) and len(rows) == 7
    assert rows[0].state.escalated and rows[0].episode.client.code == "A-001"
    assert any(r.state.follow_up_due for r in rows) and any(r.state.requested for r in rows)
    assert any(r.card is not None and not r.card.is_open for r in rows)  # acknowledged
    for case in (
        CaseFilter(escalated_only=True),
        CaseFilter(not_reviewed_only=True),
        CaseFilter(reason=AlertType.NOT_ON_TRACK),
        CaseFilter(reason=AlertType.RISK_ITEM),
        CaseFilter(reason=QueueFlag.FOLLOW_UP_DUE),
        CaseFilter(reason=QueueFlag.REQUESTED),
    ):
        shown = review_queue.review_queue(
            world.sam, today=TODAY, filters=review_queue.QueueFilters(case=case)
        )
        assert [r.episode.id for r in shown.rows] == [
            r.episode.id for r in rows if case.admits(r.state)
        ], case
        assert shown.page.total == len(shown.rows)
    result = review_queue.review_queue(world.sam, today=TODAY)
    assert result.counts == queue_counts(r.state for r in rows)
