"""Every kind of error in a score file: named by line, column and reason; nothing written."""

from __future__ import annotations

import csv

import pytest

from outcome_monitor.models import Administration, AuditEvent, Client, Episode, TherapySession
from outcome_monitor.services import ServiceError
from tests.conftest import World, count
from tests.services.import_files import HEADER, csv_bytes, messages, row, run_import

PHQ9 = [1, 1, 1, 1, 1, 1, 1, 1, 0]
KNOWN = "auditc, core10, gad7, ors, pcl5, phq9, srs, waisr"

ROW_ERRORS = [
    pytest.param(
        row(day="2025-13-01", total=12),
        "line 2, column date: '2025-13-01' is not a date (YYYY-MM-DD)",
        id="bad date",
    ),
    pytest.param(
        row(day="06/01/2025", total=12),
        "line 2, column date: '06/01/2025' is not a date (YYYY-MM-DD)",
        id="date not ISO",
    ),
    pytest.param(
        row(day="2027-01-04", total=12),
        "line 2, column date: 2027-01-04 is in the future (historic scores only)",
        id="future date",
    ),
    pytest.param(
        row(total=12, closed="2025-02-30"),
        "line 2, column closed: '2025-02-30' is not a date (YYYY-MM-DD)",
        id="bad closed date",
    ),
    pytest.param(
        row(measure="bdi", total=12),
        f"line 2, column measure: unknown measure 'bdi' (known: {KNOWN})",
        id="unknown measure",
    ),
    pytest.param(
        row(therapist="nobody@example.test", total=12),
        "line 2, column therapist: no user account with the email 'nobody@example.test'",
        id="unknown therapist",
    ),
    pytest.param(
        row(therapist="sam@example.test", total=12),
        "line 2, column therapist: sam@example.test is not a therapist account",
        id="supervisor as therapist",
    ),
    pytest.param(
        row(session=0, total=12),
        "line 2, column session: '0' is not a session number (a whole number from 1, 1 = intake)",
        id="session zero",
    ),
    pytest.param(
        row(session="1.5", total=12),
        "line 2, column session: '1.5' is not a session number (a whole number from 1, 1 = intake)",
        id="session fraction",
    ),
    pytest.param(
        row(session="-2", total=12),
        "line 2, column session: '-2' is not a session number (a whole number from 1, 1 = intake)",
        id="session negative",
    ),
    pytest.param(
        row(total=28),
        "line 2, column total: 28 is outside the phq9 range 0-27",
        id="total out of range",
    ),
    pytest.param(
        row(total="twelve"),
        "line 2, column total: 'twelve' is not a number",
        id="total not a number",
    ),
    pytest.param(
        row(total="nan"),
        "line 2, column total: 'nan' is not a number",
        id="total not finite",
    ),
    pytest.param(
        row(items=[0, 0, 4, 0, 0, 0, 0, 0, 0]),
        "line 2, column item_3: 4 is not an answer of phq9 item 3 (0, 1, 2, 3)",
        id="item out of range",
    ),
    pytest.param(
        row(measure="srs", items=[10.5, 9, 9, 9]),
        "line 2, column item_1: 10.5 is not an answer of srs item 1 (0 to 10, at most one decimal)",
        id="VAS item out of range",
    ),
    pytest.param(
        row(measure="gad7", items=[1, 1, 1, 1, 1, 1, 1, 1]),
        "line 2, column item_8: gad7 has no item 8",
        id="item the measure lacks",
    ),
    pytest.param(
        row(total=9, items=PHQ9),
        "line 2, column total: give the total or the item answers, not both",
        id="mixed total and items",
    ),
    pytest.param(
        row(),
        "line 2, column total: no total and no item answers",
        id="neither total nor items",
    ),
    pytest.param(
        row(items=[1, 1, 1, 1, 1, 1, 1]),
        "line 2, column item_8, item_9: phq9: 2 item(s) missing, at most 1 allowed",
        id="too many missing items",
    ),
    pytest.param(
        row(total=12, closed="2025-02-01", planned_end="maybe"),
        "line 2, column planned_end: 'maybe' is neither yes nor no",
        id="planned_end not yes/no",
    ),
    pytest.param(
        row(client="", total=12),
        "line 2, column client: empty",
        id="empty client",
    ),
    pytest.param(
        row(episode="x" * 41, total=12),
        "line 2, column episode: longer than 40 characters",
        id="episode label too long",
    ),
]


@pytest.mark.parametrize(("fields", "expected"), ROW_ERRORS)
def test_a_bad_row_is_named_by_line_and_column_and_nothing_is_written(
    world: World, fields: list[str], expected: str
) -> None:
    good = row(client="C-2", total=10, closed="2025-02-01", planned_end="yes")

    result = run_import(csv_bytes([fields, good]))

    assert messages(result) == [expected]
    assert not result.written
    assert count(Client) == 2 and count(Episode) == 2  # the world's own
    assert count(TherapySession) == 0 and count(Administration) == 0


def test_every_problem_of_a_row_is_reported_not_just_the_first(world: World) -> None:
    result = run_import(csv_bytes([row(session="x", day="yesterday", total=30)]))

    assert [(i.line, i.column) for i in result.issues] == [
        (2, "session"),
        (2, "date"),
        (2, "total"),
    ]


SECOND = {"session": 2, "day": "2025-01-13"}
CROSS_ROW_ERRORS = [
    pytest.param(
        [row(total=12, closed="2025-03-01"), row(**SECOND, total=11, closed="2025-03-08")],
        "line 3, column closed: 2025-03-08 differs from 2025-03-01 on line 2 "
        "(one closing date per episode)",
        id="closed differs within an episode",
    ),
    pytest.param(
        [
            row(total=12, closed="2025-03-01", planned_end="yes"),
            row(**SECOND, total=11, closed="2025-03-01", planned_end="no"),
        ],
        "line 3, column planned_end: differs from line 2",
        id="planned_end differs within an episode",
    ),
    pytest.param(
        [row(total=12, planned_end="yes")],
        "line 2, column planned_end: given, but no row of this episode has a closed date",
        id="planned_end without closed",
    ),
    pytest.param(
        [row(total=12, closed="2025-01-10"), row(**SECOND, total=11)],
        "line 2, column closed: 2025-01-10 is before the session on 2025-01-13 (line 3)",
        id="closed before the last session",
    ),
    pytest.param(
        [row(total=12), row(total=12)],
        "line 3, column session: the same client, episode, measure and session as line 2",
        id="the same key twice",
    ),
    pytest.param(
        [row(total=12), row(measure="gad7", day="2025-01-07", total=9)],
        "line 3, column date: this session is dated 2025-01-06 on line 2",
        id="one session with two dates",
    ),
    pytest.param(
        [row(total=12), row(**SECOND, therapist="bob@example.test", total=11)],
        "line 3, column therapist: another therapist than on line 2 (one therapist per episode)",
        id="two therapists in one episode",
    ),
    pytest.param(
        [row(episode="E1", total=12), row(episode="E2", day="2025-06-02", total=15)],
        "line 3, column closed: client C-1 would have more than one open episode (E1, E2); "
        "every episode but the current one needs a closed date",
        id="two open episodes of one client",
    ),
]


@pytest.mark.parametrize(("rows", "expected"), CROSS_ROW_ERRORS)
def test_rows_that_disagree_are_named_and_nothing_is_written(
    world: World, rows: list[list[str]], expected: str
) -> None:
    result = run_import(csv_bytes(rows))

    assert messages(result) == [expected]
    assert count(Administration) == 0 and count(Client) == 2


def test_a_short_row_names_the_first_missing_column(world: World) -> None:
    result = run_import(csv_bytes([row(total=12)[:-1]]))

    assert messages(result) == [
        f"line 2, column planned_end: the row has 18 fields, the header {len(HEADER)}"
    ]


def test_a_long_row_is_an_error(world: World) -> None:
    result = run_import(csv_bytes([[*row(total=12), "extra"]]))

    assert messages(result) == ["line 2: the row has 20 fields, the header only 19"]


KNOWN_COLUMNS = (
    "client, episode, therapist, session, date, measure, total, closed, planned_end, "
    "item_1 ... item_n"
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(
            [*HEADER[:7], "score"],
            f"line 1, column score: unknown column (known: {KNOWN_COLUMNS})",
            id="unknown column",
        ),
        pytest.param(
            [h for h in HEADER if h != "measure"],
            "line 1, column measure: required column is missing",
            id="missing column",
        ),
        pytest.param(
            [*HEADER, "total"],
            "line 1, column total: this column appears twice",
            id="duplicate column",
        ),
        pytest.param(
            HEADER[:6],
            "line 1, column total: the header needs total or item_1 ... item_n",
            id="no score column",
        ),
    ],
)
def test_a_bad_header_is_named_and_nothing_is_read(
    world: World, header: list[str], expected: str
) -> None:
    result = run_import(csv_bytes([row(total=12)], header=header))

    assert messages(result) == [expected]


def test_an_empty_file_is_an_error(world: World) -> None:
    assert messages(run_import(b"")) == ["line 1: the file is empty (it needs a header row)"]


def test_a_field_over_the_csv_limit_names_its_line_and_column(world: World) -> None:
    huge = row(client="C-2", episode="y" * (csv.field_size_limit() + 1), total=12)

    result = run_import(csv_bytes([row(total=12), huge, row(client="C-3", total=3)]))

    assert messages(result) == [
        f"line 3, column episode: a field is longer than the csv module's limit of "
        f"{csv.field_size_limit()} characters"
    ]


def test_a_latin1_file_is_named_at_its_first_foreign_byte(world: World) -> None:
    text = csv_bytes([row(total=12), row(client="CAFÉ-1", total=9)]).decode("utf-8")

    result = run_import(text.encode("latin-1"))

    assert messages(result) == [
        "line 3, column client: not UTF-8 text (byte 0xC9); save the file as UTF-8 "
        "(reading stopped here)"
    ]
    assert count(Client) == 2


def test_errors_beyond_the_first_500_are_counted(world: World) -> None:
    rows = [row(client=f"C-{i}", total=99) for i in range(600)]

    result = run_import(csv_bytes(rows))

    assert result.n_issues == 600 and len(result.issues) == 500
    assert result.issues[0].line == 2


def test_changed_values_on_a_second_import_are_an_error_not_an_overwrite(world: World) -> None:
    run_import(csv_bytes([row(total=12)]))

    result = run_import(csv_bytes([row(total=14)]))

    assert messages(result) == [
        "line 2: phq9 at session 1 of this episode is already in the database with other "
        "values; the import never overwrites"
    ]
    assert count(Administration) == 1
    assert count(Administration, Administration.total == 12) == 1


def test_a_session_stored_with_another_date_is_an_error(world: World) -> None:
    run_import(csv_bytes([row(total=12)]))

    result = run_import(csv_bytes([row(measure="gad7", day="2025-01-07", total=9)]))

    assert messages(result) == [
        "line 2, column date: session 1 of this episode is dated 2025-01-06 in the database"
    ]


def test_an_episode_stored_with_another_closing_is_an_error(world: World) -> None:
    run_import(csv_bytes([row(total=12)]))

    result = run_import(csv_bytes([row(session=2, day="2025-01-13", total=9, closed="2025-02-01")]))

    assert messages(result) == [
        "line 2, column episode: this episode is already in the database with another "
        "therapist, closed date or status (active, closed no); the import never overwrites"
    ]


def test_a_second_open_episode_beside_one_opened_in_the_app_is_an_error(world: World) -> None:
    web_episode = world.alices_client.episodes[0]

    result = run_import(csv_bytes([row(client="A-001", episode="old", total=12)]))

    assert messages(result) == [
        f"line 2, column closed: client A-001 would have more than one open episode "
        f"(E{web_episode.id}, old); every episode but the current one needs a closed date"
    ]


def test_with_a_team_every_therapist_must_be_in_it(world: World) -> None:
    rows = [row(total=12), row(client="C-2", therapist="carol@example.test", total=9)]

    result = run_import(csv_bytes(rows), team="North")

    assert messages(result) == ["line 3, column therapist: carol@example.test is not in team North"]


def test_with_a_team_an_existing_client_of_another_team_is_refused(world: World) -> None:
    result = run_import(
        csv_bytes([row(client="C-001", total=12, closed="2025-02-01")]), team="North"
    )

    assert messages(result) == [
        "line 2, column client: C-001 is a client of a therapist outside team North"
    ]


def test_an_unknown_team_is_refused_before_reading(world: World) -> None:
    with pytest.raises(ServiceError, match="No team called West"):
        run_import(csv_bytes([row(total=12)]), team="West")
    assert count(AuditEvent, AuditEvent.action == "scores.import") == 0
