"""Changing the service settings: options, instruments enabled, threshold overrides (admins).

Each change is one audit row in the same transaction; a change that moves an episode's colour
refreshes the stored statuses there too. Reading the settings is ``services.settings``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from outcome_monitor.core.definitions import InstrumentDefinition, Purpose
from outcome_monitor.extensions import db
from outcome_monitor.models import InstrumentSetting, ServiceSetting, ThresholdOverride, User
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import ServiceError, case_status, settings
from outcome_monitor.services.audit import record

THRESHOLD_FIELDS = ("cutoff", "reliable_change")

# Settings that move an episode's colour: changing one refreshes the stored statuses.
STATUS_SETTINGS = frozenset({"trajectory_method", "no_change_session"})


def update_settings(
    *,
    changes: Mapping[str, Any],
    by: User,
    instruments: Mapping[str, InstrumentDefinition] | None = None,
) -> settings.ServiceSettings:
    """Validate and store ``changes``; one audit row lists old and new values.

    With ``instruments`` (the catalogue), the session measure lists are checked too: every code
    must be a known instrument, and a screening measure (AUDIT-C, past-year frame) cannot be
    given every session.
    """
    current = settings.get_settings()
    diff: dict[str, Any] = {}
    unknown = [key for key in changes if key not in settings.FIELD_TYPES]
    if unknown:
        raise ServiceError(_l("Unknown setting %(key)s.", key=unknown[0]))
    new = dataclasses.replace(current, **{k: settings.coerce(k, v) for k, v in changes.items()})
    _check_budgets(new)
    if instruments is not None:
        _check_session_measures(new, instruments)
    for key, raw in changes.items():
        value = settings.coerce(key, raw)
        if value != getattr(current, key):
            diff[key] = {"old": _jsonable(getattr(current, key)), "new": _jsonable(value)}
            _store(key, _jsonable(value), by)
    settings.forget_cached()
    if diff:
        record(
            by=by, action="settings.update", obj=None, details=diff, object_type="ServiceSettings"
        )
    if STATUS_SETTINGS.intersection(diff):
        _refresh_active_statuses()
    db.session.commit()
    return settings.get_settings()


def _refresh_active_statuses() -> None:
    """The method or the thresholds in force changed: every active episode's stored colour
    follows in the same transaction (in batches, ``services.case_status``)."""
    case_status.refresh_many(case_status.active_episode_ids())


def _check_session_measures(
    new: settings.ServiceSettings, instruments: Mapping[str, InstrumentDefinition]
) -> None:
    for code in (*new.pre_session_measures, *new.post_session_measures):
        if code not in instruments:
            raise ServiceError(_l("%(code)s is not an instrument of this service.", code=code))
        if instruments[code].purpose == Purpose.SCREENING:
            raise ServiceError(
                _l(
                    "%(code)s is a screening measure (past-year frame): it cannot be given "
                    "every session.",
                    code=code,
                )
            )


def _check_budgets(new: settings.ServiceSettings) -> None:
    if new.red_alert_budget > new.alert_budget:
        raise ServiceError(_l("The red alert budget cannot be larger than the alert budget."))


def _store(key: str, value: Any, by: User) -> None:
    row = db.session.get(ServiceSetting, key) or ServiceSetting(key=key)
    row.value, row.updated_at, row.updated_by_id = value, utcnow(), by.id
    db.session.add(row)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def set_instrument_enabled(*, code: str, enabled: bool, by: User) -> None:
    row = db.session.get(InstrumentSetting, code) or InstrumentSetting(code=code)
    if row.enabled == enabled and row in db.session:
        return
    row.enabled = enabled
    db.session.add(row)
    settings.forget_cached()
    record(
        by=by,
        action="instrument.enable" if enabled else "instrument.disable",
        obj=row,
        details={"code": code},
    )
    db.session.commit()


def override_threshold(
    *, code: str, field: str, value: float | None, old_value: float | None, reason: str, by: User
) -> ThresholdOverride:
    """Record a service value for a threshold (None reverts to the published value)."""
    if field not in THRESHOLD_FIELDS:
        raise ServiceError(
            _l("Only %(fields)s can be overridden.", fields=", ".join(THRESHOLD_FIELDS))
        )
    if not reason.strip():
        raise ServiceError(_l("Give a reason for changing a published threshold."))
    if value is not None and field == "reliable_change" and value <= 0:
        raise ServiceError(_l("A reliable-change threshold must be greater than zero."))
    row = ThresholdOverride(
        instrument_code=code,
        field=field,
        old_value=old_value,
        new_value=value,
        reason=reason.strip(),
        created_by_id=by.id,
    )
    db.session.add(row)
    record(
        by=by,
        action="threshold.override",
        obj=row,
        details={"code": code, "field": field, "old": old_value, "new": value, "reason": reason},
    )
    settings.forget_cached()
    _refresh_active_statuses()
    db.session.commit()
    return row
