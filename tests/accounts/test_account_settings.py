"""The account settings in config.py: MFA_REQUIRED_ROLES per environment, lifetimes, limits."""

from __future__ import annotations

import pytest

from config import ConfigError, DevelopmentConfig, ProductionConfig, TestingConfig

PRODUCTION = {"SECRET_KEY": "s" * 32, "DATABASE_URL": "postgresql://db/x"}


def test_mfa_is_required_of_admins_and_supervisors_in_production_by_default() -> None:
    assert ProductionConfig(PRODUCTION).MFA_REQUIRED_ROLES == ("admin", "supervisor")


def test_production_set_to_empty_forces_nobody() -> None:
    assert ProductionConfig(PRODUCTION | {"MFA_REQUIRED_ROLES": ""}).MFA_REQUIRED_ROLES == ()


def test_development_and_testing_force_nobody() -> None:
    assert DevelopmentConfig({"SECRET_KEY": "x"}).MFA_REQUIRED_ROLES == ()
    assert TestingConfig({"MFA_REQUIRED_ROLES": "admin"}).MFA_REQUIRED_ROLES == ()


def test_roles_are_parsed_and_checked() -> None:
    config = DevelopmentConfig({"SECRET_KEY": "x", "MFA_REQUIRED_ROLES": " Therapist, admin ,"})
    assert config.MFA_REQUIRED_ROLES == ("therapist", "admin")
    with pytest.raises(ConfigError, match="MFA_REQUIRED_ROLES"):
        DevelopmentConfig({"SECRET_KEY": "x", "MFA_REQUIRED_ROLES": "admin,superuser"})


def test_lifetimes_and_limits_have_defaults_and_refuse_nonsense() -> None:
    config = DevelopmentConfig({"SECRET_KEY": "x"})
    assert (config.SESSION_IDLE_MINUTES, config.SESSION_ABSOLUTE_HOURS) == (30, 12)
    assert (config.LOGIN_MAX_FAILURES, config.LOGIN_LOCK_MINUTES, config.UNLOCK_PIN_ATTEMPTS) == (
        10,
        15,
        3,
    )
    assert (
        DevelopmentConfig({"SECRET_KEY": "x", "SESSION_ABSOLUTE_HOURS": "8"}).SESSION_ABSOLUTE_HOURS
        == 8
    )
    for name in (
        "SESSION_ABSOLUTE_HOURS",
        "LOGIN_MAX_FAILURES",
        "LOGIN_LOCK_MINUTES",
        "UNLOCK_PIN_ATTEMPTS",
    ):
        with pytest.raises(ConfigError, match=name):
            DevelopmentConfig({"SECRET_KEY": "x", name: "0"})
