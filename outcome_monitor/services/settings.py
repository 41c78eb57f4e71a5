"""Service settings as read: typed options with defaults, instruments disabled, threshold
overrides in force. Changing them is ``services.settings_changes``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import InstrumentSetting, ServiceSetting, ThresholdOverride
from outcome_monitor.services import ServiceError


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


REQUEST_CACHE_KEY = "outcome_monitor.settings_cache"


def _request_cache() -> dict[str, Any] | None:
    """A memo of the settings rows for one request, so a page reads them once however many
    panels or rows ask (CONVENTIONS §9). Never kept across requests (another worker may have
    changed them); outside a request (jobs, CLI) nothing is cached. The writers
    (``services.settings_changes``) clear it.
    """
    if not has_request_context():
        return None
    cache: dict[str, Any] = request.environ.setdefault(REQUEST_CACHE_KEY, {})
    return cache


def forget_cached() -> None:
    cache = _request_cache()
    if cache is not None:
        cache.clear()


def get_settings() -> ServiceSettings:
    cache = _request_cache()
    if cache is not None and "settings" in cache:
        return cast(ServiceSettings, cache["settings"])
    stored = {row.key: row.value for row in db.session.scalars(sa.select(ServiceSetting))}
    values = {k: coerce(k, v) for k, v in stored.items() if k in FIELD_TYPES}
    settings = ServiceSettings(**values)
    if cache is not None:
        cache["settings"] = settings
    return settings


def coerce(key: str, value: Any) -> Any:
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
