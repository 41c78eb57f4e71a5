"""The instrument catalogue: the library of definitions, the ones enabled in this service, the
thresholds in force and their overrides. Read only; recording a score is ``services.measures``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from outcome_monitor.core.definitions import InstrumentDefinition
from outcome_monitor.core.instruments import load_library
from outcome_monitor.core.measure import MeasureRules
from outcome_monitor.instruments import BUNDLED_DIR
from outcome_monitor.services import NotFound
from outcome_monitor.services.settings import active_overrides, disabled_instruments

LIBRARY_KEY = "outcome_monitor.instrument_library"


def library() -> dict[str, InstrumentDefinition]:
    """Bundled definitions with the service's text packs, loaded once per app."""
    cached = current_app.extensions.get(LIBRARY_KEY)
    if cached is None:
        cached = load_library(BUNDLED_DIR, text_pack_dir=Path(current_app.config["TEXT_PACK_DIR"]))
        current_app.extensions[LIBRARY_KEY] = cached
    return cached


def all_instruments() -> list[InstrumentDefinition]:
    return sorted(library().values(), key=lambda d: (d.purpose, d.code))


def enabled_instruments() -> list[InstrumentDefinition]:
    disabled = disabled_instruments()
    return [d for d in all_instruments() if d.code not in disabled]


def choice_label(definition: InstrumentDefinition) -> str:
    """The name offered in a list of questionnaires; a screening measure says that it is one."""
    if definition.is_screening:
        return str(
            _l(
                "%(name)s — past-year screening, not tracked session by session",
                name=definition.name,
            )
        )
    return definition.name


def measure_label(code: str) -> str:
    """The short name of a measure from its definition (``PHQ-9``); an unknown code (one no
    longer in the library) upper-cased."""
    definition = library().get(code)
    return definition.label if definition is not None else code.upper()


def get_definition(code: str) -> InstrumentDefinition:
    """The definition of an instrument enabled in this service; NotFound otherwise."""
    definition = library().get(code)
    if definition is None or code in disabled_instruments():
        raise NotFound(_l("No instrument %(code)s is enabled in this service.", code=code))
    return definition


def rules_for(definition: InstrumentDefinition) -> MeasureRules:
    """The thresholds in force: the published ones, or the service's recorded overrides."""
    overrides = active_overrides()
    cutoff = overrides.get((definition.code, "cutoff"))
    rc = overrides.get((definition.code, "reliable_change"))
    return definition.rules(
        cutoff_value=cutoff.new_value if cutoff else None,
        rc_value=rc.new_value if rc else None,
    )


def threshold_notes(code: str) -> dict[str, Any]:
    """The service overrides in force for ``code``, by field ("cutoff", "reliable_change")."""
    return {f: row for (c, f), row in active_overrides().items() if c == code}
