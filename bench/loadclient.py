"""A small HTTP load client for bench_pages.py: threads, http.client, a session cookie each.

Every request goes to 127.0.0.1 only, and every loop is bounded in count and in time. A
connection is kept and reused; gunicorn's sync workers close it after each answer, and
http.client then opens a new one by itself. Requests ask for gzip, as a browser does.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

HOST = "127.0.0.1"


class Browser:
    """One user's cookie and one connection (not shared between threads)."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.port = port
        self.cookie = cookie
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, *, gzip: bool = True
    ) -> Answer:
        headers = {"Accept-Encoding": "gzip" if gzip else "identity", "Cookie": self.cookie}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            self.connection.close()  # a worker closed a kept connection: ask once more
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return Answer(response.status, response.getheader("Location") or "", data)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def text(self, path: str) -> str:
        """A page that must answer 200, as text (asks without gzip)."""
        answer = self.request("GET", path, gzip=False)
        if answer.status != 200:
            raise RuntimeError(f"GET {path} answered {answer.status}")
        return answer.body.decode("utf-8")

    def close(self) -> None:
        self.connection.close()


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    body: bytes


def login(port: int, email: str, password: str) -> str:
    """Sign in through the login form; return the session cookie."""
    browser = Browser(port)
    fields = form_fields(browser.text("/login"), "password")
    fields.update(email=email, password=password)
    answer = browser.request("POST", "/login", fields)
    browser.close()
    if answer.status != 302 or "/login" in answer.location:
        raise RuntimeError(f"login as {email} failed ({answer.status} {answer.location})")
    return browser.cookie


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({})
        elif not self.forms:
            return
        elif tag == "option" and self._select:
            self._option(self._select, a)
        elif not a.get("name"):
            return
        elif tag == "input" and a.get("type") in ("radio", "checkbox"):
            self.forms[-1].setdefault(a["name"], a.get("value", "on"))  # the first option
        elif tag == "input" and a.get("type") != "submit":
            self.forms[-1][a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]

    def _option(self, name: str, a: dict[str, str]) -> None:
        if "selected" in a or name not in self.forms[-1]:
            self.forms[-1][name] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_fields(html: str, containing: str) -> dict[str, str]:
    """The fields of the first form with a field named ``containing``, filled as a user who
    keeps every default and picks the first option of each radio group would."""
    parser = _Forms()
    parser.feed(html)
    for fields in parser.forms:
        if containing in fields:
            return fields
    raise RuntimeError(f"no form with a {containing!r} field")


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.wall if self.wall else 0.0


Work = Callable[[Browser, int], int]  # does request number i; returns the HTTP status


def run(port: int, cookie: str, work: Work, *, threads: int, count: int, seconds: float) -> Timings:
    """``count`` requests (at most ``seconds`` long) spread over ``threads`` threads."""
    timings, lock = Timings(), threading.Lock()
    deadline = time.perf_counter() + seconds
    numbers = iter(range(count))

    def loop() -> None:
        browser = Browser(port, cookie)
        while time.perf_counter() < deadline:
            with lock:
                i = next(numbers, None)
            if i is None:
                break
            started = time.perf_counter()
            status = work(browser, i)
            elapsed = time.perf_counter() - started
            with lock:
                if status in (200, 302):
                    timings.seconds.append(elapsed)
                else:
                    timings.errors.append(str(status))
        browser.close()

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    timings.wall = time.perf_counter() - started
    return timings
