"""A score imported as a total alone says so wherever it is shown."""

from __future__ import annotations

import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration
from tests.conftest import World
from tests.services.import_files import csv_bytes, row, run_import

NOTE = "total only: imported without item answers, so there is no risk-item information"


def test_a_total_only_score_is_marked_on_the_client_page_and_its_result(
    world: World, login_as
) -> None:
    episode = world.alices_client.current_episode
    rows = [
        row(client="A-001", episode=f"E{episode.id}", day="2026-09-01", total=12),
        row(client="A-001", episode=f"E{episode.id}", session=2, day="2026-09-08",
            items=[1, 1, 1, 1, 1, 1, 1, 1, 0]),
    ]  # fmt: skip
    assert run_import(csv_bytes(rows)).written
    total_only, with_items = db.session.scalars(
        sa.select(Administration).order_by(Administration.id)
    ).all()
    client = login_as(world.alice)

    pages = [
        client.get(f"/clients/{world.alices_client.id}"),
        client.get(f"/clients/administrations/{total_only.id}"),
        client.get(f"/clients/administrations/{with_items.id}"),
    ]

    assert [p.status_code for p in pages] == [200, 200, 200]
    page, first, second = (p.get_data(as_text=True) for p in pages)
    assert page.count('class="total-only"') == 1
    assert NOTE in first
    assert NOTE not in second and "Session 2" in second
