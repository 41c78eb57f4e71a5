"""A new score's alerts are evaluated from the episode's scores read once as plain rows
(``case_status.score_rows``, shared with the stored status); a correction loads the
measure's history as ORM objects. Both must give the alert engine the same history, so the
same findings, for outcome and alliance measures, with scores given outside a session."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, EntryMode
from outcome_monitor.services import alerting, case_status, measures
from tests.builders import gad7, phq9, record_sessions, srs
from tests.conftest import World


@pytest.fixture
def episode(world: World):  # type: ignore[no-untyped-def]
    """PHQ-9, GAD-7 and SRS over four weeks (a week without scores), then a PHQ-9 and an SRS
    given outside a session: a worsening depression score and a falling alliance."""
    episode = world.alices_client.current_episode
    record_sessions(
        episode,
        (("phq9", phq9(14)), ("srs", srs(37))),
        (("phq9", phq9(17)), ("gad7", gad7(9)), ("srs", srs(36))),
        None,
        (("phq9", phq9(21)), ("gad7", gad7(12)), ("srs", srs(28))),
        by=world.alice,
    )
    for code, answers in (("phq9", phq9(24, item9=1)), ("srs", srs(22))):
        measures.record_administration(
            episode=episode,
            session_id=None,
            instrument_code=code,
            answers=answers,
            entry_mode=EntryMode.THERAPIST,
            by=world.alice,
        )
    return episode


@pytest.mark.parametrize("code", ["phq9", "gad7", "srs"])
def test_the_rows_give_the_same_findings_as_the_loaded_history(episode, code: str) -> None:  # type: ignore[no-untyped-def]
    latest = db.session.scalars(
        sa.select(Administration)
        .where(Administration.episode_id == episode.id, Administration.instrument_code == code)
        .order_by(Administration.id.desc())
    ).first()
    rows = [r for r in case_status.score_rows(episode) if r.instrument_code == code]

    from_rows = alerting._evaluate(episode, code, latest, history=rows)
    loaded = alerting._evaluate(episode, code, latest)

    assert len(rows) == {"phq9": 4, "gad7": 2, "srs": 4}[code]
    assert from_rows.findings == loaded.findings
    if code != "gad7":  # the worsening scores and the falling alliance raise something
        assert from_rows.findings
    assert (from_rows.covered, from_rows.model_version_id) == (
        loaded.covered,
        loaded.model_version_id,
    )
