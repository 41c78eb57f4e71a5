"""Typed readers for TOML tables that name the file and the field in every error.

Instrument definitions and text packs are parsed with these, so a typo in a service's file
stops the app at start-up with ``phq9.toml: items[3].options: values must be unique`` instead
of scoring wrongly later. ``text``/``number``/``table`` require the key; the ``opt_`` variants
return None when it is absent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from outcome_monitor.core.errors import DefinitionError
from outcome_monitor.core.measure import Tag

Table = Mapping[str, object]
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class At:
    """A position in a file: the file name and the dotted path of the field."""

    source: str
    path: str = ""

    def child(self, key: str | int) -> At:
        """The position of a key (``cutoff.value``) or list index (``items[3]``) below this one."""
        if isinstance(key, int):
            return At(self.source, f"{self.path}[{key}]")
        return At(self.source, f"{self.path}.{key}" if self.path else key)

    def error(self, message: str) -> DefinitionError:
        """A DefinitionError prefixed with the file and field."""
        where = f"{self.source}: {self.path}" if self.path else self.source
        return DefinitionError(f"{where}: {message}")


def check_keys(data: Table, allowed: set[str], at: At) -> None:
    """Reject unknown keys: a misspelt key would otherwise be silently ignored."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise at.error(f"unknown field(s) {', '.join(unknown)}")


def opt_table(data: Table, key: str, at: At) -> Table | None:
    """The sub-table ``data[key]``, or None when absent."""
    value = data.get(key)
    if value is None or isinstance(value, Mapping):
        return value
    raise at.child(key).error("must be a table")


def table(data: Table, key: str, at: At) -> Table:
    """The required sub-table ``data[key]``."""
    return _require(opt_table(data, key, at), key, at)


def opt_text(data: Table, key: str, at: At) -> str | None:
    """A non-empty string, or None when absent."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise at.child(key).error("must be a non-empty string")
    return value


def text(data: Table, key: str, at: At) -> str:
    """A required non-empty string."""
    return _require(opt_text(data, key, at), key, at)


def opt_number(data: Table, key: str, at: At) -> float | None:
    """An int or float (booleans are rejected although Python treats them as ints), or None.

    TOML allows ``inf`` and ``nan``; no score, option or threshold can be either.
    """
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise at.child(key).error("must be a number")
    if not math.isfinite(value):
        raise at.child(key).error("must be a finite number")
    return float(value)


def number(data: Table, key: str, at: At) -> float:
    """A required number."""
    return _require(opt_number(data, key, at), key, at)


def flag(data: Table, key: str, at: At, *, default: bool | None = None) -> bool:
    """A boolean field; required when no default is given."""
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise at.child(key).error("must be true or false")
    return value


def tables(data: Table, key: str, at: At) -> list[Table]:
    """An array of tables (``[[items]]``); an absent key is an empty list."""
    value = data.get(key, [])
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise at.child(key).error("must be an array of tables")
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise at.child(key).child(index).error("must be a table")
    return list(value)


def strings(data: Table, key: str, at: At) -> list[str]:
    """An array of non-empty strings; an absent key is an empty list."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise at.child(key).error("must be an array of non-empty strings")
    return [str(v) for v in value]


def choice(data: Table, key: str, at: At, kind: type[E], default: E | None = None) -> E:
    """A string that must be one of the values of the StrEnum ``kind``."""
    if default is not None and key not in data:
        return default
    value = text(data, key, at)
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise at.child(key).error(f"must be one of {allowed}") from None


def tag(data: Table, at: At, key: str = "tag") -> Tag:
    """The verification tag (V, S, U or C) of the numbers in this table."""
    return choice(data, key, at, Tag)


T = TypeVar("T")


def _require(value: T | None, key: str, at: At) -> T:
    if value is None:
        raise at.child(key).error("is required")
    return value
