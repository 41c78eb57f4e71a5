"""The review queue's filters, read from the query string and checked.

A filter value is a claim: a team or therapist id is accepted only when it is one of the
supervisor's own teams or of their members (``review_queue.filter_choices``), a reason only
when it is an alert type or a queue flag, a switch only when it is a plain yes. Anything else
is an error the page shows (status 400), never a lookup or a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _

from outcome_monitor.core.alerts import AlertType
from outcome_monitor.core.supervision import CaseFilter, QueueFlag
from outcome_monitor.services.alert_words import ALERT_TITLES
from outcome_monitor.services.review_queue import FilterChoices, QueueFilters
from outcome_monitor.web.supervision.words import FLAG_WORDS

YES = frozenset({"1", "on", "y", "yes", "true"})


def reason_choices() -> list[tuple[str, str]]:
    """(value, words) for the reason filter: every alert type, then the queue flags."""
    alerts = [(str(t), str(ALERT_TITLES[t])) for t in AlertType]
    return alerts + [(str(f), str(FLAG_WORDS[f])) for f in QueueFlag]


@dataclass
class ParsedFilters:
    """The filters to apply, the raw values to show again, and what was wrong."""

    filters: QueueFilters
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(self.values.values())


def parse_filters(args: Mapping[str, str], choices: FilterChoices) -> ParsedFilters:
    """Check each filter in ``args`` against what the user may filter by."""
    errors: list[str] = []
    team = _one_of(args, "team", {t.id for t in choices.teams}, errors, _("team"))
    therapist = _one_of(
        args, "therapist", {u.id for u in choices.therapists}, errors, _("therapist")
    )
    reason = _reason(args.get("reason", "").strip(), errors)
    escalated = _switch(args, "escalated", errors)
    not_reviewed = _switch(args, "not_reviewed", errors)
    values = {k: args.get(k, "").strip() for k in ("team", "therapist", "reason")}
    values |= {"escalated": "1" if escalated else "", "not_reviewed": "1" if not_reviewed else ""}
    case = CaseFilter(reason=reason, escalated_only=escalated, not_reviewed_only=not_reviewed)
    return ParsedFilters(QueueFilters(team, therapist, case), values, errors)


def _one_of(
    args: Mapping[str, str], name: str, allowed: set[int], errors: list[str], words: str
) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    if raw.isdigit() and int(raw) in allowed:
        return int(raw)
    errors.append(_("Unknown %(what)s in the filter: choose one from the list.", what=words))
    return None


def _reason(raw: str, errors: list[str]) -> AlertType | QueueFlag | None:
    if not raw:
        return None
    for kind in (AlertType, QueueFlag):
        if raw in set(kind):
            return kind(raw)
    errors.append(_("Unknown reason in the filter: choose one from the list."))
    return None


def _switch(args: Mapping[str, str], name: str, errors: list[str]) -> bool:
    raw = args.get(name, "").strip().lower()
    if raw and raw not in YES:
        errors.append(_("A tick-box filter takes no value other than yes (%(name)s).", name=name))
        return False
    return bool(raw)
