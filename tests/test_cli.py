"""The command line, run in-process with click's runner against a real data directory."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from frontdesk.app import Frontdesk
from frontdesk.cli.main import cli
from frontdesk.config import Settings

from .conftest import SAMPLE


@pytest.fixture
def run(tmp_path: Path):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["--home", str(tmp_path / "home"), *args], catch_exceptions=False)

    return invoke


def test_agent_lifecycle(run) -> None:
    assert run("agents", "create", "cafe", "--persona", "A friendly barista").exit_code == 0
    assert run("agents", "create", "cafe").exit_code == 2
    listed = json.loads(run("agents", "list", "--json").output)
    assert [a["name"] for a in listed] == ["cafe"]
    assert run("agents", "edit", "cafe", "--instructions", "Be brief.").exit_code == 0
    shown = json.loads(run("agents", "show", "cafe", "--json").output)
    assert shown["persona"] == "A friendly barista" and shown["instructions"] == "Be brief."
    assert run("agents", "delete", "cafe", "--yes").exit_code == 0
    missing = run("agents", "show", "cafe")
    assert missing.exit_code == 2 and "no agent named 'cafe'" in missing.output


def test_bad_agent_names_are_refused(run) -> None:
    result = run("agents", "create", "../etc")
    assert result.exit_code == 2 and "not valid" in result.output


def test_sources_add_search_and_list(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("agents", "create", "cafe")
    added = run("sources", "add", "cafe", str(SAMPLE / "catalog.csv"), str(SAMPLE / "faq.csv"), "--json")
    assert added.exit_code == 0, added.output
    summaries = json.loads(added.stdout)
    assert [s["added"] for s in summaries] == [17, 8]
    # the index was built once, after the last source, and holds both
    home = tmp_path / "home"
    assert len(list((home / "index").glob("agent*"))) == 1
    fresh = Frontdesk(Settings.from_env({"FRONTDESK_HOME": str(home)}))
    monkeypatch.setattr(fresh.store, "agent_terms", lambda _id: pytest.fail("the index was not up to date"))
    assert "Swiss Water" in fresh.search("cafe", "Do you have decaf?", 3)[0].item.text
    fresh.close()
    hits = json.loads(run("search", "cafe", "Lelit espresso machine", "--json", "--limit", "3").stdout)
    assert hits[0]["kind"] == "product" and hits[0]["id"] == "EQ-LELIT-ANNA"
    assert hits[0]["price"] == "449.00" and hits[0]["currency"] == "EUR" and hits[0]["availability"] == "in stock"
    assert hits[0]["link"].startswith("https://harbor-coffee.example/")
    assert len(hits) <= 3
    docs = json.loads(run("search", "cafe", "Do you have decaf?", "--json").stdout)
    faq = next(h for h in docs if h["kind"] == "document")
    assert faq["url"].endswith("faq.csv") and "Swiss Water" in faq["snippet"]
    listed = json.loads(run("sources", "list", "cafe", "--json").stdout)
    assert [s["kind"] for s in listed] == ["catalog", "faq"] and all(s["last_status"] == "ok" for s in listed)
    resync = json.loads(run("sources", "sync", "cafe", "--json").stdout)
    assert [s["unchanged"] for s in resync] == [17, 8]


def test_failures_exit_non_zero_and_name_the_item(run, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text("id,title,price\nA,Cup,3 EUR\nB,Saucer,\n")
    run("agents", "create", "cafe")
    result = run("sources", "add", "cafe", str(feed), str(tmp_path / "missing.csv"))
    assert result.exit_code == 1
    assert f"{feed}, line 3: the price is missing" in result.output
    assert "missing.csv: no such file or folder" in result.output
    assert "1 added" in result.output


def test_unknown_kind_needs_an_override(run, tmp_path: Path) -> None:
    table = tmp_path / "staff.csv"
    table.write_text("name,role\nLena,roaster\n")
    run("agents", "create", "cafe")
    result = run("sources", "add", "cafe", str(table))
    assert result.exit_code == 1 and "use --kind faq or --kind catalog" in result.output


def test_remove_source(run) -> None:
    run("agents", "create", "cafe")
    run("sources", "add", "cafe", str(SAMPLE / "faq.csv"))
    result = run("sources", "remove", "cafe", "1")
    assert result.exit_code == 0 and "8 items" in result.output
    assert json.loads(run("sources", "list", "cafe", "--json").stdout) == []


def test_models_list_names_the_default_and_the_fast_model(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--home", str(tmp_path / "home"), "models", "list", "--json"]
    rows = {r["name"]: r for r in json.loads(runner.invoke(cli, args, catch_exceptions=False).stdout)}
    assert rows["qwen2.5-1.5b"]["default"] and not rows["qwen2.5-1.5b"]["fast"]
    assert rows["qwen2.5-0.5b"]["fast"] and not rows["smollm2-135m"]["fast"]
    alone = json.loads(runner.invoke(cli, args, env={"FRONTDESK_FAST_MODEL": "none"}, catch_exceptions=False).stdout)
    assert not any(r["fast"] for r in alone)
    own = json.loads(runner.invoke(cli, args, env={"FRONTDESK_MODEL": str(tmp_path / "llama.gguf")},
                                   catch_exceptions=False).stdout)
    assert not any(r["fast"] or r["default"] for r in own)


def test_demo_builds_the_packaged_sample_and_answers(tmp_path: Path, upstream) -> None:
    """`frontdesk demo` finds the sample through package data (no checkout path), here answered by
    the echo stand-in so the test is about the command, not a model."""
    env = {"FRONTDESK_LLM_BASE_URL": upstream.url + "/v1", "FRONTDESK_MODEL": "echo", "FRONTDESK_FAST_MODEL": "none"}
    result = CliRunner(env=env).invoke(cli, ["--home", str(tmp_path / "home"), "demo", "--ask",
                                             "What are your opening hours on Saturday?"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Creating the demo agent 'harbor-coffee'" in result.output
    assert "> What are your opening hours on Saturday?" in result.output
    assert "Opening hours" in result.output  # the echo streams the evidence it was given, cited
    again = CliRunner(env=env).invoke(cli, ["--home", str(tmp_path / "home"), "demo", "--ask", "Hi"])
    assert again.exit_code == 0 and "Re-syncing the demo agent" in again.output
    # the browser demo the command points to answers only a public agent
    shown = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), "agents", "show", "harbor-coffee", "--json"])
    assert json.loads(shown.output)["public"] is True, shown.output


def test_demo_refuses_a_folder_without_a_usable_manifest(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shop.mkdir()
    result = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), "demo", "--path", str(shop)])
    assert result.exit_code == 2 and "has no business.yaml" in result.output
    (shop / "business.yaml").write_text("name: shop\nsources:\n  - path: site/\n")
    result = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), "demo", "--path", str(shop)])
    assert result.exit_code == 2 and "sources not found" in result.output and "site" in result.output
