"""The columns of a score CSV: what the header must hold, and where each column is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from outcome_monitor.services.importing.csvsource import Issue, Record

REQUIRED = ("client", "episode", "therapist", "session", "date", "measure")
OPTIONAL = ("total", "closed", "planned_end")
ITEM_PREFIX = "item_"


@dataclass(frozen=True)
class Columns:
    """Where each column is (``position`` has them all); ``items``: (name, item id, position)."""

    position: Mapping[str, int]
    items: tuple[tuple[str, str, int], ...]
    width: int

    def ordered(self) -> list[tuple[str, int]]:
        """Every column name with its position, in file order."""
        return sorted(self.position.items(), key=lambda pair: pair[1])


def read_header(record: Record) -> tuple[Columns | None, list[Issue]]:
    """The column layout, or the issues that make the header unusable."""
    names = [field.strip().lower() for field in record.fields]
    issues: list[Issue] = []
    position: dict[str, int] = {}
    items: list[tuple[str, str, int]] = []
    for index, name in enumerate(names):
        label = name or f"field {index + 1}"
        if name in position:
            issues.append(Issue(record.line, label, "this column appears twice"))
        elif name.startswith(ITEM_PREFIX) and name[len(ITEM_PREFIX) :]:
            items.append((name, name[len(ITEM_PREFIX) :], index))
        elif name not in REQUIRED + OPTIONAL:
            known = ", ".join((*REQUIRED, *OPTIONAL, "item_1 ... item_n"))
            issues.append(Issue(record.line, label, f"unknown column (known: {known})"))
        position.setdefault(name, index)
    issues += [
        Issue(record.line, name, "required column is missing")
        for name in REQUIRED
        if name not in position
    ]
    if "total" not in position and not items:
        issues.append(Issue(record.line, "total", "the header needs total or item_1 ... item_n"))
    if issues:
        return None, issues
    return Columns(position, tuple(items), len(names)), []
