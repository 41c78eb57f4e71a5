"""Service settings: instruments, threshold overrides, alert and tablet options (admins only)."""

from __future__ import annotations

import dataclasses

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outcome_monitor.models import Role
from outcome_monitor.services import ServiceError, feedback, instruments, settings, settings_changes
from outcome_monitor.web.admin import bp
from outcome_monitor.web.admin.settings_forms import (
    InstrumentToggleForm,
    OverrideForm,
    ServiceOptionsForm,
)
from outcome_monitor.web.helpers import roles_required

admin_required = roles_required(Role.ADMIN)


@bp.route("/settings", methods=["GET"])
@admin_required
def service_settings():
    current = settings.get_settings()
    options = ServiceOptionsForm(data=_form_data(current))
    disabled = settings.disabled_instruments()
    rows = [
        (d, instruments.rules_for(d), instruments.threshold_notes(d.code), d.code not in disabled)
        for d in instruments.all_instruments()
    ]
    return render_template(
        "admin/settings.html", rows=rows, options=options, toggle=InstrumentToggleForm(),
        override=OverrideForm(), history=settings.override_history(),
        models=feedback.outcome_models(current),
    )


def _form_data(current: settings.ServiceSettings) -> dict[str, object]:
    data = dataclasses.asdict(current)
    for key in ("pre_session_measures", "post_session_measures"):
        data[key] = ", ".join(data[key])
    return data


@bp.route("/settings/options", methods=["POST"])
@admin_required
def save_options():
    form = ServiceOptionsForm()
    if not form.validate_on_submit():
        errors = "; ".join(f"{form[k].label.text}: {' '.join(v)}" for k, v in form.errors.items())
        flash(_("Settings not saved: %(errors)s", errors=errors), "error")
        return redirect(url_for("admin.service_settings"))
    changes = {k: v for k, v in form.data.items() if k in settings.FIELD_TYPES}
    try:
        settings_changes.update_settings(
            changes=changes, by=current_user, instruments=instruments.library()
        )
        flash(_("Settings saved."), "success")
    except ServiceError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.service_settings"))


@bp.route("/settings/instruments", methods=["POST"])
@admin_required
def toggle_instrument():
    form = InstrumentToggleForm()
    if form.validate_on_submit() and form.code.data in instruments.library():
        settings_changes.set_instrument_enabled(
            code=form.code.data, enabled=form.enabled.data == "1", by=current_user
        )
        flash(_("Instrument settings saved."), "success")
    return redirect(url_for("admin.service_settings"))


@bp.route("/settings/overrides", methods=["POST"])
@admin_required
def override_threshold():
    form = OverrideForm()
    definition = instruments.library().get(form.code.data or "")
    if definition is None or not form.validate_on_submit():
        flash(_("Give the instrument, the threshold and a reason."), "error")
        return redirect(url_for("admin.service_settings"))
    current = getattr(instruments.rules_for(definition), form.field.data)
    try:
        settings_changes.override_threshold(
            code=definition.code, field=form.field.data, value=form.value.data,
            old_value=current.value if current else None, reason=form.reason.data or "",
            by=current_user,
        )
        flash(_("Override recorded; it applies from now on."), "success")
    except ServiceError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.service_settings"))
