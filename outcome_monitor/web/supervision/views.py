"""Supervision of a case: the review form (supervisors of the client's team only), the
therapist's "Ask for supervision" button, and the client page's Supervision panel."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outcome_monitor.models import Episode, Role
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import NotFound, ServiceError, attention, supervision
from outcome_monitor.services.supervision import SupervisionPanel
from outcome_monitor.web.helpers import (
    clinic_today,
    clinical_required,
    episode_or_404,
    roles_required,
)
from outcome_monitor.web.supervision import bp, words
from outcome_monitor.web.supervision.forms import (
    REQUEST_PREFIX,
    RequestForm,
    ReviewForm,
    request_form,
)


def _local(target: str | None) -> str | None:
    """A path on this site only (no scheme, no other host), else None."""
    target = target or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _client_page(episode: Episode) -> str:
    return url_for("clients.detail", client_id=episode.client_id) + "#supervision"


def reviewable_or_404(episode_id: int) -> Episode:
    try:
        return supervision.get_reviewable_episode(current_user, episode_id)
    except NotFound:
        abort(404)


@bp.route("/episodes/<int:episode_id>/review", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def review(episode_id: int):
    """Record a supervision review; back to where the supervisor came from (PRG)."""
    episode = reviewable_or_404(episode_id)
    form = ReviewForm()
    if request.method == "GET":
        form.reviewed_on.data = clinic_today()
        form.next.data = _local(request.args.get("next"))
    if form.validate_on_submit():
        try:
            supervision.record_review(
                episode=episode,
                reviewed_on=form.reviewed_on.data,
                decision=form.decision.data or "",
                note=form.note.data or "",
                follow_up_on=form.follow_up_on.data,
                by=current_user,
                today=clinic_today(),
            )
        except ServiceError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Review recorded."), "success")
            return redirect(_local(form.next.data) or _client_page(episode))
    return render_template(
        "supervision/review.html",
        episode=episode,
        form=form,
        entry=attention.episode_card(episode),
        panel=supervision.panel(current_user, episode),
    )


@bp.route("/episodes/<int:episode_id>/request", methods=["POST"])
@clinical_required
def ask(episode_id: int):
    """The therapist's "Ask for supervision" button on the client page."""
    episode = episode_or_404(episode_id)
    form = RequestForm(prefix=REQUEST_PREFIX)
    if not form.validate_on_submit():
        flash(_("Not sent: the form was incomplete; please try again."), "error")
        return redirect(_client_page(episode))
    try:
        supervision.request_supervision(
            episode=episode, by=current_user, note=form.note.data or "", now=utcnow()
        )
        flash(_("Asked for supervision: the case is in the supervisor's queue."), "success")
    except ServiceError as error:
        flash(str(error), "error")
    return redirect(_client_page(episode))


@bp.app_template_global("supervision_panel_for")
def supervision_panel_for(episode: Episode) -> SupervisionPanel:
    """The Supervision panel of an episode the view has already authorised (client page)."""
    return supervision.panel(current_user, episode)


@bp.app_template_global("supervision_request_form")
def supervision_request_form() -> RequestForm:
    return request_form()


bp.add_app_template_filter(words.decision_words, "decision_words")
bp.add_app_template_filter(words.flag_words, "flag_words")
bp.add_app_template_filter(words.outlook_words, "outlook_words")
bp.add_app_template_filter(words.days_open, "days_open")
