"""Documents in: main content of HTML, Markdown, text, PDF and DOCX, and their failures."""

import io
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from frontdesk.errors import ReadError
from frontdesk.ingest.documents import chunk, document_records, parse_document
from frontdesk.ingest.resource import Resource

from .conftest import SAMPLE


def html_resource(name: str) -> Resource:
    path = SAMPLE / "site" / name
    return Resource(str(path), path.read_bytes())


def test_html_keeps_main_content_and_drops_navigation_scripts_and_hidden_text() -> None:
    records = document_records(html_resource("shipping-and-returns.html"))
    text = "\n".join(r.text for r in records)
    assert "Shipping within Germany costs 4.90 EUR" in text
    assert "2-year warranty" in text
    assert "Opening hours" not in text  # navigation
    assert "© 2026" not in text  # footer
    assert "free today" not in text  # display:none
    assert records[0].title == "Shipping and returns – Harbor Coffee Roasters – Shipping"
    assert all(r.language == "en" for r in records)


def test_html_hidden_attribute_and_scripts_never_reach_the_index() -> None:
    records = document_records(html_resource("index.html"))
    text = " ".join(r.text for r in records)
    assert "ignore previous instructions" not in text
    assert "analytics" not in text
    assert "single-origin coffees" in text


def test_german_page_is_detected_as_german() -> None:
    records = document_records(html_resource("de/ueber-uns.html"))
    assert {r.language for r in records} == {"de"}
    assert any("15 Prozent Rabatt" in r.text for r in records)


def test_passages_keep_their_section_heading() -> None:
    records = document_records(html_resource("courses.html"))
    by_section = {r.fields["section"]: r for r in records}
    assert "89 EUR" in by_section["Espresso basics"].text
    assert "59 EUR" in by_section["Filter coffee and pour-over"].text
    assert "89 EUR" not in by_section["Filter coffee and pour-over"].text


def test_markdown_front_matter_headings_and_links() -> None:
    text = b"---\ntitle: Care guide\n---\n# Cleaning\n\nDescale **every month** with [our descaler](https://x.example/d).\n\n## Daily\n\n- Rinse the portafilter\n"
    records = document_records(Resource("care.md", text))
    assert records[0].title == "Care guide – Cleaning"
    assert "Descale every month with our descaler." in records[0].text
    assert "https://x.example" not in records[0].text
    assert records[1].fields["section"] == "Daily"


def test_long_text_is_cut_into_bounded_passages() -> None:
    body = " ".join(f"Sentence number {i} talks about coffee." for i in range(600))
    records = document_records(Resource("long.txt", body.encode()))
    assert len(records) > 5
    assert all(len(r.text) <= 1300 for r in records)
    assert "Sentence number 599" in records[-1].text


def make_pdf(pages: list[str], password: str | None = None) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for text in pages:
        pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()
    if password is None:
        return buffer.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_text_with_page_numbers() -> None:
    records = document_records(Resource("menu.pdf", make_pdf(["Flat white 3.80 EUR", "Cortado 3.20 EUR"])))
    text = " ".join(r.text for r in records)
    assert "Flat white 3.80 EUR" in text and "Cortado 3.20 EUR" in text
    assert records[0].fields["page"] == 1


def test_encrypted_pdf_is_refused_with_the_reason() -> None:
    with pytest.raises(ReadError, match="encrypted"):
        parse_document(Resource("secret.pdf", make_pdf(["hidden"], password="s3cret")))


def test_corrupt_pdf_is_refused_with_the_reason() -> None:
    with pytest.raises(ReadError, match="not a readable PDF"):
        parse_document(Resource("broken.pdf", b"%PDF-1.4\n1 0 obj garbage"))


def test_docx_headings_paragraphs_and_tables(tmp_path: Path) -> None:
    document = Document()
    document.add_heading("Wholesale", level=1)
    document.add_paragraph("Cafés get 10 percent off from 20 kg a month.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Delivery"
    table.rows[0].cells[1].text = "Every Wednesday"
    buffer = io.BytesIO()
    document.save(buffer)
    records = document_records(Resource("wholesale.docx", buffer.getvalue()))
    text = " ".join(r.text for r in records)
    assert records[0].title.startswith("Wholesale")
    assert "10 percent off" in text and "Delivery | Every Wednesday" in text


def test_broken_docx_is_refused() -> None:
    with pytest.raises(ReadError, match="DOCX"):
        parse_document(Resource("broken.docx", b"PK\x03\x04 not really a zip"))


@pytest.mark.parametrize(("data", "reason"), [(b"", "empty"), (b"   \n", "empty"), (b"\x00\x01\x02binary", "binary")])
def test_empty_and_binary_text_files(data: bytes, reason: str) -> None:
    with pytest.raises(ReadError, match=reason):
        parse_document(Resource("notes.txt", data))


def test_legacy_encodings_are_detected() -> None:
    text = "Öffnungszeiten: Montag bis Freitag. Größere Bestellungen über 50 Kilogramm bitte anfragen. " * 3
    records = document_records(Resource("hours.txt", text.encode("cp1252")))
    assert "Öffnungszeiten" in records[0].text and "Größere" in records[0].text


def test_chunk_assigns_headings_by_level() -> None:
    from frontdesk.ingest.documents import Block, ParsedDocument

    document = ParsedDocument("T", [Block("A", 1), Block("one"), Block("B", 2), Block("two"), Block("C", 1), Block("three")])
    assert [(h, t) for h, t, _ in chunk(document)] == [("A", "one"), ("B", "two"), ("C", "three")]


def test_markdown_is_parsed_by_commonmark_with_front_matter_from_yaml() -> None:
    text = """---
title: "Opening: hours & days"
tags: [shop, hours]
---
# Hours

We are **open** Monday to _Friday_, see [the map](https://maps.example/x).
Second line of the same paragraph.

- 9:00 to 17:00 `daily`
- Saturday: ![closed sign](closed.png)

| Day | Hours |
|---|---|
| Mon | 9-17 |

    indented code stays text

> a quoted sentence
"""
    doc = parse_document(Resource("hours.md", text.encode()))
    assert doc.title == "Opening: hours & days"  # a colon inside quotes: YAML, not a regular expression
    assert [(b.level, b.text) for b in doc.blocks] == [
        (1, "Hours"),
        (0, "We are open Monday to Friday, see the map. Second line of the same paragraph."),
        (0, "9:00 to 17:00 daily"), (0, "Saturday: closed sign"),
        (0, "Day | Hours"), (0, "Mon | 9-17"),
        (0, "indented code stays text"), (0, "a quoted sentence"),
    ]
    # a # inside a fenced block is code, not a heading; broken front matter is content's problem, not a crash
    fenced = parse_document(Resource("a.md", b"---\ntitle: [unclosed\n---\n```\n# not a heading\n```\n## Real\n"))
    assert fenced.title == "Real" and [b.level for b in fenced.blocks] == [0, 2]
