"""Two SQL functions that SQLite and PostgreSQL spell differently, for sorting in the database.

* ``utc_date(ts)``: the UTC calendar date of a timestamp (``UTCDateTime`` stores UTC; SQLite
  keeps it as text, PostgreSQL as ``timestamptz``, whose plain cast would use the session's
  time zone).
* ``least(a, b, ...)``: the smallest of its arguments (SQLite's scalar ``min``). Callers pass
  no NULLs (``coalesce`` them to a sentinel): the two databases treat NULL differently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


def _spelled(template: str) -> Callable[..., str]:
    """A compiler that writes the function's arguments into ``template`` (at ``{}``)."""

    def compile_(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
        return template.format(compiler.process(element.clauses, **kw))

    return compile_


class utc_date(FunctionElement[Any]):  # lower case: it reads as the SQL function it renders
    type = sa.Date()
    inherit_cache = True
    name = "utc_date"


compiles(utc_date)(_spelled("CAST({} AS DATE)"))
compiles(utc_date, "sqlite")(_spelled("date({})"))
compiles(utc_date, "postgresql")(_spelled("CAST(({}) AT TIME ZONE 'UTC' AS DATE)"))


class least(FunctionElement[Any]):
    inherit_cache = True
    name = "least"


compiles(least)(_spelled("least({})"))
compiles(least, "sqlite")(_spelled("min({})"))
