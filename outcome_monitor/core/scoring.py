"""Score one administration of an instrument from its item answers.

Arithmetic is exact (``fractions.Fraction`` of the decimal answers), so four VAS marks of
9.1 + 8.9 + 9.0 + 9.0 total exactly 36.0 and a cut-off "below 36" is never decided by a
binary rounding error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

from outcome_monitor.core.bands import SeverityBand
from outcome_monitor.core.definitions import InstrumentDefinition, Item, ScoringMethod
from outcome_monitor.core.errors import ScoringError


@dataclass(frozen=True)
class Score:
    """The result of scoring one administration.

    ``total`` is on the reported scale (after prorating and any conversion table);
    ``subscales`` maps each subscale name to its score with the same method; ``band`` is the
    severity band of the total (None when the instrument has none); ``risk_items`` lists the
    ids of risk items whose answer triggered their rule and ``risk_unanswered`` the ids of risk
    items left unanswered, both in the order of the definition's risk rules.
    """

    total: float
    n_missing: int
    prorated: bool
    band: SeverityBand | None
    risk_items: tuple[str, ...]
    subscales: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    risk_unanswered: tuple[str, ...] = ()

    @property
    def risk_flagged(self) -> tuple[str, ...]:
        """Every risk item that needs the safety workflow: the triggered ones, then the
        unanswered ones (an item is never both: only an answer can trigger a rule)."""
        return (*self.risk_items, *self.risk_unanswered)


def score(definition: InstrumentDefinition, answers: Mapping[str, float | None]) -> Score:
    """Score ``answers`` (item id -> raw answer, None or absent = missing).

    1. Reject unknown item ids and answers the item does not accept (a Likert value that is
       not an option; a VAS value outside 0-10 or with more than one decimal).
    2. Reject more missing items than the definition's ``max_missing``.
    3. Reverse-key (``min + max - value``), then sum or average.
    4. Sum with missing items: prorate, ``n_items * sum / n_answered`` (the CamCOPS CORE-10
       rule); a mean uses the answered items only. Subscales are prorated within themselves.
    5. Apply the conversion table (complete answers only), then the severity band.
    6. Risk rules read the RAW answer (before reverse keying). A risk item is never filled in:
       prorating estimates the symptom total from the other items, but the risk decision
       needs the client's own answer, so an unanswered risk item is listed in
       ``risk_unanswered`` (reference §8 item 6: safety items bypass statistics) and the
       caller must treat it like a triggered one.
    ``answers`` is not modified.
    """
    answered = _validated(definition, answers)
    n_missing = len(definition.items) - len(answered)
    if n_missing > definition.scoring.max_missing:
        raise ScoringError(
            f"{definition.code}: {n_missing} item(s) missing, at most "
            f"{definition.scoring.max_missing} allowed"
        )
    keyed = {
        item.id: _keyed(item, answered[item.id]) for item in definition.items if item.id in answered
    }
    total = _convert(definition, _combine(definition, definition.items, keyed))
    return Score(
        total=total,
        n_missing=n_missing,
        prorated=n_missing > 0,
        band=None if definition.severity is None else definition.severity.band_for(total),
        risk_items=tuple(
            r.item_id for r in definition.risk_rules if r.triggered_by(_raw(answered, r.item_id))
        ),
        subscales=MappingProxyType(_subscales(definition, keyed)),
        risk_unanswered=tuple(i for i in definition.risk_item_ids if i not in answered),
    )


def _validated(
    definition: InstrumentDefinition, answers: Mapping[str, float | None]
) -> dict[str, Fraction]:
    known = {item.id: item for item in definition.items}
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise ScoringError(f"{definition.code}: unknown item(s) {', '.join(unknown)}")
    return {
        item_id: _checked(definition.code, known[item_id], value)
        for item_id, value in answers.items()
        if value is not None
    }


def _checked(code: str, item: Item, value: float) -> Fraction:
    valid = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not valid or not item.accepts(value):
        raise ScoringError(f"{code}: item {item.id}: {value!r} is not an allowed answer")
    return _exact(value)


def _keyed(item: Item, value: Fraction) -> Fraction:
    if not item.reverse:
        return value
    return _exact(item.min_value) + _exact(item.max_value) - value


def _raw(answered: Mapping[str, Fraction], item_id: str) -> float | None:
    value = answered.get(item_id)
    return None if value is None else float(value)


def _exact(value: float) -> Fraction:
    # Decimal text of the float: 0.1 becomes exactly 1/10, not its binary approximation.
    return Fraction(repr(float(value)))


def _combine(
    definition: InstrumentDefinition, items: tuple[Item, ...], keyed: Mapping[str, Fraction]
) -> Fraction:
    values = [keyed[item.id] for item in items if item.id in keyed]
    if definition.scoring.method is ScoringMethod.MEAN:
        return sum(values, Fraction(0)) / len(values)
    return sum(values, Fraction(0)) * len(items) / len(values)


def _convert(definition: InstrumentDefinition, raw: Fraction) -> float:
    conversion = definition.scoring.conversion
    if conversion is None:
        return float(raw)
    if raw.denominator != 1:
        raise ScoringError(f"{definition.code}: raw sum {float(raw)} has no converted score")
    return conversion[int(raw)]


def _subscales(definition: InstrumentDefinition, keyed: Mapping[str, Fraction]) -> dict[str, float]:
    return {
        name: float(
            _combine(definition, tuple(i for i in definition.items if i.subscale == name), keyed)
        )
        for name in definition.subscales
    }
