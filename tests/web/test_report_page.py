"""The outcome report page: who sees what, the form, the CSV downloads, the funnel, print."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from outcome_monitor.extensions import db
from tests.builders import count_statements
from tests.conftest import World
from tests.report_seed import course, seed

PERIOD = "date_from=2026-01-01&date_to=2026-12-31"
CODES = re.compile(r"R-(A|B|C|OLD)")
STATIC = Path(__file__).resolve().parents[2] / "outcome_monitor" / "static"


def _get(client, path: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


def _csv(client, path: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for spreadsheets
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def _csv_links(page: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+\.csv[^"]*)"', page)]


def test_the_report_needs_a_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/reports/outcomes")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_supervisor_sees_the_team_figures_with_intervals(login_as, world: World) -> None:
    seed(world)
    status, page = _get(login_as(world.sam), f"/reports/outcomes?{PERIOD}&team={world.north.id}")
    assert status == 200
    assert "4 of 8 — 50.0% (21.5% to 78.5%)" in page  # reliable improvement, Wilson 95%
    assert "3 of 7 — 42.9%" in page  # recovery: of the 7 cases at intake
    assert "Outcomes by therapist" in page and "Too few closed episodes for therapist rows" in page
    assert "Too few closed episodes for a funnel plot" in page


def test_supervisor_cannot_report_on_a_team_they_do_not_supervise(login_as, world: World) -> None:
    client = login_as(world.sam)
    query = f"{PERIOD}&team={world.south.id}"
    for path in ("/reports/outcomes", "/reports/outcomes/all.csv", "/reports/outcomes/funnel.json"):
        assert client.get(f"{path}?{query}").status_code == 404, path
    assert client.get(f"/reports/outcomes?{PERIOD}&team=999999").status_code == 404


def test_admin_sees_aggregates_only_with_small_cells_hidden(login_as, world: World) -> None:
    seed(world)
    client = login_as(world.ada)
    status, page = _get(client, f"/reports/outcomes?{PERIOD}&team={world.north.id}")
    assert status == 200 and "Aggregates only" in page
    assert "&lt;5 of 8" in page  # reliable improvement (4) is hidden
    assert not CODES.search(page)
    links = _csv_links(page)
    assert links and not any("episodes.csv" in link for link in links)
    for link in links:
        assert not CODES.search(client.get(link).get_data(as_text=True)), link
    assert client.get(f"/reports/outcomes/episodes.csv?{PERIOD}").status_code == 404


def test_admin_may_report_on_any_team_and_the_whole_service(login_as, world: World) -> None:
    seed(world)
    client = login_as(world.ada)
    _, page = _get(client, f"/reports/outcomes?{PERIOD}")
    assert "Whole service" in page
    assert _get(client, f"/reports/outcomes?{PERIOD}&team={world.south.id}")[0] == 200


def test_therapist_sees_their_own_caseload_without_comparisons(login_as, world: World) -> None:
    seed(world)
    client = login_as(world.bob)
    status, page = _get(client, f"/reports/outcomes?{PERIOD}")
    assert status == 200 and "My caseload" in page
    assert "Outcomes by therapist" not in page and 'name="team"' not in page
    rows = _csv(client, f"/reports/outcomes/activity.csv?{PERIOD}")
    closed = next(r for r in rows if r["Figure"] == "Episodes closed in the period")
    assert closed["n"] == "2"
    codes = {r["Client"] for r in _csv(client, f"/reports/outcomes/episodes.csv?{PERIOD}")}
    assert codes == {"R-B1", "R-B2"}
    assert client.get(f"/reports/outcomes?{PERIOD}&team={world.north.id}").status_code == 404


def test_an_end_before_the_start_is_refused(login_as, world: World) -> None:
    client = login_as(world.sam)
    status, page = _get(client, "/reports/outcomes?date_from=2026-12-31&date_to=2026-01-01")
    assert status == 200
    assert "The end of the period is before its start." in page
    assert "Activity and data completeness" not in page
    query = "date_from=2026-12-31&date_to=2026-01-01"
    assert client.get(f"/reports/outcomes/all.csv?{query}").status_code == 400


def test_a_measure_that_is_not_an_enabled_outcome_measure_is_refused(
    login_as, world: World
) -> None:
    _, page = _get(login_as(world.sam), f"/reports/outcomes?{PERIOD}&measure=srs")
    assert "Not a valid choice" in page and "Activity and data completeness" not in page


def test_outcomes_csv_has_the_hand_counted_figures(login_as, world: World) -> None:
    seed(world)
    client = login_as(world.sam)
    [row] = _csv(client, f"/reports/outcomes/outcomes.csv?{PERIOD}&team={world.north.id}")
    assert row["Group"] == "All closed episodes"
    assert (row["Closed episodes"], row["With a first and last score"]) == ("9", "8")
    assert row["Reliable improvement: n"] == "4" and row["Reliable improvement: of"] == "8"
    assert row["Reliable improvement: rate"] == "0.5"
    assert (row["Reliable improvement: ci_low"], row["Reliable improvement: ci_high"]) == (
        "0.2152",
        "0.7848",
    )
    assert (row["Recovery: n"], row["Recovery: of"]) == ("3", "7")
    assert (row["Reliable recovery: n"], row["Reliable recovery: of"]) == ("2", "7")


def test_every_table_link_downloads_a_csv_with_the_same_filters(login_as, world: World) -> None:
    seed(world)
    client = login_as(world.sam)
    _, page = _get(client, f"/reports/outcomes?{PERIOD}&team={world.north.id}&min_episodes=5")
    links = _csv_links(page)
    keys = {re.search(r"/outcomes/(\w+)\.csv", link).group(1) for link in links}  # type: ignore[union-attr]
    assert {"all", "episodes", "activity", "change", "outcomes", "therapists", "feedback"} <= keys
    for link in links:
        assert f"team={world.north.id}" in link and "min_episodes=5" in link
        assert _csv(client, link) is not None
    episodes = _csv(client, next(link for link in links if "episodes.csv" in link))
    assert {r["Client"] for r in episodes} == {
        "R-A1",
        "R-A2",
        "R-A3",
        "R-A4",
        "R-A5",
        "R-A6",
        "R-A7",
        "R-B1",
        "R-B2",
    }
    assert client.get(f"/reports/outcomes/nonsense.csv?{PERIOD}").status_code == 404


def test_funnel_plot_is_drawn_from_local_plotly(login_as, world: World) -> None:
    seed(world)
    client = login_as(world.sam)
    query = f"{PERIOD}&team={world.north.id}&min_episodes=5"
    _, page = _get(client, f"/reports/outcomes?{query}")
    assert 'data-chart-url="/reports/outcomes/funnel.json?' in page
    assert re.search(r'<script src="/vendor/plotly\.min\.js\?v=[\d.]+"', page)
    assert "cdn" not in page.lower()
    assert "Alice: 3 of 6 (50.0%), within the 95% limits." in page
    figure = client.get(f"/reports/outcomes/funnel.json?{query}").get_json()
    names = [trace.get("name") for trace in figure["data"]]
    assert "95% control limits" in names and "99.8% control limits" in names
    [points] = [t for t in figure["data"] if t.get("mode") == "markers+text"]
    assert points["text"] == ["Alice"] and points["x"] == [6] and points["y"] == [50.0]


def test_admin_funnel_leaves_out_points_that_reveal_small_counts(login_as, world: World) -> None:
    seed(world)
    client = login_as(world.ada)
    query = f"{PERIOD}&team={world.north.id}&min_episodes=5"
    _, page = _get(client, f"/reports/outcomes?{query}")
    assert "revealing a count under 5" in page and "Alice: 3 of 6" not in page
    figure = client.get(f"/reports/outcomes/funnel.json?{query}").get_json()
    [points] = [t for t in figure["data"] if t.get("mode") == "markers+text"]
    assert not points.get("x")


def test_a_service_without_closed_episodes_says_so(login_as, world: World) -> None:
    status, page = _get(login_as(world.sam), "/reports/outcomes")
    assert status == 200
    assert "Too few closed episodes with a first and a last score" in page
    assert "No closed episode in the period has a first and a last score yet." in page


def test_the_page_prints_without_navigation_or_filters(login_as, world: World) -> None:
    _, page = _get(login_as(world.sam), "/reports/outcomes")
    assert "report.css" in page and 'class="inline-form report-filters no-print"' in page
    css = (STATIC / "report.css").read_text()
    print_rules = css[css.index("@media print") :]
    assert ".topbar" in print_rules and ".no-print" in print_rules
    assert "display: none" in print_rules


def test_every_role_finds_the_report_in_the_menu(login_as, world: World) -> None:
    for user in (world.alice, world.sam, world.ada):
        client = login_as(user)
        assert 'href="/reports/outcomes"' in client.get("/reports/outcomes").get_data(as_text=True)
        client.get("/logout")


def _page_queries(client, world: World) -> int:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    with count_statements() as statements:
        response = client.get(f"/reports/outcomes?{PERIOD}&min_episodes=5")
    assert response.status_code == 200
    return len(statements)


def test_the_page_runs_the_same_number_of_queries_for_few_and_many_episodes(
    login_as, world: World
) -> None:
    seed(world)
    client = login_as(world.sam)
    few = _page_queries(client, world)
    for n in range(15):
        course(world.bob, f"R-X{n}", [13 + n % 6, 5 + n % 9])
    assert _page_queries(client, world) == few
