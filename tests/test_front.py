"""The library's front on either backend: the CLI reaches state only through ``Frontdesk``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from frontdesk.app import Frontdesk
from frontdesk.cli.main import cli
from frontdesk.config import Settings

from .pg import fresh_schema


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
