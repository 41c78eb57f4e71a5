"""Two SQL functions that SQLite and PostgreSQL spell differently, for sorting in the database.

* ``utc_date(ts)``: the UTC calendar date of a timestamp (``UTCDateTime`` stores UTC; SQLite
  keeps it as text, PostgreSQL as ``timestamptz``, whose plain cast would use the session's
  time zone).
* ``least(a, b, ...)``: the smallest of its arguments (SQLite's scalar ``min``). Callers pass
  no NULLs (``coalesce`` them to a sentinel): the two databases treat NULL differently.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class utc_date(FunctionElement[Any]):  # lower case: it reads as the SQL function it renders
    type = sa.Date()
    inherit_cache = True
    name = "utc_date"


@compiles(utc_date)
def _utc_date_default(element: utc_date, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(utc_date, "sqlite")
def _utc_date_sqlite(element: utc_date, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_date, "postgresql")
def _utc_date_postgresql(element: utc_date, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC' AS DATE)"


class least(FunctionElement[Any]):
    inherit_cache = True
    name = "least"


@compiles(least)
def _least_default(element: least, compiler: Any, **kw: Any) -> str:
    return f"least({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: Any, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"
