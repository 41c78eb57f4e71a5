from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from outcome_monitor.core.definitions import InstrumentDefinition
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, EntryMode, Episode
from outcome_monitor.services import NotFound, ServiceError, alerting, measures
from outcome_monitor.services.measures import RecordedAdministration
from outcome_monitor.services.submissions import ForeignSubmission, form_key, issue_form_token
from outcome_monitor.web.helpers import clinical_required, episode_or_404
from outcome_monitor.web.measures import bp
from outcome_monitor.web.measures.forms import administration_form, answers_from, item_field_name

NO_SESSION = 0
ViewResult = Response | str | tuple[str, int]


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
def enter(episode_id: int, code: str) -> ViewResult:
    episode = episode_or_404(episode_id)
    definition = _definition_or_404(code)
    form = administration_form(definition, _session_choices(episode))
    status = 200
    if request.method == "GET":
        form.session_id.data = _requested_session_id(episode)
    if form.validate_on_submit():
        try:
            recorded = _record(form, episode, definition)
        except ForeignSubmission as error:
            flash(str(error), "error")
            status = 400
        except ServiceError as error:
            flash(_("Not saved: %(reason)s", reason=error), "error")
        else:
            return redirect(
                url_for("measures.result", administration_id=recorded.administration.id)
            )
    elif form.submission_key.errors:
        flash(str(ForeignSubmission()), "error")
        status = 400
    if not _token_ok(form, episode):
        form.submission_key.data = issue_form_token(user=current_user, episode=episode)
    fields = [form[item_field_name(item)] for item in definition.items]
    page = render_template(
        "measures/enter.html", episode=episode, definition=definition, form=form, fields=fields
    )
    return page, status


def _requested_session_id(episode: Episode) -> int:
    """``?session_id=`` when it names a session of this episode, else the latest session."""
    wanted = request.args.get("session_id", type=int)
    ids = [s.id for s in episode.sessions]
    return wanted if wanted in ids else (ids[-1] if ids else NO_SESSION)


def _record(
    form: FlaskForm, episode: Episode, definition: InstrumentDefinition
) -> RecordedAdministration:
    key = form_key(token=form.submission_key.data, user=current_user, episode=episode)
    return measures.record_administration(
        episode=episode,
        # Looked up among this episode's sessions only (the form's choices say the same).
        session=next((s for s in episode.sessions if s.id == form.session_id.data), None),
        instrument_code=definition.code,
        answers=answers_from(form, definition),
        entry_mode=EntryMode.THERAPIST,
        by=current_user,
        submission_key=key,
    )


def _token_ok(form: FlaskForm, episode: Episode) -> bool:
    """The form holds a token issued to this user for this episode (kept across a re-render,
    so a corrected form still saves only once)."""
    try:
        key = form_key(token=form.submission_key.data, user=current_user, episode=episode)
    except ForeignSubmission:
        return False
    return key is not None


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
