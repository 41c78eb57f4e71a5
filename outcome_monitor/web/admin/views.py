from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from outcome_monitor.extensions import db
from outcome_monitor.models import Role, Team, User
from outcome_monitor.services import ServiceError, accounts
from outcome_monitor.web.admin import bp
from outcome_monitor.web.admin.forms import (
    ConfirmForm,
    ResetPasswordForm,
    TeamForm,
    TeamsForm,
    UserForm,
)
from outcome_monitor.web.helpers import roles_required

admin_required = roles_required(Role.ADMIN)
NO_TEAM = 0


def _teams() -> list[Team]:
    return list(db.session.scalars(sa.select(Team).order_by(Team.name)))


def _team_choices(teams: list[Team]) -> list[SelectChoice]:
    return [SelectChoice(NO_TEAM, _("(no team)"))] + [SelectChoice(t.id, t.name) for t in teams]


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users():  # type: ignore[no-untyped-def]
    teams = _teams()
    form = UserForm()
    form.team_id.choices = _team_choices(teams)
    if form.validate_on_submit():
        team = db.session.get(Team, form.team_id.data) if form.team_id.data else None
        try:
            user = accounts.create_user(
                email=form.email.data or "",
                display_name=form.display_name.data or "",
                role=Role(form.role.data),
                password=form.password.data or "",
                team=team,
                by=current_user,
            )
        except ServiceError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    all_users = db.session.scalars(sa.select(User).order_by(User.role, User.email))
    return render_template(
        "admin/users.html", users=all_users, form=form, team_form=TeamForm(), teams=teams
    )


@bp.route("/teams", methods=["POST"])
@admin_required
def create_team():  # type: ignore[no-untyped-def]
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
def user_detail(user_id: int):  # type: ignore[no-untyped-def]
    user = db.get_or_404(User, user_id)
    teams = _teams()
    teams_form = TeamsForm(team_id=user.team_id or NO_TEAM)
    teams_form.team_id.choices = _team_choices(teams)
    teams_form.supervised.choices = [SelectChoice(t.id, t.name) for t in teams]
    teams_form.supervised.data = [t.id for t in user.supervised_teams]
    return render_template(
        "admin/user_detail.html",
        user=user,
        teams_form=teams_form,
        password_form=ResetPasswordForm(),
        confirm_form=ConfirmForm(),
    )


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_required
def toggle_active(user_id: int):  # type: ignore[no-untyped-def]
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        try:
            accounts.set_active(user=user, active=not user.active, by=current_user)
            flash(_("Account updated."), "success")
        except ServiceError as error:
            flash(str(error), "error")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@admin_required
def reset_password(user_id: int):  # type: ignore[no-untyped-def]
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.reset_password(user=user, password=form.password.data or "", by=current_user)
        flash(_("Password reset."), "success")
    else:
        flash(_("The password must have at least 10 characters."), "error")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/teams", methods=["POST"])
@admin_required
def assign_teams(user_id: int):  # type: ignore[no-untyped-def]
    user = db.get_or_404(User, user_id)
    teams = _teams()
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
    return redirect(url_for("admin.user_detail", user_id=user.id))
