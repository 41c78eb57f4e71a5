"""Instrument definitions as frozen values (parsed by ``outcome_monitor.core.instruments``).

One TOML file per instrument version; ``docs/measures.md`` documents the format. Every
threshold carries its published source and verification tag (shared/docs/clinical-reference.md
§0). Instruments whose licence forbids shipping the wording are "scoring-only": their items
carry a short domain label, and a licensed service adds the text with a text pack (see
``outcome_monitor.core.text_packs``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from outcome_monitor.core.bands import SeverityScale
from outcome_monitor.core.errors import DefinitionError
from outcome_monitor.core.measure import (
    Cutoff,
    Direction,
    MeasureRules,
    ReliableChangeThreshold,
    Tag,
)

VAS_MIN = 0.0
VAS_MAX = 10.0


class Purpose(StrEnum):
    """What an instrument is used for in the app.

    OUTCOME measures are followed session by session for change (trajectory, not-on-track and
    reliable-change alerts), ALLIANCE measures for low alliance and ruptures. A SCREENING
    measure asks about a long frame (AUDIT-C: the past year, reference §2.3) and is given at
    intake or at reviews: it has a cut-off but no reliable change and is never tracked session
    by session.
    """

    OUTCOME = "outcome"
    ALLIANCE = "alliance"
    RISK = "risk"
    PROCESS = "process"
    SCREENING = "screening"


class ItemKind(StrEnum):
    """A Likert item has fixed options; a VAS item takes 0-10 with at most one decimal."""

    LIKERT = "likert"
    VAS = "vas"


class ScoringMethod(StrEnum):
    """How item values combine into the total."""

    SUM = "sum"
    MEAN = "mean"


@dataclass(frozen=True)
class ResponseOption:
    """One answer of a Likert item; ``label`` is None for a scoring-only instrument."""

    value: float
    label: str | None = None


@dataclass(frozen=True)
class Item:
    """One item. ``text`` is the licensed wording (None when not installed); ``label`` a domain."""

    id: str
    kind: ItemKind
    options: tuple[ResponseOption, ...]
    text: str | None = None
    label: str | None = None
    reverse: bool = False
    subscale: str | None = None
    translations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def min_value(self) -> float:
        """Lowest raw answer."""
        return VAS_MIN if self.kind is ItemKind.VAS else min(o.value for o in self.options)

    @property
    def max_value(self) -> float:
        """Highest raw answer."""
        return VAS_MAX if self.kind is ItemKind.VAS else max(o.value for o in self.options)

    def accepts(self, value: float) -> bool:
        """True for an option value (Likert) or a 0-10 value with at most one decimal (VAS)."""
        if self.kind is ItemKind.LIKERT:
            return any(o.value == value for o in self.options)
        tenths = value * 10
        return VAS_MIN <= value <= VAS_MAX and math.isclose(tenths, round(tenths), abs_tol=1e-9)


@dataclass(frozen=True)
class ScoringRule:
    """Method, range and missing-item rule; ``conversion`` maps a raw sum to a reported score."""

    method: ScoringMethod
    score_min: float
    score_max: float
    max_missing: int
    missing_source: str
    missing_tag: Tag
    source: str
    tag: Tag
    conversion: Mapping[int, float] | None = None


@dataclass(frozen=True)
class RiskRule:
    """An item whose raw answer above ``above`` needs the safety workflow, whatever the total."""

    item_id: str
    above: float
    label: str
    source: str
    tag: Tag

    def triggered_by(self, value: float | None) -> bool:
        """True when the raw (not reverse-keyed) answer is strictly above ``above``.

        An unanswered item (None) does not trigger the rule, but it is never safe either:
        ``scoring.score`` lists it in ``Score.risk_unanswered`` so that the caller raises the
        safety workflow for "not answered" (reference §8 item 6).
        """
        return value is not None and value > self.above


@dataclass(frozen=True)
class Licence:
    """Whether the wording may ship, the attribution to display, and any installed text pack."""

    ships_text: bool
    attribution: str
    note: str
    text_pack: str | None = None
    text_pack_note: str | None = None


@dataclass(frozen=True)
class InstrumentDefinition:
    """One version of one instrument, fully validated. ``label`` is the short name shown
    wherever a measure is named in passing (``PHQ-9``); ``name`` the full title."""

    code: str
    version: str
    name: str
    label: str
    purpose: Purpose
    direction: Direction
    citation: str
    language: str
    languages: tuple[str, ...]
    instructions: str | None
    items: tuple[Item, ...]
    scoring: ScoringRule
    cutoff: Cutoff | None
    reliable_change: ReliableChangeThreshold | None
    severity: SeverityScale | None
    risk_rules: tuple[RiskRule, ...]
    licence: Licence
    notes: Mapping[str, str]
    source_file: str

    @property
    def is_screening(self) -> bool:
        """True for a screening measure: not tracked session by session (see ``Purpose``)."""
        return self.purpose is Purpose.SCREENING

    @property
    def risk_item_ids(self) -> tuple[str, ...]:
        """The ids of the items with a risk rule, in the order of the rules."""
        return tuple(rule.item_id for rule in self.risk_rules)

    @property
    def text_installed(self) -> bool:
        """True when every item has its wording (shipped, or added by a text pack)."""
        return all(item.text is not None for item in self.items)

    @property
    def subscales(self) -> tuple[str, ...]:
        """Subscale names in order of first appearance."""
        return tuple(dict.fromkeys(i.subscale for i in self.items if i.subscale is not None))

    def item(self, item_id: str) -> Item:
        """The item with this id; DefinitionError for an unknown id."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise DefinitionError(f"{self.source_file}: no item {item_id!r}")

    def item_text(self, item_id: str, language: str | None = None) -> str | None:
        """The wording in ``language``, falling back to the default language; None if absent."""
        item = self.item(item_id)
        if language is not None and language in item.translations:
            return item.translations[language]
        return item.text

    def rules(
        self, *, cutoff_value: float | None = None, rc_value: float | None = None
    ) -> MeasureRules:
        """The MeasureRules for alerts and change, with optional service overrides.

        A cut-off override keeps the published bound (inclusive or not); on an instrument
        without a published cut-off it is inclusive. An RC override is applied as a published
        raw threshold (inclusive). Overrides are recorded with source "service override" and
        tag U, because no published source backs a local value.

        A screening measure never has a reliable-change threshold, not even an override: it
        is not followed for change, so no change-based alert can ever be raised on it.
        """
        return MeasureRules(
            code=self.code,
            label=self.label,
            direction=self.direction,
            score_min=self.scoring.score_min,
            score_max=self.scoring.score_max,
            cutoff=_override_cutoff(self.cutoff, cutoff_value),
            reliable_change=(
                None if self.is_screening else _override_rc(self.reliable_change, rc_value)
            ),
        )


SERVICE_OVERRIDE = "service override"


def _override_cutoff(cutoff: Cutoff | None, value: float | None) -> Cutoff | None:
    if value is None:
        return cutoff
    inclusive = True if cutoff is None else cutoff.inclusive
    return Cutoff(value, inclusive=inclusive, source=SERVICE_OVERRIDE, tag=Tag.UNVERIFIED)


def _override_rc(
    threshold: ReliableChangeThreshold | None, value: float | None
) -> ReliableChangeThreshold | None:
    if value is None:
        return threshold
    return ReliableChangeThreshold(
        value, inclusive=True, source=SERVICE_OVERRIDE, tag=Tag.UNVERIFIED
    )
