"""outcome_monitor: routine outcome monitoring for psychotherapy services."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import Config, DevelopmentConfig

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_class: type[Config] = DevelopmentConfig) -> Flask:
    """Build the application; no work beyond wiring happens here."""
    from outcome_monitor import cli, database, models, security
    from outcome_monitor.extensions import (
        babel,
        compress,
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
    )
    from outcome_monitor.web import register_web

    config = config_class()
    config.validate()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config)
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    babel.init_app(app)
    compress.init_app(app)
    security.init_app(app)
    register_web(app)
    cli.register(app)
    assert models  # imported for its side effect: every model is mapped
    return app
