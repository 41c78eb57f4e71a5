"""SQLite files run in WAL mode with a busy timeout; server databases get the pool settings."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import Config, ConfigError, TestingConfig
from outcome_monitor import create_app
from outcome_monitor.database import configure_sqlite, is_sqlite_file
from outcome_monitor.extensions import db


def _file_app(path: Path, busy_timeout_ms: int = 5000) -> object:
    class OnFile(TestingConfig):
        def __init__(self) -> None:
            super().__init__({"SQLITE_BUSY_TIMEOUT_MS": str(busy_timeout_ms)})
            self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"

    return create_app(OnFile)


def _pragma(name: str) -> object:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_a_sqlite_file_is_opened_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    app = _file_app(tmp_path / "om.db", busy_timeout_ms=7000)

    with app.app_context():  # type: ignore[attr-defined]
        assert _pragma("journal_mode") == "wal"
        assert _pragma("busy_timeout") == 7000
        db.engine.dispose()
    assert (tmp_path / "om.db").exists()


def test_sqlite_commits_are_not_synced_unless_full_is_chosen(tmp_path: Path) -> None:
    app = _file_app(tmp_path / "normal.db")
    with app.app_context():  # type: ignore[attr-defined]
        assert _pragma("synchronous") == 1  # NORMAL
        db.engine.dispose()

    class Full(TestingConfig):
        def __init__(self) -> None:
            super().__init__({"SQLITE_SYNCHRONOUS": "full"})
            self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'full.db'}"

    with create_app(Full).app_context():
        assert _pragma("synchronous") == 2  # FULL
        db.engine.dispose()


def test_wal_mode_stays_with_the_file_for_other_programs(tmp_path: Path) -> None:
    app = _file_app(tmp_path / "om.db")
    with app.app_context():  # type: ignore[attr-defined]
        _pragma("journal_mode")
        db.engine.dispose()

    with sqlite3.connect(tmp_path / "om.db") as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_second_writer_waits_for_the_first_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "om.db"
    # The driver's own timeout is 0, so only the busy timeout set here makes the second wait.
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    configure_sqlite(engine, busy_timeout_ms=5000)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    locked = threading.Event()

    def first_writer() -> None:
        with sqlite3.connect(path, isolation_level=None) as first:
            first.execute("BEGIN IMMEDIATE")
            first.execute("INSERT INTO t VALUES (1)")
            locked.set()
            time.sleep(0.3)
            first.execute("COMMIT")

    thread = threading.Thread(target=first_writer)
    thread.start()
    locked.wait(5)
    with engine.begin() as second:
        second.exec_driver_sql("INSERT INTO t VALUES (2)")
    thread.join()

    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 2
    engine.dispose()


def test_an_in_memory_database_is_left_alone() -> None:
    app = create_app(TestingConfig)

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the suite runs on PostgreSQL")
        assert _pragma("journal_mode") == "memory"


@pytest.mark.parametrize(
    ("url", "is_file"),
    [
        ("sqlite:////srv/om/outcome_monitor.db", True),
        ("sqlite:///relative.db", True),
        ("sqlite://", False),
        ("sqlite:///:memory:", False),
        ("sqlite:///file:shared?mode=memory&uri=true", False),
        ("postgresql+psycopg://db/om", False),
    ],
)
def test_which_urls_are_sqlite_files(url: str, is_file: bool) -> None:
    assert is_sqlite_file(sa.make_url(url)) is is_file


def test_postgresql_gets_pool_settings_from_the_environment() -> None:
    config = Config(
        {
            "DATABASE_URL": "postgresql://db/om",
            "DATABASE_POOL_SIZE": "8",
            "DATABASE_MAX_OVERFLOW": "2",
            "DATABASE_POOL_RECYCLE": "600",
            "DATABASE_POOL_PRE_PING": "false",
        }
    )

    assert config.SQLALCHEMY_ENGINE_OPTIONS == {
        "pool_pre_ping": False,
        "pool_size": 8,
        "max_overflow": 2,
        "pool_recycle": 600,
    }


def test_postgresql_pool_defaults() -> None:
    config = Config({"DATABASE_URL": "postgres://db/om"})

    assert config.SQLALCHEMY_ENGINE_OPTIONS == {
        "pool_pre_ping": True,
        "pool_size": 5,
        "max_overflow": 5,
        "pool_recycle": 1800,
    }
    assert config.SQLITE_BUSY_TIMEOUT_MS == 5000


def test_sqlite_keeps_its_own_pool() -> None:
    assert Config({}).SQLALCHEMY_ENGINE_OPTIONS == {"pool_pre_ping": True}


def test_engine_options_follow_a_database_url_changed_by_a_subclass() -> None:
    config = TestingConfig({"TEST_DATABASE_URL": "postgresql://db/test"})

    assert config.SQLALCHEMY_ENGINE_OPTIONS["pool_size"] == 5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_POOL_SIZE", "0"),
        ("DATABASE_MAX_OVERFLOW", "-1"),
        ("SQLITE_BUSY_TIMEOUT_MS", "x"),
        ("SQLITE_SYNCHRONOUS", "OFF"),
        ("GZIP_RESPONSES", "maybe"),
    ],
)
def test_bad_pool_settings_are_refused_with_their_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Config({name: value})
