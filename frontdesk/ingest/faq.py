"""FAQ files: CSV, TSV or XLSX with a question column and an answer column."""

from __future__ import annotations

from collections.abc import Iterator

from ..domain import ItemError, Record
from ..errors import ReadError
from ..search.text import detect_language
from .resource import Resource, normalise_header, read_table

QUESTION_COLUMNS = ("question", "questions", "q", "frage", "fragen", "faq")
ANSWER_COLUMNS = ("answer", "answers", "a", "antwort", "antworten", "response")


def faq_columns(header: list[str]) -> tuple[str, str] | None:
    """The (question, answer) column names of a header, or None if it is not an FAQ table."""
    by_normal = {normalise_header(h): h for h in header}
    question = next((by_normal[c] for c in QUESTION_COLUMNS if c in by_normal), None)
    answer = next((by_normal[c] for c in ANSWER_COLUMNS if c in by_normal), None)
    return (question, answer) if question and answer else None


def read_faq(resource: Resource) -> Iterator[Record | ItemError]:
    header, rows = read_table(resource)
    columns = faq_columns(header)
    if columns is None:
        raise ReadError(
            "no question and answer columns found (expected headers such as 'question' and 'answer'; "
            f"found: {', '.join(header)})", "line 1")
    question_column, answer_column = columns
    url_column = next((h for h in header if normalise_header(h) in ("url", "link", "source")), None)
    seen: dict[str, int] = {}
    try:
        for row in rows:
            question, answer = row.values.get(question_column, ""), row.values.get(answer_column, "")
            where = f"row {row.number}"
            if not question or not answer:
                missing = "question" if not question else "answer"
                yield ItemError(resource.location, f"the {missing} is empty", where)
                continue
            key = question.casefold()
            if key in seen:
                yield ItemError(resource.location, f"duplicate question (first at row {seen[key]})", where)
                continue
            seen[key] = row.number
            yield Record(
                key=f"faq:{question}",
                kind="document",
                title=question,
                text=f"{question}\n{answer}",
                url=(row.values.get(url_column) if url_column else None) or resource.location,
                language=detect_language(f"{question} {answer}"),
                fields={"faq": True, "question": question, "answer": answer, "row": row.number},
            )
    except ReadError as exc:
        yield ItemError(resource.location, exc.reason, exc.where)
