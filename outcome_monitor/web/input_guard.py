"""Refuse request text no database column can hold, before any view sees it.

PostgreSQL text cannot contain NUL (``\\x00``): a form field, a query-string value, a part of
the URL or a JSON string carrying one answered 500 there (psycopg's DataError) wherever it
reached a query, while SQLite stored it. No legitimate input contains it, so every request
that does is refused here with 400 and a message, whatever the view.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, abort, request
from flask_babel import gettext as _

NUL = "\x00"


def _texts() -> Iterator[str]:
    for values in (request.args, request.form):
        for key, items in values.lists():
            yield key
            yield from items
    yield from (v for v in (request.view_args or {}).values() if isinstance(v, str))
    if request.is_json:
        yield from _strings(request.get_json(silent=True))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def refuse_nul() -> None:
    if any(NUL in text for text in _texts()):
        abort(400, description=_("The text sent contains a NUL character; nothing was saved."))


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul)
