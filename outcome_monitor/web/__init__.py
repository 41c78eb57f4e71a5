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
        health,
        links,
        measures,
        session_guard,
        tablet,
    )

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
