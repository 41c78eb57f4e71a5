from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from outcome_monitor.core.definitions import InstrumentDefinition
from outcome_monitor.models import Administration, EntryMode, Episode
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import (
    NotFound,
    ServiceError,
    access,
    alerting,
    corrections,
    instruments,
    measures,
)
from outcome_monitor.services.measures import RecordedAdministration
from outcome_monitor.services.submissions import ForeignSubmission, form_key, issue_form_token
from outcome_monitor.web.helpers import clinical_required, episode_or_404
from outcome_monitor.web.measures import bp
from outcome_monitor.web.measures.forms import (
    VoidForm,
    administration_form,
    answers_from,
    fill_answers,
    item_field_name,
)
from outcome_monitor.web.read_audit import audited_read

NO_SESSION = 0
ViewResult = Response | str | tuple[str, int]


def _session_choices(episode: Episode) -> list[SelectChoice]:
    choices = [SelectChoice(NO_SESSION, _("(not tied to a session)"))]
    choices += [
        SelectChoice(s.id, _("Session %(n)s, %(date)s", n=s.number, date=s.date))
        for s in reversed(episode.sessions)
    ]
    return choices


def _definition_or_404(code: str):
    try:
        return instruments.get_definition(code)
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
                url_for("measures.result", administration_id=recorded.administration_id)
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
        # The service looks it up among this episode's sessions only.
        session_id=form.session_id.data if form.session_id.data != NO_SESSION else None,
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
def result(administration_id: int):
    return _result_page(_administration_or_404(administration_id), VoidForm(formdata=None))


def _administration_or_404(administration_id: int) -> Administration:
    try:
        return access.administration_for(current_user, administration_id)
    except NotFound:
        abort(404)


def _result_page(administration: Administration, void_form: FlaskForm) -> str:
    episode = administration.episode
    return render_template(
        "measures/result.html",
        episode=episode,
        view=measures.interpret(administration),
        overrides=instruments.threshold_notes(administration.instrument_code),
        raised=[
            a for a in alerting.unresolved(episode) if a.administration_id == administration.id
        ],
        void_form=void_form,
        corrects=corrections.corrected_by_this(administration),
    )


@bp.route("/administrations/<int:administration_id>/void", methods=["POST"])
@clinical_required
def void(administration_id: int) -> ViewResult:
    """Void a mistaken score: kept in the record, struck through, counted nowhere."""
    administration = _administration_or_404(administration_id)
    form = VoidForm()
    # A voided score has no void form to show errors on: the service says it was voided.
    if not form.validate_on_submit() and administration.is_current:
        return _result_page(administration, form)
    try:
        corrections.void_administration(
            user=current_user,
            administration_id=administration.id,
            reason=form.reason.data,
            now=utcnow(),
        )
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("Score voided. It stays in the record, struck through."), "success")
    return redirect(url_for("measures.result", administration_id=administration.id))


@bp.route("/administrations/<int:administration_id>/correct", methods=["GET", "POST"])
@audited_read("administration.correct_form", arg="administration_id")
@clinical_required
def correct(administration_id: int) -> ViewResult:
    """The score form, prefilled with the saved answers, that replaces a mistaken score."""
    original = _administration_or_404(administration_id)
    definition = instruments.library().get(original.instrument_code)
    if definition is None or (request.method == "GET" and not original.is_current):
        flash(_("Only a current score can be corrected."), "error")
        return redirect(url_for("measures.result", administration_id=original.id))
    form = administration_form(definition, [_session_choice(original)], correction=True)
    if request.method == "GET":
        fill_answers(form, definition, original.answers or {})
    status = 200
    if form.validate_on_submit():
        try:
            replacement = _correct(form, original, definition)
        except ServiceError as error:
            flash(_("Not saved: %(reason)s", reason=error), "error")
            status = 400 if isinstance(error, ForeignSubmission) else 200
        else:
            flash(
                _("Score corrected. The original stays in the record, struck through."), "success"
            )
            return redirect(url_for("measures.result", administration_id=replacement.id))
    if not _token_ok(form, original.episode):
        form.submission_key.data = issue_form_token(user=current_user, episode=original.episode)
    fields = [form[item_field_name(item)] for item in definition.items]
    page = render_template(
        "measures/enter.html",
        episode=original.episode,
        definition=definition,
        form=form,
        fields=fields,
        correcting=original,
    )
    return page, status


def _session_choice(administration: Administration) -> SelectChoice:
    """A correction stays in the session of the score it corrects: the only choice offered."""
    session = administration.session
    if session is None:
        return SelectChoice(NO_SESSION, _("(not tied to a session)"))
    return SelectChoice(
        session.id, _("Session %(n)s, %(date)s", n=session.number, date=session.date)
    )


def _correct(
    form: FlaskForm, original: Administration, definition: InstrumentDefinition
) -> Administration:
    try:
        return corrections.correct_administration(
            user=current_user,
            administration_id=original.id,
            answers=answers_from(form, definition),
            reason=form.reason.data,
            now=utcnow(),
            submission_key=form_key(
                token=form.submission_key.data, user=current_user, episode=original.episode
            ),
        )
    except NotFound:
        abort(404)


@bp.route("/episodes/<int:episode_id>/measures")
@clinical_required
def pick(episode_id: int):
    """The launcher on the client page posts the chosen code here."""
    episode = episode_or_404(episode_id)
    code = _definition_or_404(request.args.get("code", "")).code
    return redirect(url_for("measures.enter", episode_id=episode.id, code=code))
