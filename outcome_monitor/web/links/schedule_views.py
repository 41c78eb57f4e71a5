"""Scheduled links on the client page: schedule one, cancel it, show one that was not emailed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from outcome_monitor.models import Episode, LinkSchedule, ScheduleState
from outcome_monitor.models.link_schedule import EPISODE_CLOSED
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import NotFound, ServiceError, access, instruments, link_schedules
from outcome_monitor.services.clock import service_today
from outcome_monitor.services.links import LinkStatus, link_status
from outcome_monitor.web.helpers import clinical_required, episode_or_404
from outcome_monitor.web.links import bp
from outcome_monitor.web.links.forms import ScheduleLinkForm


def _measure_choices() -> list[SelectChoice]:
    return [
        SelectChoice(d.code, instruments.choice_label(d)) for d in instruments.enabled_instruments()
    ]


def _back(episode: Episode) -> Response:
    return redirect(url_for("clients.detail", client_id=episode.client_id))


def _schedule_or_404(schedule_id: int) -> LinkSchedule:
    try:
        return access.schedule_for(current_user, schedule_id)
    except NotFound:
        abort(404)  # the same 404 for a foreign schedule as for one that does not exist


@bp.route("/links/episodes/<int:episode_id>/schedules", methods=["POST"])
@clinical_required
def schedule(episode_id: int) -> Response:
    episode = episode_or_404(episode_id)
    form = ScheduleLinkForm()
    form.measures.choices = _measure_choices()
    if not form.validate_on_submit() or form.send_on.data is None:
        flash(_("Choose at least one questionnaire and the day to send the link."), "error")
        return _back(episode)
    try:
        link_schedules.schedule_link(
            episode=episode,
            codes=form.measures.data or [],
            send_on=form.send_on.data,
            email=form.email.data,
            by=current_user,
            now=utcnow(),
            today=service_today(current_app),
        )
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("The link will be sent on %(day)s.", day=form.send_on.data.isoformat()), "success")
    return _back(episode)


@bp.route("/links/schedules/<int:schedule_id>/cancel", methods=["POST"])
@clinical_required
def cancel_schedule(schedule_id: int) -> Response:
    schedule = _schedule_or_404(schedule_id)
    try:
        link_schedules.cancel_schedule(schedule=schedule, by=current_user, now=utcnow())
        flash(_("The scheduled link was cancelled."), "success")
    except ServiceError as error:
        flash(str(error), "error")
    return _back(schedule.episode)


@bp.route("/links/schedules/<int:schedule_id>/show", methods=["POST"])
@clinical_required
def show_scheduled_link(schedule_id: int) -> Response:
    schedule = _schedule_or_404(schedule_id)
    try:
        issued = link_schedules.reveal_link(schedule=schedule, by=current_user, now=utcnow())
    except ServiceError as error:
        flash(str(error), "error")
        return _back(schedule.episode)
    url = url_for(".start", token=issued.token, _external=True)
    flash(_("Link created (copy it now; it is not shown again): %(url)s", url=url), "link")
    return _back(schedule.episode)


# What the panel says of a schedule in each state (PENDING and EMAILED: see ``_state_words``).
STATE_WORDS = {
    ScheduleState.READY: _l("ready to pass on"),
    ScheduleState.FAILED: _l("the email could not be sent; pass the link on yourself"),
    ScheduleState.SKIPPED: _l("not sent"),
    ScheduleState.CANCELLED: _l("cancelled"),
}


@dataclass(frozen=True)
class ScheduleRow:
    schedule: LinkSchedule
    words: str  # the state, as the panel says it
    note: str | None  # the recorded reason, unless ``words`` already say it
    can_cancel: bool  # not yet processed
    can_show: bool  # issued, not emailed or not yet opened: the therapist may pass it on


@dataclass(frozen=True)
class SchedulePanel:
    choices: list[SelectChoice]
    rows: list[ScheduleRow]
    first_day: date
    last_day: date


def schedule_panel(episode: Episode) -> SchedulePanel:
    """The "Schedule a link" form and the episode's scheduled links (read-only)."""
    now = utcnow()
    today = service_today(current_app, now)
    rows = [_row(s, now) for s in link_schedules.episode_schedules(episode)]
    last_day = today + timedelta(days=link_schedules.MAX_DAYS_AHEAD)
    return SchedulePanel(_measure_choices(), rows, today, last_day)


def _row(schedule: LinkSchedule, now: datetime) -> ScheduleRow:
    words = _state_words(schedule)
    closed = schedule.state is ScheduleState.SKIPPED and schedule.reason == EPISODE_CLOSED
    note = None if closed else schedule.reason
    can_cancel = schedule.state is ScheduleState.PENDING and schedule.processed_at is None
    return ScheduleRow(schedule, words, note, can_cancel, _waiting(schedule, now))


def _state_words(schedule: LinkSchedule) -> str:
    state = schedule.state
    if state is ScheduleState.PENDING:
        if schedule.email:
            return _("waiting to be sent by email")
        return _("waiting; you will pass it on")
    if state is ScheduleState.EMAILED and schedule.processed_at is not None:
        return _("emailed %(at)s", at=schedule.processed_at.strftime("%Y-%m-%d %H:%M"))
    if state is ScheduleState.SKIPPED and schedule.reason == EPISODE_CLOSED:
        return _("not sent: the episode was closed")
    return str(STATE_WORDS.get(state, state.value))


def _waiting(schedule: LinkSchedule, now: datetime) -> bool:
    return schedule.link is not None and link_status(schedule.link, now) == LinkStatus.WAITING


@bp.app_context_processor
def schedule_panel_helper() -> dict[str, object]:
    return {"link_schedule_panel": schedule_panel}
