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
