"""The progress chart: the figure built from ChartData (tested on its data, not on HTML), the
JSON route, the locally served plotly.min.js and the client-page partial. Synthetic data only.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from outcome_monitor.core.measure import Direction, ReliableChangeThreshold
from outcome_monitor.core.trajectories import ExpectedBand, ScorePoint
from outcome_monitor.services.charting import AlertMarker, ChartData, Series
from outcome_monitor.web.chart.summary import summary_lines
from outcome_monitor.web.chart.views import PLOTLY_JS
from outcome_monitor.web.chart.words import no_change_range
from outcome_monitor.web.figures import progress_figure
from tests.builders import give, phq9, phq9_sessions, srs
from tests.conftest import World

WORSE, BETTER = Direction.HIGHER_IS_WORSE, Direction.HIGHER_IS_BETTER
DETERIORATION = "PHQ-9 19 at session 4, intake 12: reliable deterioration"


def points(*scores: float) -> tuple[ScorePoint, ...]:
    return tuple(
        ScorePoint(i + 1, date(2026, 9, 1) + timedelta(weeks=i), s) for i, s in enumerate(scores)
    )


def empirical_band(direction: Direction = WORSE) -> tuple[ExpectedBand, ...]:
    """Expected 20 - 0.5·s, yellow 2 and red 4 points worse (in the measure's direction)."""
    worse = -direction
    return tuple(
        ExpectedBand(s, 20 - 0.5 * s, 20 - 0.5 * s + 2 * worse, 20 - 0.5 * s + 4 * worse, direction)
        for s in range(2, 21)
    )


def phq9_series(*scores: float, alerts: tuple[AlertMarker, ...] = ()) -> Series:
    return Series("phq9", "PHQ-9", "PHQ-9", WORSE, 0, 27, 10, points(*scores), alerts)


def srs_series(*scores: float, alerts: tuple[AlertMarker, ...] = ()) -> Series:
    return Series("srs", "SRS", "SRS v3", BETTER, 0, 40, 36, points(*scores), alerts)


def chart(**changes: Any) -> ChartData:
    values: dict[str, Any] = {
        "outcome": phq9_series(20, 18, 19, 19),
        "band": empirical_band(),
        "method": "empirical",
        "reliable_change": 6,
    }
    return ChartData(**{**values, **changes})


def trace(figure: dict[str, Any], meta: str) -> dict[str, Any]:
    return next(t for t in figure["data"] if t.get("meta") == meta)


def metas(figure: dict[str, Any]) -> list[str]:
    return [t.get("meta") for t in figure["data"]]


def test_observed_trace_has_the_scores_by_session(app: Any) -> None:
    observed = trace(progress_figure(chart()), "observed-phq9")

    assert list(observed["x"]) == [1, 2, 3, 4]
    assert list(observed["y"]) == [20, 18, 19, 19]
    assert observed["mode"] == "lines+markers"


def test_expected_curve_covers_sessions_2_to_20_with_the_model_values(app: Any) -> None:
    expected = trace(progress_figure(chart()), "expected")

    assert list(expected["x"]) == list(range(2, 21))
    assert list(expected["y"]) == [20 - 0.5 * s for s in range(2, 21)]
    assert expected["line"]["dash"] == "dash"


def test_zones_lie_above_the_curve_on_a_higher_is_worse_measure(app: Any) -> None:
    figure = progress_figure(chart())
    yellow, red = trace(figure, "zone-yellow"), trace(figure, "zone-red")

    assert list(yellow["y"][:19]) == [20 - 0.5 * s + 2 for s in range(2, 21)]
    assert list(yellow["y"][19:]) == [20 - 0.5 * s + 4 for s in reversed(range(2, 21))]
    assert list(red["y"][:19]) == [20 - 0.5 * s + 4 for s in range(2, 21)]
    assert set(red["y"][19:]) == {27}  # up to the worst score


def test_zones_are_mirrored_below_the_curve_on_a_higher_is_better_measure(app: Any) -> None:
    ors = Series("ors", "ORS", "ORS", BETTER, 0, 40, 25, points(20, 22), ())
    figure = progress_figure(chart(outcome=ors, band=empirical_band(BETTER)))
    yellow, red = trace(figure, "zone-yellow"), trace(figure, "zone-red")

    assert list(yellow["y"][:19]) == [20 - 0.5 * s - 2 for s in range(2, 21)]
    assert list(red["y"][:19]) == [20 - 0.5 * s - 4 for s in range(2, 21)]
    assert set(red["y"][19:]) == {0}  # down to the worst score
    expected = trace(figure, "expected")["y"]
    assert all(r < e for r, e in zip(red["y"][:19], expected, strict=True))


def test_rational_band_has_zones_but_no_expected_curve(app: Any) -> None:
    band = tuple(ExpectedBand(s, None, 26 if s < 4 else 14, 26, WORSE) for s in range(2, 21))
    figure = progress_figure(chart(band=band, method="rational"))

    assert "expected" not in metas(figure)
    assert list(trace(figure, "zone-yellow")["x"][:17]) == list(range(4, 21))
    assert set(trace(figure, "zone-red")["y"]) == {26, 27}


def test_clinical_cutoff_is_a_labelled_line_at_the_cutoff(app: Any) -> None:
    figure = progress_figure(chart())
    cutoff = trace(figure, "cutoff-phq9")

    assert list(cutoff["y"]) == [10, 10]
    assert cutoff["line"]["dash"] == "dot"
    assert "10" in cutoff["name"]
    assert any(a["text"] == "cut-off 10" for a in figure["layout"]["annotations"])


def test_reliable_change_band_is_intake_plus_and_minus_rc(app: Any) -> None:
    figure = progress_figure(chart())
    band = trace(figure, "rc-band")

    assert (min(band["y"]), max(band["y"])) == (14, 26)
    assert band["fill"] == "toself"
    assert any(
        a["text"] == "no reliable change from intake" for a in figure["layout"]["annotations"]
    )


def test_reliable_change_band_is_named_by_the_scores_that_are_not_reliable_changes(
    app: Any,
) -> None:
    figure = progress_figure(chart(outcome=phq9_series(19, 18, 17, 16)))

    # Intake 19, RC 6 "or more": 13 and 25 ARE reliable changes, 14 to 24 are not.
    assert (
        trace(figure, "rc-band")["name"] == "No reliable change from intake (above 13 and below 25)"
    )


@pytest.mark.parametrize(
    ("intake", "rc", "inclusive", "words"),
    [
        pytest.param(19, 6, True, "above 13 and below 25", id="inclusive RC leaves both ends out"),
        pytest.param(19, 6, False, "13–25", id="strict RC keeps both ends"),
        pytest.param(19, 5.66, False, "13.4–24.6", id="computed RC rounded inwards"),
        pytest.param(18.25, 6, True, "above 12.3 and below 24.2", id="fractional ends inwards"),
        pytest.param(3, 6, True, "0 to below 9", id="clipped at the score minimum"),
        pytest.param(6, 6, True, "above 0 and below 12", id="a change to 0 is reliable"),
        pytest.param(24, 6, True, "above 18 up to 27", id="clipped at the score maximum"),
        pytest.param(24, 6, False, "18–27", id="strict and clipped"),
    ],
)
def test_no_change_range_names_only_scores_that_are_not_reliable(
    app: Any, intake: float, rc: float, inclusive: bool, words: str
) -> None:
    got = no_change_range(
        intake=intake, reliable_change=rc, inclusive=inclusive, score_min=0, score_max=27
    )

    assert got == words


@pytest.mark.parametrize("inclusive", [True, False], ids=["inclusive RC", "strict RC"])
def test_no_change_range_names_exactly_the_whole_scores_that_are_not_reliable(
    app: Any, inclusive: bool
) -> None:
    for intake, rc in itertools.product(range(28), range(1, 11)):
        threshold = ReliableChangeThreshold(rc, inclusive=inclusive)
        words = no_change_range(
            intake=intake, reliable_change=rc, inclusive=inclusive, score_min=0, score_max=27
        )

        expected = [s for s in range(28) if not threshold.is_reliable(s - intake)]
        assert _whole_scores_named(words) == expected, (intake, rc, words)


def _whole_scores_named(words: str) -> list[int]:
    """The whole scores 0-27 that the label covers, read back from its words."""
    numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", words)]
    low, high = numbers
    low_ok = (lambda s: s > low) if words.startswith("above") else (lambda s: s >= low)
    high_ok = (lambda s: s < high) if "below" in words else (lambda s: s <= high)
    return [s for s in range(28) if low_ok(s) and high_ok(s)]


def test_alert_marker_sits_at_its_session_with_the_reason_as_hover_text(app: Any) -> None:
    marker = AlertMarker(4, 19, "reliable_deterioration", None, "open", DETERIORATION)
    figure = progress_figure(chart(outcome=phq9_series(12, 13, 15, 19, alerts=(marker,))))
    alert = trace(figure, "alert-reliable_deterioration")

    assert (list(alert["x"]), list(alert["y"])) == ([4], [19])
    assert DETERIORATION in alert["hovertext"][0].replace("<br>", " ")
    assert alert["marker"]["symbol"] == "x-thin-open"


def test_alert_types_have_distinct_symbols_and_severity_colours(app: Any) -> None:
    markers = (
        AlertMarker(2, 18, "not_on_track", "yellow", "open", "yellow reason"),
        AlertMarker(3, 19, "not_on_track", "red", "resolved", "red reason"),
        AlertMarker(3, 19, "no_reliable_change", None, "open", "no change"),
    )
    figure = progress_figure(chart(outcome=phq9_series(20, 18, 19, alerts=markers)))
    on_track, no_change = (
        trace(figure, "alert-not_on_track"),
        trace(figure, "alert-no_reliable_change"),
    )

    assert on_track["marker"]["symbol"] != no_change["marker"]["symbol"]
    assert on_track["marker"]["color"][0] != on_track["marker"]["color"][1]
    assert "resolved" in on_track["hovertext"][1]


def test_alliance_panel_only_with_alliance_data(app: Any) -> None:
    rupture = AlertMarker(3, 30, "alliance_rupture", None, "open", "SRS 30 at session 3")
    alliance = srs_series(38, 38, 30, alerts=(rupture,))
    single = progress_figure(chart())
    double = progress_figure(chart(alliance=alliance))

    assert "yaxis2" not in single["layout"]
    assert trace(double, "observed-srs")["yaxis"] == "y2"
    assert list(trace(double, "cutoff-srs")["y"]) == [36, 36]
    assert list(trace(double, "alert-alliance_rupture")["x"]) == [3]
    assert double["layout"]["xaxis"]["matches"] == "x2"  # one shared session axis


def test_no_outcome_data_gives_no_chart_but_a_message(app: Any) -> None:
    figure = progress_figure(ChartData(outcome=None))

    assert figure["data"] == []
    assert figure["layout"]["annotations"][0]["text"] == "No outcome scores yet."
    assert summary_lines(ChartData(outcome=None)) == ["No outcome scores in this episode yet."]


def test_intake_only_shows_the_point_but_no_band(app: Any) -> None:
    figure = progress_figure(chart(outcome=phq9_series(20), band=()))

    assert list(trace(figure, "observed-phq9")["y"]) == [20]
    assert not {"expected", "zone-yellow", "zone-red"} & set(metas(figure))


def test_figure_has_titles_and_is_plain_json(app: Any) -> None:
    figure = progress_figure(chart(fallback_reason="no empirical model has been fitted yet"))
    layout = figure["layout"]

    assert layout["title"]["text"] == "PHQ-9 progress"
    assert "No empirical model has been fitted yet" in layout["title"]["subtitle"]["text"]
    assert layout["yaxis"]["title"]["text"] == "PHQ-9 (higher is worse)"
    assert json.loads(json.dumps(figure)) == figure


def test_summary_says_score_expected_and_bands(app: Any) -> None:
    lines = summary_lines(chart())

    assert lines[0] == (
        "PHQ-9 at session 4 (2026-09-22): 19; expected 18; yellow band above 20; red band above 22."
    )
    # 14 and 26 are themselves reliable changes (PHQ-9 "6 or more"): only the scores between
    assert lines[1] == "Intake 20; scores above 14 and below 26 are no reliable change from intake."


# Routes and the page -------------------------------------------------------------------------


def test_chart_json_for_the_therapist_and_404_for_another_team(
    world: World, login_as: Any, client: FlaskClient
) -> None:
    episode = give(world, *phq9_sessions(20, 18))
    url = f"/clients/episodes/{episode.id}/chart.json"

    login_as(world.alice)
    response = client.get(url)
    assert response.status_code == 200
    assert list(trace(response.get_json(), "observed-phq9")["y"]) == [20, 18]
    client.post("/logout")
    login_as(world.carol)
    assert client.get(url).status_code == 404


def test_chart_json_needs_a_clinical_login(
    world: World, login_as: Any, client: FlaskClient
) -> None:
    url = f"/clients/episodes/{world.alices_client.current_episode.id}/chart.json"

    assert client.get(url).status_code == 302
    login_as(world.ada)
    assert client.get(url).status_code == 404


def test_plotly_is_served_locally_with_long_cache_headers(client: FlaskClient) -> None:
    with client.get("/vendor/plotly.min.js") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert response.get_data() == PLOTLY_JS.read_bytes()


def test_plotly_is_gzipped_for_browsers_that_accept_it(client: FlaskClient) -> None:
    response = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip, br"})

    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.get_data()) == PLOTLY_JS.read_bytes()


def test_client_page_has_the_chart_partial_with_local_scripts(
    world: World, login_as: Any, client: FlaskClient
) -> None:
    episode = give(world, *[(("phq9", phq9(t)), ("srs", srs(38))) for t in (20, 18)])
    login_as(world.alice)

    page = client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True)

    assert f'data-chart-url="/clients/episodes/{episode.id}/chart.json"' in page
    assert '<script src="/vendor/plotly.min.js?v=' in page
    assert 'src="/static/chart.js"' in page
    assert "PHQ-9 at session 2 (2026-09-08): 18" in page
    assert "SRS at session 2: 38; alliance cut-off 36." in page
    assert "cdn" not in page.lower()


def test_client_page_without_outcome_scores_says_so_and_loads_no_plotly(
    world: World, login_as: Any, client: FlaskClient
) -> None:
    login_as(world.alice)

    page = client.get(f"/clients/{world.alices_client.id}").get_data(as_text=True)

    assert "The progress chart appears once an outcome measure has been scored." in page
    assert "plotly" not in page
