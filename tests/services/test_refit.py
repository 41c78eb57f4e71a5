"""Refitting the trajectory models from the service's closed episodes (synthetic data only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from outcome_monitor.core.simulate import preset, simulate
from outcome_monitor.core.trajectories import EmpiricalModel, NeighboursModel
from outcome_monitor.extensions import db
from outcome_monitor.models import (
    Administration,
    Alert,
    AuditEvent,
    Client,
    EntryMode,
    Episode,
    EpisodeStatus,
    TherapySession,
    TrajectoryModelVersion,
    User,
)
from outcome_monitor.services import care, feedback, instruments, measures, refit, settings_changes
from tests.builders import insert_closed_episodes
from tests.conftest import World, count

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
START = date(2025, 1, 6)


def _lower_minimum(world: World, minimum: int = 20, **more: object) -> None:
    settings_changes.update_settings(
        changes={"empirical_min_episodes": minimum, **more}, by=world.ada
    )


def test_enough_closed_episodes_store_a_version_per_method(world: World) -> None:
    insert_closed_episodes(world.alice, n=30)
    _lower_minimum(world)
    result = refit.refit_models(now=NOW)
    stored = {(v.instrument_code, v.method): v for v in result.stored}
    assert set(stored) == {("phq9", "empirical"), ("phq9", "neighbours")}
    empirical = stored[("phq9", "empirical")]
    assert empirical.fitted_at == NOW
    assert 20 <= empirical.n_reference <= 30
    assert isinstance(EmpiricalModel.from_dict(empirical.parameters), EmpiricalModel)
    assert isinstance(
        NeighboursModel.from_dict(stored[("phq9", "neighbours")].parameters), NeighboursModel
    )
    audited = db.session.scalars(
        sa.select(AuditEvent.object_id).where(AuditEvent.action == "model.refit")
    ).all()
    assert sorted(audited) == sorted(str(v.id) for v in result.stored)


def test_measures_without_enough_data_fall_back_and_say_why(world: World) -> None:
    insert_closed_episodes(world.alice, n=30)
    result = refit.refit_models(now=NOW)  # the default minimum is 200 episodes
    assert result.stored == []
    assert count(TrajectoryModelVersion) == 0
    assert count(AuditEvent, AuditEvent.action == "model.refit") == 0
    assert "the empirical method needs 200" in result.skipped[("phq9", "empirical")]
    assert "the neighbours method needs 200" in result.skipped[("phq9", "neighbours")]
    assert "0 closed episodes" in result.skipped[("gad7", "empirical")]
    assert "not fitted" in result.summary().splitlines()[0]


def test_bands_are_calibrated_to_the_services_alert_budget(world: World) -> None:
    insert_closed_episodes(world.alice, n=40)
    _lower_minimum(world, alert_budget=0.3, red_alert_budget=0.15)
    wide = {v.method: v.parameters for v in refit.refit_models(now=NOW).stored}
    settings_changes.update_settings(
        changes={"alert_budget": 0.1, "red_alert_budget": 0.05}, by=world.ada
    )
    narrow = {v.method: v.parameters for v in refit.refit_models(now=NOW).stored}
    for method in ("empirical", "neighbours"):
        calibration = narrow[method]["calibration"]
        assert (calibration["budget"], calibration["red_budget"]) == (0.1, 0.05)
        assert calibration["metrics"]["yellow"]["share_flagged"] <= 0.1
        assert calibration["metrics"]["red"]["share_flagged"] <= 0.05
        # a smaller budget can only raise the percentiles (fewer alerts)
        assert narrow[method]["yellow_percentile"] >= wide[method]["yellow_percentile"]
        assert narrow[method]["red_percentile"] > narrow[method]["yellow_percentile"]


def test_only_closed_and_dropped_out_episodes_are_reference_data(world: World) -> None:
    insert_closed_episodes(world.alice, n=12, status=EpisodeStatus.CLOSED, seed=1)
    insert_closed_episodes(world.alice, n=8, status=EpisodeStatus.DROPPED_OUT, seed=2)
    insert_closed_episodes(world.alice, n=9, status=EpisodeStatus.ACTIVE, seed=3)
    assert len(refit.reference_episodes("phq9")) == 20
    assert refit.reference_episodes("gad7") == []


def test_only_enabled_outcome_measures_are_fitted(world: World) -> None:
    settings_changes.set_instrument_enabled(code="gad7", enabled=False, by=world.ada)
    codes = {code for code, _method in refit.refit_models(now=NOW).skipped}
    assert "gad7" not in codes
    skipped = refit.refit_models(now=NOW).skipped
    # alliance measures have no trajectory, only the service SD used by the rupture rule
    assert {m for c, m in skipped if c in ("srs", "waisr")} == {"alliance_sd"}
    assert {"phq9", "core10", "ors"} <= codes


def test_each_refit_adds_a_version_and_the_newest_is_in_use(world: World) -> None:
    insert_closed_episodes(world.alice, n=30)
    _lower_minimum(world, trajectory_method="empirical")
    first = refit.refit_models(now=NOW).stored
    second = refit.refit_models(now=NOW + timedelta(days=1)).stored
    assert count(TrajectoryModelVersion) == 4
    in_use = feedback.model_in_use("phq9")
    newest = next(v for v in second if v.method == "empirical")
    assert in_use.version is not None and in_use.version.id == newest.id
    assert in_use.fallback_reason is None and isinstance(in_use.model, EmpiricalModel)
    assert db.session.get(TrajectoryModelVersion, first[0].id) is not None


def test_alerts_name_the_fitted_model_version(world: World) -> None:
    # 15 -> 18 at session 2: not a reliable deterioration and green for the rational rule,
    # but beyond the red bound of the model fitted on the synthetic reference episodes.
    insert_closed_episodes(world.alice, n=30)
    _lower_minimum(world, trajectory_method="empirical")
    version = next(v for v in refit.refit_models(now=NOW).stored if v.method == "empirical")
    episode = world.alices_client.current_episode
    for on, answers in ((date(2026, 9, 1), _phq9(15)), (date(2026, 9, 8), _phq9(18))):
        session = care.record_session(
            episode=episode, session_date=on, attended=True, by=world.alice
        )
        recorded = measures.record_administration(
            episode=episode,
            session_id=session.id,
            instrument_code="phq9",
            answers=answers,
            entry_mode=EntryMode.THERAPIST,
            by=world.alice,
        )
    assert [(a.type, a.severity) for a in recorded.alerts] == [("not_on_track", "red")]
    stored = db.session.scalars(sa.select(Alert).where(Alert.instrument_code == "phq9")).all()
    assert stored and {a.model_version_id for a in stored} == {version.id}


def _phq9(total: int) -> dict[str, float]:
    """Nine answers summing to ``total`` with item 9 (the risk item) at 0."""
    answers = {str(i): 0.0 for i in range(1, 10)}
    for i in range(1, 9):
        answers[str(i)] = float(min(3, total))
        total -= int(answers[str(i)])
    assert total == 0
    return answers


def insert_closed_alliance_episodes(therapist: User, *, n: int) -> None:
    """Closed episodes with SRS totals from the simulator (fixture rows, written directly)."""
    version = instruments.library()["srs"].version
    for i, sim in enumerate(simulate(preset("phq9", alliance=True), episodes=n, seed=11)):
        episode = Episode(
            client=Client(code=f"S-{i:03d}", therapist_id=therapist.id),
            therapist_id=therapist.id,
            opened_on=START,
            status=str(EpisodeStatus.CLOSED),
            closed_on=START + timedelta(weeks=len(sim.alliance)),
        )
        for number, total in enumerate(sim.alliance, start=1):
            session = TherapySession(
                episode=episode, number=number, date=START + timedelta(weeks=number - 1)
            )
            db.session.add(
                Administration(
                    episode=episode,
                    session=session,
                    instrument_code="srs",
                    instrument_version=version,
                    answers={},
                    total=total,
                    entry_mode=EntryMode.IMPORT.value,
                )
            )
    db.session.commit()


def test_the_service_alliance_sd_is_fitted_and_used_by_the_rupture_rule(world: World) -> None:
    insert_closed_alliance_episodes(world.alice, n=120)
    result = refit.refit_models(now=NOW)
    fitted = [v for v in result.stored if v.method == "alliance_sd"]
    assert [v.instrument_code for v in fitted] == ["srs"]
    sd = fitted[0].parameters["service_sd"]
    assert 0.5 < sd < 5 and fitted[0].n_reference >= 30
    assert feedback.alliance_sd_version("srs").id == fitted[0].id
    episode = world.alices_client.current_episode
    for week, total in enumerate((39.2, 38.8, 39.2, 38.8, 30.0)):
        session = care.record_session(
            episode=episode,
            session_date=episode.opened_on + timedelta(weeks=week),
            attended=True,
            by=world.alice,
        )
        marks = {str(i + 1): total / 4 for i in range(4)}
        recorded = measures.record_administration(
            episode=episode,
            session_id=session.id,
            instrument_code="srs",
            answers=marks,
            entry_mode=EntryMode.THERAPIST,
            by=world.alice,
        )
    rupture = next(a for a in recorded.alerts if a.type == "alliance_rupture")
    assert rupture.model_version_id == fitted[0].id
    assert f"SD {round(sd, 1):g}" in rupture.reason_text


def test_too_few_alliance_episodes_keep_the_default_sd(world: World) -> None:
    insert_closed_alliance_episodes(world.alice, n=5)
    result = refit.refit_models(now=NOW)
    assert "30 needed" in result.skipped[("srs", "alliance_sd")]
    assert feedback.alliance_sd_version("srs") is None


def test_a_model_stored_in_an_old_format_falls_back_to_rational(world: World) -> None:
    from outcome_monitor.extensions import db
    from outcome_monitor.models import TrajectoryModelVersion
    from outcome_monitor.services import feedback

    _lower_minimum(world, trajectory_method="neighbours")
    old = {"method": "neighbours", "grid": [0, 1], "expected": [[1.0]], "k": 10}
    db.session.add(
        TrajectoryModelVersion(
            instrument_code="phq9",
            method="neighbours",
            n_reference=300,
            fitted_at=NOW,
            parameters=old,
        )
    )
    db.session.commit()
    in_use = feedback.model_in_use("phq9")
    assert in_use.model.method == "rational" and in_use.version is None
    assert in_use.fallback_reason is not None and "next refit" in in_use.fallback_reason
