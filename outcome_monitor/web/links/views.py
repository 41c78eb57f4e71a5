"""Remote-link pages. The client side needs no login and reaches nothing but its own questions."""

from __future__ import annotations

from datetime import datetime

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from outcome_monitor.extensions import limiter
from outcome_monitor.models import RemoteLink
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import NotFound, ServiceError, instruments, links
from outcome_monitor.services.drafts import next_measure
from outcome_monitor.services.links import IssuedLink, LinkUnavailable
from outcome_monitor.services.mail import SmtpSettings
from outcome_monitor.web.helpers import clinical_required, episode_or_404
from outcome_monitor.web.links import bp
from outcome_monitor.web.links.forms import IssueLinkForm
from outcome_monitor.web.questionnaire.flow import QuestionnaireFlow, ViewResult
from outcome_monitor.web.questionnaire.questions import PageAnswers


def _use_limit() -> str:
    return str(current_app.config.get("LINK_RATE_LIMIT") or "60 per minute")


def _failure_limit() -> str:
    return str(current_app.config.get("LINK_FAILURE_RATE_LIMIT") or "10 per minute")


def _token_limit() -> str:
    return str(current_app.config.get("LINK_TOKEN_RATE_LIMIT") or "60 per minute")


def _token_key() -> str:
    """The per-token counter's key: a digest, so no usable token sits in the limiter's store."""
    return links.hash_token(str((request.view_args or {}).get("token", ""))[:200])


def _issued_token() -> bool:
    """Whether the token in the URL is one this service issued (looked up once per request)."""
    key = "outcome_monitor.link_token_issued"
    if key not in request.environ:
        token = str((request.view_args or {}).get("token", ""))
        request.environ[key] = links.is_issued(token)
    return bool(request.environ[key])


# Each token has its counter, wherever its requests come from. Tokens the service never issued
# (guesses) also count per address, failures more strictly; an issued link is exempt from the
# per-address counters, so someone guessing behind a clinic's shared address locks out only
# their own guesses, not the clients answering real links from the same address.
link_token = limiter.shared_limit(_token_limit, scope="remote-link-token", key_func=_token_key)
link_use = limiter.shared_limit(_use_limit, scope="remote-link", exempt_when=_issued_token)
link_failures = limiter.shared_limit(
    _failure_limit,
    scope="remote-link-failures",
    deduct_when=lambda r: r.status_code in (404, 410),
    exempt_when=_issued_token,
)


def _link_or_gone(token: str) -> RemoteLink:
    try:
        return links.find_link(token=token, now=utcnow())
    except LinkUnavailable as error:
        page = render_template("links/gone.html", message=str(error), reason=error.reason)
        abort(make_response(page, 410))
    except NotFound as error:
        abort(make_response(render_template("links/gone.html", message=str(error)), 404))


class LinkFlow(QuestionnaireFlow):
    """The questionnaire behind a link: whoever holds the token, until it is used or expires."""

    welcome_template = "links/welcome.html"
    measure_template = "links/measure.html"

    def __init__(self, link: RemoteLink, token: str) -> None:
        super().__init__(link)
        self.link, self.token = link, token

    def now(self) -> datetime:
        return utcnow()

    def render(self, template: str, **context: object) -> str:
        return render_template(template, link=self.link, token=self.token, **context)

    def home(self) -> Response:
        return redirect(url_for("links.start", token=self.token))

    def start(self, language: str) -> None:
        links.begin_link(link=self.link, language=language, now=utcnow())

    def record(self, code: str, page: PageAnswers) -> None:
        links.submit_link_measure(
            link=self.link, code=code, answers=page.answers, declined=page.declined, now=utcnow()
        )

    def after_measure(self) -> Response:
        if next_measure(self.link) is None:  # also when a simultaneous submit recorded it first
            return redirect(url_for("links.done"))
        return self.home()


@bp.route("/l/<token>")
@link_token
@link_use
@link_failures
def start(token: str) -> ViewResult:
    link = _link_or_gone(token)
    links.open_link(link=link, now=utcnow())
    if link.language is None:
        return LinkFlow(link, token).welcome()
    return redirect(url_for(".measure", token=token, code=next_measure(link)))


@bp.route("/l/<token>/begin", methods=["POST"])
@link_token
@link_use
@link_failures
def begin(token: str) -> ViewResult:
    return LinkFlow(_link_or_gone(token), token).begin()


@bp.route("/l/<token>/q/<code>", methods=["GET", "POST"])
@link_token
@link_use
@link_failures
def measure(token: str, code: str) -> ViewResult:
    if request.method == "POST" and links.already_used(token):
        return redirect(url_for(".done"))  # a second submit of the last page: answers are in
    return LinkFlow(_link_or_gone(token), token).measure(code)


@bp.route("/l/<token>/answer", methods=["POST"])
@link_token
@link_use
@link_failures
def answer(token: str) -> Response | tuple[Response, int]:
    """Autosave of one answer (tablet.js)."""
    return LinkFlow(_link_or_gone(token), token).autosave()


@bp.route("/l/done")
def done() -> str:
    return render_template("links/done.html")


@bp.errorhandler(429)
def too_many_requests(error: Exception) -> tuple[str, int]:
    message = _("Too many attempts from this connection. Please wait a minute and try again.")
    return render_template("links/gone.html", message=message, reason="rate"), 429


@bp.route("/links/episodes/<int:episode_id>", methods=["POST"])
@clinical_required
def issue(episode_id: int) -> Response:
    episode = episode_or_404(episode_id)
    form = IssueLinkForm()
    form.measures.choices = [
        SelectChoice(d.code, instruments.choice_label(d)) for d in instruments.enabled_instruments()
    ]
    back = redirect(url_for("clients.detail", client_id=episode.client_id))
    if not form.validate_on_submit():
        flash(_("Choose at least one questionnaire and a validity of 1 to 60 days."), "error")
        return back
    try:
        issued = links.issue_link(
            episode=episode,
            codes=form.measures.data or [],
            by=current_user,
            now=utcnow(),
            valid_days=form.valid_days.data or 1,
        )
    except ServiceError as error:
        flash(str(error), "error")
        return back
    url = url_for(".start", token=issued.token, _external=True)
    flash(_("Link created (copy it now; it is not shown again): %(url)s", url=url), "link")
    if form.email.data:
        _send(issued, url, form.email.data)
    return back


def _send(issued: IssuedLink, url: str, address: str) -> None:
    smtp = SmtpSettings.from_config(current_app.config)
    if smtp is None:
        flash(_("Email is not set up in this service; give the client the link yourself."), "error")
        return
    try:
        links.send_link_email(
            link=issued.link, url=url, to=address, smtp=smtp, by=current_user, now=utcnow()
        )
        flash(_("The link was emailed."), "success")
    except ServiceError as error:
        flash(str(error), "error")
