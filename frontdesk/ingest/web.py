"""Polite web crawling: one site, robots.txt respected, a delay between requests, a page limit.

A start URL that is a sitemap (``urlset`` or ``sitemapindex``, gzipped or not) is read for
its page list; any other page is crawled breadth-first through its same-site links.
Redirects are followed only within the site; a redirect elsewhere is reported, not taken.
"""

from __future__ import annotations

import gzip
import time
from collections import deque
from collections.abc import Iterator
from urllib.parse import urldefrag, urljoin, urlparse

import httpx
from lxml import etree
from lxml import html as lxml_html

from ..config import Settings
from ..domain import ItemError
from ..errors import FetchError, ReadError
from ..log import get_logger
from ..safety.network import PrivateAddress, public_only_transport
from .resource import Resource, local_name
from .robots import Robots

log = get_logger(__name__)

PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown", "application/pdf",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
SKIP_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".ico", ".css", ".js", ".zip", ".gz", ".mp3",
                 ".mp4", ".mov", ".woff", ".woff2", ".ttf", ".xml", ".json")
MAX_REDIRECTS = 5


def site_of(url: str) -> str:
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Fetcher:
    """GETs within one site, with a size limit, a timeout and same-site redirects only."""

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        guarded = {} if settings.allow_private_urls else {"transport": public_only_transport(), "trust_env": False}
        self.client = client or httpx.Client(
            timeout=settings.http_timeout, follow_redirects=False,
            headers={"User-Agent": settings.user_agent}, **guarded,
        )

    def get(self, url: str) -> tuple[str, str, bytes]:
        """(final URL, content type, body) or FetchError with the reason."""
        site = site_of(url)
        for _ in range(MAX_REDIRECTS + 1):
            try:
                with self.client.stream("GET", url) as response:
                    if response.is_redirect:
                        target = urljoin(url, response.headers.get("location", ""))
                        if site_of(target) != site:
                            raise FetchError(f"redirects off-site to {target}")
                        url = target
                        continue
                    if response.status_code != 200:
                        raise FetchError(f"HTTP {response.status_code}")
                    declared = response.headers.get("content-length")
                    limit = self.settings.max_file_bytes
                    if declared and declared.isdigit() and int(declared) > limit:
                        raise FetchError(f"larger than {self.settings.max_file_mb} MB")
                    body = bytearray()
                    for piece in response.iter_bytes():
                        body.extend(piece)
                        if len(body) > limit:
                            raise FetchError(f"larger than {self.settings.max_file_mb} MB")
                    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    return url, content_type, bytes(body)
            except PrivateAddress as exc:
                raise FetchError(exc.reason) from None
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
                raise FetchError(f"not a valid URL ({exc})") from None
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {self.settings.http_timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"request failed ({exc.__class__.__name__}: {exc})") from None
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def close(self) -> None:
        self.client.close()


def parse_sitemap(data: bytes) -> tuple[str, list[str]]:
    """('urlset' | 'sitemapindex', the <loc> URLs) of a sitemap document."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            raise ReadError("corrupt gzip sitemap") from None
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError as exc:
        raise ReadError(f"malformed sitemap XML: {exc.msg}") from None
    kind = local_name(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise ReadError(f"not a sitemap (root element <{kind}>)")
    locations = [(el.text or "").strip() for el in root.iter() if isinstance(el.tag, str)
                 and local_name(el.tag) == "loc"]
    return kind, [loc for loc in locations if loc]


def is_sitemap(content_type: str, data: bytes) -> bool:
    head = data[:2000].lstrip()
    return data[:2] == b"\x1f\x8b" or ((b"<urlset" in head or b"<sitemapindex" in head)
                                       and ("xml" in content_type or head.startswith(b"<?xml") or head.startswith(b"<")))


def links(base_url: str, data: bytes) -> list[str]:
    try:
        tree = lxml_html.fromstring(data)
    except (ValueError, etree.ParserError):
        return []
    out = []
    for href in tree.xpath("//a/@href"):
        href = str(href).strip()
        if not href or href.startswith(("mailto:", "tel:", "javascript:")):
            continue
        out.append(urldefrag(urljoin(base_url, href))[0])
    return out


class Crawler:
    def __init__(self, settings: Settings, fetcher: Fetcher | None = None, max_pages: int | None = None,
                 delay: float | None = None) -> None:
        self.settings = settings
        self.fetcher = fetcher or Fetcher(settings)
        self.max_pages = max_pages or settings.crawl_max_pages
        self.delay = settings.crawl_delay if delay is None else delay
        self._last_request = 0.0
        self.robots: Robots | None = None
        self.limit_reached = False

    def _wait(self) -> None:
        delay = self.delay
        if self.robots is not None:
            asked = self.robots.crawl_delay()
            if asked:
                delay = max(delay, asked)
        pause = self._last_request + delay - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self._last_request = time.monotonic()

    def _load_robots(self, site: str) -> None:
        agent = self.settings.user_agent
        try:
            _, _, body = self.fetcher.get(site + "/robots.txt")
            self.robots = Robots(body.decode("utf-8", "replace"), agent)
        except FetchError as exc:
            if exc.reason.startswith("HTTP 4"):
                self.robots = Robots.allow_all(agent)  # no robots.txt: everything is allowed
            else:  # RFC 9309: an unreachable robots.txt means "disallow all" for now
                self.robots = Robots.disallow_all(agent)
                log.warning("robots.txt unreachable; crawling nothing", site=site, reason=exc.reason)

    def allowed(self, url: str) -> bool:
        return self.robots is None or self.robots.allowed(url)

    def fetch(self, url: str) -> tuple[str, str, bytes]:
        self._wait()
        return self.fetcher.get(url)

    def crawl(self, start_url: str, first: tuple[str, str, bytes] | None = None) -> Iterator[Resource | ItemError]:
        """Resources of the site's pages (and sitemaps' pages), and an ItemError for each failure."""
        site = site_of(start_url)
        self._load_robots(site)
        queue: deque[str] = deque([start_url])
        seen = {start_url}
        fetched = 0
        follow_links = True  # a sitemap is the page list: its pages' links are not followed
        while queue:
            url = queue.popleft()
            if site_of(url) != site:
                continue
            if not self.allowed(url):
                yield ItemError(url, "disallowed by robots.txt", key=url)
                continue
            if fetched >= self.max_pages:
                self.limit_reached = True
                log.info("page limit reached", site=site, limit=self.max_pages)
                return
            try:
                fetched += 1
                if first is not None and url == start_url:
                    final_url, content_type, body = first
                else:
                    final_url, content_type, body = self.fetch(url)
            except FetchError as exc:
                yield ItemError(url, exc.reason, key=url)
                continue
            if is_sitemap(content_type, body):
                follow_links = False
                try:
                    _, locations = parse_sitemap(body)
                except ReadError as exc:
                    yield ItemError(url, exc.reason, key=url)
                    continue
                for location in locations:
                    if location not in seen and site_of(location) == site:
                        seen.add(location)
                        queue.append(location)
                continue
            if content_type and content_type not in PAGE_TYPES:
                continue
            yield Resource(final_url, body, content_type or None)
            if follow_links and content_type in ("text/html", "application/xhtml+xml", ""):
                for link in links(final_url, body):
                    if link in seen or site_of(link) != site or urlparse(link).path.lower().endswith(SKIP_SUFFIXES):
                        continue
                    seen.add(link)
                    if self.allowed(link):  # links robots.txt excludes are skipped, not failures
                        queue.append(link)
