"""Hybrid search: documents and products, structured constraints, languages, isolation."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk.app import Frontdesk
from frontdesk.config import Settings
from frontdesk.search.query import parse_constraints

from .conftest import SAMPLE


@pytest.fixture(scope="module")
def harbor(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frontdesk]:
    """The sample business (its site, FAQ and catalog), ingested once per run (conftest's
    ``built_home``) and copied once for this module's tests, which only search it."""
    home = tmp_path_factory.mktemp("search") / "home"
    shutil.copytree(built_home, home)
    app = Frontdesk(Settings.from_env({"FRONTDESK_HOME": str(home)}))
    yield app
    app.close()


@pytest.fixture
def retail(app: Frontdesk, tau2_db: Path) -> Frontdesk:
    app.create_agent("retail")
    app.add_source("retail", str(tau2_db))
    return app


def ids(hits: list) -> list[str]:
    return [h.item.key for h in hits]


def test_constraints_are_read_from_the_query() -> None:
    facets = {"color": {"blue", "red"}, "size": {"M", "L", "XL"}, "material": {"cotton", "polyester"}}
    c = parse_constraints("blue cotton t-shirt size M in stock", facets)
    assert c.options == {"color": {"blue"}, "material": {"cotton"}, "size": {"m"}} and c.in_stock
    c = parse_constraints("espresso machine under 500 euros", facets)
    assert c.max_price == 500 and c.text == "espresso machine"
    c = parse_constraints("Kaffeemaschine zwischen 200 und 300 €", facets)
    assert (c.min_price, c.max_price) == (200, 300)
    assert parse_constraints("blaues T-Shirt aus Baumwolle", facets).options["material"] == {"cotton"}
    assert parse_constraints("a t-shirt for me", facets).options == {}  # "m" alone is not a size


@pytest.mark.slow
def test_variant_query_finds_the_matching_variant_first(retail: Frontdesk) -> None:
    hits = retail.search("retail", "blue cotton crew neck t-shirt size M in stock", 5)
    assert hits[0].item.key == "9612497925"
    top = hits[0].to_json()
    assert top["kind"] == "product" and top["price"] == "50.88" and top["currency"] == "USD"
    assert top["availability"] == "in stock" and top["options"]["size"] == "M"


def test_price_bound_filters_products(harbor: Frontdesk) -> None:
    hits = harbor.search("harbor", "espresso machine under 500 euros", 10)
    products = [h for h in hits if h.item.kind == "product"]
    assert products[0].item.key == "EQ-LELIT-ANNA"
    assert all(float(h.to_json()["price"]) <= 500 for h in products)
    assert "EQ-PROFITEC-GO" not in ids(hits)  # 799 on sale: still above 500


def test_sale_price_counts_for_price_bounds(harbor: Frontdesk) -> None:
    hits = harbor.search("harbor", "espresso machine under 800 EUR", 10)
    assert "EQ-PROFITEC-GO" in ids(hits)
    profitec = next(h for h in hits if h.item.key == "EQ-PROFITEC-GO").to_json()
    assert profitec["price"] == "799.00" and profitec["regular_price"] == "899.00"


def test_german_query_over_english_catalog(harbor: Frontdesk) -> None:
    hits = harbor.search("harbor", "Kaffee für Filter", 5)
    products = [h.item.key for h in hits if h.item.kind == "product"][:3]
    assert any(key.startswith(("HC-ETH", "HC-COL")) for key in products), products


def test_document_questions_find_the_right_passage(harbor: Frontdesk) -> None:
    hit = harbor.search("harbor", "how much is shipping to Austria?", 3)[0].to_json()
    assert hit["kind"] == "document" and "12.90 EUR" in hit["snippet"]
    assert hit["url"].endswith("shipping-and-returns.html") and hit["as_of"]
    hit = harbor.search("harbor", "Wann seid ihr am Samstag geöffnet?", 3)
    assert any("Saturday from 9:00 to 17:00" in h.item.text for h in hit)


def test_german_content_answers_german_and_english_questions(harbor: Frontdesk) -> None:
    german = harbor.search("harbor", "Rabatt für Büros", 3)
    assert "15 Prozent" in german[0].item.text
    english = harbor.search("harbor", "discount for offices and restaurants", 5)
    assert any("15 Prozent" in h.item.text for h in english)


def test_json_shape_of_hits(harbor: Frontdesk) -> None:
    hits = harbor.search("harbor", "V60 dripper red", 5)
    product = next(h.to_json() for h in hits if h.item.kind == "product")
    assert {"kind", "id", "title", "score", "price", "currency", "availability", "link"} <= set(product)
    assert product["id"] == "EQ-V60-02-RED"
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_agents_never_see_each_others_knowledge(app: Frontdesk, tmp_path) -> None:
    (tmp_path / "a.md").write_text("# Secret\n\nThe staff discount code is ALPHA-42 for the roastery.")
    (tmp_path / "b.md").write_text("# Menu\n\nWe serve flat white and cortado at the roastery.")
    app.create_agent("alpha")
    app.create_agent("beta")
    app.add_source("alpha", str(tmp_path / "a.md"))
    app.add_source("beta", str(tmp_path / "b.md"))
    for query in ("staff discount code ALPHA-42", "roastery", "secret"):
        assert all("ALPHA-42" not in h.item.text for h in app.search("beta", query, 50))
        assert all(h.item.agent_id == app.agent("beta").id for h in app.search("beta", query, 50))
    assert "ALPHA-42" in app.search("alpha", "discount code", 1)[0].item.text


def test_deleting_an_agent_removes_its_knowledge(app: Frontdesk, settings) -> None:
    agent = app.create_agent("gone")
    app.add_source("gone", str(SAMPLE / "faq.csv"))
    assert app.search("gone", "opening hours", 1)
    assert list((settings.home / "index").glob(f"agent{agent.id}-*"))
    app.delete_agent("gone")
    assert app.store.items_of_agent(agent.id) == []
    assert app.store.embedding_count() == 0
    assert not list((settings.home / "index").glob(f"agent{agent.id}-*"))


def test_a_new_agent_never_inherits_a_deleted_agents_index(app: Frontdesk, settings, tmp_path) -> None:
    (tmp_path / "old.md").write_text("# Old\n\nThe old shop sells vinyl records and turntables.")
    (tmp_path / "new.md").write_text("# New\n\nThe new shop sells bicycles.")
    old = app.create_agent("shop")
    app.add_source("shop", str(tmp_path / "old.md"))
    assert "vinyl" in app.search("shop", "vinyl records", 1)[0].item.text
    app.store.delete_agent("shop")  # behind the index's back: its files stay on disk
    new = app.create_agent("shop")
    assert new.id == old.id  # SQLite reuses the id, and the revision starts over
    app.add_source("shop", str(tmp_path / "new.md"))
    assert all("vinyl" not in h.item.text for h in Frontdesk(settings).search("shop", "vinyl records", 5))


def test_the_index_is_kept_on_disk_and_follows_every_change(app: Frontdesk, settings, tmp_path, monkeypatch) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Hours\n\nWe open at 8 and roast on Tuesdays.")
    agent = app.create_agent("shop")
    app.add_source("shop", str(page))
    assert "Tuesdays" in app.search("shop", "when do you roast", 1)[0].item.text
    saved = list((settings.home / "index").glob(f"agent{agent.id}-*"))
    assert len(saved) == 1

    again = Frontdesk(settings)  # a new process loads the saved index instead of reading the store
    monkeypatch.setattr(again.store, "agent_terms", lambda _id: pytest.fail("index rebuilt"))
    assert "Tuesdays" in again.search("shop", "when do you roast", 1)[0].item.text
    monkeypatch.undo()

    page.write_text("# Hours\n\nWe open at 8 and roast on Fridays now.")
    app.sync("shop")
    assert "Fridays" in again.search("shop", "when do you roast", 1)[0].item.text  # the other process sees it
    now = list((settings.home / "index").glob(f"agent{agent.id}-*"))
    assert len(now) == 1 and now != saved  # the old revision's files are gone

    damaged = now[0] / "options.npy"
    damaged.write_bytes(b"not numpy")
    assert "Fridays" in Frontdesk(settings).search("shop", "when do you roast", 1)[0].item.text
    assert (now[0] / "options.npy").read_bytes() != b"not numpy"  # rebuilt and saved again


@pytest.mark.slow
def test_large_agents_search_an_inverted_file_with_the_exact_results(retail: Frontdesk, monkeypatch) -> None:
    from frontdesk.search import index

    queries = ["blue cotton crew neck t-shirt size M", "water bottle stainless steel", "mechanical keyboard",
               "Kaffeemaschine", "hiking boots waterproof", "something to read at night"]
    agent = retail.agent("retail")
    exact = retail.search_engine.view(agent)
    assert exact.dense is not None and exact.dense.ivf is None
    expected = [ids(retail.search("retail", q, 10)) for q in queries]
    monkeypatch.setattr(index, "EXACT_LIMIT", 100)  # the tau2 catalog's 591 variants count as large
    cache = index.IndexCache(retail.store, None)
    monkeypatch.setattr(retail.search_engine, "indexes", cache)
    large = retail.search_engine.view(agent)
    assert large.dense is not None and large.dense.ivf is not None
    found = [ids(retail.search("retail", q, 10)) for q in queries]
    assert found[:5] == expected[:5]
    # the vague one ranks its ten alike: the same ten (cells left unscanned shift the score scale)
    assert set(found[5]) == set(expected[5])


def test_option_postings_answer_like_the_catalog() -> None:
    from frontdesk.search.index import OptionIndex

    options = OptionIndex.build([("color", "blue", 3), ("color", "red", 1), ("size", "m", 3), ("size", "m", 1),
                                 ("size", "l", 2), ("color", "blue", 2)])
    assert options.facets == {"color": {"blue", "red"}, "size": {"m", "l"}}
    assert options.products_with({"color": {"blue"}, "size": {"m"}}, 10) == [3]
    assert options.products_with({"color": {"blue", "red"}, "size": {"m", "l"}}, 10) == [1, 2, 3]
    assert options.products_with({"color": {"blue", "red"}}, 2) == [1, 2]
    assert options.products_with({"color": {"green"}}, 10) == []


def test_an_expired_sale_price_is_never_the_price(app: Frontdesk, tmp_path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text("""<?xml version="1.0"?><rss xmlns:g="http://base.google.com/ns/1.0"><channel>
<item><g:id>OLD</g:id><title>Grinder Old Sale</title><g:price>300 EUR</g:price><g:sale_price>199 EUR</g:sale_price>
<g:sale_price_effective_date>2020-01-01T00:00Z/2020-01-31T23:59Z</g:sale_price_effective_date><g:availability>in stock</g:availability></item>
<item><g:id>NOW</g:id><title>Grinder Current Sale</title><g:price>300 EUR</g:price><g:sale_price>199 EUR</g:sale_price>
<g:sale_price_effective_date>2020-01-01T00:00Z/2999-01-31T23:59Z</g:sale_price_effective_date><g:availability>in stock</g:availability></item>
</channel></rss>""")
    app.create_agent("shop")
    app.add_source("shop", str(feed))
    prices = {h.item.key: h.to_json()["price"] for h in app.search("shop", "grinder", 5)}
    assert prices == {"OLD": "300.00", "NOW": "199.00"}
    assert ids(app.search("shop", "grinder under 250 euros", 5)) == ["NOW"]


@pytest.mark.slow
def test_plans_made_in_the_retrieval_worker_equal_those_made_here(harbor: Frontdesk) -> None:
    import os
    import signal

    from frontdesk.answer.planning import ProcessPlanner
    from frontdesk.answer.responder import Responder
    from frontdesk.domain import utcnow

    responder = Responder(harbor.store, harbor.search_engine, harbor.settings, None)
    agent = harbor.agent("harbor")
    previous, now = responder.previous_turn(None), utcnow()
    planner = ProcessPlanner(harbor.settings)
    try:
        for question in ("How much is the Profitec Go?", "Habt ihr entkoffeinierten Kaffee?", "Who won the match?"):
            here = responder.plan(agent, question, previous, now)
            there = planner(agent, question, previous, now)
            assert there == here and there is not None
        worker = planner._executor().submit(os.getpid).result()
        assert worker != os.getpid()
        os.kill(worker, signal.SIGKILL)  # a crashed worker is replaced; the plan still comes
        assert planner(agent, "Do you ship to Austria?", previous, now) == responder.plan(
            agent, "Do you ship to Austria?", previous, now)
        assert planner._executor().submit(os.getpid).result() != worker
    finally:
        planner.close()


def test_in_stock_under_a_price_puts_the_matching_products_in_stock_first(app: Frontdesk, tmp_path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        "id,title,description,availability,price\n"
        "G1,Hand grinder Pro,Hand grinder: the hand grinder for travel,out of stock,89.00 EUR\n"
        "G2,Burr mill Basic,A manual hand grinder with ceramic burrs,in stock,39.00 EUR\n"
        "G3,Electric grinder,Electric grinder for espresso,in stock,199.00 EUR\n"
        "K1,Kettle,Gooseneck kettle,in stock,49.00 EUR\n")
    app.create_agent("shop")
    app.add_source("shop", str(catalog))
    hits = app.search("shop", "hand grinder in stock under 100 EUR", 5)
    products = [h for h in hits if h.item.kind == "product"]
    assert products[0].item.key == "G2" and "G3" not in ids(hits)  # over the bound
    assert ids(app.search("shop", "is the Hand grinder Pro in stock?", 5))[0] == "G1"  # named: stays first


def test_a_footer_repeated_on_every_page_is_one_hit(app: Frontdesk, tmp_path: Path) -> None:
    """Ten pages share a sidebar and a footer (whose link list differs a little by page): each
    comes back once, so the passage that answers is not pushed out of the results by copies."""
    site = tmp_path / "site"
    site.mkdir()
    for n in range(10):
        links = " ".join(f"<li>Page {k}</li>" for k in range(10) if k != n)
        (site / f"page{n}.html").write_text(
            f"<html><head><title>Page {n}</title></head><body><main><h1>Room {n}</h1>"
            f"<p>Room {n} has a balcony facing the lake and a view of mountain peak {n}.</p></main>"
            "<aside><h3>Vouchers</h3><p>Vouchers from 50 EUR can be ordered by e-mail at reception.</p></aside>"
            "<footer><h4>Contact</h4><p>E-mail: info@hotel.example, phone +49 8023 90410, "
            f"reception daily 7:00-22:00</p><ul>{links}</ul></footer></body></html>")
    app.create_agent("hotel")
    assert app.add_source("hotel", str(site)).ok
    hits = app.search("hotel", "Which e-mail address can I write to?", 10)
    texts = [h.item.text for h in hits]
    assert sum("Vouchers from 50 EUR" in t for t in texts) == 1
    assert sum("info@hotel.example" in t for t in texts) == 1
    assert any("info@hotel.example" in t for t in texts[:3])
