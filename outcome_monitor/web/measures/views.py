from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, EntryMode, Episode, TherapySession
from outcome_monitor.services import NotFound, ServiceError, alerting, measures
from outcome_monitor.web.helpers import clinical_required, episode_or_404
from outcome_monitor.web.measures import bp
from outcome_monitor.web.measures.forms import administration_form, answers_from, item_field_name

NO_SESSION = 0


def _session_choices(episode: Episode) -> list[SelectChoice]:
    choices = [SelectChoice(NO_SESSION, _("(not tied to a session)"))]
    choices += [
        SelectChoice(s.id, _("Session %(n)s, %(date)s", n=s.number, date=s.date))
        for s in reversed(episode.sessions)
    ]
    return choices


def _definition_or_404(code: str):  # type: ignore[no-untyped-def]
    try:
        return measures.get_definition(code)
    except NotFound:
        abort(404)


@bp.route("/episodes/<int:episode_id>/measures/<code>", methods=["GET", "POST"])
@clinical_required
def enter(episode_id: int, code: str):  # type: ignore[no-untyped-def]
    episode = episode_or_404(episode_id)
    definition = _definition_or_404(code)
    form = administration_form(definition, _session_choices(episode))
    if request.method == "GET" and episode.sessions:
        form.session_id.data = int(request.args.get("session_id", episode.sessions[-1].id))
    if form.validate_on_submit():
        session = db.session.get(TherapySession, form.session_id.data or -1)
        try:
            recorded = measures.record_administration(
                episode=episode,
                session=session,
                instrument_code=code,
                answers=answers_from(form, definition),
                entry_mode=EntryMode.THERAPIST,
                by=current_user,
                submission_key=form.submission_key.data,
            )
        except ServiceError as error:
            flash(_("Not saved: %(reason)s", reason=error), "error")
        else:
            return redirect(
                url_for("measures.result", administration_id=recorded.administration.id)
            )
    fields = [form[item_field_name(item)] for item in definition.items]
    return render_template(
        "measures/enter.html", episode=episode, definition=definition, form=form, fields=fields
    )


@bp.route("/administrations/<int:administration_id>")
@clinical_required
def result(administration_id: int):  # type: ignore[no-untyped-def]
    administration = db.get_or_404(Administration, administration_id)
    episode = episode_or_404(administration.episode_id)
    return render_template(
        "measures/result.html",
        episode=episode,
        view=measures.interpret(administration),
        overrides=measures.threshold_notes(administration.instrument_code),
        raised=[
            a for a in alerting.unresolved(episode) if a.administration_id == administration.id
        ],
    )


@bp.route("/episodes/<int:episode_id>/measures")
@clinical_required
def pick(episode_id: int):  # type: ignore[no-untyped-def]
    """The launcher on the client page posts the chosen code here."""
    episode = episode_or_404(episode_id)
    code = _definition_or_404(request.args.get("code", "")).code
    return redirect(url_for("measures.enter", episode_id=episode.id, code=code))
