"""GET /admin/jobs: a job that stopped, failed or never ran is visible to an admin."""

from __future__ import annotations

from datetime import timedelta

from outcome_monitor.extensions import db
from outcome_monitor.models import JobRun
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import settings_changes
from tests.conftest import World


def _run(job_id: str, *, hours_ago: float, succeeded: bool | None, **fields: str) -> None:
    """A past run, inserted as a fixture."""
    started = utcnow() - timedelta(hours=hours_ago)
    finished = None if succeeded is None else started + timedelta(seconds=3)
    db.session.add(
        JobRun(
            job_id=job_id, started_at=started, finished_at=finished, succeeded=succeeded, **fields
        )
    )
    db.session.commit()


def _section(html: str, job_id: str) -> str:
    start = html.index(f'id="job-{job_id}"')
    return html[start : html.index("</section>", start)]


def test_only_admins_see_the_jobs_page(client, login_as, world: World) -> None:
    assert client.get("/admin/jobs").status_code == 302  # to the login page
    assert login_as(world.alice).get("/admin/jobs").status_code == 404
    client.post("/logout")
    assert login_as(world.sam).get("/admin/jobs").status_code == 404


def test_jobs_that_never_ran_are_flagged(login_as, world: World) -> None:
    html = login_as(world.ada).get("/admin/jobs").get_data(as_text=True)
    for job_id in ("refit_models", "escalate_alerts", "overdue_measures"):
        section = _section(html, job_id)
        assert "never run" in section and "job-warning" in section
        assert "Next run</th><td><time datetime=" in section


def test_recent_success_shows_no_warning(login_as, world: World) -> None:
    _run("escalate_alerts", hours_ago=0.5, succeeded=True, summary="escalated 3 alerts")
    section = _section(
        login_as(world.ada).get("/admin/jobs").get_data(as_text=True), "escalate_alerts"
    )
    assert "job-warning" not in section
    assert "escalated 3 alerts" in section


def test_a_job_that_stopped_succeeding_is_flagged(login_as, world: World) -> None:
    _run("refit_models", hours_ago=30, succeeded=True, summary="stored 2 model versions")
    _run("escalate_alerts", hours_ago=3, succeeded=True, summary="escalated 0 alerts")
    html = login_as(world.ada).get("/admin/jobs").get_data(as_text=True)
    assert "No successful run for 30 hours (expected at least every 26 hours)" in _section(
        html, "refit_models"
    )
    assert "No successful run for 3 hours (expected at least every 2 hours)" in _section(
        html, "escalate_alerts"
    )


def test_a_failed_last_run_is_flagged_with_its_error(login_as, world: World) -> None:
    _run("overdue_measures", hours_ago=1.5, succeeded=True, summary="0 active episodes")
    _run(
        "overdue_measures",
        hours_ago=0.5,
        succeeded=False,
        error="Traceback (most recent call last):\n  ...\nOperationalError: connection refused\n",
    )
    section = _section(
        login_as(world.ada).get("/admin/jobs").get_data(as_text=True), "overdue_measures"
    )
    assert "The last run failed." in section
    assert "<summary>OperationalError: connection refused</summary>" in section


def test_models_section_says_when_the_rational_fallback_is_used(login_as, world: World) -> None:
    settings_changes.update_settings(changes={"trajectory_method": "neighbours"}, by=world.ada)
    html = login_as(world.ada).get("/admin/jobs").get_data(as_text=True)
    models = html[html.index('id="models"') :]
    assert "rational (fallback)" in models
    assert "no neighbours model has been fitted for phq9 yet" in models
