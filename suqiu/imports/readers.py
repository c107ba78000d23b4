"""Streaming readers of CSV and XLSX exports: one row at a time, never the whole file.

``open_table(path)`` returns a ``Table``: its ``header`` (the first non-empty row, cells
stripped), and iterating it yields ``(row_number, cells)`` for each following row, where
``row_number`` counts like a spreadsheet (the header is row 1, the first data row row 2; for
CSV it counts records, so a quoted cell with line breaks does not shift it) and ``cells`` is a
list as long as the header. Empty rows (blank cells only) are skipped. A CSV record the csv module cannot read
(a NUL byte...), or one with bytes the encoding cannot read, yields ``(row_number,
BadRow(reason))`` and reading goes on.

CSV: the encoding is UTF-8 (with or without BOM) unless the first 64 KiB are not valid UTF-8,
then GB18030 (the superset of GBK that Chinese government exports use); the delimiter is
whichever of ``,`` tab ``;`` ``|`` the header line has most of. ``position()`` is the byte offset
reached, for a progress bar. XLSX: openpyxl in read-only mode (rows streamed from the zip, cells
as values: dates as datetimes), the active sheet unless one is named, every row the sheet holds
whatever its dimension record says; ``position()`` counts rows (no total: the dimension record
is not to be trusted). The workbook's shared-string table (Excel and WPS keep every distinct text
in it) is spooled to a temporary file, the strings read back by offset when a cell names them:
openpyxl alone holds the whole table in memory before the first row.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

from django.utils.translation import gettext as _

try:  # openpyxl parses with lxml when it is installed
    from lxml.etree import XMLSyntaxError
except ImportError:  # pragma: no cover - lxml is optional
    XMLSyntaxError = ParseError

# What openpyxl raises for a workbook damaged inside: a broken zip member, or XML that does not
# parse (ElementTree's ParseError, or lxml's XMLSyntaxError when lxml is installed).
DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,  # a cell naming a shared string the table does not hold
    ValueError,
    ParseError,
    XMLSyntaxError,
)

# Long appeal texts are fine; the csv module's default limit (128 KiB per cell) is not a limit
# worth failing a history import on, but unbounded cells would be.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class BadRow:
    reason: str
    # The record's cells, as wide as the header, when it could be split into them (its id may
    # still be readable).
    cells: list[str] | None = None


class ReadError(Exception):
    """The file cannot be read as a table at all (no header, unknown type, bad sheet...)."""


class DamagedFile(ReadError):
    """The file cannot be read on from some row (a damaged workbook, a CSV stream the encoding
    cannot read): the rows before it were read and are imported."""


def _clean_header(cells) -> list[str]:
    return [("" if c is None else str(c)).replace("\ufeff", "").strip() for c in cells]


class Table:
    header: list[str]
    unit: str  # "B" (bytes) or "rows", for the progress bar
    total: int | None

    def __iter__(self) -> Iterator[tuple[int, list | BadRow]]:
        raise NotImplementedError

    def position(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def sniff_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, from the file's first bytes. A UTF-8 file with
    a few records in another encoding is still UTF-8 (those records fail one by one): when the
    first bytes do not all read as UTF-8, it is UTF-8 still if the header line does and holds
    Chinese, or if the characters that read well outnumber the bytes that do not by far."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    first_line = head.split(b"\n", 1)[0]
    try:
        header = first_line.decode("utf-8")
        if not header.isascii():
            return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    return "utf-8" if good > 4 * bad else "gb18030"


def undecodable(cells: list[str]) -> int | None:
    """The index of the first cell holding a byte the encoding could not read (decoded with
    ``surrogateescape``: a lone surrogate U+DC80-U+DCFF), or None."""
    try:
        "".join(cells).encode("utf-8")  # C speed: only a lone surrogate fails
        return None
    except UnicodeEncodeError:
        pass
    for i, cell in enumerate(cells):
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError:
            return i
    return None


class CsvTable(Table):
    unit = "B"

    def __init__(self, path: Path, encoding: str | None = None):
        self._raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.total = os.fstat(self._raw.fileno()).st_size
        head = self._raw.read(65536)
        self._raw.seek(0)
        self.encoding = encoding or sniff_encoding(head)
        # A byte the encoding cannot read becomes a lone surrogate instead of stopping the
        # reader: that record is reported (``undecodable``) and reading goes on.
        self._text = io.TextIOWrapper(
            self._raw, encoding=self.encoding, errors="surrogateescape", newline=""
        )
        first_line = head.split(b"\n", 1)[0].decode(self.encoding, errors="replace")
        self.delimiter = max([",", "\t", ";", "|"], key=first_line.count)
        self._reader = csv.reader(self._text, delimiter=self.delimiter)
        self.header = []
        self._number = 0
        try:
            for cells in self._reader:
                self._number += 1
                if any(c.strip() for c in cells):
                    self.header = _clean_header(cells)
                    break
        except (UnicodeError, csv.Error) as exc:  # e.g. --encoding utf-16 on a file without BOM
            self.close()
            raise ReadError(
                _("cannot read the file as %(encoding)s: %(error)s")
                % {"encoding": self.encoding, "error": exc}
            ) from exc
        if not self.header:
            self.close()
            raise ReadError(_("the file has no header row"))
        if undecodable(self.header) is not None:
            self.close()
            raise ReadError(
                _(
                    "the header row is not %(encoding)s text (give the file's encoding with "
                    "--encoding, e.g. gb18030), or the file is not CSV"
                )
                % {"encoding": self.encoding}
            )

    def __iter__(self) -> Iterator[tuple[int, list | BadRow]]:
        width = len(self.header)
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self._number += 1
                yield self._number, BadRow(_("unreadable CSV record: %(error)s") % {"error": exc})
                continue
            except UnicodeError as exc:  # not a byte the codec skips: the stream itself
                raise DamagedFile(
                    _("cannot read the file as %(encoding)s: %(error)s")
                    % {"encoding": self.encoding, "error": exc}
                ) from exc
            self._number += 1
            if not any(c.strip() for c in cells):  # blank cells only: an empty row, as in XLSX
                continue
            if any("\x00" in c for c in cells):
                # Python's csv module reads NUL; PostgreSQL cannot store it in text.
                yield self._number, BadRow(_("a NUL character in the record (a binary file?)"))
                continue
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            column = undecodable(cells)
            if column is not None:
                yield (
                    self._number,
                    BadRow(
                        (
                            _("not %(encoding)s text in column %(column)s (%(name)s)")
                            if column < len(self.header)
                            else _("not %(encoding)s text in column %(column)s")
                        )
                        % {
                            "encoding": self.encoding,
                            "column": column + 1,
                            "name": self.header[column] if column < len(self.header) else "",
                        },
                        cells,
                    ),
                )
                continue
            yield self._number, cells

    def position(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return self.total

    def close(self) -> None:
        self._raw.close()


_pread = getattr(os, "pread", None)


class SpooledStrings:
    """A workbook's shared strings on disk: the texts, UTF-8, one after the other in a temporary
    file, and in memory only where each starts (8 bytes a string). Reads as the list openpyxl
    keeps (``strings[i]``), one ``pread`` a string (no memory map: its pages would count in the
    process's memory as they are read). A million distinct texts of a hundred characters take
    8 MB here, against some hundreds of MB as Python strings."""

    def __init__(self):
        self._file = tempfile.TemporaryFile(prefix="suqiu-xlsx-strings-")
        self._starts = array("q", [0])

    def append(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self._file.write(data)
        self._starts.append(self._starts[-1] + len(data))

    def seal(self) -> None:
        """Done appending: what is buffered goes to the file, to be read back."""
        self._file.flush()

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, i: int) -> str:
        if not 0 <= i < len(self._starts) - 1:
            raise IndexError(f"shared string {i} is not in the table ({len(self)} strings)")
        start, end = self._starts[i], self._starts[i + 1]
        if start == end:
            return ""
        if _pread is not None:
            data = _pread(self._file.fileno(), end - start, start)
        else:  # pragma: no cover - Windows has no pread
            self._file.seek(start)
            data = self._file.read(end - start)
        return data.decode("utf-8", "surrogatepass")

    def close(self) -> None:
        self._file.close()


def _spool_string_table(src) -> SpooledStrings:
    """``openpyxl.reader.strings.read_string_table``, writing to disk instead of a list: each
    ``<si>`` read as openpyxl reads it (its text, or its runs' texts joined, phonetic runs left
    out; ``_x005F_`` escapes undone) and dropped from the parsed tree at once."""
    from openpyxl.cell.text import Text
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    tag = f"{{{SHEET_MAIN_NS}}}si"
    strings = SpooledStrings()
    try:
        root = None
        for event, node in iterparse(src, events=("start", "end")):
            if root is None:
                root = node
            elif event == "end" and node.tag == tag:
                strings.append(Text.from_tree(node).content.replace("x005F_", ""))
                root.clear()  # the strings read so far, so the tree stays one string deep
        strings.seal()
    except BaseException:
        strings.close()
        raise
    return strings


# A shared-string table this large (its XML, uncompressed) takes seconds to read before the
# first row: the caller's ``note`` says so, as the progress bar cannot yet.
NOTE_STRINGS_BYTES = 32 * 1024 * 1024


def _load_workbook(path: Path, note=None):
    """``openpyxl.load_workbook(path, read_only=True, data_only=True)`` with the shared strings
    spooled to disk: the workbook and its ``SpooledStrings`` (None without a string table), to
    be closed with it. ``note(text)``, when given, is told before a large table is read."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS

    class Reader(ExcelReader):
        def read_strings(self):
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                name = part.PartName[1:]
                size = self.archive.getinfo(name).file_size
                if note is not None and size >= NOTE_STRINGS_BYTES:
                    note(
                        _("reading the workbook's shared strings (%(mb)s MB of XML)…")
                        % {"mb": f"{size / 1e6:,.0f}"}
                    )
                with self.archive.open(name) as src:
                    self.shared_strings = _spool_string_table(src)

    reader = Reader(path, read_only=True, data_only=True)
    try:
        reader.read()
    except BaseException:
        if isinstance(reader.shared_strings, SpooledStrings):
            reader.shared_strings.close()
        reader.archive.close()
        raise
    strings = reader.shared_strings
    return reader.wb, (strings if isinstance(strings, SpooledStrings) else None)


class XlsxTable(Table):
    unit = "rows"

    def __init__(self, path: Path, sheet: str | None = None, note=None):
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            self._book, self._strings = _load_workbook(path, note)
        except (
            InvalidFileException,
            zipfile.BadZipFile,
            OSError,
            KeyError,
            ValueError,
            AttributeError,  # parts openpyxl cannot follow (an empty chart sheet)
            TypeError,
            ParseError,
            XMLSyntaxError,
        ) as exc:
            raise ReadError(_("not a readable XLSX workbook: %(error)s") % {"error": exc}) from exc
        if sheet is not None and sheet not in self._book.sheetnames:
            self.close()
            raise ReadError(
                _("no sheet %(sheet)r; the sheets are %(sheets)s")
                % {"sheet": sheet, "sheets": self._book.sheetnames}
            )
        self._sheet = self._book[sheet] if sheet else self._book.active
        if self._sheet is None or not hasattr(self._sheet, "iter_rows"):
            names = [ws.title for ws in self._book.worksheets]
            self.close()
            if not names:
                raise ReadError(_("the workbook has no worksheet"))
            raise ReadError(
                (
                    _("sheet %(sheet)r holds no table (a chart?); give --sheet, one of %(names)s")
                    if sheet
                    else _(
                        "the active sheet holds no table (a chart?); give --sheet, one of %(names)s"
                    )
                )
                % {"sheet": sheet, "names": names}
            )
        self.sheet_name = self._sheet.title
        # The sheet's dimension record (its size, "A1:H5000") is written wrong by some programs
        # (WPS; "A1" by streaming writers), and read-only openpyxl stops at the rows and columns
        # it names: forget it and read every row there is, as long as the row itself is.
        self._sheet.reset_dimensions()
        self._rows = self._sheet.iter_rows(values_only=True)
        self.header = []
        self._number = 0
        try:
            for cells in self._rows:
                self._number += 1
                if any(c not in (None, "") for c in cells):
                    self.header = _clean_header(cells)
                    break
        except DAMAGED as exc:
            self.close()
            raise ReadError(_("not a readable XLSX workbook: %(error)s") % {"error": exc}) from exc
        if not self.header:
            self.close()
            raise ReadError(_("the sheet has no header row"))
        while self.header and not self.header[-1]:
            self.header.pop()
        self.total = None  # unknown until read: the dimension record is not to be trusted
        self._done = 0

    def __iter__(self) -> Iterator[tuple[int, list | BadRow]]:
        try:
            yield from self._iter_rows()
        except DAMAGED as exc:
            # A workbook damaged past its header: the caller keeps the rows read so far.
            raise DamagedFile(
                _("the workbook is damaged after row %(row)s: %(error)s")
                % {"row": self._number, "error": exc}
            ) from exc

    def _iter_rows(self) -> Iterator[tuple[int, list]]:
        width = len(self.header)
        for cells in self._rows:
            self._number += 1
            self._done += 1
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            out = ["" if c is None else c for c in cells[:width]]
            if len(out) < width:
                out.extend([""] * (width - len(out)))
            yield self._number, out

    def position(self) -> int:
        return self._done

    def close(self) -> None:
        self._book.close()
        if self._strings is not None:
            self._strings.close()


def open_table(
    path: Path, *, encoding: str | None = None, sheet: str | None = None, note=None
) -> Table:
    """A streaming table over ``path``: XLSX by its zip signature or ``.xlsx`` name, else CSV.
    ``note(text)`` is told of a long wait before the first row (a large shared-string table)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ReadError(
            _("cannot open %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}
        ) from exc
    if magic == b"PK\x03\x04" or path.suffix.lower() in {".xlsx", ".xlsm"}:
        if encoding:
            raise ReadError(_("--encoding is for CSV files; a workbook says its own"))
        return XlsxTable(path, sheet=sheet, note=note)
    if path.suffix.lower() == ".xls":
        raise ReadError(_("old .xls workbooks are not supported: save the sheet as .xlsx or .csv"))
    if sheet:
        raise ReadError(
            _("--sheet is for XLSX workbooks; %(name)s is read as CSV") % {"name": path.name}
        )
    return CsvTable(path, encoding=encoding)
