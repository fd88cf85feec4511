"""From a source's location to a stream of records: files, folders, web sites and feeds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from ..config import Settings
from ..domain import ItemError, Record, Source, SourceKind
from ..errors import FetchError, InvalidInput, ReadError
from ..log import get_logger
from .catalog import read_catalog
from .catalog.shopify import is_shopify
from .documents import DOCUMENT_SUFFIXES, document_records
from .faq import faq_columns, read_faq
from .resource import Resource, check_expansion, normalise_header, read_table
from .robots import Robots
from .web import Crawler, is_sitemap

log = get_logger(__name__)
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm")


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def normalise_location(location: str) -> str:
    """URLs as given (checked to be URLs); paths made absolute (and checked to exist)."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in location):
        raise InvalidInput(f"{location!r}: contains a control character")
    if is_url(location):
        try:
            import httpx

            httpx.URL(location)
        except (httpx.InvalidURL, ValueError) as exc:
            raise InvalidInput(f"{location!r}: not a valid URL ({exc})") from None
        return location
    if "://" in location:
        raise InvalidInput(f"{location}: only http and https URLs are supported")
    path = Path(location).expanduser().resolve()
    if not path.exists():
        raise InvalidInput(f"{location}: no such file or folder")
    return str(path)


def detect_kind(resource: Resource) -> SourceKind:
    """What a single file holds, from its name and its first bytes; ReadError if it cannot tell."""
    suffix = resource.suffix
    content_type = resource.content_type or ""
    head = resource.data.lstrip()[:4000]
    if suffix == ".json" or content_type == "application/json":
        return "catalog"
    if suffix in (".xml", ".rss", ".atom") or "xml" in content_type and "html" not in content_type:
        if is_sitemap(content_type, resource.data):
            return "docs"
        if b"<rss" in head or b"<feed" in head or b"<channel" in head:
            return "catalog"
        raise ReadError("an XML file that is neither an RSS/Atom product feed nor a sitemap")
    if suffix in TABLE_SUFFIXES or suffix == ".txt" and b"\t" in head.split(b"\n", 1)[0] or content_type in (
            "text/csv", "text/tab-separated-values"):
        header, _ = read_table(resource)
        if faq_columns(header):
            return "faq"
        names = {normalise_header(h) for h in header}
        if is_shopify(header) or ({"id", "title", "price"} <= names) or ({"sku", "name", "price"} <= names):
            return "catalog"
        raise ReadError(f"cannot tell whether this table is an FAQ or a catalog (columns: {', '.join(header)}); "
                        "use --kind faq or --kind catalog", "line 1")
    if suffix in DOCUMENT_SUFFIXES or content_type.startswith(("text/", "application/pdf")) or "html" in content_type:
        return "docs"
    raise ReadError(f"unsupported file type {suffix or content_type or 'without a name suffix'}")


def read_resource(resource: Resource, kind: SourceKind | None, options: dict[str, Any],
                  settings: Settings) -> Iterator[Record | ItemError]:
    """Records of one file or page; a file that cannot be read at all becomes one ItemError.

    Whatever a parser raises on a hostile file ends as that file's error: one bad item never
    stops the others."""
    try:
        check_expansion(resource.data, settings.max_text_bytes)
        actual = kind or detect_kind(resource)
        if actual == "catalog":
            yield from read_catalog(resource, options, settings.default_currency)
        elif actual == "faq":
            yield from read_faq(resource)
        else:
            yield from document_records(resource, settings.max_text_bytes)
    except ReadError as exc:
        yield ItemError(resource.location, exc.reason, exc.where, key=resource.location)
    except Exception as exc:  # noqa: BLE001 - a parser's bug on one file must not abort the batch
        log.warning("file could not be read", location=resource.location, error=repr(exc)[:300])
        yield ItemError(resource.location, f"could not be read ({exc.__class__.__name__})", key=resource.location)


def read_file(path: Path, settings: Settings) -> Resource:
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        raise ReadError(f"larger than {settings.max_file_mb} MB ({size / 1e6:.0f} MB)")
    data = path.read_bytes()
    check_expansion(data, settings.max_text_bytes)  # before anything (detect_kind too) opens an archive
    return Resource(str(path), data)


def walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith((".", "~$")):
                yield Path(root) / name


def read_source(source: Source, settings: Settings, crawler: Crawler | None = None) -> Iterator[Record | ItemError]:
    """Every record of a source, with an ItemError for each item that failed.

    Raises ReadError when the source as a whole cannot be read (then nothing changes).
    """
    forced: SourceKind | None = source.options.get("forced_kind")
    location = source.location
    if is_url(location):
        yield from _read_url(source, settings, forced, crawler)
        return
    path = Path(location)
    if not path.exists():
        raise ReadError("no such file or folder any more")
    if path.is_dir():
        robots = Robots.of_folder(path, settings.user_agent)
        for file in walk(path):
            if robots is not None and not robots.allowed_file(path, file):
                log.info("skipped: the folder's robots.txt disallows it", file=str(file))
                continue
            try:
                resource = read_file(file, settings)
            except (ReadError, OSError) as exc:
                reason = exc.reason if isinstance(exc, ReadError) else exc.strerror or str(exc)
                yield ItemError(str(file), reason, key=str(file))
                continue
            if forced is None and _not_knowledge(resource):
                continue
            yield from read_resource(resource, forced, source.options, settings)
        return
    try:
        resource = read_file(path, settings)
    except OSError as exc:
        raise ReadError(exc.strerror or str(exc)) from None
    kind: SourceKind = forced or detect_kind(resource)
    items = read_resource(resource, kind, source.options, settings)
    yield from _whole_file_failure_raises(items, resource.location)


def _not_knowledge(resource: Resource) -> bool:
    """Images, robots.txt and sitemaps in a content folder describe a site; they are not content."""
    name = resource.location.rsplit("/", 1)[-1].lower()
    if name == "robots.txt" or resource.suffix == ".xml" and is_sitemap("application/xml", resource.data):
        return True
    return resource.suffix not in DOCUMENT_SUFFIXES + TABLE_SUFFIXES + (".json", ".xml")


def _whole_file_failure_raises(items: Iterator[Record | ItemError], location: str) -> Iterator[Record | ItemError]:
    """A single-file source whose file failed as a whole fails the sync (its old items stay)."""
    for item in items:
        if isinstance(item, ItemError) and item.key == location and item.where in (None, "line 1"):
            raise ReadError(item.reason, item.where)
        yield item


def _read_url(source: Source, settings: Settings, forced: SourceKind | None,
              crawler: Crawler | None) -> Iterator[Record | ItemError]:
    crawler = crawler or Crawler(settings, max_pages=source.options.get("max_pages"))
    try:
        first = crawler.fetch(source.location)
    except FetchError as exc:
        raise ReadError(exc.reason) from None
    final_url, content_type, body = first
    resource = Resource(final_url, body, content_type or None)
    if forced in ("catalog", "faq") or (forced is None and _is_data(resource)):
        yield from _whole_file_failure_raises(read_resource(resource, forced, source.options, settings), final_url)
        return
    for page in crawler.crawl(source.location, first):
        if isinstance(page, ItemError):
            yield page
        else:
            yield from read_resource(page, forced or "docs", source.options, settings)


def _is_data(resource: Resource) -> bool:
    """A URL that serves a catalog or FAQ file rather than a web page or sitemap."""
    if is_sitemap(resource.content_type or "", resource.data):
        return False
    content_type = resource.content_type or ""
    if "html" in content_type:
        return False
    try:
        return detect_kind(resource) in ("catalog", "faq")
    except (ReadError, etree.XMLSyntaxError):
        return False
