"""User and team management (admins only). Admins never choose or see a password: accounts
get an invitation link and forgotten passwords a reset link, emailed or shown once."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from outcome_monitor.models import Role, Team, User
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import NotFound, ServiceError, accounts, invitations, mfa, sign_in
from outcome_monitor.services.invitations import IssuedToken
from outcome_monitor.services.mail import SmtpSettings
from outcome_monitor.web.admin import bp
from outcome_monitor.web.admin.forms import ConfirmForm, RoleForm, TeamForm, TeamsForm, UserForm
from outcome_monitor.web.admin.user_filters import parse_user_query
from outcome_monitor.web.helpers import roles_required

admin_required = roles_required(Role.ADMIN)
NO_TEAM = 0


def _user_or_404(user_id: int) -> User:
    try:
        return accounts.get_user(user_id)
    except NotFound:
        abort(404)


def _team_choices(teams: list[Team]) -> list[SelectChoice]:
    return [SelectChoice(NO_TEAM, _("(no team)"))] + [SelectChoice(t.id, t.name) for t in teams]


def _deliver(issued: IssuedToken) -> None:
    """Email the link to the user when SMTP is set up; otherwise show it to the admin once."""
    url = url_for("auth.set_password", token=issued.token, _external=True)
    smtp = SmtpSettings.from_config(current_app.config)
    if smtp is not None:
        try:
            invitations.send_link(issued=issued, url=url, smtp=smtp, by=current_user)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("The link was emailed to %(email)s.", email=issued.user.email), "success")
            return
    expiry = issued.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    flash(
        _(
            "Give this link to %(email)s yourself: it is shown only now and works once, "
            "until %(expiry)s. %(url)s",
            email=issued.user.email,
            expiry=expiry,
            url=url,
        ),
        "link",
    )


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users():
    teams = accounts.teams()
    form = UserForm()
    form.team_id.choices = _team_choices(teams)
    if form.validate_on_submit():
        try:
            issued = invitations.invite_user(
                email=form.email.data or "",
                display_name=form.display_name.data or "",
                role=Role(form.role.data),
                team=next((t for t in teams if t.id == form.team_id.data), None),
                by=current_user,
                now=utcnow(),
                valid_for=timedelta(days=current_app.config["INVITATION_VALID_DAYS"]),
            )
        except ServiceError as error:
            form.email.errors = [str(error)]
        else:
            _deliver(issued)
            return redirect(url_for("admin.users"))
    wanted = parse_user_query(request.args, teams)
    page = accounts.user_page(wanted.filters, page=wanted.page)
    body = render_template(
        "admin/users.html",
        users=page.items,
        page=page,
        wanted=wanted,
        roles=list(Role),
        states=list(accounts.AccountState),
        no_team=accounts.NO_TEAM,
        form=form,
        team_form=TeamForm(),
        teams=teams,
    )
    return body, 400 if wanted.errors else 200


@bp.route("/teams", methods=["POST"])
@admin_required
def create_team():
    form = TeamForm()
    if form.validate_on_submit():
        try:
            accounts.create_team(name=form.name.data or "", by=current_user)
            flash(_("Team created."), "success")
        except ServiceError as error:
            flash(str(error), "error")
    else:
        flash(_("A team needs a name."), "error")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET"])
@admin_required
def user_detail(user_id: int):
    user = _user_or_404(user_id)
    teams = accounts.teams()
    teams_form = TeamsForm(team_id=user.team_id or NO_TEAM)
    teams_form.team_id.choices = _team_choices(teams)
    teams_form.supervised.choices = [SelectChoice(t.id, t.name) for t in teams]
    teams_form.supervised.data = [t.id for t in user.supervised_teams]
    return render_template(
        "admin/user_detail.html",
        user=user,
        teams_form=teams_form,
        role_form=RoleForm(role=user.role),
        confirm_form=ConfirmForm(),
        locked_until=sign_in.locked_until(user, utcnow()),
    )


def _back_to(user: User) -> Response:
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_required
def toggle_active(user_id: int):
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        try:
            accounts.set_active(user=user, active=not user.active, by=current_user)
            flash(_("Account updated."), "success")
        except ServiceError as error:
            flash(str(error), "error")
    return _back_to(user)


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@admin_required
def send_reset_link(user_id: int):
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        try:
            issued = invitations.issue_password_reset(
                user=user,
                by=current_user,
                now=utcnow(),
                valid_for=timedelta(hours=current_app.config["PASSWORD_RESET_VALID_HOURS"]),
            )
        except ServiceError as error:
            flash(str(error), "error")
        else:
            _deliver(issued)
    return _back_to(user)


@bp.route("/users/<int:user_id>/mfa-reset", methods=["POST"])
@admin_required
def reset_mfa(user_id: int):
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        try:
            mfa.reset(user=user, by=current_user, now=utcnow())
            flash(_("Two-factor sign-in removed; the user sets it up again."), "success")
        except ServiceError as error:
            flash(str(error), "error")
    return _back_to(user)


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@admin_required
def lift_lock(user_id: int):
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        sign_in.lift_lock(user=user, by=current_user)
        flash(_("Signing in is possible again."), "success")
    return _back_to(user)


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@admin_required
def change_role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            accounts.change_role(user=user, role=Role(form.role.data), by=current_user)
            flash(_("Role saved."), "success")
        except ServiceError as error:
            flash(str(error), "error")
    return _back_to(user)


@bp.route("/users/<int:user_id>/teams", methods=["POST"])
@admin_required
def assign_teams(user_id: int):
    user = _user_or_404(user_id)
    teams = accounts.teams()
    form = TeamsForm()
    form.team_id.choices = _team_choices(teams)
    form.supervised.choices = [SelectChoice(t.id, t.name) for t in teams]
    if form.validate_on_submit():
        by_id = {t.id: t for t in teams}
        try:
            accounts.assign_teams(
                user=user,
                team=by_id.get(form.team_id.data),
                supervised=[by_id[i] for i in form.supervised.data or []],
                by=current_user,
            )
            flash(_("Teams saved."), "success")
        except ServiceError as error:
            flash(str(error), "error")
    return _back_to(user)
