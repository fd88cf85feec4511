"""A fuzz run of the server's OpenAPI description with schemathesis: no request may cause a 5xx.

Schemathesis generates valid and invalid requests for every operation (bodies, paths, query
strings, headers), sends them over real HTTP to a running server, and fails on any server error.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ServerThread, serve_sample

pytestmark = pytest.mark.slow


def test_fuzzing_the_openapi_description_finds_no_server_error(built_home: Path, upstream: ServerThread,
                                                               tmp_path: Path) -> None:
    # channels configured, so the webhook checks signatures (unconfigured, it answers 503 by design:
    # Meta retries, and the deliveries arrive once the secrets are set)
    with serve_sample(built_home, tmp_path / "home", upstream, widget_rate=100_000,
                      meta_app_secret="fuzz-app-secret", meta_verify_token="fuzz-verify-token") as served:
        served.app.store.update_agent("harbor", public=True)  # so the widget routes are reached, not only refused
        run = subprocess.run(
            [str(Path(sys.executable).with_name("st")), "run", served.url + "/openapi.json",
             "--checks", "not_a_server_error", "--header", f"Authorization: Bearer {served.key}",
             "--max-examples", "15", "--seed", "7", "--request-timeout", "30", "--no-color",
             "--suppress-health-check", "all", "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, timeout=900, cwd=tmp_path)  # its caches stay out of the repo
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    selected = re.search(r"Selected: (\d+)/(\d+)", summary)
    tested = re.search(r"Tested: (\d+)", summary)
    assert selected and tested and int(tested.group(1)) == int(selected.group(2)) >= 20, summary  # every operation
    assert int(re.search(r"(\d+) generated", summary).group(1)) >= 500, summary


def test_fuzzing_the_webhook_with_signed_random_deliveries_finds_no_server_error(
        built_home: Path, upstream: ServerThread, tmp_path: Path) -> None:
    """Random deliveries, Meta-shaped and not, each correctly signed (so they pass the signature
    check and reach the parser and the store), plus raw bytes: never a 5xx, and the server lives."""
    import hashlib
    import hmac
    import json

    import httpx
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    secret = "fuzz-app-secret"
    account = "1065403522"
    keys = st.sampled_from(["object", "entry", "id", "time", "changes", "field", "value", "messaging_product",
                            "metadata", "phone_number_id", "display_phone_number", "contacts", "wa_id", "profile",
                            "name", "messages", "from", "timestamp", "type", "text", "body", "statuses", "status",
                            "recipient_id", "messaging", "sender", "recipient", "message", "mid", "is_echo",
                            "postback", "payload", "attachments", "url", "audio", "mime_type", "pass_thread_control",
                            "new_owner_app_id", "referral", "reaction", "emoji", "errors", "code"]) | st.text(max_size=6)
    scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
               | st.text(max_size=40) | st.sampled_from([account, "4915123456789", "text", "audio", "whatsapp"]))
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
                          max_leaves=40)
    delivery = st.fixed_dictionaries({"object": st.sampled_from(["whatsapp_business_account", "page", "instagram", "x"]),
                                      "entry": st.lists(st.dictionaries(keys, values, max_size=5), max_size=3)})
    bodies = delivery.map(lambda d: json.dumps(d).encode()) | values.map(lambda v: json.dumps(v).encode()) | \
        st.binary(max_size=300)

    with serve_sample(built_home, tmp_path / "home", upstream, meta_app_secret=secret,
                      meta_verify_token="fuzz-verify-token") as served:
        served.http.post("/api/agents/harbor/channels", json={"platform": "whatsapp", "account_id": account})
        statuses: list[int] = []

        @settings(max_examples=150, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(body=bodies)
        def deliver(body: bytes) -> None:
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            response = httpx.post(served.url + "/webhooks/meta", content=body, timeout=30,
                                  headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"})
            statuses.append(response.status_code)
            assert response.status_code < 500, (response.status_code, response.text[:300], body[:300])

        deliver()
        assert len(statuses) >= 100 and 200 in statuses
        assert served.http.get("/healthz").status_code == 200
