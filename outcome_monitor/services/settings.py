"""Service settings: typed options with defaults, instruments enabled, threshold overrides."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from outcome_monitor.core.definitions import InstrumentDefinition, Purpose
from outcome_monitor.extensions import db
from outcome_monitor.models import InstrumentSetting, ServiceSetting, ThresholdOverride, User
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import ServiceError
from outcome_monitor.services.audit import record

THRESHOLD_FIELDS = ("cutoff", "reliable_change")


@dataclass(frozen=True)
class ServiceSettings:
    """Every service option with its default. Stored values override the defaults."""

    handover_one_item_per_screen: bool = False
    clients_see_progress_graph: bool = False
    remote_link_days: int = 4
    handover_idle_minutes: int = 10
    pre_session_measures: tuple[str, ...] = ("phq9", "gad7")
    post_session_measures: tuple[str, ...] = ("srs",)
    trajectory_method: str = "rational"
    no_change_session: int = 4
    overdue_days: int = 21
    overdue_sessions: int = 3
    rupture_k: float = 2.0
    empirical_min_episodes: int = 200
    band_yellow_percentile: float = 75.0
    band_red_percentile: float = 90.0
    # Share of episodes allowed an outcome alert (yellow/red not on track, reliable
    # deterioration) by session 3; the nightly refit calibrates the band to it (issue 8, §3.5).
    alert_budget: float = 0.20
    # ... and a red alert: PBHI ALERT targeted about 10% of cases [V] (reference §4.1).
    red_alert_budget: float = 0.10
    escalate_red_after_hours: int = 48
    escalate_risk_after_hours: int = 24


FIELD_TYPES = {f.name: f.type for f in dataclasses.fields(ServiceSettings)}
CHOICES = {"trajectory_method": ("rational", "empirical", "neighbours")}


# Settings that move an episode's colour: changing one refreshes the stored statuses.
STATUS_SETTINGS = frozenset({"trajectory_method", "no_change_session"})
REQUEST_CACHE_KEY = "outcome_monitor.settings_cache"


def _request_cache() -> dict[str, Any] | None:
    """A memo of the settings rows for one request, so a page reads them once however many
    panels or rows ask (CONVENTIONS §9). Never kept across requests (another worker may have
    changed them); outside a request (jobs, CLI) nothing is cached. The writers below clear it.
    """
    if not has_request_context():
        return None
    cache: dict[str, Any] = request.environ.setdefault(REQUEST_CACHE_KEY, {})
    return cache


def _forget_cached() -> None:
    cache = _request_cache()
    if cache is not None:
        cache.clear()


def get_settings() -> ServiceSettings:
    cache = _request_cache()
    if cache is not None and "settings" in cache:
        return cast(ServiceSettings, cache["settings"])
    stored = {row.key: row.value for row in db.session.scalars(sa.select(ServiceSetting))}
    values = {k: _coerce(k, v) for k, v in stored.items() if k in FIELD_TYPES}
    settings = ServiceSettings(**values)
    if cache is not None:
        cache["settings"] = settings
    return settings


def _coerce(key: str, value: Any) -> Any:
    """Turn a stored or submitted value into the field's type; ServiceError if it cannot be."""
    kind = FIELD_TYPES[key]
    try:
        if kind == "bool":
            return (
                value if isinstance(value, bool) else str(value).lower() in {"1", "true", "y", "on"}
            )
        if kind == "int":
            result: Any = int(value)
        elif kind == "float":
            result = float(value)
        elif kind.startswith("tuple"):
            items = value.split(",") if isinstance(value, str) else value
            return tuple(str(v).strip() for v in items if str(v).strip())
        else:
            result = str(value)
    except (TypeError, ValueError):
        raise ServiceError(
            _l("%(key)s: %(value)s is not a valid value.", key=key, value=value)
        ) from None
    _check_range(key, result)
    return result


def _check_range(key: str, value: Any) -> None:
    if key in CHOICES and value not in CHOICES[key]:
        raise ServiceError(
            _l("%(key)s must be one of %(choices)s.", key=key, choices=", ".join(CHOICES[key]))
        )
    if isinstance(value, int | float) and value <= 0:
        raise ServiceError(_l("%(key)s must be greater than zero.", key=key))
    if key.startswith("band_") and not 50 <= value < 100:
        raise ServiceError(_l("%(key)s must be a percentile from 50 to 99.9.", key=key))
    if key.endswith("alert_budget") and not 0 < value < 1:
        raise ServiceError(_l("%(key)s must be a share between 0 and 1, e.g. 0.2.", key=key))


def update_settings(
    *,
    changes: Mapping[str, Any],
    by: User,
    instruments: Mapping[str, InstrumentDefinition] | None = None,
) -> ServiceSettings:
    """Validate and store ``changes``; one audit row lists old and new values.

    With ``instruments`` (the catalogue), the session measure lists are checked too: every code
    must be a known instrument, and a screening measure (AUDIT-C, past-year frame) cannot be
    given every session.
    """
    current = get_settings()
    diff: dict[str, Any] = {}
    unknown = [key for key in changes if key not in FIELD_TYPES]
    if unknown:
        raise ServiceError(_l("Unknown setting %(key)s.", key=unknown[0]))
    new = dataclasses.replace(current, **{k: _coerce(k, v) for k, v in changes.items()})
    _check_budgets(new)
    if instruments is not None:
        _check_session_measures(new, instruments)
    for key, raw in changes.items():
        value = _coerce(key, raw)
        if value != getattr(current, key):
            diff[key] = {"old": _jsonable(getattr(current, key)), "new": _jsonable(value)}
            _store(key, _jsonable(value), by)
    _forget_cached()
    if diff:
        record(
            by=by, action="settings.update", obj=None, details=diff, object_type="ServiceSettings"
        )
    if STATUS_SETTINGS.intersection(diff):
        _refresh_active_statuses()
    db.session.commit()
    return get_settings()


def _refresh_active_statuses() -> None:
    """The method or the thresholds in force changed: every active episode's stored colour
    follows in the same transaction (in batches, ``services.case_status``)."""
    from outcome_monitor.services import case_status

    case_status.refresh_many(case_status.active_episode_ids())


def _check_session_measures(
    new: ServiceSettings, instruments: Mapping[str, InstrumentDefinition]
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


def _check_budgets(new: ServiceSettings) -> None:
    if new.red_alert_budget > new.alert_budget:
        raise ServiceError(_l("The red alert budget cannot be larger than the alert budget."))


def _store(key: str, value: Any, by: User) -> None:
    row = db.session.get(ServiceSetting, key) or ServiceSetting(key=key)
    row.value, row.updated_at, row.updated_by_id = value, utcnow(), by.id
    db.session.add(row)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def disabled_instruments() -> set[str]:
    cache = _request_cache()
    if cache is not None and "disabled" in cache:
        return set(cache["disabled"])
    rows = db.session.scalars(
        sa.select(InstrumentSetting).where(InstrumentSetting.enabled.is_(False))
    )
    disabled = {row.code for row in rows}
    if cache is not None:
        cache["disabled"] = frozenset(disabled)
    return disabled


def set_instrument_enabled(*, code: str, enabled: bool, by: User) -> None:
    row = db.session.get(InstrumentSetting, code) or InstrumentSetting(code=code)
    if row.enabled == enabled and row in db.session:
        return
    row.enabled = enabled
    db.session.add(row)
    _forget_cached()
    record(
        by=by,
        action="instrument.enable" if enabled else "instrument.disable",
        obj=row,
        details={"code": code},
    )
    db.session.commit()


def active_overrides() -> dict[tuple[str, str], ThresholdOverride]:
    """The override in force per (instrument code, field); absent when the published value holds."""
    cache = _request_cache()
    if cache is not None and "overrides" in cache:
        return dict(cache["overrides"])
    rows = db.session.scalars(sa.select(ThresholdOverride).order_by(ThresholdOverride.id))
    newest = {(r.instrument_code, r.field): r for r in rows}
    active = {key: row for key, row in newest.items() if row.new_value is not None}
    if cache is not None:
        cache["overrides"] = dict(active)
    return active


def override_history(code: str | None = None) -> list[ThresholdOverride]:
    query = sa.select(ThresholdOverride).order_by(ThresholdOverride.id.desc())
    if code is not None:
        query = query.where(ThresholdOverride.instrument_code == code)
    return list(db.session.scalars(query))


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
    _forget_cached()
    _refresh_active_statuses()
    db.session.commit()
    return row
