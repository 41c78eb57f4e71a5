"""The bundled instrument library: every file loads, and its thresholds match the reference."""

from __future__ import annotations

import math

import pytest

from outcome_monitor.core.bands import SeverityBand, SeverityScale
from outcome_monitor.core.definitions import ItemKind, Purpose
from outcome_monitor.core.errors import DefinitionError, ScoringError
from outcome_monitor.core.instruments import load_library
from outcome_monitor.core.measure import Cutoff, Direction, Tag
from outcome_monitor.instruments import BUNDLED_DIR

LIBRARY = load_library(BUNDLED_DIR)
WITH_TEXT = ["auditc", "gad7", "pcl5", "phq9"]
SCORING_ONLY = ["core10", "ors", "srs", "waisr"]


def test_every_bundled_file_loads_under_its_code() -> None:
    assert sorted(LIBRARY) == sorted(WITH_TEXT + SCORING_ONLY)
    assert all(d.source_file == f"{code}.toml" for code, d in LIBRARY.items())


def test_every_bundled_definition_carries_the_short_label_its_rules_pass_on() -> None:
    labels = {code: d.label for code, d in LIBRARY.items()}
    assert labels == {
        "phq9": "PHQ-9",
        "gad7": "GAD-7",
        "pcl5": "PCL-5",
        "auditc": "AUDIT-C",
        "srs": "SRS",
        "ors": "ORS",
        "core10": "CORE-10",
        "waisr": "WAI-SR",
    }
    assert all(d.rules().label == d.label for d in LIBRARY.values())


@pytest.mark.parametrize("code", WITH_TEXT)
def test_freely_licensed_instruments_ship_their_wording(code: str) -> None:
    definition = LIBRARY[code]

    assert definition.licence.ships_text and definition.text_installed
    assert all(option.label for item in definition.items for option in item.options)


@pytest.mark.parametrize("code", SCORING_ONLY)
def test_scoring_only_instruments_carry_labels_and_no_wording(code: str) -> None:
    definition = LIBRARY[code]

    assert not definition.licence.ships_text and not definition.text_installed
    assert all(item.text is None and item.label for item in definition.items)
    assert all(definition.item_text(item.id) is None for item in definition.items)


@pytest.mark.parametrize("code", ["phq9", "gad7"])
def test_phq_anchors_say_not_at_all_not_not_at_all_sure(code: str) -> None:
    labels = [option.label for option in LIBRARY[code].items[0].options]

    assert labels == ["Not at all", "Several days", "More than half the days", "Nearly every day"]


@pytest.mark.parametrize("code", ["phq9", "gad7"])
def test_phq_and_gad_keep_the_pfizer_attribution(code: str) -> None:
    assert LIBRARY[code].licence.attribution.startswith("Developed by Drs. Robert L. Spitzer")


@pytest.mark.parametrize(
    ("code", "direction", "cutoff", "rc", "score_range"),
    [
        pytest.param(
            "phq9",
            Direction.HIGHER_IS_WORSE,
            (10, True, Tag.VERIFIED),
            (6, True, Tag.VERIFIED),
            (0, 27),
            id="PHQ-9",
        ),
        pytest.param(
            "gad7",
            Direction.HIGHER_IS_WORSE,
            (8, True, Tag.VERIFIED),
            (4, True, Tag.VERIFIED),
            (0, 21),
            id="GAD-7",
        ),
        pytest.param(
            "pcl5",
            Direction.HIGHER_IS_WORSE,
            (33, True, Tag.VERIFIED),
            (15, True, Tag.VERIFIED),
            (0, 80),
            id="PCL-5 reliable change 15 (Marx 2022)",
        ),
        pytest.param(
            "auditc",
            Direction.HIGHER_IS_WORSE,
            (3, True, Tag.VERIFIED),
            None,
            (0, 12),
            id="AUDIT-C WHO/US wording, 3 or more",
        ),
        pytest.param(
            "core10",
            Direction.HIGHER_IS_WORSE,
            (11, True, Tag.VERIFIED),
            (6, True, Tag.VERIFIED),
            (0, 40),
            id="CORE-10",
        ),
        pytest.param(
            "srs",
            Direction.HIGHER_IS_BETTER,
            (36, False, Tag.VERIFIED),
            (1.96 * math.sqrt(2) * 4.0 * math.sqrt(1 - 0.88), False, Tag.UNVERIFIED),
            (0, 40),
            id="SRS below 36, computed RC unverified",
        ),
        pytest.param(
            "ors",
            Direction.HIGHER_IS_BETTER,
            (25, False, Tag.VERIFIED),
            (5, True, Tag.UNVERIFIED),
            (0, 40),
            id="ORS",
        ),
        pytest.param(
            "waisr",
            Direction.HIGHER_IS_BETTER,
            None,
            (1.96 * math.sqrt(2) * 8.0 * math.sqrt(1 - 0.90), False, Tag.UNVERIFIED),
            (12, 60),
            id="WAI-SR no cut-off, computed RC unverified",
        ),
    ],
)
def test_thresholds_match_the_clinical_reference(
    code: str,
    direction: Direction,
    cutoff: tuple[float, bool, Tag] | None,
    rc: tuple[float, bool, Tag] | None,
    score_range: tuple[float, float],
) -> None:
    definition = LIBRARY[code]
    got_cutoff = definition.cutoff
    got_rc = definition.reliable_change

    assert definition.direction is direction
    assert (got_cutoff and (got_cutoff.value, got_cutoff.inclusive, got_cutoff.tag)) == cutoff
    if rc is None:
        assert got_rc is None
    else:
        assert got_rc is not None
        assert (got_rc.value, got_rc.inclusive, got_rc.tag) == (pytest.approx(rc[0]), *rc[1:])
    assert (definition.scoring.score_min, definition.scoring.score_max) == score_range


def test_pcl5_reliable_change_is_marx_2022_and_keeps_the_meaningful_change_markers() -> None:
    definition = LIBRARY["pcl5"]
    rc = definition.reliable_change

    assert rc is not None and "Marx et al. 2022" in rc.source and "34:197-203" in rc.source
    assert not rc.is_reliable(14) and rc.is_reliable(15) and rc.is_reliable(-15)
    note = definition.notes["reliable_change"]
    assert "5 or more points = minimal response" in note
    assert "10 or more = clinically meaningful" in note and "NOT reliable change" in note


@pytest.mark.parametrize(
    ("total", "label"),
    [
        pytest.param(0, "healthy / low level", id="0 healthy or low"),
        pytest.param(10, "healthy / low level", id="10 healthy or low"),
        pytest.param(10.9, "healthy / low level", id="prorated 10.9 below the cut-off"),
        pytest.param(11, "mild", id="11 mild (the cut-off)"),
        pytest.param(14, "mild", id="14 mild"),
        pytest.param(15, "moderate", id="15 moderate"),
        pytest.param(19, "moderate", id="19 moderate"),
        pytest.param(20, "moderate-to-severe", id="20 moderate-to-severe"),
        pytest.param(24, "moderate-to-severe", id="24 moderate-to-severe"),
        pytest.param(25, "severe", id="25 severe"),
        pytest.param(40, "severe", id="40 severe"),
    ],
)
def test_core10_bands_are_the_core_om_bandings(total: float, label: str) -> None:
    severity = LIBRARY["core10"].severity

    assert severity is not None and severity.band_for(total).label == label
    assert "SOCAS" in severity.source and severity.tag is Tag.SECONDARY


def test_core10_first_clinical_band_starts_at_the_cutoff() -> None:
    definition = LIBRARY["core10"]
    assert definition.severity is not None and definition.cutoff is not None

    first_clinical = definition.severity.bands[1]

    assert first_clinical.lower == definition.cutoff.value == 11


def test_auditc_is_a_screening_measure_with_the_us_cutoff_for_its_wording() -> None:
    definition = LIBRARY["auditc"]
    cutoff = definition.cutoff

    assert definition.purpose is Purpose.SCREENING and definition.is_screening
    assert "six or more drinks" in (definition.item_text("3") or "")
    assert cutoff is not None and "4 or more for men" in cutoff.source
    assert "3 or more for women" in cutoff.source
    assert not cutoff.is_clinical(2, definition.direction)
    assert cutoff.is_clinical(3, definition.direction)
    assert "UK cut-off of 5 belongs to the UK wording" in definition.notes["cutoff"]


def test_a_screening_measure_never_gets_a_reliable_change_threshold() -> None:
    rules = LIBRARY["auditc"].rules(rc_value=2)

    assert rules.reliable_change is None
    assert LIBRARY["phq9"].rules(rc_value=2).reliable_change is not None


def test_only_auditc_is_a_screening_measure() -> None:
    assert [code for code, d in LIBRARY.items() if d.is_screening] == ["auditc"]


def test_core10_rc_stores_the_parameters_of_its_90_percent_derivation() -> None:
    rc = LIBRARY["core10"].reliable_change

    assert rc is not None and (rc.z, rc.sd, rc.reliability) == (1.645, 7.7, 0.90)


def test_core10_reverses_items_2_and_3_and_watches_item_6() -> None:
    definition = LIBRARY["core10"]

    assert [item.id for item in definition.items if item.reverse] == ["2", "3"]
    assert [rule.item_id for rule in definition.risk_rules] == ["6"]
    assert definition.severity is not None and definition.severity.tag is Tag.SECONDARY


def test_vas_instruments_take_tenths_from_0_to_10() -> None:
    item = LIBRARY["srs"].items[0]

    assert item.kind is ItemKind.VAS and (item.min_value, item.max_value) == (0, 10)
    assert item.accepts(9.9) and not item.accepts(9.95)


def test_purposes_and_subscales() -> None:
    assert LIBRARY["srs"].purpose is Purpose.ALLIANCE
    assert LIBRARY["phq9"].risk_item_ids == ("9",)
    assert LIBRARY["pcl5"].subscales == ("B", "C", "D", "E")
    assert [i.id for i in LIBRARY["waisr"].items if i.subscale == "task"] == ["1", "2", "10", "12"]


@pytest.mark.parametrize("code", sorted(LIBRARY))
def test_missing_item_rules_are_documented_with_a_tag(code: str) -> None:
    scoring = LIBRARY[code].scoring

    assert scoring.missing_source and scoring.missing_tag in set(Tag)


def test_item_text_falls_back_and_unknown_item_raises() -> None:
    phq9 = LIBRARY["phq9"]

    assert phq9.item_text("2", "de") == "Feeling down, depressed, or hopeless"
    with pytest.raises(DefinitionError, match="no item '10'"):
        phq9.item("10")


def test_rules_without_overrides_are_the_published_thresholds() -> None:
    rules = LIBRARY["phq9"].rules()

    assert (rules.code, rules.score_min, rules.score_max) == ("phq9", 0, 27)
    assert rules.cutoff == LIBRARY["phq9"].cutoff
    assert rules.reliable_change == LIBRARY["phq9"].reliable_change


def test_rules_overrides_keep_the_bound_and_say_where_they_came_from() -> None:
    rules = LIBRARY["pcl5"].rules(cutoff_value=31, rc_value=5)

    assert rules.cutoff == Cutoff(31, inclusive=True, source="service override", tag=Tag.UNVERIFIED)
    assert rules.reliable_change is not None and rules.reliable_change.is_reliable(5)
    assert LIBRARY["srs"].rules(cutoff_value=35).cutoff.inclusive is False  # type: ignore[union-attr]


def test_cutoff_override_on_an_instrument_without_one_is_inclusive() -> None:
    cutoff = LIBRARY["waisr"].rules(cutoff_value=36).cutoff

    assert (
        cutoff is not None
        and cutoff.inclusive
        and cutoff.is_clinical(36, Direction.HIGHER_IS_BETTER)
    )


@pytest.mark.parametrize(
    ("score", "label"),
    [
        pytest.param(9, "mild", id="9 mild"),
        pytest.param(9.999, "mild", id="just below 10 mild"),
        pytest.param(10, "moderate", id="10 moderate"),
        pytest.param(27, "severe", id="top of the range"),
    ],
)
def test_phq9_band_boundaries(score: float, label: str) -> None:
    severity = LIBRARY["phq9"].severity

    assert severity is not None and severity.band_for(score).label == label


def test_band_lookup_outside_every_band_raises() -> None:
    scale = SeverityScale(
        (SeverityBand("low", 0, 5), SeverityBand("high", 5, 10, True)), "s", Tag.SECONDARY
    )

    with pytest.raises(ScoringError, match="outside every severity band"):
        scale.band_for(10.5)
    assert scale.band_for(10).label == "high"
