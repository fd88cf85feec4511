"""A fetched file or page, and the helpers every reader shares (decoding, tables)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlparse

from charset_normalizer import from_bytes

from ..errors import ReadError


@dataclass(frozen=True)
class Resource:
    location: str  # file path or URL, as shown in reports and citations
    data: bytes
    content_type: str | None = None  # from HTTP, without parameters

    @property
    def suffix(self) -> str:
        path = urlparse(self.location).path if "://" in self.location else self.location
        return PurePosixPath(path).suffix.lower()

    @property
    def is_url(self) -> bool:
        return "://" in self.location


def check_expansion(data: bytes, max_text_bytes: int) -> None:
    """ReadError for a ZIP-based file (DOCX, XLSX) whose XML parts expand past the limit (a zip bomb),
    read from the archive's directory before anything is decompressed. Other files pass."""
    if not data.startswith(b"PK\x03\x04"):
        return
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(i.file_size for i in archive.infolist() if not i.filename.startswith(("word/media/", "xl/media/")))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ReadError("not a readable ZIP archive (DOCX/XLSX)") from None
    limit = max_text_bytes * XML_PER_TEXT
    if expanded > limit:
        raise ReadError(f"expands to {expanded / 1e6:.0f} MB, more than the {limit / 1e6:.0f} MB allowed for a "
                        f"file of at most {max_text_bytes / 1e6:.0f} MB of text (FRONTDESK_MAX_TEXT_MB)")


#: How much larger a DOCX/XLSX's XML may be than the text it holds (markup around every run of text).
XML_PER_TEXT = 4


def decode_text(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else the detected encoding.

    Refuses binary data and text whose encoding cannot be told.
    """
    if not data.strip():
        raise ReadError("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ReadError("invalid UTF-16 text") from None
    if b"\x00" in data[:65536]:
        raise ReadError("binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:1_000_000]).best()
    if best is None or best.encoding is None:
        raise ReadError("unknown text encoding")
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise ReadError(f"text is not valid {best.encoding}") from None


@dataclass(frozen=True)
class Row:
    number: int  # 1-based line (CSV) or row (XLSX) number in the file
    values: dict[str, str]


def read_table(resource: Resource) -> tuple[list[str], Iterator[Row]]:
    """Header and rows of a CSV, TSV or XLSX file; header names as written."""
    if resource.suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(resource)
    text = decode_text(resource.data)
    sample = text[:20000]
    if resource.suffix == ".tsv":
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0] + "\n", delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ReadError("the file is empty") from None
    except csv.Error as exc:
        raise ReadError(f"not valid CSV: {exc}", "line 1") from None
    if not any(header):
        raise ReadError("the first line holds no column names", "line 1")

    def rows() -> Iterator[Row]:
        while True:
            line = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ReadError(f"not valid CSV: {exc}", f"line {line}") from None
            if not any(v.strip() for v in values):
                continue
            yield Row(line, {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header) if h})

    return header, rows()


def _read_xlsx(resource: Resource) -> tuple[list[str], Iterator[Row]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(resource.data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ReadError(f"not a readable XLSX workbook ({type(exc).__name__})") from None
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        header = ["" if h is None else str(h).strip() for h in next(iterator)]
    except StopIteration:
        raise ReadError("the workbook's first sheet is empty") from None

    def rows() -> Iterator[Row]:
        for number, values in enumerate(iterator, start=2):
            cells = ["" if v is None else str(v).strip() for v in values]
            if any(cells):
                yield Row(number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h})
        workbook.close()

    return header, rows()


def normalise_header(name: str) -> str:
    """'g:Sale Price' -> 'sale_price'; 'Variant Compare At Price' -> 'variant_compare_at_price'."""
    name = name.strip().lower().removeprefix("g:")
    out = "".join(ch if ch.isalnum() else "_" for ch in name)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


def local_name(tag: str) -> str:
    """'{http://base.google.com/ns/1.0}price' or an undeclared 'g:price' -> 'price'."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
