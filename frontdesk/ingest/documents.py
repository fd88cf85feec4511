"""Documents in, passages out: HTML (main content only), Markdown, text, PDF and DOCX.

Every format is first turned into *blocks* (headings and paragraphs); one chunker then
cuts blocks into passages of a few hundred words that keep their section heading, so a
search hit and a citation point at the right part of a long page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from lxml import html as lxml_html
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..domain import Record
from ..errors import ReadError
from ..search.text import detect_language
from .resource import Resource, decode_text

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown")
TEXT_SUFFIXES = (".txt", ".text")
DOCUMENT_SUFFIXES = HTML_SUFFIXES + MARKDOWN_SUFFIXES + TEXT_SUFFIXES + (".pdf", ".docx")

PASSAGE_CHARS = 1200  # target passage length; a paragraph longer than this is split


@dataclass
class Block:
    text: str
    level: int = 0  # 1-6 for headings, 0 for body text
    page: int | None = None


@dataclass
class ParsedDocument:
    title: str
    blocks: list[Block]


# -- HTML -----------------------------------------------------------------------------------

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


_CSS_RULE = re.compile(r"([^{}@]+)\{([^{}]*)\}")


def _hidden_by_stylesheet(tree: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """Elements a page's own <style> rules hide (".old{display:none}"): stale prices live there."""
    from cssselect import SelectorError

    found = []
    for style in tree.xpath("//style"):
        css = re.sub(r"/\*.*?\*/", "", style.text_content() or "", flags=re.S)
        for selectors, body in _CSS_RULE.findall(css):
            if not _HIDDEN_STYLE.search(body):
                continue
            for selector in selectors.split(","):
                selector = selector.strip()
                if not selector or ":" in selector:  # :hover and the like hide only sometimes
                    continue
                try:
                    found.extend(tree.cssselect(selector))
                except (SelectorError, ValueError):
                    continue
    return found


def strip_hidden(tree: lxml_html.HtmlElement) -> None:
    """Drop what a visitor never sees: hidden elements (by attribute, inline style or the page's
    own stylesheet), templates, scripts and styles."""
    for element in _hidden_by_stylesheet(tree):
        if element.getparent() is not None:
            element.drop_tree()
    doomed = tree.xpath(
        "//script|//style|//template|//noscript|//*[@hidden]|//*[@aria-hidden='true']"
        "|//input[@type='hidden']|//*[@style]"
    )
    for element in doomed:
        if element.tag in ("script", "style", "template", "noscript", "input") or element.get("hidden") is not None \
                or element.get("aria-hidden") == "true" or _HIDDEN_STYLE.search(element.get("style") or ""):
            parent = element.getparent()
            if parent is not None:
                element.drop_tree()


def parse_html(text: str, url: str | None = None) -> ParsedDocument:
    import trafilatura

    try:
        tree = lxml_html.document_fromstring(text)
    except (ValueError, lxml_html.etree.ParserError) as exc:
        raise ReadError(f"not readable HTML ({exc})") from None
    title = (tree.findtext(".//title") or "").strip()
    strip_hidden(tree)
    cleaned = lxml_html.tostring(tree, encoding="unicode")
    markdown = trafilatura.extract(
        cleaned, url=url, output_format="markdown", include_tables=True, include_formatting=True,
        include_comments=False, favor_recall=True, deduplicate=False,
    )
    if markdown:
        main = markdown_blocks(markdown)
        blocks = main + _region_blocks(tree, " ".join(b.text for b in main))
    else:  # trafilatura finds no main content in very short pages; fall back to the body text
        for element in tree.xpath("//nav|//header|//footer|//aside|//form"):
            element.drop_tree()
        blocks = [Block(t) for t in _paragraphs(tree.text_content())]
    if not title:
        heading = next((b.text for b in blocks if b.level), "")
        title = heading
    return ParsedDocument(title=title, blocks=blocks)


#: Page regions main-content extraction leaves out, where businesses put contact data, opening
#: hours and legal notes: each becomes a section of its own (its heading, or the region's kind).
_REGIONS = "//footer|//header|//aside|//address|//*[@role='contentinfo']|//*[@role='complementary']"
_REGION_NAMES = {"footer": "Footer", "header": "Header", "aside": "Sidebar", "address": "Address",
                 "contentinfo": "Footer", "complementary": "Sidebar"}
_BLOCK_TAGS = {"p", "div", "li", "br", "tr", "td", "th", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
               "address", "section", "ul", "ol", "table", "span"}


def _region_blocks(tree: lxml_html.HtmlElement, main: str) -> list[Block]:
    """The text of footers, headers, sidebars and addresses that the main content lacks.

    Navigation menus inside them are left out (a list of links is no fact); hidden elements
    were removed before. A line the main content already has is not repeated."""
    import copy

    regions = tree.xpath(_REGIONS)
    top = [r for r in regions if not any(a in regions for a in r.iterancestors())]
    known = re.sub(r"\s+", " ", main).casefold()
    blocks: list[Block] = []
    for region in top:
        region = copy.deepcopy(region)
        for nav in region.xpath(".//nav|.//form|.//*[@role='navigation']"):
            nav.drop_tree()
        heading = next((h.text_content().strip() for h in region.xpath(".//h1|.//h2|.//h3|.//h4|.//h5|.//h6")
                        if h.text_content().strip()), "")
        for element in region.iter():
            if isinstance(element.tag, str) and element.tag in _BLOCK_TAGS:
                element.tail = "\n" + (element.tail or "")
                if element.tag == "br":
                    continue
                element.text = "\n" + (element.text or "")
        lines = [line for line in _paragraphs(region.text_content()) if line != heading]
        fresh = [line for line in lines if line.casefold() not in known]
        if not fresh:
            continue
        kind = region.get("role") or region.tag
        blocks.append(Block(heading or _REGION_NAMES.get(str(kind), "Footer"), level=2))
        blocks.extend(Block(line) for line in fresh)
        known += " " + " ".join(fresh).casefold()
    return blocks


def _paragraphs(text: str) -> list[str]:
    return [re.sub(r"[ \t]+", " ", p).strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


# -- Markdown and text ------------------------------------------------------------------------

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _inline_text(token: Token) -> str:
    """The words of an inline token: link and emphasis markup dropped, an image's alt text kept."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content or "".join(c.content for c in child.children or []))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _table_row(header: list[str] | None, cells: list[str]) -> str:
    """A table row as one self-contained line: "Doppelzimmer: Größe 24 m²; Nebensaison ab 69 €; …".
    A cell's value keeps its column's name and its row's label, so "ab 69 €" can be told from the
    79 € of the next season (the header row alone says nothing and is not a block)."""
    if header and len(header) == len(cells) > 1:
        parts = [f"{name} {value}".strip() if name else value for name, value in zip(header[1:], cells[1:], strict=True)
                 if value]
        return f"{cells[0]}: " + "; ".join(parts) if cells[0] else "; ".join(parts)
    return " | ".join(c for c in cells if c)


def markdown_blocks(text: str) -> list[Block]:
    """Markdown (a .md file, or trafilatura's rendering of a page) as blocks, parsed by
    markdown-it-py (CommonMark with tables): a heading, a paragraph, a list item, a table row
    (cells joined by " | ") or a code block is one block."""
    blocks: list[Block] = []
    tokens = _MARKDOWN.parse(text)
    row: list[str] | None = None
    header: list[str] | None = None  # a table's column names, given to each of its rows
    in_head = False
    lists = 0  # depth of the lists around the current token
    lead = ""  # a paragraph that ends in ":" introduces the list after it ("Für Kinder im Zimmer der Eltern gilt:")
    for i, token in enumerate(tokens):
        if token.type == "inline":
            content = _inline_text(token)
            opener = tokens[i - 1].type if i else ""
            if row is not None:
                row.append(content)
            elif content and opener == "heading_open":
                lead = ""
                blocks.append(Block(content, level=int(tokens[i - 1].tag[1])))
            elif content and lists:
                # each item carries the condition its lead-in sets, so it stands alone as evidence
                blocks.append(Block(f"{lead} {content}" if lead else content))
            elif content:
                lead = content if content.endswith(":") and len(content) <= 200 else ""
                blocks.append(Block(content))
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
            lead = lead if lists else ""
        elif token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "table_close":
            header = None
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            if in_head:
                header = row
            elif any(row):
                blocks.append(Block(_table_row(header, row)))
            row = None
        elif token.type in ("fence", "code_block"):
            code = re.sub(r"\s+", " ", token.content).strip()
            if code:
                blocks.append(Block(code))
        elif token.type == "html_block":
            words = re.sub(r"\s+", " ", _html_text(token.content)).strip()
            if words:
                blocks.append(Block(words))
    return blocks


def _html_text(fragment: str) -> str:
    try:
        return str(lxml_html.fragment_fromstring(fragment, create_parent="div").text_content())
    except (ValueError, lxml_html.etree.ParserError):
        return ""


def parse_markdown(text: str) -> ParsedDocument:
    title = ""
    front = re.match(r"---[ \t]*\n(.*?)\n---[ \t]*(?:\n|$)", text, re.S)
    if front:  # YAML front matter: its title, if it has one, titles the document
        text = text[front.end():]
        try:
            meta = yaml.safe_load(front.group(1))
        except yaml.YAMLError:
            meta = None
        if isinstance(meta, dict) and meta.get("title"):
            title = str(meta["title"]).strip()
    blocks = markdown_blocks(text)
    title = title or next((b.text for b in blocks if b.level == 1), "") or next((b.text for b in blocks if b.level), "")
    return ParsedDocument(title=title, blocks=blocks)


def parse_text(text: str) -> ParsedDocument:
    blocks = [Block(p) for p in re.split(r"\n\s*\n", text) if p.strip()]
    blocks = [Block(re.sub(r"\s+", " ", b.text).strip()) for b in blocks]
    title = blocks[0].text[:80] if blocks else ""
    return ParsedDocument(title=title, blocks=blocks)


# -- PDF and DOCX ---------------------------------------------------------------------------

def parse_pdf(data: bytes) -> ParsedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # owner-password-only PDFs open with an empty user password
            except Exception:
                opened = 0
            if not opened:
                raise ReadError("the PDF is encrypted (password protected)")
        blocks: list[Block] = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            blocks.extend(Block(p, page=number) for p in _pdf_paragraphs(text))
        metadata_title = (reader.metadata.title if reader.metadata else None) or ""
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ReadError(f"not a readable PDF ({exc.__class__.__name__}: {exc})") from None
    if not blocks:
        raise ReadError("the PDF has no extractable text (a scan without OCR?)")
    return ParsedDocument(title=str(metadata_title).strip() or blocks[0].text[:80], blocks=blocks)


def _pdf_paragraphs(text: str) -> list[str]:
    paragraphs, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    # pypdf often returns one line per paragraph without blank lines; long runs get re-split by the chunker
    return [re.sub(r"\s+", " ", p) for p in paragraphs]


def parse_docx(data: bytes) -> ParsedDocument:
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.LxmlError, OSError) as exc:
        raise ReadError(f"not a readable DOCX document ({exc.__class__.__name__})") from None
    blocks: list[Block] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = 0
        if style == "Title":
            level = 1
        elif style.startswith("Heading"):
            digits = style.removeprefix("Heading").strip()
            level = int(digits) if digits.isdigit() else 1
        blocks.append(Block(text, level=level))
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if any(cells):
                blocks.append(Block(" | ".join(dict.fromkeys(cells))))
    core_title = (document.core_properties.title or "").strip()
    title = core_title or next((b.text for b in blocks if b.level), "") or (blocks[0].text[:80] if blocks else "")
    if not blocks:
        raise ReadError("the document has no text")
    return ParsedDocument(title=title, blocks=blocks)


# -- dispatch and chunking ------------------------------------------------------------------

def parse_document(resource: Resource) -> ParsedDocument:
    suffix = resource.suffix
    content_type = resource.content_type or ""
    if suffix == ".pdf" or content_type == "application/pdf":
        return parse_pdf(resource.data)
    if suffix == ".docx" or "wordprocessingml" in content_type:
        return parse_docx(resource.data)
    if not resource.data.strip():
        raise ReadError("the file is empty")
    text = decode_text(resource.data)
    if suffix in HTML_SUFFIXES or "html" in content_type or (not suffix and text.lstrip()[:1] == "<"):
        return parse_html(text, resource.location if resource.is_url else None)
    if suffix in MARKDOWN_SUFFIXES or content_type == "text/markdown":
        return parse_markdown(text)
    if suffix in TEXT_SUFFIXES or content_type.startswith("text/") or not suffix:
        return parse_text(text)
    raise ReadError(f"unsupported document type {suffix or content_type!r}")


def chunk(document: ParsedDocument) -> Iterator[tuple[str, str, int | None]]:
    """(section heading, passage text, first page) of each passage, in order."""
    headings: list[str] = []
    current: list[str] = []
    page: int | None = None
    size = 0

    def emit() -> Iterator[tuple[str, str, int | None]]:
        nonlocal size
        if current:
            yield (headings[-1] if headings else "", "\n".join(current), page)
        current.clear()
        size = 0

    for block in document.blocks:
        if block.level:
            yield from emit()
            depth = max(block.level - 1, 0)
            headings[depth:] = [block.text]
            continue
        for piece in _split_long(block.text):
            if size + len(piece) > PASSAGE_CHARS and current:
                yield from emit()
            if not current:
                page = block.page
            current.append(piece)
            size += len(piece) + 1
    yield from emit()


def _split_long(text: str) -> list[str]:
    if len(text) <= PASSAGE_CHARS:
        return [text]
    sentences = re.split(r"(?<=[.!?])\s+", text)
    out, current = [], ""
    for sentence in sentences:
        while len(sentence) > PASSAGE_CHARS:  # a "sentence" with no full stop at all
            out.append(sentence[:PASSAGE_CHARS])
            sentence = sentence[PASSAGE_CHARS:]
        if len(current) + len(sentence) > PASSAGE_CHARS and current:
            out.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out


def document_records(resource: Resource, max_text_bytes: int | None = None) -> list[Record]:
    """Parse a document and cut it into passage records keyed ``location#n``; ReadError past
    ``max_text_bytes`` characters of text."""
    document = parse_document(resource)
    size = sum(len(b.text) for b in document.blocks)
    if max_text_bytes is not None and size > max_text_bytes:
        raise ReadError(f"holds {size / 1e6:.1f} MB of text, more than the {max_text_bytes / 1e6:.0f} MB allowed "
                        "(FRONTDESK_MAX_TEXT_MB)")
    title = document.title or resource.location.rsplit("/", 1)[-1]
    language = detect_language(" ".join(b.text for b in document.blocks[:40]))
    records = []
    for number, (heading, text, page) in enumerate(chunk(document)):
        passage_title = title if not heading or heading == title else f"{title} – {heading}"
        fields = {"document_title": title, "section": heading}
        if page:
            fields["page"] = page
        body = text if not heading or text.startswith(heading) else f"{heading}\n{text}"
        records.append(Record(key=f"{resource.location}#{number}", kind="document", title=passage_title,
                              text=body, url=resource.location, language=language, fields=fields))
    if not records:
        raise ReadError("no text found")
    return records
