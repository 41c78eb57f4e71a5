"""URL converters: an id in a URL is a claim, checked against the database's range first.

PostgreSQL ``integer`` columns (every primary key here) hold at most 2**31 - 1, and SQLite
raises OverflowError beyond 64 bits. Werkzeug's ``int`` converter accepts any length of digits,
so ``/clients/99999999999999999999`` reached the database and answered 500. Registered as
``int`` on the app, this converter caps every ``<int:...>`` rule: an id out of range matches no
rule and answers 404, the same as an id that does not exist.
"""

from __future__ import annotations

import builtins

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

DB_INT_MAX = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``int`` capped at ``DB_INT_MAX`` (a rule may ask for a lower ``max``, never higher)."""

    def __init__(  # the names are Werkzeug's
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        bounded = DB_INT_MAX if max is None else builtins.min(max, DB_INT_MAX)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bounded, signed=signed)


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: rules take their converter when they are added."""
    app.url_map.converters["int"] = BoundedIntConverter
