"""bench_pages.py, steps 3 and 4: queries per page in-process, then latency and throughput
against gunicorn."""

from __future__ import annotations

import http.client
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bare_schema
import loadclient
import sqlalchemy as sa
from loadclient import Browser, form_fields
from pages_setup import ROOT, World, bench_config, server_env

WORKERS = 2
TIMEOUT = 30  # the README's production setting: a page slower than this fails, as it would
LATENCY_THREADS = WORKERS  # one request in flight per worker: latency, not queueing
THROUGHPUT_THREADS = 2 * WORKERS  # enough to keep both workers busy
THROUGHPUT_ROUNDS = 3  # the apps in turn, round after round (see ``throughputs``)
SCORE_FORMS = 2000  # opened beforehand: more than the score POSTs of all rounds


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    who: str  # "therapist" or "supervisor"
    path: Callable[[World, int], str]
    target_ms: float


PAGES = (
    Page("caseload", "therapist caseload", "therapist", lambda w, i: "/clients/", 50),
    Page(
        "client",
        "client page",
        "therapist",
        lambda w, i: f"/clients/{w.client_ids[i % len(w.client_ids)]}",
        50,
    ),
    Page(
        "queue_team",
        "supervisor queue, one team, first page",
        "supervisor",
        lambda w, i: f"/alerts/?team={w.team_id}",
        100,
    ),
    Page(
        "queue_all",
        "supervisor queue, all teams, first page",
        "supervisor",
        lambda w, i: "/alerts/",
        150,
    ),
    Page(
        "supervisor_caseload",
        "supervisor caseload, all teams, first page",
        "supervisor",
        lambda w, i: "/clients/",
        150,
    ),
)


def _form_path(world: World, i: int) -> str:
    return f"/clients/episodes/{world.episode_ids[i % len(world.episode_ids)]}/measures/phq9"


def count_queries(url: str, world: World) -> dict[str, int]:
    """SQL statements per page (and per score) with the Flask test client, after a warm-up."""
    from outcome_monitor import create_app
    from outcome_monitor.extensions import db

    app = create_app(bench_config(url))
    counted = [0]
    counts: dict[str, int] = {}
    with app.app_context():
        engine = db.engine

    def tick(*_args: Any) -> None:
        counted[0] += 1

    sa.event.listen(engine, "before_cursor_execute", tick)
    clients = {who: app.test_client() for who in ("therapist", "supervisor")}
    for who, client in clients.items():
        email = world.therapist if who == "therapist" else world.supervisor
        client.post("/login", data={"email": email, "password": world.password})

    def count(key: str, call: Callable[[], Any], ok: int = 200) -> Any:
        counted[0] = 0
        response = call()
        if response.status_code != ok:
            raise RuntimeError(f"{key}: answered {response.status_code}")
        counts[key] = counted[0]
        return response

    for page in PAGES:
        clients[page.who].get(page.path(world, 1))  # warm-up: settings and caches loaded once
        count(page.key, lambda p=page: clients[p.who].get(p.path(world, 1)))
    therapist = clients["therapist"]
    form = count("score_form", lambda: therapist.get(_form_path(world, 0)))
    fields = form_fields(form.get_data(as_text=True), "submission_key")
    count("score", lambda: therapist.post(_form_path(world, 0), data=fields), ok=302)
    sa.event.remove(engine, "before_cursor_execute", tick)
    engine.dispose()
    return counts


@dataclass(frozen=True)
class Ports:
    app: int
    bare: int
    cookies: dict[str, str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _gunicorn(port: int, target: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--workers",
        str(WORKERS),
        "--timeout",
        str(TIMEOUT),
        "--bind",
        f"127.0.0.1:{port}",
        *target,
    ]
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_until_up(port: int, path: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn on port {port} did not answer in 90 s")


@contextmanager
def serving(url: str, world: World) -> Iterator[Ports]:
    """The app and the bare app under gunicorn, each with two workers; both stopped after."""
    env = server_env(url)
    bare_schema.create(url)
    bare_env = {**env, "BARE_HIGHEST_ID": str(world.highest_client_id)}
    app_port, bare_port = _free_port(), _free_port()
    with tempfile.TemporaryDirectory() as folder:
        logs = Path(folder)
        processes = [
            _gunicorn(app_port, ["wsgi:app"], env, logs / "app.log"),
            _gunicorn(
                bare_port,
                ["--chdir", str(ROOT / "bench"), "bare_app:app"],
                bare_env,
                logs / "bare.log",
            ),
        ]
        try:
            _wait_until_up(app_port, "/healthz", processes[0], logs / "app.log")
            _wait_until_up(bare_port, "/", processes[1], logs / "bare.log")
            cookies = {
                "therapist": loadclient.login(app_port, world.therapist, world.password),
                "supervisor": loadclient.login(app_port, world.supervisor, world.password),
            }
            yield Ports(app_port, bare_port, cookies)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _get(path: Callable[[World, int], str], world: World) -> loadclient.Work:
    return lambda browser, i: browser.get(path(world, i)).status


def latencies(ports: Ports, world: World, *, requests: int) -> dict[str, loadclient.Timings]:
    """p50/p95 per page: ``requests`` requests, one in flight per worker, after a warm-up."""
    out = {}
    for page in PAGES:
        work = _get(page.path, world)
        cookie = ports.cookies[page.who]
        loadclient.run(ports.app, cookie, work, threads=LATENCY_THREADS, count=10, seconds=60)
        out[page.key] = loadclient.run(
            ports.app, cookie, work, threads=LATENCY_THREADS, count=requests, seconds=120
        )
    return out


def throughputs(
    ports: Ports, world: World, *, seconds: float
) -> list[dict[str, loadclient.Timings]]:
    """Requests per second with every worker busy: the bare app (a read, a write), the caseload
    and score POSTs, each for ``seconds`` in all, in ``THROUGHPUT_ROUNDS`` rounds that measure
    them one after the other. This machine's speed drifts by a third within minutes; measured
    in turn, round after round, the apps meet the same drift, and each round gives a share."""
    many = int(seconds * 5000)  # never reached: the run is bounded by ``seconds``
    therapist = ports.cookies["therapist"]
    # Signing in starts a new session without a CSRF token; the first form stores one in the
    # cookie, and every form opened after it with that cookie shares the token.
    primer = Browser(ports.app, therapist)
    primer.text(_form_path(world, 0))
    therapist = primer.cookie
    primer.close()
    forms = _fresh_forms(ports.app, therapist, world, count=SCORE_FORMS)
    used = 0

    def submit(browser: Browser, i: int) -> int:
        answer = browser.request("POST", _form_path(world, used + i), forms[used + i])
        return _saved(answer, "/administrations/")

    def bare_write(browser: Browser, i: int) -> int:
        return browser.request("POST", "/write", {}).status

    bare_session, bare_token = _bare_form_session(ports.bare)
    run = secrets.token_hex(4)  # submission keys are unique, also across runs on one database

    def bare_form(round_: int) -> loadclient.Work:
        def post(browser: Browser, i: int) -> int:
            fields = {f"item_{n}": "2" for n in range(1, bare_schema.ITEMS + 1)}
            fields.update(csrf_token=bare_token, submission_key=f"{run}-{round_}-{i}")
            return _saved(browser.request("POST", "/form", fields), "/scores/")

        return post

    def measure(round_: int) -> dict[str, tuple[int, str, loadclient.Work, int]]:
        """What a round measures: port, cookie, the request, how many at most."""
        return {
            "bare": (ports.bare, "", lambda b, i: b.get("/").status, many),
            "bare_form": (ports.bare, bare_session, bare_form(round_), many),
            "bare_write": (ports.bare, "", bare_write, many),
            "caseload": (ports.app, therapist, _get(PAGES[0].path, world), many),
            "score": (ports.app, therapist, submit, len(forms) - used),
        }

    share = seconds / THROUGHPUT_ROUNDS
    rounds = []
    for round_ in range(THROUGHPUT_ROUNDS):
        # Each round starts one further along the list, so that no measure always follows
        # the writes of another (a WAL checkpoint, PostgreSQL's own work after them).
        planned = list(measure(round_).items())
        planned = planned[round_ % len(planned) :] + planned[: round_ % len(planned)]
        measured = {
            key: loadclient.run(
                port, cookie, work, threads=THROUGHPUT_THREADS, count=count, seconds=share
            )
            for key, (port, cookie, work, count) in planned
        }
        used += len(measured["score"].seconds) + len(measured["score"].errors)
        rounds.append(measured)
    return rounds


def _saved(answer: loadclient.Answer, to: str) -> int:
    """302 for a POST that saved (its redirect goes ``to`` the result), its status for one
    that failed; 0 for one answered with the form again (200: refused, nothing saved)."""
    if answer.status == 302 and to in answer.location:
        return 302
    return 0 if answer.status in (200, 302) else answer.status


def _bare_form_session(port: int) -> tuple[str, str]:
    """The bare app's signed-in session cookie and the CSRF token of its form."""
    browser = Browser(port)
    fields = form_fields(browser.text("/form"), "submission_key")
    browser.close()
    return browser.cookie, fields["csrf_token"]


def _fresh_forms(port: int, cookie: str, world: World, *, count: int) -> list[dict[str, str]]:
    """Score forms opened beforehand (their CSRF token and submission key), not timed."""
    forms: list[dict[str, str]] = [{} for _ in range(count)]

    def open_form(browser: Browser, i: int) -> int:
        forms[i] = form_fields(browser.text(_form_path(world, i)), "submission_key")
        return 200

    loadclient.run(
        port,
        cookie,
        open_form,
        threads=THROUGHPUT_THREADS,
        count=count,
        seconds=300,
    )
    return [form for form in forms if form]


def jobs(url: str) -> dict[str, Any]:
    """The hourly jobs on this data, after the pages (bench_jobs.py measures them apart, with
    a backlog of 3,000 due alerts and the refit): escalation 25 hours on, so the risk alerts
    the import raised are due, then the overdue check twice (the first raises what is overdue,
    the second is the hourly steady state)."""
    from datetime import date, timedelta

    from outcome_monitor import create_app
    from outcome_monitor.extensions import db
    from outcome_monitor.models.types import utcnow
    from outcome_monitor.services import alerting

    later = utcnow() + timedelta(hours=25)
    out: dict[str, Any] = {}
    app = create_app(bench_config(url))
    with app.app_context():
        for key, call in (
            ("escalation (alerts escalated)", lambda: alerting.escalate_overdue(now=later)),
            ("overdue check, first run (overdue found)",
             lambda: alerting.check_overdue(today=date.today(), now=later)),
            ("overdue check, steady state",
             lambda: alerting.check_overdue(today=date.today(), now=later)),
        ):  # fmt: skip
            started = time.perf_counter()
            result = call()
            out[key] = (time.perf_counter() - started, result)
        db.session.remove()
        db.engine.dispose()
    return out
