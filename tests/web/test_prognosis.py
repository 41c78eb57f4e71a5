"""The prognosis beside the chart: plain words, labelled as a prognosis, fitted methods only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from outcome_monitor.services import refit, settings_changes
from outcome_monitor.web.chart.prognosis import chance_words
from tests.builders import give, insert_closed_episodes, phq9_sessions
from tests.conftest import World

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

HEADING = "Prognosis (an estimate, not the yardstick)"


@pytest.mark.parametrize(
    ("p", "words"),
    [
        (0.31, "about 3 in 10"),
        (0.095, "about 1 in 10"),
        (0.094, "about 9 in 100"),
        (0.04, "about 4 in 100"),
        (0.004, "fewer than 1 in 100"),
    ],
    ids=["three in ten", "rounds up to one in ten", "below one in ten", "per hundred", "rare"],
)
def test_chance_words(app: Any, p: float, words: str) -> None:
    with app.test_request_context():
        assert chance_words(p) == words


def test_client_page_shows_the_prognosis_in_words_under_a_fitted_model(
    world: World, login_as: Any, client: FlaskClient
) -> None:
    insert_closed_episodes(world.alice, n=30)
    settings_changes.update_settings(
        changes={"empirical_min_episodes": 20, "trajectory_method": "empirical"}, by=world.ada
    )
    refit.refit_models(now=NOW)
    episode = give(world, *phq9_sessions(19, 17, 18))
    login_as(world.alice)
    page = client.get(f"/clients/{episode.client_id}").get_data(as_text=True)
    assert HEADING in page
    assert "ended reliably worse than they started" in page
    assert "is likely to be between" in page
    assert "never moves the" in page


def test_no_prognosis_under_the_rational_method(
    world: World, login_as: Any, client: FlaskClient
) -> None:
    episode = give(world, *phq9_sessions(19, 17, 18))
    login_as(world.alice)
    page = client.get(f"/clients/{episode.client_id}").get_data(as_text=True)
    assert "Progress" in page and HEADING not in page
