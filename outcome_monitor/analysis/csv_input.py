"""Reading an evaluator's CSV file: every way it can be unreadable is one clear line.

A spreadsheet saved as "CSV" in a Western-European locale is Latin-1 or Windows-1252, not
UTF-8; a cell pasted from a document can exceed the csv module's field limit (131,072
characters); a row can have fewer fields than the header. Each used to end in a Python
traceback (or, for a short row, in a person silently left out). Here each is an
AnalysisError naming the file and the line, which the commands print as one line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from outcome_monitor.core.errors import AnalysisError


def read_text(path: Path) -> str:
    """The file decoded as UTF-8 (a BOM is accepted); AnalysisError naming the line otherwise."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1].hex()
        raise AnalysisError(
            f"{path.name}: line {line}: not UTF-8 text (byte 0x{byte}); save the file as "
            "'CSV UTF-8' and try again"
        ) from None


def open_text(path: Path) -> io.StringIO:
    """``read_text`` as a handle for the csv module."""
    return io.StringIO(read_text(path), newline="")


class CheckedDictReader(csv.DictReader):
    """A DictReader whose errors are AnalysisErrors naming the file and line.

    A row with fewer fields than the header is an error, not a row with blanks: a blank is a
    value the file gives, a missing field is a damaged file.
    """

    def __init__(self, handle: Any, *, name: str) -> None:
        super().__init__(handle)
        self.name = name

    def __next__(self) -> dict[str, str]:
        try:
            row = super().__next__()
        except csv.Error as error:
            raise self._error(error) from None
        missing = [key for key, value in row.items() if key is not None and value is None]
        if missing:
            given = len(row) - len(missing) - (None in row)
            raise AnalysisError(
                f"{self.name}: line {self.line_num}: {given} field(s) where the header has "
                f"{given + len(missing)} (no {', '.join(repr(m) for m in missing)})"
            )
        return row

    def __iter__(self) -> CheckedDictReader:
        return self

    def _error(self, error: csv.Error) -> AnalysisError:
        reason = str(error)
        if "field larger than field limit" in reason:
            reason = f"a field is longer than {csv.field_size_limit():,} characters"
        return AnalysisError(f"{self.name}: line {self.line_num + 1}: {reason}")
