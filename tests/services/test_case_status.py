"""The stored status: what ``feedback.episode_status`` and the old caseload computed, kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from outcome_monitor.core.attention import TYPE_RANK
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Alert,
    AlertStatus,
    Client,
    Episode,
    EpisodeStatus,
)
from outcome_monitor.models.case_status import CaseStatus
from outcome_monitor.services import (
    alerting,
    attention,
    care,
    case_status,
    feedback,
    refit,
    settings_changes,
)
from tests.builders import (
    insert_closed_episodes,
    new_episode,
    phq9,
    phq9_sessions,
    record_sessions,
    srs,
)
from tests.conftest import World, count
from tests.fhir.conftest import bundle, response, run
from tests.services import import_files

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
START = date(2026, 9, 1)

# The caseload's order before the status was stored (services/worklist.py, CaseloadEntry):
# the oracle the stored attention_rank must reproduce.
OLD_STATUS_RANK = {"red": 0, "yellow": 1, "grey": 3, "green": 4, "white": 5}
OLD_URGENCY = {str(t): rank for t, rank in TYPE_RANK.items()}


def _old_attention(episode: Episode) -> tuple[int, int, str]:
    colour = feedback.episode_status(episode).colour
    types = [a.type for a in _unresolved(episode)]
    urgent = min((OLD_URGENCY.get(t, 9) for t in types), default=9)
    risk = "risk_item" in types
    return (0 if risk else 1, OLD_STATUS_RANK.get(colour, 6) * 10 + urgent, episode.client.code)


def _unresolved(episode: Episode) -> list[Alert]:
    return list(
        db.session.scalars(
            sa.select(Alert).where(
                Alert.episode_id == episode.id, Alert.status != AlertStatus.RESOLVED
            )
        )
    )


def _gad7(total: int) -> dict[str, float]:
    answers = {str(i): 0.0 for i in range(1, 8)}
    left = total
    for i in range(1, 8):
        answers[str(i)] = float(min(3, left))
        left -= int(answers[str(i)])
    return answers


def _varied(world: World) -> list[Episode]:
    """Episodes in every colour, with risk, rupture, acknowledged and mixed-measure courses."""
    ph = phq9
    made = {
        "V-RED": [[("phq9", ph(12))], [("phq9", ph(19))]],
        "V-RISK": [[("phq9", ph(14, item9=2))]],
        "V-RISKRED": [[("phq9", ph(10))], [("phq9", ph(20, item9=1))]],
        "V-GREEN": [[("phq9", ph(22))], [("phq9", ph(11))]],
        "V-WHITE": [[("phq9", ph(3))], [("phq9", ph(2))]],
        "V-YELLOW": [[("phq9", ph(18))], [("phq9", ph(17))], [("phq9", ph(17))]],
        "V-FLAT": [[("phq9", ph(18))], [("phq9", ph(18))], [("phq9", ph(18))], [("phq9", ph(18))]],
        "V-SRS": [[("phq9", ph(16)), ("srs", srs(38.0))], [("srs", srs(20.0))]],
        "V-GAD": [[("gad7", _gad7(15))], [("phq9", ph(20)), ("gad7", _gad7(20))]],
        "V-ALLIANCE-ONLY": [[("srs", srs(36.0))]],
        "V-INTAKE": [[("phq9", ph(17))]],
    }
    episodes = [world.alices_client.current_episode]
    for code, given in made.items():
        episode = new_episode(world.alice, code)
        record_sessions(episode, *given, by=world.alice)
        episodes.append(episode)
    acknowledged = episodes[1]
    card = attention.episode_card(acknowledged)
    assert card is not None
    attention.acknowledge_card(
        episode=acknowledged,
        actions=[card.card.checklist[0].value],
        note="talked it through",
        by=world.alice,
        now=NOW,
    )
    return [e for e in episodes if e is not None]


def _stored(episode: Episode) -> CaseStatus:
    row = db.session.get(CaseStatus, episode.id)
    assert row is not None
    return row


def test_refresh_reproduces_the_episode_status_colours(world: World) -> None:
    episodes = _varied(world)

    colours = {e.client.code: case_status.refresh(e).colour for e in episodes}

    assert colours == {e.client.code: feedback.episode_status(e).colour for e in episodes}
    assert {"red", "green", "white", "grey", "yellow"} <= set(colours.values())


def test_refresh_reproduces_the_old_caseload_order(world: World) -> None:
    episodes = _varied(world)
    for episode in episodes:
        case_status.refresh(episode)

    stored = sorted(episodes, key=lambda e: (_stored(e).attention_rank, e.client.code))

    assert [e.client.code for e in stored] == [
        e.client.code for e in sorted(episodes, key=_old_attention)
    ]
    assert stored[0].client.code in ("V-RISK", "V-RISKRED")


def test_refresh_summarises_the_open_card(world: World) -> None:
    episodes = {e.client.code: e for e in _varied(world)}

    risky = case_status.refresh(episodes["V-RISKRED"])
    rupture = case_status.refresh(episodes["V-SRS"])
    quiet = case_status.refresh(episodes["V-GREEN"])

    assert risky.has_risk and risky.open_reasons[0] == "risk_item"
    assert "reliable_deterioration" in risky.open_reasons
    assert len(risky.open_reasons) == len(_unresolved(episodes["V-RISKRED"])) == risky.open_alerts
    assert risky.oldest_open_at == min(a.opened_at for a in _unresolved(episodes["V-RISKRED"]))
    assert rupture.has_rupture and not rupture.has_risk
    assert (quiet.open_reasons, quiet.open_alerts, quiet.oldest_open_at) == ([], 0, None)
    assert not quiet.has_risk and not quiet.has_rupture


def test_refresh_keeps_the_primary_measure_and_its_last_score(world: World) -> None:
    episodes = {e.client.code: e for e in _varied(world)}

    gad = case_status.refresh(episodes["V-GAD"])
    alliance_only = case_status.refresh(episodes["V-ALLIANCE-ONLY"])

    assert (gad.measure_code, gad.last_score, gad.scores_counted) == ("gad7", 20, 2)
    assert gad.last_score_on == START + timedelta(weeks=1)
    assert (alliance_only.colour, alliance_only.measure_code) == ("grey", None)
    assert alliance_only.last_score is None and alliance_only.scores_counted == 0
    assert alliance_only.prognosis == {"code": None, "missing": "no_measure"}


def test_a_score_refreshes_the_status_in_its_transaction(world: World) -> None:
    episode = new_episode(world.alice, "S-001")
    assert _stored(episode).colour == "grey"

    record_sessions(episode, *phq9_sessions(12, 19), by=world.alice)

    db.session.expire_all()
    row = _stored(episode)
    assert (row.colour, row.last_score, row.scores_counted) == ("red", 19, 2)
    assert "reliable_deterioration" in row.open_reasons


def test_acknowledging_and_resolving_refresh_the_status(world: World) -> None:
    episode = new_episode(world.alice, "S-002")
    record_sessions(episode, [("phq9", phq9(14, item9=2))], by=world.alice)
    assert _stored(episode).open_alerts == 1
    card = attention.episode_card(episode)
    assert card is not None

    attention.acknowledge_card(
        episode=episode,
        actions=[card.card.checklist[0].value],
        note="safety plan",
        by=world.alice,
        now=NOW,
    )
    db.session.expire_all()
    acknowledged = _stored(episode)
    assert (acknowledged.open_reasons, acknowledged.open_alerts) == (["risk_item"], 0)
    assert acknowledged.has_risk

    attention.resolve_reason(
        episode=episode, key=card.card.reasons[0].key, note="assessed", by=world.alice, now=NOW
    )
    db.session.expire_all()
    resolved = _stored(episode)
    assert (resolved.open_reasons, resolved.has_risk) == ([], False)


def test_resolving_one_alert_refreshes_the_status(world: World) -> None:
    episode = new_episode(world.alice, "S-003")
    record_sessions(episode, [("phq9", phq9(14, item9=2))], by=world.alice)
    (alert,) = _unresolved(episode)

    alerting.resolve_alert(alert=alert, note="assessed", by=world.alice, now=NOW)

    db.session.expire_all()
    assert _stored(episode).has_risk is False


def test_closing_and_opening_episodes_refresh_the_status(world: World) -> None:
    episode = new_episode(world.alice, "S-004")
    record_sessions(episode, *phq9_sessions(12, 19), by=world.alice)
    before = _stored(episode).updated_at

    care.close_episode(
        episode=episode,
        closed_on=START + timedelta(weeks=3),
        status=EpisodeStatus.CLOSED,
        reason="ended",
        by=world.alice,
    )

    db.session.expire_all()
    assert _stored(episode).updated_at >= before
    assert _stored(episode).colour == feedback.episode_status(episode).colour


def test_refresh_many_equals_refresh_one_by_one(world: World) -> None:
    episodes = _varied(world)
    one_by_one = {e.id: _columns(case_status.refresh(e)) for e in episodes}
    db.session.execute(sa.delete(CaseStatus))
    db.session.flush()

    written = case_status.refresh_many([e.id for e in episodes] + [10**9])

    assert written == len(episodes)
    assert {e.id: _columns(_stored(e)) for e in episodes} == one_by_one


def test_refresh_many_works_in_batches(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    episodes = _varied(world)
    expected = {e.id: _columns(case_status.refresh(e)) for e in episodes}
    db.session.execute(sa.delete(CaseStatus))
    monkeypatch.setattr(case_status, "BATCH", 3)

    assert case_status.refresh_many(e.id for e in episodes) == len(episodes)
    assert {e.id: _columns(_stored(e)) for e in episodes} == expected


def test_refresh_many_only_flushes(world: World) -> None:
    episode = world.alices_client.current_episode
    assert episode is not None
    db.session.execute(sa.delete(CaseStatus))
    db.session.commit()

    case_status.refresh_many([episode.id])
    db.session.rollback()

    assert count(CaseStatus) == 0


def test_missing_episode_ids_lists_episodes_without_a_row(world: World) -> None:
    other = new_episode(world.alice, "S-005")
    db.session.execute(sa.delete(CaseStatus).where(CaseStatus.episode_id == other.id))

    assert list(db.session.scalars(case_status.missing_episode_ids())) == [other.id]


def test_the_prognosis_is_stored_under_a_fitted_method(world: World) -> None:
    insert_closed_episodes(world.alice, n=30)
    settings_changes.update_settings(
        changes={"empirical_min_episodes": 20, "trajectory_method": "empirical"}, by=world.ada
    )
    refit.refit_models(now=NOW)
    episode = new_episode(world.alice, "P-001")
    record_sessions(episode, *phq9_sessions(19, 17, 18), by=world.alice)

    row = case_status.refresh(episode)

    assert row.prognosis_worse is not None and 0 <= row.prognosis_worse <= 1
    assert row.prognosis is not None and row.prognosis["p_deterioration"] == row.prognosis_worse
    outlook = case_status.outlook_of(row.prognosis)
    assert outlook is not None and outlook.prognosis is not None
    assert outlook.code == "phq9"
    assert outlook.prognosis.p_deterioration == row.prognosis_worse


def test_no_prognosis_under_the_rational_method(world: World) -> None:
    episode = new_episode(world.alice, "P-002")
    record_sessions(episode, *phq9_sessions(19, 17), by=world.alice)

    row = case_status.refresh(episode)

    assert row.prognosis_worse is None
    assert row.prognosis == {"code": "phq9", "missing": "rational"}
    outlook = case_status.outlook_of(row.prognosis)
    assert outlook is not None and outlook.prognosis is None


def test_no_stored_prognosis_is_no_outlook() -> None:
    assert case_status.outlook_of(None) is None
    assert case_status.outlook_of({}) is None


def _columns(row: CaseStatus) -> tuple[object, ...]:
    return (
        row.colour,
        row.measure_code,
        row.last_score,
        row.last_score_on,
        row.scores_counted,
        list(row.open_reasons),
        row.open_alerts,
        row.has_risk,
        row.has_rupture,
        row.oldest_open_at,
        row.prognosis_worse,
        row.prognosis,
        row.attention_rank,
    )


def test_refresh_status_command_fills_every_episode(world: World, runner) -> None:  # type: ignore[no-untyped-def]
    new_episode(world.alice, "S-006")
    db.session.execute(sa.delete(CaseStatus))
    db.session.commit()

    result = runner.invoke(args=["refresh-status"])

    assert result.exit_code == 0, result.output
    assert "refreshed for 3 episode(s)" in result.output
    assert count(CaseStatus) == count(Episode) == 3


def test_refresh_status_missing_only_fills_the_gaps(world: World, runner) -> None:  # type: ignore[no-untyped-def]
    other = new_episode(world.alice, "S-007")
    db.session.execute(sa.delete(CaseStatus).where(CaseStatus.episode_id == other.id))
    db.session.commit()

    result = runner.invoke(args=["refresh-status", "--missing"])

    assert result.exit_code == 0, result.output
    assert "refreshed for 1 episode(s)" in result.output
    assert count(CaseStatus) == count(Episode)


def test_a_refit_refreshes_the_active_episodes_on_its_measure(world: World) -> None:
    insert_closed_episodes(world.alice, n=30)
    episode = new_episode(world.alice, "R-ACTIVE")
    record_sessions(episode, *phq9_sessions(19, 17, 18), by=world.alice)
    settings_changes.update_settings(
        changes={"empirical_min_episodes": 20, "trajectory_method": "empirical"}, by=world.ada
    )
    db.session.expire_all()
    assert _stored(episode).prognosis == {"code": "phq9", "missing": "rational"}

    refit.refit_models(now=NOW)

    db.session.expire_all()
    row = _stored(episode)
    assert row.prognosis_worse is not None
    assert row.colour == feedback.episode_status(episode).colour


def test_a_threshold_override_refreshes_the_colours(world: World) -> None:
    episode = new_episode(world.alice, "O-001")
    record_sessions(episode, *phq9_sessions(12, 19), by=world.alice)
    assert _stored(episode).colour == "red"

    settings_changes.override_threshold(
        code="phq9",
        field="reliable_change",
        value=20.0,
        old_value=None,
        reason="test",
        by=world.ada,
    )

    db.session.expire_all()
    assert _stored(episode).colour == feedback.episode_status(episode).colour != "red"


def test_the_csv_import_stores_the_status_of_its_episodes(world: World) -> None:
    rows = [
        import_files.row(client="I-1", total=12),
        import_files.row(client="I-1", session=2, day="2025-01-13", total=20),
        import_files.row(client="I-2", total=5, closed="2025-01-06", planned_end="yes"),
    ]

    result = import_files.run_import(import_files.csv_bytes(rows))

    assert result.written
    imported = db.session.scalars(sa.select(Episode).join(Client).where(Client.code.like("I-%")))
    for episode in imported:
        assert _stored(episode).colour == feedback.episode_status(episode).colour
    assert count(CaseStatus) == count(Episode)


def test_the_fhir_import_stores_the_status_of_its_episodes(world: World) -> None:
    worse = {str(i): 2 for i in range(1, 10)}
    text = bundle(
        response("F-1", authored="2025-03-04", identifier="a"),
        response("F-1", authored="2025-03-11", identifier="b", answers=worse),
    )

    run(text, world.alice)

    episode = db.session.scalars(sa.select(Episode).join(Client).where(Client.code == "F-1")).one()
    row = _stored(episode)
    assert (row.measure_code, row.scores_counted) == ("phq9", 2)
    assert row.colour == feedback.episode_status(episode).colour
