"""The ``flask import ...`` and ``flask export ...`` command groups, shared by the formats.

Each format module adds its own command (``import scores`` for CSV, ``import fhir`` ...) to
these groups; ``cli.register`` adds the groups to the app once.
"""

from __future__ import annotations

from flask.cli import AppGroup

import_group = AppGroup("import", help="Import data from other systems (CSV, FHIR).")
export_group = AppGroup("export", help="Export data for other systems (CSV, FHIR).")
