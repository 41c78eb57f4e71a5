from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from outcome_monitor.models import AlertStatus
from outcome_monitor.services import (
    ServiceError,
    access,
    attention,
    care,
    feedback,
    instruments,
    worklist,
)
from outcome_monitor.web.clients import bp
from outcome_monitor.web.clients.forms import (
    ClientForm,
    CloseEpisodeForm,
    OpenEpisodeForm,
    SessionForm,
)
from outcome_monitor.web.helpers import client_or_404, clinical_required, episode_or_404
from outcome_monitor.web.paging import page_arg

# The panels of the active episode on the client page, in page order: each blueprint's
# template, which reads what it shows through that blueprint's template globals (e.g.
# ``tablet_panel(episode)``). Listed here so that the page's parts are visible from its view,
# and a missing one is an error, not a silently shorter page.
EPISODE_PANELS = (
    "charts/_episode_chart.html",
    "alerts/_episode_panel.html",
    "supervision/_panel.html",
    "measures/_episode_panel.html",
    "tablet/_episode_panel.html",
)


@bp.route("/")
@clinical_required
def caseload():
    """50 clients a page, sorted by the database; a bad ``?page=`` shows page 1 (400)."""
    sort = request.args.get("sort", "attention")
    sort = sort if sort in worklist.SORTS else "attention"
    number = page_arg(request.args)
    page = worklist.caseload_entries(current_user, sort=sort, page=number.number)
    body = render_template("clients/caseload.html", page=page, sort=sort, page_error=number.error)
    return body, number.status


@bp.route("/new", methods=["GET", "POST"])
@clinical_required
def new_client():
    form = ClientForm()
    therapists = access.assignable_therapists(current_user)
    form.therapist_id.choices = [SelectChoice(t.id, t.display_name) for t in therapists]
    if current_user in therapists and form.therapist_id.data is None:
        form.therapist_id.data = current_user.id
    if form.validate_on_submit():
        therapist = next(t for t in therapists if t.id == form.therapist_id.data)
        try:
            client = care.create_client(
                code=form.code.data or "",
                therapist=therapist,
                by=current_user,
                birth_year=form.birth_year.data,
                gender=form.gender.data,
                preferred_language=form.preferred_language.data,
                preferences=form.preferences.data,
            )
        except ServiceError as error:
            form.code.errors.append(str(error))
        else:
            flash(_("Client %(code)s created.", code=client.code), "success")
            return redirect(url_for("clients.detail", client_id=client.id))
    return render_template("clients/new.html", form=form)


@bp.route("/<int:client_id>")
@clinical_required
def detail(client_id: int):
    client = client_or_404(client_id, with_sessions=True)
    episode = client.current_episode
    # Read once, shown by several panels: the scores (table and chart) and the alerts (card,
    # history and the chart's markers).
    alerts = worklist.alert_history(episode) if episode else []
    return render_template(
        "clients/detail.html",
        client=client,
        episode=episode,
        administrations=feedback.episode_administrations(episode, include_voided=True)
        if episode
        else [],
        episode_alerts=alerts,
        episode_card=attention.episode_card(episode, alerts) if episode else None,
        past_alerts=[a for a in alerts if a.status == AlertStatus.RESOLVED],
        instruments=instruments.enabled_instruments(),
        open_form=OpenEpisodeForm(),
        close_form=CloseEpisodeForm(),
        session_form=SessionForm(),
        panels=EPISODE_PANELS,
    )


@bp.route("/<int:client_id>/episodes", methods=["POST"])
@clinical_required
def open_episode(client_id: int):
    client = client_or_404(client_id)
    form = OpenEpisodeForm()
    if form.validate_on_submit():
        try:
            care.open_episode(client=client, opened_on=form.opened_on.data, by=current_user)
            flash(_("Episode opened."), "success")
        except ServiceError as error:
            flash(str(error), "error")
    else:
        flash(_("Enter the date the episode opened."), "error")
    return redirect(url_for("clients.detail", client_id=client.id))


@bp.route("/episodes/<int:episode_id>/close", methods=["POST"])
@clinical_required
def close_episode(episode_id: int):
    episode = episode_or_404(episode_id)
    form = CloseEpisodeForm()
    if form.validate_on_submit():
        try:
            care.close_episode(
                episode=episode,
                closed_on=form.closed_on.data,
                status=form.status.data,
                reason=form.reason.data or "",
                by=current_user,
            )
            flash(_("Episode closed."), "success")
        except ServiceError as error:
            flash(str(error), "error")
    else:
        flash(_("Enter a valid closing date and outcome."), "error")
    return redirect(url_for("clients.detail", client_id=episode.client_id))


@bp.route("/episodes/<int:episode_id>/sessions", methods=["POST"])
@clinical_required
def record_session(episode_id: int):
    episode = episode_or_404(episode_id)
    form = SessionForm()
    if form.validate_on_submit():
        try:
            session = care.record_session(
                episode=episode,
                session_date=form.session_date.data,
                attended=form.attended.data,
                by=current_user,
            )
            flash(_("Session %(number)s recorded.", number=session.number), "success")
        except ServiceError as error:
            flash(str(error), "error")
    else:
        flash(_("Enter a valid session date."), "error")
    return redirect(url_for("clients.detail", client_id=episode.client_id))
