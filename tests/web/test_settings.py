"""Service settings: instruments enabled, threshold overrides with reason, options."""

from __future__ import annotations

from datetime import date

import pytest

from outcome_monitor.models import AuditEvent
from outcome_monitor.services import ServiceError, care, instruments, settings, settings_changes
from tests.conftest import World, count


def test_therapist_cannot_reach_settings(login_as, world: World) -> None:
    assert login_as(world.alice).get("/admin/settings").status_code == 404


def test_settings_page_lists_every_instrument_with_sources(login_as, world: World) -> None:
    text = login_as(world.ada).get("/admin/settings").get_data(as_text=True)
    for code in ("phq9", "gad7", "pcl5", "auditc", "srs", "ors", "core10", "waisr"):
        assert f'id="instrument-{code}"' in text
    assert "UNVERIFIED" in text
    assert "10 or more is in the clinical range" in text


def test_disabled_instrument_cannot_be_entered(client, login_as, world: World) -> None:
    login_as(world.ada).post("/admin/settings/instruments", data={"code": "gad7", "enabled": "0"})
    assert settings.disabled_instruments() == {"gad7"}
    client.post("/logout")
    episode = world.alices_client.current_episode
    therapist = login_as(world.alice)
    assert therapist.get(f"/clients/episodes/{episode.id}/measures/gad7").status_code == 404
    assert "gad7" not in [d.code for d in instruments.enabled_instruments()]


def test_override_is_recorded_used_and_shown(client, login_as, world: World) -> None:
    admin = login_as(world.ada)
    admin.post(
        "/admin/settings/overrides",
        data={"code": "phq9", "field": "cutoff", "value": "12", "reason": "local audit 2026"},
    )
    history = settings.override_history("phq9")
    assert [(h.old_value, h.new_value, h.reason) for h in history] == [(10, 12, "local audit 2026")]
    assert history[0].created_by_id == world.ada.id
    assert count(AuditEvent, AuditEvent.action == "threshold.override") == 1
    rules = instruments.rules_for(instruments.get_definition("phq9"))
    assert rules.cutoff.value == 12 and rules.cutoff.inclusive
    client.post("/logout")
    episode = world.alices_client.current_episode
    session = care.record_session(
        episode=episode, session_date=date(2026, 9, 2), attended=True, by=world.alice
    )
    answers = {f"item_{i}": 1 for i in range(1, 10)} | {"item_9": 0, "item_8": 3}
    page = (
        login_as(world.alice)
        .post(
            f"/clients/episodes/{episode.id}/measures/phq9",
            data=answers | {"session_id": session.id},
            follow_redirects=True,
        )
        .get_data(as_text=True)
    )
    assert "12 or more is in the clinical range" in page
    assert "Service override: was 10" in page and "local audit 2026" in page
    assert '<dd class="clinical">in the non-clinical range</dd>' in page  # 10 < 12


def test_override_without_reason_is_refused(login_as, world: World) -> None:
    response = login_as(world.ada).post(
        "/admin/settings/overrides",
        data={"code": "phq9", "field": "cutoff", "value": "12", "reason": ""},
        follow_redirects=True,
    )
    assert "reason" in response.get_data(as_text=True)
    assert settings.override_history() == []


def test_empty_value_returns_to_the_published_threshold(login_as, world: World) -> None:
    admin = login_as(world.ada)
    admin.post(
        "/admin/settings/overrides",
        data={"code": "gad7", "field": "reliable_change", "value": "5", "reason": "a"},
    )
    admin.post(
        "/admin/settings/overrides",
        data={"code": "gad7", "field": "reliable_change", "value": "", "reason": "back"},
    )
    rules = instruments.rules_for(instruments.get_definition("gad7"))
    assert rules.reliable_change.value == 4
    assert [h.new_value for h in settings.override_history("gad7")] == [None, 5]


VALID_OPTIONS = {
    "trajectory_method": "rational",
    "no_change_session": 4,
    "overdue_days": 21,
    "overdue_sessions": 3,
    "rupture_k": 2,
    "escalate_red_after_hours": 48,
    "escalate_risk_after_hours": 24,
    "pre_session_measures": "phq9, gad7",
    "post_session_measures": "srs",
    "handover_idle_minutes": 10,
    "remote_link_days": 4,
    "alert_budget": 0.2,
    "red_alert_budget": 0.1,
}


def test_options_are_saved_and_audited(login_as, world: World) -> None:
    data = {
        "trajectory_method": "empirical",
        "no_change_session": 5,
        "overdue_days": 14,
        "overdue_sessions": 2,
        "rupture_k": 1.5,
        "escalate_red_after_hours": 24,
        "escalate_risk_after_hours": 12,
        "pre_session_measures": "phq9, core10",
        "post_session_measures": "srs",
        "handover_idle_minutes": 5,
        "remote_link_days": 3,
        "clients_see_progress_graph": "y",
        "alert_budget": 0.15,
        "red_alert_budget": 0.05,
    }
    login_as(world.ada).post("/admin/settings/options", data=data)
    current = settings.get_settings()
    assert current.trajectory_method == "empirical" and current.no_change_session == 5
    assert (current.alert_budget, current.red_alert_budget) == (0.15, 0.05)
    assert current.pre_session_measures == ("phq9", "core10")
    assert current.clients_see_progress_graph is True
    assert current.handover_one_item_per_screen is False
    assert count(AuditEvent, AuditEvent.action == "settings.update") == 1


def test_red_budget_above_the_alert_budget_is_refused(login_as, world: World) -> None:
    with pytest.raises(ServiceError, match="red alert budget cannot be larger"):
        settings_changes.update_settings(
            changes={"alert_budget": 0.1, "red_alert_budget": 0.2}, by=world.ada
        )
    assert settings.get_settings().alert_budget == 0.2  # nothing half-saved


def test_settings_page_says_no_calibrated_model_yet(login_as, world: World) -> None:
    page = login_as(world.ada).get("/admin/settings").get_data(as_text=True)
    assert "Alert budget and calibration" in page
    assert "No calibrated model is in use" in page


def test_invalid_option_says_what_is_wrong(login_as, world: World) -> None:
    response = login_as(world.ada).post(
        "/admin/settings/options", data={"trajectory_method": "magic"}, follow_redirects=True
    )
    assert "Settings not saved" in response.get_data(as_text=True)
    assert settings.get_settings().trajectory_method == "rational"


def test_a_screening_measure_cannot_be_given_every_session(login_as, world: World) -> None:
    response = login_as(world.ada).post(
        "/admin/settings/options",
        data={**VALID_OPTIONS, "pre_session_measures": "phq9, auditc"},
        follow_redirects=True,
    )
    assert "auditc is a screening measure" in response.get_data(as_text=True)
    assert settings.get_settings().pre_session_measures == ("phq9", "gad7")


def test_an_unknown_session_measure_is_refused(login_as, world: World) -> None:
    response = login_as(world.ada).post(
        "/admin/settings/options",
        data={**VALID_OPTIONS, "post_session_measures": "srs, nope"},
        follow_redirects=True,
    )
    assert "nope is not an instrument of this service" in response.get_data(as_text=True)
