"""Sources and sync: summaries, content hashes, removals, failures that keep old versions, Ctrl-C."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from frontdesk.app import Frontdesk
from frontdesk.embed import get_embedder

from .conftest import SAMPLE

FEED_HEADER = "id,title,description,availability,price,link\n"


def feed_row(n: int, price: str = "10.00 EUR", title: str | None = None) -> str:
    return f"P{n},{title or f'Mug number {n}'},A ceramic mug,in stock,{price},https://s.example/p{n}\n"


class CountingEmbedder:
    """The real default embedder, counting the texts it is asked to embed."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.inner = get_embedder("use-multilingual")
        self.name, self.dim = self.inner.name, self.inner.dim
        self.calls = 0
        self.texts = 0
        self.fail_after = fail_after

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise KeyboardInterrupt
        self.texts += len(texts)
        return self.inner.embed(texts)


def ingestor(app: Frontdesk, embedder: CountingEmbedder):
    from frontdesk.ingest.pipeline import Ingestor

    return Ingestor(app.store, app.settings, embedders=lambda name: embedder)


def test_add_sample_business_folder_and_files(app: Frontdesk) -> None:
    agent = app.create_agent("harbor")
    summaries = [app.add_source("harbor", str(SAMPLE / "site")), app.add_source("harbor", str(SAMPLE / "faq.csv")),
                 app.add_source("harbor", str(SAMPLE / "catalog.csv"))]
    assert [s.failed for s in summaries] == [0, 0, 0]
    assert summaries[1].added == 8 and summaries[2].added == 17
    kinds = {s.location.rsplit("/", 1)[-1]: s.kind for s in app.sources("harbor")}
    assert kinds == {"site": "docs", "faq.csv": "faq", "catalog.csv": "catalog"}
    stats = app.store.agent_stats(agent.id)
    assert stats["product"] == 17 and stats["document"] > 10 and stats["sources"] == 3


def test_resync_of_unchanged_source_embeds_nothing(app: Frontdesk, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED_HEADER + "".join(feed_row(n) for n in range(50)))
    agent = app.create_agent("shop")
    embedder = CountingEmbedder()
    first = ingestor(app, embedder).add(agent, str(feed))
    assert first.added == 50 and embedder.texts == 50
    again = ingestor(app, embedder).sync(agent, app.sources("shop")[0])
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 50, 0)
    assert embedder.texts == 50


def test_sync_updates_changed_and_removes_vanished_items(app: Frontdesk, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED_HEADER + feed_row(1) + feed_row(2) + feed_row(3))
    agent = app.create_agent("shop")
    embedder = CountingEmbedder()
    ingestor(app, embedder).add(agent, str(feed))
    before = {i.key: i for i in app.store.items_of_agent(agent.id)}
    feed.write_text(FEED_HEADER + feed_row(1) + feed_row(2, price="12.00 EUR") + feed_row(4))
    summary = ingestor(app, embedder).sync(agent, app.sources("shop")[0])
    assert (summary.added, summary.updated, summary.unchanged, summary.removed) == (1, 1, 1, 1)
    after = {i.key: i for i in app.store.items_of_agent(agent.id)}
    assert set(after) == {"P1", "P2", "P4"}
    assert after["P2"].fields["price"] == "12.00"
    assert after["P1"].first_seen == before["P1"].first_seen
    assert after["P1"].last_seen >= before["P1"].last_seen
    # P2's text did not change (only its price), so its vector is reused from the cache
    assert embedder.texts == 3 + 1


def test_a_row_that_breaks_keeps_its_previous_version(app: Frontdesk, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED_HEADER + feed_row(1) + feed_row(2))
    app.create_agent("shop")
    app.add_source("shop", str(feed))
    feed.write_text(FEED_HEADER + feed_row(1) + feed_row(2, price="ask us"))
    summary = app.sync("shop")[0]
    assert summary.failed == 1 and summary.removed == 0
    assert "line 3" in str(summary.errors[0]) and "malformed price 'ask us'" in str(summary.errors[0])
    prices = {i.key: i.fields["price"] for i in app.store.items_of_agent(app.agent("shop").id)}
    assert prices == {"P1": "10.00", "P2": "10.00"}
    source = app.sources("shop")[0]
    assert source.last_status == "partial" and "ask us" in source.last_errors[0]


def test_a_source_that_becomes_unreadable_changes_nothing(app: Frontdesk, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(FEED_HEADER + feed_row(1))
    app.create_agent("shop")
    app.add_source("shop", str(feed))
    feed.write_bytes(b"\x00\x01binary junk")
    summary = app.sync("shop")[0]
    assert summary.failed == 1 and "binary" in str(summary.errors[0])
    assert [i.key for i in app.store.items_of_agent(app.agent("shop").id)] == ["P1"]
    assert app.sources("shop")[0].last_status == "failed"


def test_bad_files_in_a_folder_are_reported_and_the_rest_ingested(app: Frontdesk, tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE / "site", folder)
    (folder / "empty.md").write_text("")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n")  # not knowledge: skipped silently
    (folder / "faq.csv").write_text("question,answer\nDo you roast on Sundays?,No.\n,orphan answer\n")
    app.create_agent("shop")
    summary = app.add_source("shop", str(folder))
    reasons = sorted(str(e) for e in summary.errors)
    assert len(reasons) == 3
    assert any("empty.md" in r and "empty" in r for r in reasons)
    assert any("broken.pdf" in r and "not a readable PDF" in r for r in reasons)
    assert any("faq.csv, row 3" in r and "question is empty" in r for r in reasons)
    titles = {i.title for i in app.store.items_of_agent(app.agent("shop").id)}
    assert "Do you roast on Sundays?" in titles
    assert any(t.startswith("Opening hours") for t in titles)


def test_interrupted_ingest_keeps_previous_state_and_rerun_finishes(app: Frontdesk, tmp_path: Path) -> None:
    from frontdesk.ingest import pipeline

    feed = tmp_path / "feed.csv"
    feed.write_text(FEED_HEADER + "".join(feed_row(n) for n in range(10)))
    agent = app.create_agent("shop")
    ingestor(app, CountingEmbedder()).add(agent, str(feed))
    feed.write_text(FEED_HEADER + "".join(feed_row(n, title=f"Cup {n}") for n in range(600)))
    source = app.sources("shop")[0]
    crashing = CountingEmbedder(fail_after=1)  # dies in the second batch of 256
    with pytest.raises(KeyboardInterrupt):
        ingestor(app, crashing).sync(agent, source)
    items = app.store.items_of_agent(agent.id)
    assert sorted(i.title for i in items) == sorted(f"Mug number {n}" for n in range(10))
    resumed = CountingEmbedder()
    summary = ingestor(app, resumed).sync(agent, source)
    assert (summary.added, summary.updated) == (590, 10)
    assert resumed.texts == 600 - pipeline.EMBED_BATCH  # the first batch was kept in the cache
    assert len(app.store.items_of_agent(agent.id)) == 600


def test_remove_source_deletes_its_items(app: Frontdesk, tmp_path: Path) -> None:
    app.create_agent("shop")
    app.add_source("shop", str(SAMPLE / "catalog.csv"))
    app.add_source("shop", str(SAMPLE / "faq.csv"))
    removed = app.remove_source("shop", str(SAMPLE / "catalog.csv"))
    assert removed == 17
    assert {i.kind for i in app.store.items_of_agent(app.agent("shop").id)} == {"document"}
    assert not app.search("shop", "espresso machine", 5) or all(h.item.kind == "document" for h in app.search("shop", "espresso machine", 5))


def test_sync_interval_marks_sources_due(app: Frontdesk) -> None:
    from datetime import timedelta

    app.create_agent("shop")
    app.add_source("shop", str(SAMPLE / "faq.csv"), sync_interval=3600)
    source = app.sources("shop")[0]
    assert source.sync_interval == 3600
    assert not source.is_due(source.last_synced_at + timedelta(minutes=30))
    assert source.is_due(source.last_synced_at + timedelta(hours=2))
    assert app.sync("shop", only_due=True) == []
