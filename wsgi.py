"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``."""

from __future__ import annotations

import sys

from config import ConfigError, config_from_environment
from outcome_monitor import create_app

try:
    app = create_app(config_from_environment())
except ConfigError as error:
    sys.exit(f"outcome_monitor: {error}")
