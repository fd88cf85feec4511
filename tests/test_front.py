"""The library's front on either backend: the CLI reaches state only through ``Frontdesk``, and the
README's walkthrough works on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from frontdesk.app import Frontdesk
from frontdesk.cli.main import cli
from frontdesk.config import Settings

from .conftest import SAMPLE, ServerThread
from .pg import fresh_schema

CARDS = Path(__file__).parent / "data" / "cards"
CASES = """
- question: When are you open on Saturday?
  expect: ["9(:00)?"]
- question: Who won yesterday's football match?
  decline: true
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
        return
    with fresh_schema("front") as url:
        yield {"FRONTDESK_DATABASE_URL": url}


def test_ask_in_a_conversation_a_person_owns_does_not_answer(tmp_path: Path, database_env: dict[str, str]) -> None:
    home = tmp_path / "home"
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, ["--home", str(home), *args], env=database_env, catch_exceptions=False)

    assert run("agents", "create", "cafe").exit_code == 0
    app = Frontdesk(Settings.from_env({"FRONTDESK_HOME": str(home), **database_env}))
    try:
        conversation = app.start_conversation("cafe", "web")
        app.take_over(conversation, "ana")
        result = run("ask", "cafe", "When do you open?", "--conversation", str(conversation), "--json")
        assert result.exit_code == 2
        assert "ana owns conversation" in result.stderr and result.stdout == ""
        transcript = app.transcript(conversation)
        assert [(m.role, m.text, m.payload.get("held")) for m in transcript] == [("user", "When do you open?", True)]
        listed = json.loads(run("agents", "list", "--json").stdout)
        assert [a["name"] for a in listed] == ["cafe"]
    finally:
        app.close()


@pytest.mark.slow  # an ingest of the sample business and some thirty commands per backend
def test_the_readme_walkthrough_works_on_either_backend(tmp_path: Path, database_env: dict[str, str],
                                                        upstream: ServerThread) -> None:
    """The README says everything in it works with either backend: its walkthrough (agents,
    sources, search, ask, chat, eval and its comparison, sync, keys, users, public web chat,
    channels, voice replies, characters with knowledge, export, chat and a channel) through the
    real CLI, with the echo upstream as the model."""
    home = tmp_path / "home"
    env = {**database_env, "FRONTDESK_LLM_BASE_URL": upstream.url + "/v1", "FRONTDESK_MODEL": "echo",
           "FRONTDESK_FAST_MODEL": "none"}
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> Result:
        result = runner.invoke(cli, ["--home", str(home), *args], env=env, input=stdin, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output, result.stderr)
        return result

    run("agents", "create", "shop", "--persona", "The shop's friendly assistant",
        "--instructions-file", str(SAMPLE / "policy.md"))
    run("sources", "add", "shop", str(SAMPLE / "site"), str(SAMPLE / "faq.csv"), str(SAMPLE / "catalog.csv"))
    hits = json.loads(run("search", "shop", "espresso machine under 500 euros", "--json").stdout)
    assert hits and all(float(h["price"]) <= 500 for h in hits if h.get("price"))
    answer = json.loads(run("ask", "shop", "When are you open on Saturday?", "--json").stdout)
    assert answer["grounded"] and answer["citations"]
    chat = run("chat", "shop", stdin="Do you ship to Austria?\n")
    assert "Austria" in chat.output or "Österreich" in chat.output
    cases = tmp_path / "questions.yaml"
    cases.write_text(CASES)
    run("eval", "shop", str(cases))
    run("eval", "shop", str(cases))
    assert "1" in run("eval", "--compare", "1", "2").output
    run("sources", "sync", "shop")
    assert "ok" in run("sources", "list", "shop").output  # the table, as the README shows it
    sources = json.loads(run("sources", "list", "shop", "--json").stdout)
    assert len(sources) == 3 and all(s["last_status"] == "ok" for s in sources), sources
    assert run("keys", "create").stdout.strip()
    run("users", "create", "ana", stdin="a long enough password\na long enough password\n")
    run("agents", "edit", "shop", "--public", "--allow-origin", "https://www.shop.example")
    run("channels", "add", "shop", "whatsapp", "106540352242922")
    run("voice", "replies", "shop", "spoken")
    run("characters", "import", str(CARDS / "seraphina.png"))
    run("characters", "create", "bohne", "--display-name", "Bohne", "--first-message", "Moin {{user}}!", "--public")
    run("characters", "edit", "bohne", "--knowledge", "shop")
    exported = tmp_path / "bohne.png"
    run("characters", "export", "bohne", "--format", "png", "--out", str(exported))
    assert exported.read_bytes().startswith(b"\x89PNG")
    talk = run("chat", "--character", "bohne", "--as", "Jonas", stdin="When are you open on Saturday?\n")
    assert "Moin Jonas!" in talk.output
    run("characters", "connect", "bohne", "messenger", "223344556677889")
    shown = run("characters", "show", "bohne").output
    assert "messenger" in shown.lower()
    agents = json.loads(run("agents", "list", "--json").stdout)
    assert [a["name"] for a in agents] == ["shop"]
