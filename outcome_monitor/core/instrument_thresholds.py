"""Parsing of the numeric parts of a definition: cut-off, reliable change, bands, conversion.

Each number keeps its published source and verification tag. A computed reliable-change
threshold stores the SD, reliability and z it came from (reference §1.1, "store the parameters").
"""

from __future__ import annotations

import itertools

from outcome_monitor.core import toml_fields as tf
from outcome_monitor.core.bands import SeverityBand, SeverityScale
from outcome_monitor.core.change import reliable_change_threshold
from outcome_monitor.core.definitions import ScoringRule
from outcome_monitor.core.errors import NormsError
from outcome_monitor.core.measure import Cutoff, ReliableChangeThreshold
from outcome_monitor.core.toml_fields import At, Table

_RC_KEYS = {"value", "inclusive", "z", "sd", "reliability", "source", "tag", "note"}


def parse_cutoff(
    data: Table | None, scoring: ScoringRule, at: At, notes: dict[str, str]
) -> Cutoff | None:
    """``[cutoff]``: value inside the score range, an explicit ``inclusive``, source and tag."""
    if data is None:
        return None
    at = at.child("cutoff")
    tf.check_keys(data, {"value", "inclusive", "source", "tag", "note"}, at)
    value = tf.number(data, "value", at)
    if not scoring.score_min <= value <= scoring.score_max:
        raise at.child("value").error("must lie within the score range")
    _note(data, "cutoff", notes)
    return Cutoff(
        value, inclusive=tf.flag(data, "inclusive", at), source=tf.text(data, "source", at),
        tag=tf.tag(data, at),
    )  # fmt: skip


def parse_reliable_change(
    data: Table | None, at: At, notes: dict[str, str]
) -> ReliableChangeThreshold | None:
    """``[reliable_change]``: a published ``value`` with an explicit ``inclusive``, or the
    ``sd``, ``reliability`` and ``z`` to compute it (then strictly greater, reference §1.1)."""
    if data is None:
        return None
    at = at.child("reliable_change")
    tf.check_keys(data, _RC_KEYS, at)
    z, sd, reliability = (tf.opt_number(data, key, at) for key in ("z", "sd", "reliability"))
    published = tf.opt_number(data, "value", at)
    _note(data, "reliable_change", notes)
    source, tag = tf.text(data, "source", at), tf.tag(data, at)
    if published is not None:
        if published <= 0:
            raise at.child("value").error("must be positive")
        inclusive = tf.flag(data, "inclusive", at)
        return ReliableChangeThreshold(published, inclusive, z, sd, reliability, source, tag)
    if z is None or sd is None or reliability is None:
        raise at.child("value").error("is required unless z, sd and reliability are all given")
    if data.get("inclusive", False):
        raise at.child("inclusive").error("a computed threshold is strict (inclusive = false)")
    try:
        computed = reliable_change_threshold(sd=sd, reliability=reliability, z=z)
    except NormsError as error:
        raise at.error(str(error)) from None
    return ReliableChangeThreshold(computed.value, False, z, sd, reliability, source, tag)


def parse_severity(
    data: Table | None, scoring: ScoringRule, at: At, notes: dict[str, str]
) -> SeverityScale | None:
    """``[severity]`` with ``[[severity.bands]]``: contiguous bands covering the score range.

    Every band but the last has ``from`` (inclusive) and ``below`` (exclusive); the last has
    ``from`` and ``to`` (inclusive) and ends at the score maximum.
    """
    if data is None:
        return None
    at = at.child("severity")
    tf.check_keys(data, {"bands", "source", "tag", "note"}, at)
    entries = tf.tables(data, "bands", at)
    if not entries:
        raise at.child("bands").error("at least one band is required")
    bands = tuple(
        _band(entry, index == len(entries) - 1, at.child("bands").child(index))
        for index, entry in enumerate(entries)
    )
    _check_coverage(bands, scoring, at.child("bands"))
    _note(data, "severity", notes)
    return SeverityScale(bands, tf.text(data, "source", at), tf.tag(data, at))


def _band(data: Table, last: bool, at: At) -> SeverityBand:
    tf.check_keys(data, {"label", "from", "below", "to"}, at)
    upper_key, other = ("to", "below") if last else ("below", "to")
    if other in data:
        raise at.child(other).error("the last band ends with 'to', every other with 'below'")
    band = SeverityBand(
        tf.text(data, "label", at), tf.number(data, "from", at), tf.number(data, upper_key, at),
        upper_inclusive=last,
    )  # fmt: skip
    if band.lower >= band.upper:
        raise at.error("'from' must be below the upper bound")
    return band


def _check_coverage(bands: tuple[SeverityBand, ...], scoring: ScoringRule, at: At) -> None:
    if bands[0].lower != scoring.score_min or bands[-1].upper != scoring.score_max:
        raise at.error("bands must start at the score minimum and end at the score maximum")
    for index, (before, after) in enumerate(itertools.pairwise(bands), start=1):
        if after.lower != before.upper:
            raise at.child(index).child("from").error("must equal the previous band's 'below'")


def parse_conversion(
    data: Table, raw_min: float, raw_max: float, max_missing: int, at: At
) -> dict[int, float] | None:
    """``[scoring.conversion]``: raw sum -> reported score for every integer raw sum.

    A conversion table (e.g. a Rasch metric) is only defined for complete answers and must be
    non-decreasing so that a higher raw sum never reports a lower score.
    """
    found = tf.opt_table(data, "conversion", at)
    if found is None:
        return None
    at = at.child("conversion")
    if max_missing:
        raise at.error("needs max_missing = 0: a converted score is only valid when complete")
    table = {_raw_key(key, at): tf.number(found, key, at) for key in found}
    expected = set(range(int(raw_min), int(raw_max) + 1))
    if set(table) != expected or raw_min != int(raw_min) or raw_max != int(raw_max):
        raise at.error(f"must give a score for every raw sum {raw_min:g} to {raw_max:g}")
    ordered = [table[raw] for raw in sorted(table)]
    if any(later < earlier for earlier, later in itertools.pairwise(ordered)):
        raise at.error("scores must not decrease as the raw sum increases")
    return table


def _raw_key(key: str, at: At) -> int:
    if not key.isdigit():
        raise at.child(key).error("keys must be whole raw sums")
    return int(key)


def _note(data: Table, section: str, notes: dict[str, str]) -> None:
    if "note" in data:
        notes[section] = str(data["note"])
