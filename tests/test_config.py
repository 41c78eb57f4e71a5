from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config import (
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    config_from_environment,
    env_bool,
    env_int,
)
from outcome_monitor import create_app

ROOT = Path(__file__).resolve().parents[1]


def test_production_without_secret_key_refuses_to_start() -> None:
    class Env(ProductionConfig):
        def __init__(self) -> None:
            super().__init__({"DATABASE_URL": "postgresql://db/om"})

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(Env)


def test_production_without_either_names_both() -> None:
    class Env(ProductionConfig):
        def __init__(self) -> None:
            super().__init__({})

    with pytest.raises(ConfigError, match="SECRET_KEY and DATABASE_URL"):
        create_app(Env)


def test_production_with_secret_and_database_starts() -> None:
    class Env(ProductionConfig):
        def __init__(self) -> None:
            super().__init__({"SECRET_KEY": "x" * 40, "DATABASE_URL": "postgres://db/om"})

    app = create_app(Env)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db/om"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_wsgi_in_production_without_secret_prints_one_line(tmp_path: Path) -> None:
    env = {"OUTCOME_MONITOR_ENV": "production", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "outcome_monitor: production needs SECRET_KEY and DATABASE_URL set in the environment; "
        "refusing to start"
    ]


def test_development_defaults_to_sqlite_under_instance() -> None:
    config = DevelopmentConfig({})
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.SQLALCHEMY_DATABASE_URI.endswith("instance/outcome_monitor.db")
    assert config.SESSION_IDLE_MINUTES == 30
    assert config.SECRET_KEY


def test_unknown_environment_name_is_rejected() -> None:
    with pytest.raises(ConfigError, match="OUTCOME_MONITOR_ENV"):
        config_from_environment({"OUTCOME_MONITOR_ENV": "staging"})


@pytest.mark.parametrize(("raw", "message"), [("ten", "whole number"), ("0", "at least 1")])
def test_bad_integer_settings_are_rejected_with_the_variable_name(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"SESSION_IDLE_MINUTES must .*{message}"):
        env_int({"SESSION_IDLE_MINUTES": raw}, "SESSION_IDLE_MINUTES", 30, minimum=1)


def test_boolean_settings_accept_common_spellings_and_reject_others() -> None:
    assert env_bool({"X": "yes"}, "X", False) is True
    assert env_bool({"X": "off"}, "X", True) is False
    with pytest.raises(ConfigError):
        env_bool({"X": "maybe"}, "X", True)
