"""One table of alert titles (services/alert_words.py): the attention card on the client page,
the chart legend and summary, and the supervisor's queue call the same alert by the same title."""

from __future__ import annotations

import html
import re
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from outcome_monitor.core.alerts import AlertType
from outcome_monitor.extensions import db
from outcome_monitor.models import Alert, Episode
from outcome_monitor.services import alert_words
from tests.builders import give, phq9_sessions
from tests.conftest import World

# Intake 16, then 15 for three sessions: not on track (yellow) and no reliable improvement by
# session 4 under the rational method; the card shows both under one reason.
STUCK = (16, 15, 15, 15)


def _alerts(episode: Episode) -> list[Alert]:
    return list(db.session.scalars(sa.select(Alert).where(Alert.episode_id == episode.id)))


def _legend(client: FlaskClient, episode: Episode) -> dict[str, str]:
    """Alert type -> the name of its trace in the chart legend."""
    figure = client.get(f"/clients/episodes/{episode.id}/chart.json").get_json()
    traces = [t for t in figure["data"] if str(t.get("meta", "")).startswith("alert-")]
    return {t["meta"].removeprefix("alert-"): t["name"] for t in traces}


def _bold_after(text: str, marker: str) -> list[str]:
    """The bold titles of a page from ``marker`` on (the queue's rows, not its filter)."""
    return re.findall(r"<strong>([^<]+)</strong>", text[text.index(marker) :])


def test_card_chart_and_queue_call_each_alert_by_the_same_title(
    world: World, login_as: Any, client: FlaskClient
) -> None:
    episode = give(world, *phq9_sessions(*STUCK))
    alerts = _alerts(episode)
    assert {a.type for a in alerts} == {AlertType.NOT_ON_TRACK, AlertType.NO_RELIABLE_CHANGE}

    login_as(world.alice)
    legend = _legend(client, episode)
    page = html.unescape(client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True))
    client.post("/logout")
    login_as(world.sam)
    queue = html.unescape(client.get("/alerts/").get_data(as_text=True))

    for alert in alerts:
        title = alert_words.type_title(alert.type)
        heading = alert_words.alert_title(alert.type, alert.severity)
        assert legend[alert.type] == f"Alert: {title}"
        assert f"Alert at session 4: {heading}: {alert.reason_text}" in page  # chart summary
        assert f'<option value="{alert.type}">{title}</option>' in queue  # queue filter
    card_titles = re.findall(r'<strong class="reason-title">([^<]+)</strong>', page)
    assert card_titles == ["Not on track (yellow)"]
    assert _bold_after(queue, "<tbody") == card_titles


def test_no_reliable_improvement_is_called_so_on_the_card_the_chart_and_the_queue(
    world: World, login_as: Any, client: FlaskClient
) -> None:
    episode = give(world, *phq9_sessions(*STUCK))
    login_as(world.alice)

    assert _legend(client, episode)["no_reliable_change"] == "Alert: No reliable improvement yet"
    assert alert_words.alert_title("no_reliable_change") == "No reliable improvement yet"
