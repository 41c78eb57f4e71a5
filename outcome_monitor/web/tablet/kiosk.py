"""Kiosk pages: what the client sees on the tablet. No menus, no client code, no scores.

Every endpoint here is named ``kiosk*``: the client-mode guard lets only these through.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from outcome_monitor.extensions import db, limiter
from outcome_monitor.models import HandOver, HandOverStatus
from outcome_monitor.services import NotFound, ServiceError, drafts, measures
from outcome_monitor.services import handover as handovers
from outcome_monitor.services.drafts import IncompleteMeasure
from outcome_monitor.services.settings import get_settings
from outcome_monitor.web.tablet import bp
from outcome_monitor.web.tablet.forms import BeginForm, UnlockForm
from outcome_monitor.web.tablet.guard import KIOSK_KEY, leave_client_mode
from outcome_monitor.web.tablet.questions import (
    language_names,
    languages_for,
    page_item_ids,
    page_view,
    read_answers,
)
from outcome_monitor.web.tablet.summary import progress_graph, unlock_message

ViewResult = Response | str | tuple[str, int]


def _now() -> datetime:
    return datetime.now(UTC)


def _handover() -> HandOver:
    """The hand-over of this browser session (locked first if it sat idle too long)."""
    handover = db.session.get(HandOver, session.get(KIOSK_KEY) or 0)
    if handover is None:
        session.pop(KIOSK_KEY, None)
        abort(404)
    minutes = get_settings().handover_idle_minutes
    handovers.lock_if_idle(handover=handover, idle_minutes=minutes, now=_now())
    return handover


def _render(template: str, handover: HandOver, **context: object) -> str:
    settings = get_settings()
    return render_template(
        template,
        handover=handover,
        idle_seconds=settings.handover_idle_minutes * 60,
        language=handover.language,
        **context,
    )


@bp.route("/")
def kiosk() -> ViewResult:
    handover = _handover()
    code = drafts.next_measure(handover)
    if handover.status != HandOverStatus.ACTIVE or code is None:
        return _closed_screen(handover, UnlockForm(formdata=None))
    if handover.language is None:
        return _welcome(handover, BeginForm(formdata=None))
    if not get_settings().handover_one_item_per_screen:
        return redirect(url_for(".kiosk_measure", code=code))
    return redirect(url_for(".kiosk_item", code=code, number=_first_open_number(handover, code)))


def _first_open_number(handover: HandOver, code: str) -> int:
    responded = drafts.draft_answers(handover, code).keys() | drafts.declined_items(handover, code)
    items = measures.get_definition(code).items
    return next((n for n, item in enumerate(items, 1) if item.id not in responded), 1)


def _welcome(handover: HandOver, form: BeginForm) -> str:
    languages = languages_for(handover.measures)
    names = language_names(languages)
    form.language.choices = [SelectChoice(code, names[code]) for code in languages]
    form.language.data = form.language.data or languages[0]
    return _render("tablet/welcome.html", handover, form=form, languages=languages)


@bp.route("/begin", methods=["POST"])
def kiosk_begin() -> ViewResult:
    handover = _handover()
    if handover.status != HandOverStatus.ACTIVE:
        return redirect(url_for(".kiosk"))
    languages = languages_for(handover.measures)
    form = BeginForm()
    form.language.choices = [SelectChoice(code, code) for code in languages]
    if form.validate_on_submit():
        language = form.language.data or languages[0]
        handovers.begin(handover=handover, language=language, now=_now())
        return redirect(url_for(".kiosk"))
    return _welcome(handover, form)


def _guard_measure(handover: HandOver, code: str) -> Response | None:
    """Only the next unfinished measure of an active hand-over can be answered."""
    if handover.status != HandOverStatus.ACTIVE or handover.language is None:
        return redirect(url_for(".kiosk"))
    if code != drafts.next_measure(handover):
        return redirect(url_for(".kiosk"))
    return None


@bp.route("/q/<code>", methods=["GET", "POST"])
def kiosk_measure(code: str) -> ViewResult:
    handover = _handover()
    if (blocked := _guard_measure(handover, code)) is not None:
        return blocked
    if request.method == "POST":
        return _submit(handover, code, None)
    return _measure_page(handover, code, None)


@bp.route("/q/<code>/<int:number>", methods=["GET", "POST"])
def kiosk_item(code: str, number: int) -> ViewResult:
    handover = _handover()
    if (blocked := _guard_measure(handover, code)) is not None:
        return blocked
    if not 1 <= number <= len(measures.get_definition(code).items):
        abort(404)
    if request.method == "POST":
        return _submit(handover, code, number)
    return _measure_page(handover, code, number)


def _measure_page(
    handover: HandOver,
    code: str,
    number: int | None,
    error: str | None = None,
    missing: tuple[str, ...] = (),
) -> ViewResult:
    page = page_view(
        code=code,
        progress=drafts.progress(handover),
        language=handover.language,
        only_item=number,
        missing=missing,
    )
    body = _render("tablet/measure.html", handover, page=page, number=number, error=error)
    return (body, 400) if error and not missing else body


def _submit(handover: HandOver, code: str, number: int | None) -> ViewResult:
    definition = measures.get_definition(code)
    item_ids = page_item_ids(definition, number)
    try:
        page = read_answers(definition, request.form, item_ids)
        if number is not None and number < len(definition.items):
            drafts.save_answers(
                owner=handover, code=code, answers=page.answers, declined=page.declined, now=_now()
            )
            # A risk item is answered or declined before the client moves on (not skipped).
            drafts.require_risk_choices(owner=handover, code=code, item_ids=item_ids)
            return redirect(url_for(".kiosk_item", code=code, number=number + 1))
        handovers.submit_measure(
            handover=handover, code=code, answers=page.answers, declined=page.declined, now=_now()
        )
    except IncompleteMeasure as error:
        first = (
            None if number is None else 1 + [i.id for i in definition.items].index(error.missing[0])
        )
        return _measure_page(handover, code, first, str(error), error.missing)
    except ServiceError as error:
        return _measure_page(handover, code, number, str(error))
    return redirect(url_for(".kiosk"))


@bp.route("/answer", methods=["POST"])
def kiosk_answer() -> ViewResult | tuple[Response, int]:
    """Autosave of one answer as it is given (tablet.js); the page works without it too."""
    handover = _handover()
    if handover.status != HandOverStatus.ACTIVE:
        return jsonify(saved=False, locked=True), 409
    code = request.form.get("code", "")
    try:
        definition = measures.get_definition(code)
        page = read_answers(definition, request.form, page_item_ids(definition, None))
        drafts.save_answers(
            owner=handover, code=code, answers=page.answers, declined=page.declined, now=_now()
        )
    except NotFound:
        return jsonify(saved=False), 404
    except ServiceError as error:
        return jsonify(saved=False, error=str(error)), 400
    return jsonify(saved=True)


def _unlock_limit() -> str:
    return str(current_app.config.get("UNLOCK_RATE_LIMIT") or "5 per minute")


@bp.route("/unlock", methods=["GET", "POST"])
@limiter.limit(_unlock_limit, methods=["POST"])
def kiosk_unlock() -> ViewResult:
    handover = _handover()
    form = UnlockForm()
    if form.validate_on_submit():
        try:
            user = handovers.unlock_handover(
                handover=handover,
                email=form.email.data,
                secret=form.secret.data or "",
                now=_now(),
                pin_attempts=current_app.config["UNLOCK_PIN_ATTEMPTS"],
            )
        except ServiceError as error:
            form.secret.errors = [str(error)]
        else:
            return _leave_client_mode(handover, user.id)
    return _closed_screen(handover, form, asked=True)


def _closed_screen(handover: HandOver, form: UnlockForm, asked: bool = False) -> str:
    graph = None
    if handover.status == HandOverStatus.FINISHED and get_settings().clients_see_progress_graph:
        graph = progress_graph(handover)
    return _render("tablet/locked.html", handover, form=form, graph=graph, asked=asked)


def _leave_client_mode(handover: HandOver, user_id: int) -> Response:
    """Back to staff pages: the same login if its owner unlocked, else a fresh login."""
    same_login = current_user.is_authenticated and current_user.id == user_id
    leave_client_mode(same_login=same_login)
    client_page = url_for("clients.detail", client_id=handover.episode.client_id)
    message = unlock_message(handover)
    if same_login:
        flash(message, "success")
        return redirect(client_page)
    logout_user()
    session.clear()
    flash(_("The tablet is unlocked. Please log in to see the answers."), "info")
    return redirect(url_for("auth.login", next=client_page))


@bp.errorhandler(429)
def kiosk_too_many_attempts(error: Exception) -> tuple[str, int]:
    handover = db.session.get(HandOver, session.get(KIOSK_KEY) or 0)
    if handover is None:
        abort(404)
    form = UnlockForm(formdata=None)
    form.secret.errors = [_("Too many attempts. Please wait a minute before trying again.")]
    return _closed_screen(handover, form, asked=True), 429
