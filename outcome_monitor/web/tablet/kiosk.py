"""Kiosk pages: what the client sees on the tablet. No menus, no client code, no scores.

Every endpoint here is named ``kiosk*``: the client-mode guard lets only these through.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from outcome_monitor.extensions import limiter
from outcome_monitor.models import HandOver, HandOverStatus
from outcome_monitor.models.types import utcnow as _now  # tests move this module's clock
from outcome_monitor.services import NotFound, ServiceError, drafts, instruments
from outcome_monitor.services import handover as handovers
from outcome_monitor.services.settings import get_settings
from outcome_monitor.web.questionnaire.flow import QuestionnaireFlow, ViewResult
from outcome_monitor.web.questionnaire.questions import PageAnswers
from outcome_monitor.web.tablet import bp
from outcome_monitor.web.tablet.forms import UnlockForm
from outcome_monitor.web.tablet.guard import KIOSK_KEY, leave_client_mode
from outcome_monitor.web.tablet.summary import progress_graph, unlock_message


def _sitting() -> HandOver | None:
    """The hand-over this browser session was given, if it still exists."""
    try:
        return handovers.kiosk_handover(session.get(KIOSK_KEY) or 0)
    except NotFound:
        return None


def _handover() -> HandOver:
    """The hand-over of this browser session (locked first if it sat idle too long)."""
    handover = _sitting()
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


class KioskFlow(QuestionnaireFlow):
    """The questionnaire on the tablet: answers only while the hand-over is active."""

    welcome_template = "tablet/welcome.html"
    measure_template = "tablet/measure.html"

    def __init__(self, handover: HandOver) -> None:
        super().__init__(handover)
        self.handover = handover

    def now(self) -> datetime:
        return _now()

    def render(self, template: str, **context: object) -> str:
        return _render(template, self.handover, **context)

    def home(self) -> Response:
        return redirect(url_for("tablet.kiosk"))

    def accepts_answers(self) -> bool:
        return self.handover.status == HandOverStatus.ACTIVE

    def start(self, language: str) -> None:
        handovers.begin(handover=self.handover, language=language, now=_now())

    def record(self, code: str, page: PageAnswers) -> None:
        handovers.submit_measure(
            handover=self.handover,
            code=code,
            answers=page.answers,
            declined=page.declined,
            now=_now(),
        )

    def after_measure(self) -> Response:
        return self.home()

    def item_url(self, code: str, number: int) -> str:
        return url_for("tablet.kiosk_item", code=code, number=number)


@bp.route("/")
def kiosk() -> ViewResult:
    handover = _handover()
    code = drafts.next_measure(handover)
    if handover.status != HandOverStatus.ACTIVE or code is None:
        return _closed_screen(handover, UnlockForm(formdata=None))
    if handover.language is None:
        return KioskFlow(handover).welcome()
    if not get_settings().handover_one_item_per_screen:
        return redirect(url_for(".kiosk_measure", code=code))
    return redirect(url_for(".kiosk_item", code=code, number=_first_open_number(handover, code)))


def _first_open_number(handover: HandOver, code: str) -> int:
    responded = drafts.draft_answers(handover, code).keys() | drafts.declined_items(handover, code)
    items = instruments.get_definition(code).items
    return next((n for n, item in enumerate(items, 1) if item.id not in responded), 1)


@bp.route("/begin", methods=["POST"])
def kiosk_begin() -> ViewResult:
    return KioskFlow(_handover()).begin()


@bp.route("/q/<code>", methods=["GET", "POST"])
def kiosk_measure(code: str) -> ViewResult:
    return KioskFlow(_handover()).measure(code)


@bp.route("/q/<code>/<int:number>", methods=["GET", "POST"])
def kiosk_item(code: str, number: int) -> ViewResult:
    return KioskFlow(_handover()).measure(code, number)


@bp.route("/answer", methods=["POST"])
def kiosk_answer() -> Response | tuple[Response, int]:
    """Autosave of one answer as it is given (tablet.js); the page works without it too."""
    return KioskFlow(_handover()).autosave()


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
    handover = _sitting()
    if handover is None:
        abort(404)
    form = UnlockForm(formdata=None)
    form.secret.errors = [_("Too many attempts. Please wait a minute before trying again.")]
    return _closed_screen(handover, form, asked=True), 429
