"""Short read-only summaries: the staff message on unlock and the client's own progress list."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from outcome_monitor.core.definitions import Purpose
from outcome_monitor.core.measure import Direction
from outcome_monitor.models import HandOver
from outcome_monitor.services import drafts, feedback, instruments


def unlock_message(handover: HandOver) -> str:
    """For the therapist's screen only: the new scores and alerts (never shown on the tablet)."""
    found = drafts.results(handover)
    if not found:
        return _("The tablet is unlocked. No questionnaire was finished.")
    scores = "; ".join(
        f"{instruments.library()[a.instrument_code].name}: {a.total:g}"
        + (f" ({a.severity})" if a.severity else "")
        for a, _alerts in found
        if a.total is not None
    )
    alerts = sum(len(alerts) for _a, alerts in found)
    message = _("The tablet is unlocked. New scores: %(scores)s.", scores=scores)
    if alerts:
        message += " " + ngettext(
            "%(num)d alert needs your attention.", "%(num)d alerts need your attention.", alerts
        )
    return message


@dataclass(frozen=True)
class GraphPoint:
    label: str
    total: float
    percent: float


@dataclass(frozen=True)
class ProgressGraph:
    name: str
    higher_is_better: bool
    score_max: float
    points: tuple[GraphPoint, ...]


def progress_graph(handover: HandOver) -> ProgressGraph | None:
    """The client's own outcome scores in this episode (never the alliance measure)."""
    code = next(
        (c for c in handover.measures if instruments.library()[c].purpose is Purpose.OUTCOME), None
    )
    if code is None:
        return None
    definition = instruments.library()[code]
    low, high = definition.scoring.score_min, definition.scoring.score_max
    points = tuple(
        GraphPoint(
            label=a.given_on.isoformat(),
            total=a.total,
            percent=round(100 * (a.total - low) / (high - low), 1),
        )
        for a in feedback.episode_administrations(handover.episode, code)
        if a.total is not None
    )
    return ProgressGraph(
        name=definition.name,
        higher_is_better=definition.direction is Direction.HIGHER_IS_BETTER,
        score_max=high,
        points=points,
    )
