"""The user's own personal access tokens: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from outcome_monitor.models import TokenScope, TokenState
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import NotFound, ServiceError, api_tokens
from outcome_monitor.web.account import bp
from outcome_monitor.web.account.forms import RevokeForm, TokenForm


def _page(form: TokenForm, secret: str | None = None) -> str:
    return render_template(
        "account/tokens.html",
        form=form,
        revoke_form=RevokeForm(),
        tokens=api_tokens.user_tokens(current_user),
        now=utcnow(),
        secret=secret,
        states=TokenState,
        scopes=TokenScope,
    )


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form)
    try:
        issued = api_tokens.create_token(
            user=current_user,
            name=form.name.data or "",
            scope=TokenScope(form.scope.data),
            expires_days=form.expires_days.data or 0,
            by=current_user,
            now=utcnow(),
        )
    except ServiceError as error:
        flash(_("Not created: %(reason)s", reason=error), "error")
        return _page(form)
    # Rendered, not redirected: the secret must not travel through the session (a flash
    # message lives in the cookie) and is shown this once (the page is never cached).
    return _page(TokenForm(formdata=None), secret=issued.secret)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        token = api_tokens.revoke_token(token_id=token_id, by=current_user, now=utcnow())
    except NotFound:
        abort(404)
    flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")
    return redirect(url_for("account.tokens"))
