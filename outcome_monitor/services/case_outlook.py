"""The prognosis of many episodes at once, for a list page (the review queue).

The same §3.5 prognosis as beside the chart (``services.charting``): the episode's primary
outcome measure (the first one given), its score history, the model in force and the thresholds
in force, through ``core.trajectories.client_prognosis``. Loaded for a whole page with one query
for the administrations and, per measure, one for the model and one for the thresholds;
never a query per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from outcome_monitor.core.definitions import InstrumentDefinition, Purpose
from outcome_monitor.core.errors import CoreError
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.core.trajectories import Prognosis, RationalModel, client_prognosis
from outcome_monitor.core.trajectories.base import INTAKE_SESSION
from outcome_monitor.extensions import db
from outcome_monitor.models import Administration, Episode, TherapySession
from outcome_monitor.services import feedback, instruments
from outcome_monitor.services.settings import ServiceSettings


class NoPrognosis(StrEnum):
    """Why an episode has no prognosis."""

    NO_MEASURE = "no_measure"  # no outcome measure given yet
    RATIONAL = "rational"  # the rational method (or its fallback) makes no prognosis
    TOO_FEW = "too_few"  # only the intake so far
    UNAVAILABLE = "unavailable"  # the model cannot serve this measure (e.g. no RC threshold)


@dataclass(frozen=True)
class Outlook:
    """The prognosis of an episode's primary outcome measure, or why there is none."""

    code: str | None
    prognosis: Prognosis | None = None
    missing: NoPrognosis | None = None


def outlooks(episodes: Sequence[Episode], current: ServiceSettings) -> dict[int, Outlook]:
    """Episode id -> its outlook, for every episode given."""
    given = _administrations([e.id for e in episodes])
    models: dict[str, feedback.ModelInUse] = {}
    rules: dict[str, MeasureRules] = {}
    result = {}
    for episode in episodes:
        everything = given.get(episode.id, [])
        definition = feedback.first_given(everything, Purpose.OUTCOME)
        if definition is None:
            result[episode.id] = Outlook(None, missing=NoPrognosis.NO_MEASURE)
            continue
        if definition.code not in models:
            models[definition.code] = feedback.model_in_use(definition.code, current)
            rules[definition.code] = instruments.rules_for(definition)
        mine = [a for a in everything if a.instrument_code == definition.code]
        result[episode.id] = _outlook(definition, models[definition.code], rules, mine)
    return result


def outlook_of(
    definition: InstrumentDefinition,
    in_use: feedback.ModelInUse,
    rules: dict[str, MeasureRules],
    given: list[Administration],
) -> Outlook:
    """The outlook of one episode from its administrations of ``definition`` (in order), the
    model in force and the thresholds by code (``services.case_status`` stores it)."""
    return _outlook(definition, in_use, rules, given)


def outlook_from_dict(stored: dict[str, Any]) -> Outlook:
    """An outlook back from ``case_status.prognosis_dict`` (the stored status)."""
    missing = NoPrognosis(stored["missing"]) if stored.get("missing") else None
    if "p_deterioration" not in stored:
        return Outlook(stored.get("code"), missing=missing or NoPrognosis.UNAVAILABLE)
    prognosis = Prognosis(
        session=stored["session"],
        predicted=stored["predicted"],
        low=stored["low"],
        high=stored["high"],
        p_deterioration=stored["p_deterioration"],
        p_recovery=stored.get("p_recovery"),
        based_on=stored["based_on"],
    )
    return Outlook(stored.get("code"), prognosis=prognosis)


def _outlook(
    definition: InstrumentDefinition,
    in_use: feedback.ModelInUse,
    rules: dict[str, MeasureRules],
    given: list[Administration],
) -> Outlook:
    code = definition.code
    if isinstance(in_use.model, RationalModel):
        return Outlook(code, missing=NoPrognosis.RATIONAL)
    points = feedback.history(given)
    if not any(p.session > INTAKE_SESSION for p in points):
        return Outlook(code, missing=NoPrognosis.TOO_FEW)
    try:
        outlook = client_prognosis(in_use.model, rules[code], history=points)
    except CoreError:
        outlook = None
    if outlook is None:
        return Outlook(code, missing=NoPrognosis.UNAVAILABLE)
    return Outlook(code, prognosis=outlook)


def _administrations(episode_ids: list[int]) -> dict[int, list[Administration]]:
    """Each episode's administrations in the order given (as ``feedback.episode_administrations``
    orders them), with their sessions, in one query."""
    if not episode_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Administration)
        .outerjoin(TherapySession, Administration.session_id == TherapySession.id)
        .where(Administration.episode_id.in_(episode_ids), Administration.current())
        .options(so.contains_eager(Administration.session))
        .order_by(Administration.episode_id, *feedback.given_order())
    )
    grouped: dict[int, list[Administration]] = defaultdict(list)
    for administration in rows:
        grouped[administration.episode_id].append(administration)
    return grouped
