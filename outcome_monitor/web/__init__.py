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
        health,
        input_guard,
        links,
        measures,
        session_guard,
        supervision,
        tablet,
    )

    # First: rules take their converter when added (ids beyond the DB's range answer 404).
    converters.init_app(app)
    input_guard.init_app(app)
    session_guard.init_app(app)
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
