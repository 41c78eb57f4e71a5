"""Staff side of the hand-over: start, resume, discard, the PIN, and the client-page panel."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from outcome_monitor.models import (
    Administration,
    Alert,
    Episode,
    HandOver,
    RemoteLink,
)
from outcome_monitor.models.types import utcnow as _now  # tests move this module's clock
from outcome_monitor.services import NotFound, ServiceError, access, drafts, instruments, links
from outcome_monitor.services import handover as handovers
from outcome_monitor.services.drafts import MeasureProgress
from outcome_monitor.services.settings import get_settings
from outcome_monitor.web.helpers import clinical_required, episode_or_404
from outcome_monitor.web.tablet import bp
from outcome_monitor.web.tablet.forms import PinForm, StartHandOverForm
from outcome_monitor.web.tablet.guard import enter_client_mode

NO_SESSION = 0


def start_form(episode: Episode, *, submitted: bool = False) -> StartHandOverForm:
    """The hand-over form; unsubmitted, it proposes the service's before and after measures."""
    form = StartHandOverForm() if submitted else StartHandOverForm(formdata=None)
    form.measures.choices = [
        SelectChoice(d.code, instruments.choice_label(d)) for d in instruments.enabled_instruments()
    ]
    form.session_id.choices = [SelectChoice(NO_SESSION, _("(not tied to a session)"))] + [
        SelectChoice(s.id, _("Session %(n)s, %(date)s", n=s.number, date=s.date))
        for s in reversed(episode.sessions)
    ]
    if not submitted:
        settings = get_settings()
        form.measures.data = [*settings.pre_session_measures, *settings.post_session_measures]
        form.session_id.data = episode.sessions[-1].id if episode.sessions else NO_SESSION
    return form


@bp.route("/episodes/<int:episode_id>/start", methods=["POST"])
@clinical_required
def start(episode_id: int) -> Response:
    episode = episode_or_404(episode_id)
    form = start_form(episode, submitted=True)
    back = url_for("clients.detail", client_id=episode.client_id)
    if not form.validate_on_submit():
        flash(_("Choose at least one questionnaire to hand over."), "error")
        return redirect(back)
    try:
        handover = handovers.start_handover(
            episode=episode,
            session_id=form.session_id.data or None,
            codes=form.measures.data or [],
            by=current_user,
            now=_now(),
        )
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(back)
    enter_client_mode(handover.id)
    return redirect(url_for(".kiosk"))


def _handover_or_404(handover_id: int) -> HandOver:
    try:
        return access.handover_for(current_user, handover_id)
    except NotFound:
        abort(404)


@bp.route("/handovers/<int:handover_id>/resume", methods=["POST"])
@clinical_required
def resume(handover_id: int) -> Response:
    handover = _handover_or_404(handover_id)
    try:
        handovers.resume_handover(handover=handover, by=current_user, now=_now())
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("clients.detail", client_id=handover.episode.client_id))
    enter_client_mode(handover.id)
    return redirect(url_for(".kiosk"))


@bp.route("/handovers/<int:handover_id>/discard", methods=["POST"])
@clinical_required
def discard(handover_id: int) -> Response:
    handover = _handover_or_404(handover_id)
    try:
        handovers.discard_handover(handover=handover, by=current_user, now=_now())
        flash(_("The unfinished answers were discarded."), "success")
    except ServiceError as error:
        flash(str(error), "error")
    return redirect(url_for("clients.detail", client_id=handover.episode.client_id))


@bp.route("/pin", methods=["GET", "POST"])
@clinical_required
def pin() -> Response | str:
    form = PinForm()
    if form.validate_on_submit():
        try:
            handovers.set_own_pin(
                user=current_user, password=form.password.data or "", pin=form.pin.data or ""
            )
        except ServiceError as error:
            form.password.errors = [str(error)]
        else:
            flash(_("Your unlock PIN is set."), "success")
            return redirect(url_for(".pin"))
    return render_template("tablet/pin.html", form=form, has_pin=bool(current_user.unlock_pin_hash))


@dataclass(frozen=True)
class OpenHandOver:
    handover: HandOver
    progress: list[MeasureProgress]


@dataclass(frozen=True)
class TabletPanel:
    form: StartHandOverForm
    pre: tuple[str, ...]
    post: tuple[str, ...]
    names: dict[str, str]
    open_handovers: list[OpenHandOver]
    client_entered: list[tuple[Administration, list[Alert]]]
    links: list[tuple[RemoteLink, str]]
    link_days: int


def tablet_panel(episode: Episode) -> TabletPanel:
    """Everything the client page shows about hand-overs and links (read-only)."""
    settings = get_settings()
    now = _now()
    return TabletPanel(
        form=start_form(episode),
        pre=settings.pre_session_measures,
        post=settings.post_session_measures,
        names={d.code: d.name for d in instruments.all_instruments()},
        open_handovers=[
            OpenHandOver(h, drafts.progress(h)) for h in handovers.open_handovers(episode)
        ],
        client_entered=drafts.client_entered(episode),
        links=[(link, links.link_status(link, now)) for link in links.episode_links(episode)],
        link_days=settings.remote_link_days,
    )


@bp.app_context_processor
def panel_helpers() -> dict[str, object]:
    return {"tablet_panel": tablet_panel}
