"""Web sources against a real local HTTP server: sitemaps, crawling, robots.txt, bad pages."""

import shutil
from pathlib import Path

from frontdesk.app import Frontdesk

from .conftest import SAMPLE, respond


def site_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "www"
    shutil.copytree(SAMPLE / "site", folder)
    return folder


def titles(app: Frontdesk, agent: str) -> set[str]:
    return {i.fields.get("document_title", i.title) for i in app.store.items_of_agent(app.agent(agent).id)}


def test_sitemap_is_read_and_robots_txt_respected(app: Frontdesk, local_site, tmp_path: Path) -> None:
    site = local_site(site_copy(tmp_path))
    app.create_agent("web")
    summary = app.add_source("web", f"{site.url}/sitemap.xml")
    assert summary.failed == 0, summary.errors
    assert len({i.url for i in app.store.items_of_agent(app.agent("web").id)}) == 6
    assert "Über uns – Harbor Coffee Roasters" in titles(app, "web")
    assert "/robots.txt" in site.requests


def test_a_sitemap_entry_robots_txt_forbids_is_reported(app: Frontdesk, local_site, tmp_path: Path) -> None:
    folder = site_copy(tmp_path)
    sitemap = (folder / "sitemap.xml").read_text()
    (folder / "sitemap.xml").write_text(sitemap.replace("</urlset>", "<url><loc>BASE/internal/admin.html</loc></url></urlset>"))
    site = local_site(folder)
    app.create_agent("web")
    summary = app.add_source("web", f"{site.url}/sitemap.xml")
    assert [e.reason for e in summary.errors] == ["disallowed by robots.txt"]
    assert "/internal/admin.html" not in site.requests


def test_crawl_follows_same_site_links_but_not_disallowed_ones(app: Frontdesk, local_site, tmp_path: Path) -> None:
    site = local_site(site_copy(tmp_path))
    app.create_agent("web")
    summary = app.add_source("web", f"{site.url}/index.html")
    urls = {i.url for i in app.store.items_of_agent(app.agent("web").id)}
    assert f"{site.url}/opening-hours.html" in urls and f"{site.url}/de/ueber-uns.html" in urls
    assert not any("internal" in u for u in urls)
    assert "/internal/admin.html" not in site.requests
    assert summary.failed == 0, summary.errors
    hits = app.search("web", "till code", 10)
    assert all("4711" not in h.item.text for h in hits)


def test_page_limit(app: Frontdesk, local_site, tmp_path: Path) -> None:
    site = local_site(site_copy(tmp_path))
    app.create_agent("web")
    app.add_source("web", f"{site.url}/index.html", options={"max_pages": 2})
    assert len({i.url for i in app.store.items_of_agent(app.agent("web").id)}) == 2


def test_broken_pages_are_reported_and_the_rest_kept(app: Frontdesk, local_site, tmp_path: Path) -> None:
    folder = tmp_path / "www"
    folder.mkdir()
    (folder / "index.html").write_text(
        "<html><head><title>Start</title></head><body><main><h1>Start</h1><p>Welcome to our bakery in Bremen, open daily.</p>"
        '<a href="/slow.html">slow</a> <a href="/gone.html">gone</a> <a href="/away.html">away</a>'
        '<a href="/moved.html">moved</a> <a href="https://elsewhere.example/x">other site</a></main></body></html>')
    (folder / "new-place.html").write_text("<html><body><main><p>We moved to the harbour, next to the fish market.</p></main></body></html>")
    site = local_site(folder)
    site.routes["/slow.html"] = respond(200, b"<p>late</p>", {"Content-Type": "text/html"}, delay=3.0)
    site.routes["/away.html"] = respond(302, headers={"Location": "https://elsewhere.example/landing"})
    site.routes["/moved.html"] = respond(301, headers={"Location": "/new-place.html"})
    app.create_agent("web")
    summary = app.add_source("web", f"{site.url}/index.html")
    errors = {e.location.rsplit("/", 1)[-1]: e.reason for e in summary.errors}
    assert errors["slow.html"].startswith("timed out")
    assert errors["gone.html"] == "HTTP 404"
    assert errors["away.html"] == "redirects off-site to https://elsewhere.example/landing"
    texts = " ".join(i.text for i in app.store.items_of_agent(app.agent("web").id))
    assert "Welcome to our bakery" in texts and "next to the fish market" in texts
    # a page that fails later keeps its previous version instead of vanishing
    (folder / "index.html").write_text("<html><body>changed</body></html>")
    site.routes["/index.html"] = respond(500)
    again = app.sync("web")[0]
    assert again.failed == 1 and "HTTP 500" in str(again.errors[0])
    assert "Welcome to our bakery" in " ".join(i.text for i in app.store.items_of_agent(app.agent("web").id))


def test_a_catalog_feed_by_url(app: Frontdesk, local_site, tmp_path: Path) -> None:
    folder = tmp_path / "feeds"
    folder.mkdir()
    shutil.copy(SAMPLE / "catalog.csv", folder / "catalog.csv")
    site = local_site(folder)
    app.create_agent("shop")
    summary = app.add_source("shop", f"{site.url}/catalog.csv")
    assert summary.added == 17 and app.sources("shop")[0].location.endswith("catalog.csv")
    assert app.search("shop", "Lelit Anna", 1)[0].item.key == "EQ-LELIT-ANNA"


def test_unreachable_start_url_fails_without_side_effects(app: Frontdesk, local_site, tmp_path: Path) -> None:
    site = local_site(tmp_path)
    app.create_agent("web")
    summary = app.add_source("web", f"{site.url}/nothing-here.html")
    assert summary.failed == 1 and "HTTP 404" in str(summary.errors[0])
    assert app.sources("web")[0].last_status == "failed"


def test_robots_rules_follow_rfc_9309() -> None:
    """Wildcards, end anchors and the longest match, which urllib.robotparser does not implement."""
    from frontdesk.ingest.robots import Robots

    robots = Robots("User-agent: *\nDisallow: /*.pdf$\nDisallow: /shop/\nAllow: /shop/public/\n"
                    "Disallow: /tmp\nCrawl-delay: 3\n\nUser-agent: otherbot\nDisallow: /\n", "frontdesk/0.1")
    assert not robots.allowed("https://s.example/files/menu.pdf")
    assert robots.allowed("https://s.example/files/menu.pdf?x=1") and robots.allowed("https://s.example/menu.pdf.html")
    assert not robots.allowed("https://s.example/shop/cart") and robots.allowed("https://s.example/shop/public/a")
    assert not robots.allowed("https://s.example/tmp/x") and robots.allowed("https://s.example/about")
    assert robots.crawl_delay() == 3.0
    assert not Robots.disallow_all("frontdesk").allowed("https://s.example/")
    assert Robots.allow_all("frontdesk").allowed("https://s.example/anything")


def test_a_folder_ingest_skips_pages_its_robots_txt_disallows(app: Frontdesk, tmp_path: Path) -> None:
    folder = site_copy(tmp_path)
    assert (folder / "internal" / "admin.html").exists() and "Disallow: /internal/" in (folder / "robots.txt").read_text()
    app.create_agent("folder")
    summary = app.add_source("folder", str(folder))
    assert summary.ok
    hits = app.search("folder", "admin internal", 20)
    assert not any("internal" in hit.item.key for hit in hits)
    assert any("opening-hours" in hit.item.key for hit in app.search("folder", "opening hours", 5))
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /*hours*.html$\n")
    app.sync("folder")
    assert not any("opening-hours" in hit.item.key for hit in app.search("folder", "opening hours", 20))
    assert any("internal" in hit.item.key for hit in app.search("folder", "admin internal", 20))
