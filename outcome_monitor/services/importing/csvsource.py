"""Reading a score CSV as a stream of records with line numbers and precise errors.

The file is read as bytes one physical line at a time and each line is decoded as UTF-8 on its
own (UTF-8 is self-synchronising, so a split at ``\\n`` never cuts a character): a Latin-1 file
is then reported at the line and column of its first foreign byte instead of failing somewhere
inside a buffer. The ``csv`` module does the parsing (quotes, embedded newlines, its field-size
limit); nothing here re-implements it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Issue:
    """One error in the file: where (line, column) and why. ``line`` 0 = the file as a whole."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return (
            f"{where}, column {self.column}: {self.message}"
            if self.column
            else (f"{where}: {self.message}")
        )


@dataclass(frozen=True)
class Record:
    """One CSV record; ``line`` is the physical line it starts on (the header is line 1)."""

    line: int
    fields: list[str]


class CsvSource:
    """The records of binary lines (a file opened "rb"); problems come out as ``Issue`` values.

    ``header`` is set by the caller once it has read the first record, so that later issues
    can name their column. ``bytes_read`` feeds a progress bar. Reading stops at the first
    line that is not UTF-8: a file in another encoding would otherwise give an error per line.
    """

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream
        self._pending: list[str] = []
        self._bad_line: tuple[int, bytes, UnicodeDecodeError] | None = None
        self._physical = 0
        self.bytes_read = 0
        self.header: list[str] = []

    def records(self) -> Iterator[Record | Issue]:
        reader = csv.reader(self._lines())
        start = 1
        while True:
            self._pending = []
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                yield Issue(start, self._long_field_column(), _csv_message(error))
            else:
                if fields:
                    yield Record(start, fields)
            start = reader.line_num + 1
        if self._bad_line is not None:
            yield self._encoding_issue(*self._bad_line)

    def _lines(self) -> Iterator[str]:
        for raw in self._stream:
            self._physical += 1
            self.bytes_read += len(raw)
            if self._physical == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                self._bad_line = (self._physical, raw, error)
                return
            self._pending.append(text)
            yield text

    def column_name(self, position: int) -> str:
        """The header name of a field position (``field N`` beyond the header)."""
        if position < len(self.header):
            return self.header[position].strip().lower() or f"field {position + 1}"
        return f"field {position + 1}"

    def _long_field_column(self) -> str | None:
        """The column of a field over the csv module's limit: re-read the record without it."""
        limit = csv.field_size_limit()
        text = "".join(self._pending)
        csv.field_size_limit(max(limit, len(text) + 1))
        try:
            fields = next(csv.reader(io.StringIO(text, newline="")), [])
        except csv.Error:
            fields = []
        finally:
            csv.field_size_limit(limit)
        too_long = [i for i, value in enumerate(fields) if len(value) > limit]
        return self.column_name(too_long[0]) if too_long else None

    def _encoding_issue(self, line: int, raw: bytes, error: UnicodeDecodeError) -> Issue:
        text = raw.decode("utf-8", errors="replace")
        fields = next(csv.reader(io.StringIO(text, newline="")), [])
        bad = [i for i, value in enumerate(fields) if "\ufffd" in value]
        column = self.column_name(bad[0]) if bad and line > 1 else None
        return Issue(
            line,
            column,
            f"not UTF-8 text (byte 0x{raw[error.start]:02X}); save the file as UTF-8 "
            "(reading stopped here)",
        )


def _csv_message(error: csv.Error) -> str:
    text = str(error)
    if "field larger than field limit" in text:
        return (
            f"a field is longer than the csv module's limit of {csv.field_size_limit()} characters"
        )
    return f"not valid CSV ({text})"
