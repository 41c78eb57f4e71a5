"""Bad input gets a clear message, never a 5xx, and nothing half-saved (issue 9, Found 3).

The generic sweeps are test_form_fuzz.py (every form) and test_route_matrix.py (every route);
these name each input that used to answer 500.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Client, DraftAnswer, Team, ThresholdOverride
from outcome_monitor.services import care, links
from tests.conftest import World, count

ROOT = Path(__file__).resolve().parents[2]
NOT_FINITE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e309"]
SRS_FORM = {"item_1": "8", "item_2": "8", "item_3": "8", "item_4": "8", "session_id": "0"}


@pytest.mark.parametrize("value", NOT_FINITE)
def test_a_slider_measure_refuses_a_number_that_is_not_finite(
    login_as, world: World, value: str
) -> None:
    episode = world.alices_client.current_episode
    response = login_as(world.alice).post(
        f"/clients/episodes/{episode.id}/measures/srs", data=SRS_FORM | {"item_2": value}
    )
    assert response.status_code == 200
    assert "Enter a number." in response.get_data(as_text=True)
    assert count(Administration) == 0


@pytest.mark.parametrize("value", NOT_FINITE)
def test_the_tablet_and_a_link_refuse_a_number_that_is_not_finite(
    login_as, client: FlaskClient, world: World, value: str
) -> None:
    episode = world.alices_client.current_episode
    answers = {"item-1": "8.0", "item-2": value, "item-3": "8.0", "item-4": "8.0"}
    kiosk = login_as(world.alice)
    assert kiosk.post(
        f"/tablet/episodes/{episode.id}/start", data={"measures": ["srs"], "session_id": 0}
    ).location.endswith("/tablet/")
    kiosk.post("/tablet/begin", data={})
    on_tablet = kiosk.post("/tablet/q/srs", data=answers)
    autosave = kiosk.post("/tablet/answer", data={"code": "srs", "item-2": value})
    issued = links.issue_link(
        episode=episode, codes=["srs"], by=world.alice, now=datetime.now(UTC), valid_days=4
    )
    links.begin_link(link=issued.link, language="en", now=datetime.now(UTC))
    phone = kiosk.application.test_client()
    by_link = phone.post(f"/l/{issued.token}/q/srs", data=answers)

    assert on_tablet.status_code == autosave.status_code == by_link.status_code == 400
    assert "not one of the choices" in on_tablet.get_data(as_text=True)
    assert count(Administration) == 0 and count(DraftAnswer) == 0


@pytest.mark.parametrize("value", ["nan", "inf", "-1e309"])
def test_a_threshold_override_refuses_a_number_that_is_not_finite(
    login_as, world: World, value: str
) -> None:
    response = login_as(world.ada).post(
        "/admin/settings/overrides",
        data={"code": "phq9", "field": "cutoff", "value": value, "reason": "local norms"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert count(ThresholdOverride) == 0


@pytest.mark.parametrize("session_id", ["abc", "99999999999999999999999", "-1", "1.5", ""])
def test_the_score_form_ignores_a_session_id_that_names_no_session(
    login_as, world: World, session_id: str
) -> None:
    episode = world.alices_client.current_episode
    latest = care.record_session(
        episode=episode, session_date=date(2026, 9, 8), attended=True, by=world.alice
    )
    response = login_as(world.alice).get(
        f"/clients/episodes/{episode.id}/measures/phq9?session_id={session_id}"
    )
    assert response.status_code == 200
    assert re.search(rf'<option selected value="{latest.id}">', response.get_data(as_text=True))


def test_the_score_form_does_not_preselect_another_clients_session(login_as, world: World) -> None:
    carols = care.record_session(
        episode=world.carols_client.current_episode,
        session_date=date(2026, 9, 8),
        attended=True,
        by=world.carol,
    )
    episode = world.alices_client.current_episode
    response = login_as(world.alice).get(
        f"/clients/episodes/{episode.id}/measures/phq9?session_id={carols.id}"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'value="{carols.id}"' not in page and '<option selected value="0">' in page


def test_a_session_of_another_episode_is_never_attached_to_a_score(login_as, world: World) -> None:
    carols = care.record_session(
        episode=world.carols_client.current_episode,
        session_date=date(2026, 9, 8),
        attended=True,
        by=world.carol,
    )
    episode = world.alices_client.current_episode
    form = {f"item_{i}": "1" for i in range(1, 10)} | {"session_id": str(carols.id)}
    response = login_as(world.alice).post(
        f"/clients/episodes/{episode.id}/measures/phq9", data=form
    )
    assert response.status_code == 200  # "not a valid choice", shown on the form
    assert count(Administration) == 0


def test_a_client_code_longer_than_its_column_is_refused(login_as, world: World) -> None:
    response = login_as(world.alice).post(
        "/clients/new",
        data={"code": "A" * 100_000, "therapist_id": world.alice.id, "gender": "x" * 41},
    )
    assert response.status_code == 200
    assert "Use 2-40 letters" in response.get_data(as_text=True)
    assert count(Client) == 2  # Alice's and Carol's, nothing new


# --- rules every form follows (checked on the source, so a new form follows them too) ------


def _web_sources() -> list[Path]:
    return sorted((ROOT / "outcome_monitor" / "web").rglob("*.py"))


def test_every_decimal_number_field_refuses_nan_and_infinity() -> None:
    """WTForms' FloatField and DecimalField accept "nan" and "inf": forms use FiniteFloatField."""
    offenders = []
    for path in _web_sources():
        if path.name == "validators.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "id", None) or getattr(node, "attr", None)
            if name in {"FloatField", "DecimalField", "DecimalRangeField"}:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")  # type: ignore[attr-defined]
    assert not offenders, "use web.validators.FiniteFloatField:\n" + "\n".join(offenders)


def test_the_database_range_is_what_the_url_converter_allows(app) -> None:  # type: ignore[no-untyped-def]
    from outcome_monitor.web.converters import DB_INT_MAX

    ids = [
        column
        for table in db.metadata.sorted_tables
        for column in table.primary_key.columns
        if isinstance(column.type, sa.Integer)
    ]
    assert ids and all(not isinstance(c.type, sa.BigInteger) for c in ids)
    assert DB_INT_MAX == 2**31 - 1  # PostgreSQL "integer", the type of every primary key


def test_text_with_a_nul_character_is_refused_before_any_view(login_as, world: World) -> None:
    """PostgreSQL text cannot hold NUL: it used to answer 500 there (SQLite stored it)."""
    client = login_as(world.ada)
    posted = client.post("/admin/teams", data={"name": "North\x00"})
    queried = client.get("/clients/?sort=%00")
    in_path = client.get("/reports/outcomes/a%00b.csv")
    as_json = client.post("/api/clients", json={"code": "A\u0000"})
    for response in (posted, queried, in_path, as_json):
        assert response.status_code == 400, response.request.path
    assert "NUL character" in posted.get_data(as_text=True)
    assert count(Team) == 2  # North and South, nothing new
