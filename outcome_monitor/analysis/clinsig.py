"""Clinical significance for a cohort from a long-format CSV (no Flask; pure apart from reading).

``clinical_significance(path, columns, settings)`` pairs each person's pre and post scores
(``clinsig_data``) and classifies every pair with the chosen RCI method and cut-off
(``clinsig_stats``). Errors are AnalysisError or NormsError (both CoreError) with a message
naming the row or the parameter.
"""

from __future__ import annotations

from pathlib import Path

from outcome_monitor.analysis.clinsig_data import Columns, Pair, Pairing, pair_rows, read_pairs
from outcome_monitor.analysis.clinsig_stats import (
    ClientChange,
    ClinsigResult,
    CutoffKind,
    Method,
    Settings,
    analyse,
)

__all__ = [
    "ClientChange",
    "ClinsigResult",
    "Columns",
    "CutoffKind",
    "Method",
    "Pair",
    "Pairing",
    "Settings",
    "analyse",
    "clinical_significance",
    "pair_rows",
    "read_pairs",
]


def clinical_significance(path: Path, columns: Columns, settings: Settings) -> ClinsigResult:
    """Read, pair and classify: the whole analysis behind ``outcomes clinical-significance``."""
    return analyse(read_pairs(path, columns), settings)
