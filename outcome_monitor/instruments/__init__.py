"""Bundled instrument definitions, one TOML file per instrument version (docs/measures.md)."""

from __future__ import annotations

from pathlib import Path

BUNDLED_DIR = Path(__file__).parent
