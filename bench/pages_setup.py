"""bench_pages.py, step 2: the schema, the staff, and the service's data through the import."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from synth import Size, team_of, therapist_email

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password, synthetic"
SUPERVISOR = "supervisor@pages.bench.invalid"
ADMIN = "admin@pages.bench.invalid"
SECRET_KEY = "bench-pages-secret-key-not-for-production"


@dataclass(frozen=True)
class World:
    """Who logs in and what they look at."""

    therapist: str = therapist_email(0)
    supervisor: str = SUPERVISOR
    password: str = PASSWORD
    team_id: int = 0
    client_ids: tuple[int, ...] = ()
    episode_ids: tuple[int, ...] = ()
    highest_client_id: int = 1
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        c = self.counts
        return (
            f"{c['clients']:,} clients, {c['therapists']} therapists in {c['teams']} teams, "
            f"{c['episodes']:,} episodes ({c['active']:,} active), "
            f"{c['administrations']:,} administrations, {c['unresolved']:,} unresolved alerts "
            f"({c['open']:,} open); the measured therapist has {len(self.client_ids)} "
            f"active clients"
        )


def bench_config(url: str) -> Any:
    from config import TestingConfig

    class Bench(TestingConfig):
        """The testing settings (cheap hashes, no CSRF) on the benchmark's database."""

        def __init__(self) -> None:
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = url

    return Bench


def build(url: str, size: Size) -> World:
    """The schema, ``size.teams`` teams, their therapists, a supervisor of all, an admin."""
    from outcome_monitor import create_app
    from outcome_monitor.extensions import db
    from outcome_monitor.models import Role
    from outcome_monitor.services import accounts

    app = create_app(bench_config(url))
    with app.app_context():
        db.create_all()
        admin = accounts.create_user(
            email=ADMIN, display_name="Admin", role=Role.ADMIN, password=PASSWORD, by=None
        )
        teams = [
            accounts.create_team(name=f"Team {t + 1:02d}", by=admin) for t in range(size.teams)
        ]
        for k in range(size.therapists):
            accounts.create_user(
                email=therapist_email(k),
                display_name=f"Therapist {k:03d}",
                role=Role.THERAPIST,
                password=PASSWORD,
                team=teams[team_of(k, size)],
                by=admin,
            )
        supervisor = accounts.create_user(
            email=SUPERVISOR,
            display_name="Supervisor",
            role=Role.SUPERVISOR,
            password=PASSWORD,
            by=admin,
        )
        accounts.assign_teams(user=supervisor, team=None, supervised=teams, by=admin)
        team_id = teams[team_of(0, size)].id
        db.session.remove()
        db.engine.dispose()
    return World(team_id=team_id)


def server_env(url: str) -> dict[str, str]:
    """The app's environment for the CLI and gunicorn: development settings on ``url``."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL",)}
    env.update(
        OUTCOME_MONITOR_ENV="development",
        DATABASE_URL=url,
        SECRET_KEY=SECRET_KEY,
        LOGIN_RATE_LIMIT="100000 per minute",
        RATELIMIT_HEADERS_ENABLED="false",
    )
    return env


def import_file(url: str, path: Path) -> dict[str, Any]:
    """``flask import scores FILE --evaluate-open``, as an operator would run it."""
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "import", "scores", str(path)]
    started = time.perf_counter()
    done = subprocess.run(
        [*flask, "--evaluate-open"], cwd=ROOT, env=server_env(url), capture_output=True, text=True
    )
    evaluated = True
    if done.returncode != 0 and "--evaluate-open" in done.stderr:
        print(
            "WARNING: this import has no --evaluate-open yet (helper 'jobs' is adding it); "
            "importing without it, so no alerts are open",
            file=sys.stderr,
            flush=True,
        )
        evaluated = False
        started = time.perf_counter()
        done = subprocess.run(flask, cwd=ROOT, env=server_env(url), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"import failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return {
        "seconds": time.perf_counter() - started,
        "evaluate_open": evaluated,
        "summary": lines[-1] if lines else "",
    }


def analyze(url: str) -> None:
    """Refresh the planner's statistics after the bulk load, as PostgreSQL's manual advises
    ("Populating a Database": run ANALYZE afterwards) and as autovacuum would do within a
    minute on a default server (this machine's runs with autovacuum off). Without them
    PostgreSQL plans the queue for tables of a few rows: nested loops over 12,000 episodes."""
    _outside_a_transaction(url, "ANALYZE")


README_RANDOM_PAGE_COST = 1.1  # README, "Running on PostgreSQL": solid-state storage


def plan_costs(url: str, random_page_cost: float) -> None:
    """The planner's cost of a random page read for the benchmark's database, as the README
    tells an installer on solid-state storage to set it (PostgreSQL's manual: "e.g., 1.1";
    its default, 4.0, models spinning disks). Every connection opened after this has it."""
    name = sa.make_url(url).database
    _outside_a_transaction(
        url, f'ALTER DATABASE "{name}" SET random_page_cost = {float(random_page_cost)}'
    )


def _outside_a_transaction(url: str, sql: str) -> None:
    """Run ``sql`` on its own connection in autocommit (ANALYZE, ALTER DATABASE)."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(sql)
    engine.dispose()


def find_world(url: str, world: World) -> World:
    """The measured therapist's active clients and episodes, and what the database holds."""
    from outcome_monitor import create_app
    from outcome_monitor.extensions import db
    from outcome_monitor.models import (
        Administration,
        Alert,
        AlertStatus,
        Client,
        Episode,
        Team,
        User,
    )

    app = create_app(bench_config(url))
    with app.app_context():
        therapist = db.session.scalars(sa.select(User).where(User.email == world.therapist)).one()
        rows = db.session.execute(
            sa.select(Client.id, Episode.id)
            .join(Episode, Episode.client_id == Client.id)
            .where(Client.therapist_id == therapist.id, Episode.closed_on.is_(None))
            .order_by(Client.id)
        ).all()

        def count(model: Any, *where: Any) -> int:
            return (
                db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0
            )

        counts = {
            "clients": count(Client),
            "therapists": count(User, User.email.like("therapist%")),
            "teams": count(Team),
            "episodes": count(Episode),
            "active": count(Episode, Episode.closed_on.is_(None)),
            "administrations": count(Administration),
            "unresolved": count(Alert, Alert.status != AlertStatus.RESOLVED),
            "open": count(Alert, Alert.status == AlertStatus.OPEN),
        }
        highest = db.session.scalar(sa.select(sa.func.max(Client.id))) or 1
        db.session.remove()
        db.engine.dispose()
    return replace(
        world,
        client_ids=tuple(r[0] for r in rows),
        episode_ids=tuple(r[1] for r in rows),
        highest_client_id=highest,
        counts=counts,
    )
