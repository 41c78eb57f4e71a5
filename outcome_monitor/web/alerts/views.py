from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outcome_monitor.core.attention import Reason
from outcome_monitor.models import Alert, Episode
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import ServiceError, alert_words, attention, review_queue
from outcome_monitor.services.attention import EpisodeCard
from outcome_monitor.web.alerts import bp, words
from outcome_monitor.web.alerts.filters import parse_filters, reason_choices
from outcome_monitor.web.alerts.forms import (
    CARD_PREFIX,
    CardAcknowledgeForm,
    ReasonResolveForm,
    card_acknowledge_form,
    resolve_prefix,
)
from outcome_monitor.web.helpers import clinic_today, clinical_required, episode_or_404
from outcome_monitor.web.paging import page_arg


def _back(episode: Episode):
    """PRG: back to the page the form was on (a local path only), else the client page."""
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return redirect(target)
    return redirect(url_for("clients.detail", client_id=episode.client_id) + "#alerts")


@bp.route("/episodes/<int:episode_id>/acknowledge", methods=["POST"])
@clinical_required
def acknowledge_card(episode_id: int):
    """Acknowledge every open reason of the episode's card with one checklist and note."""
    episode = episode_or_404(episode_id)
    form = CardAcknowledgeForm(prefix=CARD_PREFIX)
    if not form.validate_on_submit():
        flash(_("Not acknowledged: the form was incomplete; please try again."), "error")
        return _back(episode)
    try:
        attention.acknowledge_card(
            episode=episode,
            actions=form.actions.data or [],
            note=form.note.data or "",
            by=current_user,
            now=utcnow(),
            version=form.version.data,
        )
        flash(_("Acknowledged."), "success")
    except ServiceError as error:
        flash(_("Not acknowledged: %(reason)s", reason=error), "error")
    return _back(episode)


@bp.route("/episodes/<int:episode_id>/reasons/<key>/resolve", methods=["POST"])
@clinical_required
def resolve_reason(episode_id: int, key: str):
    """Mark one reason of the card (every alert behind it) resolved by hand, with a note."""
    episode = episode_or_404(episode_id)
    form = ReasonResolveForm(prefix=resolve_prefix(key))
    if form.validate_on_submit():
        try:
            attention.resolve_reason(
                episode=episode,
                key=key,
                note=form.note.data or "",
                by=current_user,
                now=utcnow(),
            )
            flash(_("Marked resolved."), "success")
        except ServiceError as error:
            flash(_("Not resolved: %(reason)s", reason=error), "error")
    return _back(episode)


@bp.route("/")
@clinical_required
def queue():
    """The case-review queue: one row per case of the supervisor's teams (a therapist: their
    own clients), most need first, 50 a page; filters and ``?page=`` from the query string,
    checked (400 if wrong)."""
    choices = review_queue.filter_choices(current_user)
    parsed = parse_filters(request.args, choices)
    number = page_arg(request.args)
    if number.error:
        parsed.errors.append(number.error)
    today = clinic_today()
    result = review_queue.review_queue(
        current_user, today=today, filters=parsed.filters, page=number.number
    )
    page = render_template(
        "alerts/queue.html",
        queue=result,
        choices=choices,
        team_names={t.id: t.name for t in choices.teams},
        parsed=parsed,
        reasons=reason_choices(),
        today=today,
    )
    return page, 400 if parsed.errors else 200


@bp.app_template_global("episode_card_for")
def episode_card_for(episode: Episode) -> EpisodeCard | None:
    """The card of an episode the view has already authorised (used by the score result page)."""
    return attention.episode_card(episode)


@bp.app_template_global("card_form_for")
def card_form_for(entry: EpisodeCard) -> CardAcknowledgeForm:
    return card_acknowledge_form(entry.card, entry.version, formdata=None)


@bp.app_template_global("resolve_form_for")
def resolve_form_for(reason: Reason) -> ReasonResolveForm:
    return ReasonResolveForm(prefix=resolve_prefix(reason.key), formdata=None)


bp.add_app_template_filter(words.reason_title, "reason_title")
bp.add_app_template_filter(words.action_label, "action_label")
bp.add_app_template_filter(words.status_words, "attention_status")
bp.add_app_template_filter(words.level_class, "level_class")


@bp.app_template_filter("alert_title")
def alert_title(alert: Alert) -> str:
    """Title of an alert row (the history list): 'Not on track (red)'."""
    return alert_words.alert_title(alert.type, alert.severity)
