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
    assert "free today" not in text  # display:none
    assert records[0].title == "Shipping and returns – Harbor Coffee Roasters – Shipping"
    assert all(r.language == "en" for r in records)
    footer = [r for r in records if r.fields["section"] == "Footer"]  # contact data lives in footers
    assert len(footer) == 1 and "Speicherstadt 12, 20457 Hamburg" in footer[0].text
    assert all("Speicherstadt 12" not in r.text for r in records if r is not footer[0])


def test_html_footer_sidebar_and_address_become_passages_of_their_own_without_hidden_or_menus() -> None:
    page = b"""<html><head><title>Rad Reparatur</title></head><body>
    <header><nav><a href="/">Start</a> <a href="/preise">Preise</a></nav></header>
    <main><h1>Willkommen</h1><p>Wir reparieren Fahrraeder aller Marken seit 1998 und verkaufen Ersatzteile,
    Zubehoer und gebrauchte Raeder. Die meisten Reparaturen sind am selben Tag fertig.</p>
    <p>Inspektion ab 49 EUR zzgl. Material.</p></main>
    <aside><h3>Oeffnungszeiten</h3><p>Mo-Fr 9:00-12:30 und 14:00-18:00</p><p>Sa 9:00-13:00</p></aside>
    <style>.old { display: none } a:hover{display:none}</style>
    <table><tr><td>Inspektion</td><td>49,00 EUR</td></tr><tr class="old"><td>Inspektion</td><td>19 EUR</td></tr></table>
    <footer><p>Telefon: 0711 123456</p><p style="display:none">Geheimnummer 0000</p>
    <address>Hauptstrasse 5, 70173 Stuttgart</address><nav><a href="/impressum">Impressum</a></nav></footer>
    </body></html>"""
    records = document_records(Resource("page.html", page))
    sections = {r.fields["section"]: r.text for r in records}
    assert "Mo-Fr 9:00-12:30 und 14:00-18:00" in sections["Oeffnungszeiten"]
    assert "0711 123456" in sections["Footer"] and "Hauptstrasse 5" in sections["Footer"]
    text = " ".join(r.text for r in records)
    assert "Geheimnummer" not in text and "Impressum" not in text and "Preise" not in text
    assert "19 EUR" not in text  # hidden by the page's stylesheet
    assert text.count("49 EUR") == 1


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
        (0, "Mon: Hours 9-17"),  # a row names its columns (the header row alone is no block)
        (0, "indented code stays text"), (0, "a quoted sentence"),
    ]
    # a # inside a fenced block is code, not a heading; broken front matter is content's problem, not a crash
    fenced = parse_document(Resource("a.md", b"---\ntitle: [unclosed\n---\n```\n# not a heading\n```\n## Real\n"))
    assert fenced.title == "Real" and [b.level for b in fenced.blocks] == [0, 2]


def test_a_table_row_keeps_its_column_names_and_a_list_item_its_lead_in() -> None:
    page = """<html><head><title>Preise</title></head><body><main><h1>Zimmer und Preise</h1>
    <p>Alle Zimmer haben Dusche, WC und einen Balkon nach Süden, und das Frühstück ist im Preis enthalten.</p>
    <table><tr><th>Zimmer</th><th>Nebensaison</th><th>Hauptsaison</th></tr>
    <tr><td>Einzelzimmer</td><td>ab 79 €</td><td>ab 99 €</td></tr>
    <tr><td>Doppelzimmer</td><td>ab 69 €</td><td>ab 94 €</td></tr></table>
    <p>Für Kinder im Zimmer der Eltern gilt:</p><ul><li>bis 2 Jahre: kostenlos</li><li>3 bis 6 Jahre: 50 % Ermäßigung</li></ul>
    </main></body></html>""".encode()
    text = "\n".join(r.text for r in document_records(Resource("preise.html", page)))
    assert "Doppelzimmer: Nebensaison ab 69 €; Hauptsaison ab 94 €" in text
    assert "Für Kinder im Zimmer der Eltern gilt: 3 bis 6 Jahre: 50 % Ermäßigung" in text
    assert "Zimmer | Nebensaison" not in text  # the header row alone says nothing
