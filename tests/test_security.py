"""Issue 18: what a customer-facing server must withstand. Each test names the item it holds.

Real HTTP against the sample business (the model is the local echo upstream, as in test_server.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import AGENT, SAMPLE, Served, ServerThread, serve_sample


@pytest.fixture
def served(built_home: Path, tmp_path: Path, upstream: ServerThread) -> Iterator[Served]:
    with serve_sample(built_home, tmp_path / "home", upstream) as served:
        yield served


def _sse(response: httpx.Response) -> list[tuple[str, dict]]:
    events = []
    for block in response.text.split("\n\n"):
        name = re.search(r"^event: (.+)$", block, re.M)
        data = re.search(r"^data: (.+)$", block, re.M)
        if name and data:
            events.append((name.group(1), json.loads(data.group(1))))
    return events


# -- 1. the widget routes answer only for an agent its owner made public ----------------------------

def test_item1_a_private_agent_is_not_reachable_and_not_revealed_by_the_widget_routes(served: Served) -> None:
    web = httpx.Client(base_url=served.url, timeout=30)
    try:
        # no Origin, no key, the agent has no allowed origin and is not public: refused
        for path in (f"/widget/{AGENT}/config", f"/widget/{AGENT}/demo"):
            assert web.get(path).status_code == 404, path
        assert web.post(f"/widget/{AGENT}/conversations").status_code == 404
        # a private agent and a missing one answer the same: the routes do not tell which agents exist
        private, missing = web.get(f"/widget/{AGENT}/config"), web.get("/widget/no-such-agent/config")
        assert private.status_code == missing.status_code == 404
        assert private.json()["error"]["message"].replace(AGENT, "X") == \
            missing.json()["error"]["message"].replace("no-such-agent", "X")
        # an origin the owner allowed does not make the agent public on its own
        served.app.store.update_agent(AGENT, allowed_origins=["https://shop.example"])
        assert web.post(f"/widget/{AGENT}/conversations", headers={"Origin": "https://shop.example"}).status_code == 404

        served.app.store.update_agent(AGENT, public=True)
        assert web.get(f"/widget/{AGENT}/config").status_code == 200
        conversation = web.post(f"/widget/{AGENT}/conversations").json()
        path = f"/widget/{AGENT}/conversations/{conversation['id']}"
        token = {"X-Conversation-Token": conversation["token"]}
        done = _sse(web.post(path + "/messages", json={"text": "When are you open on Saturday?"}, headers=token))[-1]
        assert done[0] == "done" and done[1]["citations"]
        shown = json.dumps(done[1]) + web.get(path, headers=token).text
        for secret in (str(SAMPLE), str(served.app.settings.home), "file:"):
            assert secret not in shown
        assert all(c["url"] == "" or c["url"].startswith("http") for c in done[1]["citations"])
        # the owner still sees where the answer came from
        owner = served.http.get(f"/api/agents/{AGENT}/conversations/{conversation['id']}").text
        assert "harbor-coffee" in owner
    finally:
        web.close()


# -- 2. the crawler reaches public addresses only, unless the operator allows more -----------------

def test_item2_source_urls_on_loopback_or_private_addresses_are_refused(tmp_path: Path, local_site, served_private) -> None:
    from frontdesk.app import Frontdesk
    from frontdesk.config import Settings
    from frontdesk.errors import InvalidInput
    from frontdesk.ingest.web import Fetcher, FetchError

    site = local_site(SAMPLE / "site")
    port = site.url.rsplit(":", 1)[1]
    settings = Settings.from_env({"FRONTDESK_HOME": str(tmp_path / "guarded")}, crawl_delay=0.0, http_timeout=2.0)
    assert settings.allow_private_urls is False  # the default
    app = Frontdesk(settings)
    try:
        app.create_agent("shop", embedder="minilm")
        for url in (site.url, f"http://localhost:{port}/", f"http://0x7f000001:{port}/", f"http://[::1]:{port}/",
                    f"http://[::ffff:127.0.0.1]:{port}/", "http://169.254.169.254/latest/meta-data/",
                    "http://10.0.0.1/", "http://192.168.1.1/"):
            with pytest.raises(InvalidInput, match="private address"):
                app.add_source("shop", url)
        assert app.sources("shop") == []
        # the check is at connection time too: every request and redirect, whatever the spelling
        fetcher = Fetcher(settings)
        for url in (site.url + "/", f"http://localhost:{port}/index.html"):
            with pytest.raises(FetchError, match="private address"):
                fetcher.get(url)
        fetcher.close()
        assert site.requests == []  # nothing reached the local site: the job errors scan no ports
    finally:
        app.close()

    # an agent-scoped key over the API gets a clear 4xx, not a job that scans
    key, _ = served_private.app.create_api_key("other")
    refused = httpx.post(f"{served_private.url}/api/agents/other/sources", json={"url": f"http://127.0.0.1:{port}/"},
                         headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code in (400, 422) and "private address" in refused.text
    assert site.requests == []

    # the operator can allow them explicitly
    allowed = Frontdesk(Settings.from_env({"FRONTDESK_HOME": str(tmp_path / "open"), "FRONTDESK_ALLOW_PRIVATE_URLS": "true"},
                                          crawl_delay=0.0, http_timeout=2.0))
    try:
        allowed.create_agent("shop", embedder="minilm")
        assert allowed.add_source("shop", site.url).ok and site.requests
    finally:
        allowed.close()


@pytest.fixture
def served_private(built_home: Path, tmp_path: Path, upstream: ServerThread) -> Iterator[Served]:
    with serve_sample(built_home, tmp_path / "home-private", upstream, allow_private_urls=False) as served:
        yield served
