"""The user's own account: password and two-factor sign-in."""

from __future__ import annotations

import segno
from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from outcome_monitor.services import ServiceError, accounts, mfa
from outcome_monitor.web.auth import bp
from outcome_monitor.web.auth.forms import (
    ChangePasswordForm,
    DisableMfaForm,
    EnrolForm,
    RegenerateCodesForm,
)
from outcome_monitor.web.auth.signing import now, renew_login
from outcome_monitor.web.mfa_enrolment import mfa_enrolment_required

ENROL_SECRET = "mfa_enrol_secret"


@bp.route("/account")
@login_required
def account():
    return render_template(
        "auth/account.html",
        codes_left=mfa.recovery_codes_left(current_user) if current_user.mfa_enabled else 0,
        mfa_required=current_user.role in current_app.config["MFA_REQUIRED_ROLES"],
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_own_password(
                user=current_user, current=form.current.data or "", new=form.password.data or ""
            )
        except ServiceError as error:
            form.current.errors = [str(error)]
        else:
            renew_login(current_user)
            flash(_("Password changed. Your other sessions have ended."), "success")
            return redirect(url_for(".account"))
    return render_template("auth/change_password.html", form=form)


def _qr_code(uri: str) -> Markup:
    """The enrolment QR code as inline SVG (segno, pure Python; nothing leaves the server)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code for your app"))
    return Markup(svg)  # segno escapes the title; the rest is its own path markup


@bp.route("/account/mfa", methods=["GET", "POST"])
@login_required
def mfa_setup():
    if current_user.mfa_enabled:
        return redirect(url_for(".account"))
    secret = session.get(ENROL_SECRET) or mfa.new_secret()
    session[ENROL_SECRET] = secret
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = mfa.enable(
                user=current_user, secret=secret, code=form.code.data or "", now=now()
            )
        except ServiceError as error:
            form.code.errors = [str(error)]
        else:
            session.pop(ENROL_SECRET, None)
            renew_login(current_user)
            return render_template("auth/recovery_codes.html", codes=codes, first_time=True)
    uri = mfa.provisioning_uri(user=current_user, secret=secret)
    return render_template(
        "auth/mfa_setup.html",
        form=form,
        qr=_qr_code(uri),
        secret=secret,
        required=mfa_enrolment_required(current_user),
    )


@bp.route("/account/mfa/recovery-codes", methods=["GET", "POST"])
@login_required
def recovery_codes():
    if not current_user.mfa_enabled:
        return redirect(url_for(".mfa_setup"))
    form = RegenerateCodesForm()
    if form.validate_on_submit():
        try:
            codes = mfa.regenerate_recovery_codes(
                user=current_user, code=form.code.data or "", now=now()
            )
        except ServiceError as error:
            form.code.errors = [str(error)]
        else:
            return render_template("auth/recovery_codes.html", codes=codes, first_time=False)
    return render_template("auth/mfa_form.html", form=form, title=_("New recovery codes"))


@bp.route("/account/mfa/off", methods=["GET", "POST"])
@login_required
def mfa_off():
    if not current_user.mfa_enabled:
        return redirect(url_for(".account"))
    form = DisableMfaForm()
    if form.validate_on_submit():
        required = current_user.role in current_app.config["MFA_REQUIRED_ROLES"]
        try:
            mfa.disable(user=current_user, password=form.password.data or "", required=required)
        except ServiceError as error:
            form.password.errors = [str(error)]
        else:
            renew_login(current_user)
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for(".account"))
    return render_template("auth/mfa_form.html", form=form, title=_("Turn off two-factor sign-in"))
