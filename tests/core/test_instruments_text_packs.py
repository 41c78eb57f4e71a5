"""Text packs add licensed wording (and translations) to scoring-only instruments."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcome_monitor.core.errors import DefinitionError
from outcome_monitor.core.instruments import load_library
from outcome_monitor.instruments import BUNDLED_DIR

# Synthetic placeholder wording: never the licensed SRS text.
SRS_PACK = """
instrument = "srs"
version = "3"
licence_note = "Synthetic licence no. 0000 held by Example Service"
languages = ["de"]
instructions = "Synthetic instructions"
[items.1]
text = "Synthetic item one"
translations = { de = "Synthetischer Punkt eins" }
[items.2]
text = "Synthetic item two"
[items.3]
text = "Synthetic item three"
[items.4]
text = "Synthetic item four"
"""


def _library_with(tmp_path: Path, pack: str) -> dict:  # type: ignore[type-arg]
    (tmp_path / "pack.toml").write_text(pack, encoding="utf-8")
    return load_library(BUNDLED_DIR, text_pack_dir=tmp_path)


def test_text_pack_installs_wording_for_a_scoring_only_instrument(tmp_path: Path) -> None:
    srs = _library_with(tmp_path, SRS_PACK)["srs"]

    assert srs.text_installed
    assert srs.item_text("1") == "Synthetic item one"
    assert srs.item_text("1", "de") == "Synthetischer Punkt eins"
    assert srs.item_text("2", "de") == "Synthetic item two"
    assert srs.languages == ("en", "de")
    assert srs.instructions == "Synthetic instructions"
    assert (srs.licence.text_pack, srs.licence.text_pack_note) == (
        "pack.toml",
        "Synthetic licence no. 0000 held by Example Service",
    )


def test_pack_leaves_other_instruments_and_the_bundle_untouched(tmp_path: Path) -> None:
    library = _library_with(tmp_path, SRS_PACK)

    assert library["ors"] == load_library(BUNDLED_DIR)["ors"]
    assert not load_library(BUNDLED_DIR)["srs"].text_installed


def test_translation_pack_for_an_instrument_that_ships_its_wording(tmp_path: Path) -> None:
    pack = 'instrument = "gad7"\nversion = "1"\nlicence_note = "n"\nlanguages = ["de"]\n'
    pack += '[items.4]\ntranslations = { de = "Synthetische Übersetzung" }\n'

    gad7 = _library_with(tmp_path, pack)["gad7"]

    assert gad7.item_text("4", "de") == "Synthetische Übersetzung"
    assert gad7.item_text("3", "de") == "Worrying too much about different things"


def test_missing_or_absent_pack_directory_means_no_packs(tmp_path: Path) -> None:
    assert not load_library(BUNDLED_DIR, text_pack_dir=tmp_path / "absent")["srs"].text_installed
    assert not load_library(BUNDLED_DIR, text_pack_dir=None)["core10"].text_installed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            ('instrument = "srs"', 'instrument = "xyz"'),
            "pack.toml: instrument: is not a known",
            id="unknown instrument",
        ),
        pytest.param(
            ('version = "3"', 'version = "2"'),
            "pack.toml: version: must match the definition's '3'",
            id="wrong version",
        ),
        pytest.param(
            ('[items.4]\ntext = "Synthetic item four"', ""),
            "pack.toml: items.4: text is required for every item",
            id="item left without text",
        ),
        pytest.param(
            ('licence_note = "Synthetic', 'colour = "red"\nlicence_note = "Synthetic'),
            "pack.toml: unknown field(s) colour",
            id="unknown key",
        ),
        pytest.param(
            ('text = "Synthetic item two"', 'label = "x"'),
            "pack.toml: items.2: unknown field(s) label",
            id="unknown item key",
        ),
        pytest.param(
            ("{ de =", "{ fr ="),
            "pack.toml: items.1.translations.fr: language is not declared",
            id="undeclared language",
        ),
        pytest.param(
            ('text = "Synthetic item two"', 'translations = { de = "x" }'),
            "pack.toml: items.2.text: is required",
            id="translation only for a scoring-only item",
        ),
        pytest.param(
            ('licence_note = "Synthetic licence no. 0000 held by Example Service"', ""),
            "pack.toml: licence_note: is required",
            id="no licence note",
        ),
    ],
)
def test_invalid_text_pack_names_the_file(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(DefinitionError) as raised:
        _library_with(tmp_path, SRS_PACK.replace(*change))

    assert message in str(raised.value)


def test_pack_naming_an_unknown_item_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"pack.toml: items.9: is not an item of srs"):
        _library_with(tmp_path, SRS_PACK + '[items.9]\ntext = "x"\n')


def test_pack_cannot_replace_shipped_wording(tmp_path: Path) -> None:
    pack = 'instrument = "phq9"\nversion = "1"\nlicence_note = "n"\n[items.1]\ntext = "Other"\n'

    with pytest.raises(DefinitionError, match=r"items.1.text: the instrument ships its wording"):
        _library_with(tmp_path, pack)
