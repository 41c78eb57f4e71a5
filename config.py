"""Configuration classes. The only module that reads ``os.environ``.

Each class reads the environment when it is instantiated, so tests can build a config from a
patched environment. Every variable is listed, with its default, in the README.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


def env_str(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name, "").strip()
    return value or default


def env_int(environ: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def env_bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def env_choice(
    environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]
) -> str:
    value = env_str(environ, name, default).upper()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


ROLE_NAMES = ("admin", "supervisor", "therapist")


def env_roles(environ: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    """Comma-separated role names; set but empty means none (unset means ``default``)."""
    raw = environ.get(name)
    raw = default if raw is None else raw
    roles = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [role for role in roles if role not in ROLE_NAMES]
    if unknown:
        raise ConfigError(f"{name} may name only {', '.join(ROLE_NAMES)}, not {unknown[0]!r}")
    return roles


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` and ``postgresql://`` spellings; use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings shared by every environment."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.SECRET_KEY = env.get("SECRET_KEY", "").strip() or None
        default_db = f"sqlite:///{INSTANCE_DIR / 'outcome_monitor.db'}"
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            env_str(env, "DATABASE_URL", default_db)
        )
        # Per worker process; PostgreSQL's default max_connections is 100, so keep
        # workers x (pool size + overflow) + the scheduler below it (README, "Configuration").
        self.DATABASE_POOL_SIZE = env_int(env, "DATABASE_POOL_SIZE", 5, minimum=1)
        self.DATABASE_MAX_OVERFLOW = env_int(env, "DATABASE_MAX_OVERFLOW", 5)
        self.DATABASE_POOL_RECYCLE = env_int(env, "DATABASE_POOL_RECYCLE", 1800, minimum=-1)
        self.DATABASE_POOL_PRE_PING = env_bool(env, "DATABASE_POOL_PRE_PING", True)
        self.SQLITE_BUSY_TIMEOUT_MS = env_int(env, "SQLITE_BUSY_TIMEOUT_MS", 5000)
        # NORMAL, the standard setting for WAL: no fsync per commit, the file is never corrupted,
        # a commit survives a crash of the app but the last ones may be lost to a power cut or a
        # crash of the machine; FULL (one fsync a commit) keeps those too (README, "Configuration").
        self.SQLITE_SYNCHRONOUS = env_choice(
            env, "SQLITE_SYNCHRONOUS", "NORMAL", ("FULL", "NORMAL")
        )
        # gzip only (not brotli or zstd): the one every browser and proxy speaks, and cheap
        # enough per request; under 1 KB a response is not worth the CPU or the header.
        self.COMPRESS_REGISTER = env_bool(env, "GZIP_RESPONSES", True)
        self.COMPRESS_ALGORITHM = ["gzip"]
        self.COMPRESS_LEVEL = 6
        self.COMPRESS_MIN_SIZE = 1024
        # A streamed response (an export) goes out as it is made, never buffered to compress.
        self.COMPRESS_STREAMS = False
        self.SESSION_IDLE_MINUTES = env_int(env, "SESSION_IDLE_MINUTES", 30, minimum=1)
        self.SESSION_ABSOLUTE_HOURS = env_int(env, "SESSION_ABSOLUTE_HOURS", 12, minimum=1)
        self.LOGIN_MAX_FAILURES = env_int(env, "LOGIN_MAX_FAILURES", 10, minimum=1)
        self.LOGIN_LOCK_MINUTES = env_int(env, "LOGIN_LOCK_MINUTES", 15, minimum=1)
        self.UNLOCK_PIN_ATTEMPTS = env_int(env, "UNLOCK_PIN_ATTEMPTS", 3, minimum=1)
        self.INVITATION_VALID_DAYS = env_int(env, "INVITATION_VALID_DAYS", 7, minimum=1)
        self.PASSWORD_RESET_VALID_HOURS = env_int(env, "PASSWORD_RESET_VALID_HOURS", 24, minimum=1)
        self.MFA_REQUIRED_ROLES = env_roles(env, "MFA_REQUIRED_ROLES", "")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env_bool(env, "SESSION_COOKIE_SECURE", False)
        # Strict-Transport-Security max-age in seconds; 0 sends no HSTS header (development:
        # a browser that once saw HSTS for localhost refuses plain http there for a year).
        self.HSTS_SECONDS = env_int(env, "HSTS_SECONDS", 0)
        self.LOGIN_RATE_LIMIT = env_str(env, "LOGIN_RATE_LIMIT", "5 per minute")
        self.RATELIMIT_STORAGE_URI = env_str(env, "RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.ARGON2_TIME_COST = env_int(env, "ARGON2_TIME_COST", 3, minimum=1)
        self.ARGON2_MEMORY_COST = env_int(env, "ARGON2_MEMORY_COST", 65536, minimum=8)
        self.TEXT_PACK_DIR = env_str(env, "TEXT_PACK_DIR", str(INSTANCE_DIR / "text-packs"))
        self.SERVICE_TIMEZONE = env_str(env, "SERVICE_TIMEZONE", "Europe/London")
        self.PUBLIC_BASE_URL = env_str(env, "PUBLIC_BASE_URL", "") or None
        self.SMTP_HOST = env.get("SMTP_HOST", "").strip() or None
        self.SMTP_PORT = env_int(env, "SMTP_PORT", 25, minimum=1)
        self.SMTP_FROM = env.get("SMTP_FROM", "").strip() or None
        self.SMTP_USERNAME = env.get("SMTP_USERNAME", "").strip() or None
        self.SMTP_PASSWORD = env.get("SMTP_PASSWORD", "") or None
        self.SMTP_STARTTLS = env_bool(env, "SMTP_STARTTLS", False)
        self.SMTP_TIMEOUT = env_int(env, "SMTP_TIMEOUT", 10, minimum=1)
        self.UNLOCK_RATE_LIMIT = env_str(env, "UNLOCK_RATE_LIMIT", "5 per minute")
        self.LINK_RATE_LIMIT = env_str(env, "LINK_RATE_LIMIT", "60 per minute")
        self.LINK_FAILURE_RATE_LIMIT = env_str(env, "LINK_FAILURE_RATE_LIMIT", "10 per minute")
        # Years a client's records are kept after their last episode closed (docs/security.md):
        # the UK records code's 20 years for mental health records, a service decision.
        self.RETENTION_YEARS = env_int(env, "RETENTION_YEARS", 20, minimum=1)
        self.API_RATE_LIMIT = env_str(env, "API_RATE_LIMIT", "120 per minute")
        self.API_AUTH_FAILURE_RATE_LIMIT = env_str(
            env, "API_AUTH_FAILURE_RATE_LIMIT", "20 per minute"
        )
        self.LINK_TOKEN_RATE_LIMIT = env_str(env, "LINK_TOKEN_RATE_LIMIT", "60 per minute")
        self.BABEL_DEFAULT_LOCALE = "en"
        self.WTF_CSRF_TIME_LIMIT = None

    @property
    def SQLALCHEMY_ENGINE_OPTIONS(self) -> dict[str, object]:
        """Pool settings for a server database; SQLite keeps Flask-SQLAlchemy's own pool.

        A property, so a subclass that changes the database URL gets the options for it.
        """
        options: dict[str, object] = {"pool_pre_ping": self.DATABASE_POOL_PRE_PING}
        if not self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            options["pool_size"] = self.DATABASE_POOL_SIZE
            options["max_overflow"] = self.DATABASE_MAX_OVERFLOW
            options["pool_recycle"] = self.DATABASE_POOL_RECYCLE
        return options

    def validate(self) -> None:
        """Refuse to run with a configuration that is unsafe for this environment."""


class DevelopmentConfig(Config):
    """The default: a SQLite file under ``instance/``; a throwaway secret if none is set."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        self.DEBUG = False
        # A development secret only; production refuses to start without its own.
        self.SECRET_KEY = self.SECRET_KEY or _development_secret()


class TestingConfig(Config):
    """Fast password hashing, no CSRF by default, a database chosen by the test fixture."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        super().__init__(environ)
        self.TESTING = True
        self.SECRET_KEY = "testing-only-secret"
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            env_str(env, "TEST_DATABASE_URL", "sqlite://")
        )
        self.WTF_CSRF_ENABLED = False
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 8
        self.LOGIN_RATE_LIMIT = "5 per minute"
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.MFA_REQUIRED_ROLES = ()


class ProductionConfig(Config):
    """Refuses to start without a real ``SECRET_KEY`` and ``DATABASE_URL``."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        super().__init__(environ)
        self._has_database_url = bool(env.get("DATABASE_URL", "").strip())
        self.SESSION_COOKIE_SECURE = env_bool(env, "SESSION_COOKIE_SECURE", True)
        self.HSTS_SECONDS = env_int(env, "HSTS_SECONDS", 365 * 24 * 3600)
        self.MFA_REQUIRED_ROLES = env_roles(env, "MFA_REQUIRED_ROLES", "admin,supervisor")

    def validate(self) -> None:
        missing = [
            name
            for name, present in (
                ("SECRET_KEY", bool(self.SECRET_KEY)),
                ("DATABASE_URL", self._has_database_url),
            )
            if not present
        ]
        if missing:
            names = " and ".join(missing)
            raise ConfigError(f"production needs {names} set in the environment; refusing to start")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment(environ: Mapping[str, str] | None = None) -> type[Config]:
    env = os.environ if environ is None else environ
    name = env_str(env, "OUTCOME_MONITOR_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(
            f"OUTCOME_MONITOR_ENV must be one of {', '.join(CONFIGS)}, not {name!r}"
        ) from None


def _development_secret() -> str:
    """A per-install secret kept in instance/, so development logins survive restarts."""
    path = INSTANCE_DIR / "dev-secret-key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()
