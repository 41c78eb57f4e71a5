"""Web layer: one blueprint package per area, registered here."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from outcome_monitor.web import (
        admin,
        alerts,
        auth,
        chart,
        clients,
        converters,
        error_pages,
        health,
        input_guard,
        links,
        measures,
        mfa_enrolment,
        no_store,
        session_expiry,
        supervision,
        tablet,
        user_loader,
    )

    # First: rules take their converter when added (ids beyond the DB's range answer 404).
    converters.init_app(app)
    input_guard.init_app(app)
    user_loader.init_app(app)
    session_expiry.init_app(app)
    mfa_enrolment.init_app(app)
    no_store.init_app(app)
    error_pages.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(clients.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(measures.bp)
    app.register_blueprint(alerts.bp)
    app.register_blueprint(tablet.bp)
    app.register_blueprint(links.bp)
    app.register_blueprint(chart.bp)
    app.register_blueprint(supervision.bp)

    from outcome_monitor.fhir import views as fhir_views

    fhir_views.register(app)

    from outcome_monitor import api
    from outcome_monitor.web import account

    api.init_app(app)
    app.register_blueprint(account.bp)

    # The audit of reads: one after_request hook for every blueprint (web/read_audit.py).
    from outcome_monitor.web import audit, read_audit

    read_audit.init_app(app)
    app.register_blueprint(audit.bp)

    from outcome_monitor.web import reports

    app.register_blueprint(reports.bp)

    from outcome_monitor.web import paging

    paging.init_app(app)  # page_url() for the lists' pagers

    from outcome_monitor.web import template_gettext

    template_gettext.init_app(app)  # replaces Flask-Babel's, so after babel.init_app
    expose_enums(app)


def expose_enums(app: Flask) -> None:
    """Templates compare states with their enums, never with bare strings (CONVENTIONS §9):
    ``{% if handover.status == HandOverStatus.ACTIVE %}``."""
    from outcome_monitor.core.definitions import ItemKind
    from outcome_monitor.models import EntryMode, GrantKind, HandOverStatus, Role
    from outcome_monitor.services.links import LinkStatus
    from outcome_monitor.services.report_episodes import EpisodeSort

    app.jinja_env.globals.update(
        EntryMode=EntryMode,
        EpisodeSort=EpisodeSort,
        GrantKind=GrantKind,
        HandOverStatus=HandOverStatus,
        ItemKind=ItemKind,
        LinkStatus=LinkStatus,
        Role=Role,
    )
