"""Every form the app renders, posted with generated values: never a server error (Build 2).

The forms are found, not listed: each role opens every page of the URL map (with ids of its own
records) and the client-facing pages of a hand-over and a link, and every ``<form>`` on them is
collected with its fields and the values it offers. Hypothesis then posts, per form, values
drawn from what the form offers and from inputs that used to break things (``nan``, ``inf``,
``1e309``, ids past 64 bits, 100,000 characters, NUL, dates that do not exist). A form added
tomorrow is fuzzed too. After the run, no text column holds more than its declared length
(SQLite does not enforce it; PostgreSQL would have answered 500).

Bounded for CI: a few examples per form (``EXAMPLES``), one role per test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcome_monitor.api.auth import is_token_path
from outcome_monitor.extensions import db, limiter
from outcome_monitor.instruments import BUNDLED_DIR
from outcome_monitor.models import HandOver, User
from outcome_monitor.services import handover as handovers
from outcome_monitor.services import links
from outcome_monitor.web.tablet.guard import KIOSK_KEY
from tests.conftest import World, login
from tests.security.matrix_world import (
    MISSING_ID,
    VISIBLE,
    MatrixWorld,
    build,
    build_url,
    client_code_of,
    id_params,
    model_for,
)

EXAMPLES = 5
NASTY = [
    "",
    " ",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "-1",
    "0",
    "0.05",
    "2147483648",
    "18446744073709551617",
    "abc",
    "1,5",
    "\x00",
    "ü€😀",
    "<script>alert(1)</script>",
    "x" * 300,
    "x" * 100_000,
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
]
# Forms not posted, and why.
SKIP_ACTIONS = {
    "/logout": "ends the login the rest of the run needs (tests/web/test_auth.py)",
}
INSTRUMENTS = sorted(path.stem for path in BUNDLED_DIR.glob("*.toml"))


@dataclass
class Field:
    kind: str
    offered: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: dict[str, Field] = field(default_factory=dict)

    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return self.method, re.sub(r"\d+", "N", self.action), tuple(sorted(self.fields))


class FormParser(HTMLParser):
    """Collects the forms of a page: action, method, and each named field with its values."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self.forms.append(Form(self.page, action, (a.get("method") or "get").lower()))
        elif not self.forms or not a.get("name") or a["name"] == "csrf_token":
            return
        elif tag in ("input", "textarea"):
            self._field(a["name"], a.get("type", "textarea"), a.get("value"))
        elif tag == "select":
            self._select = a["name"]
            self._field(a["name"], "select", None).multiple = "multiple" in a
        if tag == "option" and self._select:
            self._field(self._select, "select", a.get("value"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None

    def _field(self, name: str, kind: str, value: str | None) -> Field:
        found = self.forms[-1].fields.setdefault(name, Field(kind))
        if kind == "checkbox":
            found.multiple = True
        if value is not None and value not in found.offered:
            found.offered.append(value)
        return found


def forms_on(client: FlaskClient, url: str) -> list[Form]:
    response = client.get(url)
    page = response.get_data(as_text=True)
    response.close()  # a file response (the charting library) holds its file open until then
    if response.status_code != 200 or "html" not in (response.content_type or ""):
        return []
    parser = FormParser(url)
    parser.feed(page)
    return [f for f in parser.forms if urlsplit(f.action).path not in SKIP_ACTIONS]


def _own_id(param: str, role: str, user: User | None) -> Any:
    model = model_for(param)
    if model is None:
        return MISSING_ID
    for row in db.session.scalars(sa.select(model).order_by(model.id)):
        code = client_code_of(row)
        mine = code in VISIBLE[role] if code is not None else getattr(row, "user_id", None)
        if mine is True or (user is not None and mine == user.id) or model is User:
            return row.id
    return MISSING_ID


def _may_be_html(path: str) -> bool:
    """Files, JSON and the token API have no forms (asking them only costs time)."""
    return not (is_token_path(path) or path.startswith(("/static/", "/vendor/"))) and not (
        path.endswith((".json", ".csv", ".js"))
    )


def staff_pages(app: Flask, role: str, user: User | None) -> Iterator[str]:
    """Every GET page of the URL map, with ids of the role's own records."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or not _may_be_html(rule.rule):
            continue
        values = {p: _own_id(p, role, user) for p in id_params(rule)}
        codes = INSTRUMENTS if "code" in rule.arguments else [None]
        for code in codes:
            yield build_url(rule, values | ({"code": code} if code else {}))


def collect(client: FlaskClient, pages: Iterator[str]) -> list[Form]:
    found: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    for page in pages:
        for form in forms_on(client, page):
            found.setdefault(form.key(), form)
    return list(found.values())


def value_strategy(spec: Field) -> st.SearchStrategy[Any]:
    one = st.one_of(
        st.sampled_from(spec.offered or [""]),
        st.sampled_from(NASTY),
        st.text(max_size=12),
    )
    return st.lists(one, max_size=3) if spec.multiple else one


def fuzz(client: FlaskClient, form: Form, after: Any = None) -> None:
    """Post ``form`` EXAMPLES times with generated values; no answer may be a 5xx."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def post(data: st.DataObject) -> None:
        values = {
            name: data.draw(value_strategy(spec), label=name) for name, spec in form.fields.items()
        }
        if form.method == "post":
            response = client.post(form.action, data=values)
        else:
            response = client.get(form.action, query_string=values)
        assert response.status_code < 500, f"{form.method} {form.action} {form.page}"
        if after is not None:
            after(client)

    post()


def no_text_longer_than_its_column() -> list[str]:
    problems = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            length = getattr(column.type, "length", None)
            if not isinstance(column.type, sa.String) or not length:
                continue
            longest = db.session.scalar(sa.select(sa.func.max(sa.func.length(column))))
            if longest is not None and longest > length:
                problems.append(f"{table.name}.{column.name}: {longest} > {length}")
    return problems


def _logged_in(app: Flask, found: MatrixWorld, role: str) -> FlaskClient:
    client = app.test_client()
    limiter.reset()
    assert login(client, found.users[role]).status_code == 302
    return client


def _leave_client_mode(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session.pop(KIOSK_KEY, None)


@pytest.mark.parametrize("role", ["alice", "sam", "ada"])
def test_every_staff_form_takes_any_input_without_a_server_error(
    app: Flask, world: World, role: str
) -> None:
    found = build(world)
    user = found.users[role]
    client = _logged_in(app, found, role)
    forms = collect(client, staff_pages(app, role, user))
    assert len(forms) >= (3 if role == "ada" else 8), [f.action for f in forms]
    for form in forms:
        if client.get("/account").status_code == 302:  # a form ended the login (a new password)
            client = _logged_in(app, found, role)
        fuzz(client, form, after=_leave_client_mode)
    db.session.rollback()
    assert not no_text_longer_than_its_column()


def _kiosk(app: Flask, found: MatrixWorld, role: str, episode: Any, done: tuple[str, ...]) -> Any:
    """A browser in client mode on the world's hand-over of ``episode``, ``done`` answered."""
    handover = db.session.scalars(sa.select(HandOver).where(HandOver.episode == episode)).one()
    handovers.begin(handover=handover, language="en", now=datetime.now(UTC))
    for code in done:
        answers = {str(i): 1.0 for i in range(1, 10)}
        handovers.submit_measure(
            handover=handover, code=code, answers=answers, now=datetime.now(UTC)
        )
    client = _logged_in(app, found, role)
    with client.session_transaction() as session:
        session[KIOSK_KEY] = handover.id
    return client


def _link_pages(world: World, code: str) -> list[str]:
    issued = links.issue_link(
        episode=world.alices_client.current_episode,
        codes=[code],
        by=world.alice,
        now=datetime.now(UTC),
        valid_days=4,
    )
    links.begin_link(link=issued.link, language="en", now=datetime.now(UTC))
    return [f"/l/{issued.token}", f"/l/{issued.token}/q/{code}"]


def test_every_client_facing_form_takes_any_input_without_a_server_error(
    app: Flask, world: World
) -> None:
    found = build(world)
    at_phq9 = _kiosk(app, found, "alice", world.alices_client.current_episode, ())
    at_srs = _kiosk(app, found, "carol", world.carols_client.current_episode, ("phq9",))
    phone = app.test_client()
    forms = [(at_phq9, f) for f in collect(at_phq9, iter(["/tablet/q/phq9", "/tablet/unlock"]))]
    forms += [(at_srs, f) for f in collect(at_srs, iter(["/tablet/q/srs"]))]
    forms += [(phone, f) for f in collect(phone, iter(_link_pages(world, "gad7")))]
    forms += [(phone, f) for f in collect(phone, iter(_link_pages(world, "srs")))]
    assert len(forms) >= 5, [f.action for _c, f in forms]
    for client, form in forms:
        limiter.reset()  # the unlock and link limits would answer 429 (not an error) after a few
        fuzz(client, form)
    db.session.rollback()
    assert not no_text_longer_than_its_column()
