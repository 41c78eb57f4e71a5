"""The drill-down's own filters (how the episode ended, the order) and its page, checked:
an unknown value is a message and status 400, never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _

from outcome_monitor.models import EpisodeStatus
from outcome_monitor.services.care import CLOSING_STATUSES
from outcome_monitor.services.report_episodes import EpisodeSort
from outcome_monitor.web.paging import page_arg


@dataclass
class EpisodeQuery:
    ending: EpisodeStatus | None = None
    sort: EpisodeSort = EpisodeSort.CLOSED
    page: int = 1
    values: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def parse_episode_query(args: Mapping[str, str]) -> EpisodeQuery:
    values = {name: (args.get(name) or "").strip() for name in ("ending", "sort")}
    query = EpisodeQuery(values=values)
    if values["ending"]:
        if values["ending"] in {str(s) for s in CLOSING_STATUSES}:
            query.ending = EpisodeStatus(values["ending"])
        else:
            query.errors.append(_("Unknown ending in the filter: choose one from the list."))
    if values["sort"]:
        if values["sort"] in {str(s) for s in EpisodeSort}:
            query.sort = EpisodeSort(values["sort"])
        else:
            query.errors.append(_("Unknown order: choose one from the list."))
    number = page_arg(args)
    query.page = number.number
    if number.error:
        query.errors.append(number.error)
    return query
