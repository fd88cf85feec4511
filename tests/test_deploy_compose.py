"""The compose file of the reference deployment (deploy/compose.yaml) wires the parts together and names
only settings that exist (Docker cannot run here: it is parsed, not started; docs/deploy.md)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from frontdesk.config import setting_names

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_the_compose_file_wires_postgresql_redis_replicas_and_the_proxy() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "frontdesk", "caddy"}
    env = services["frontdesk"]["environment"]
    assert env["FRONTDESK_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["FRONTDESK_DATABASE_URL"]
    assert env["FRONTDESK_REDIS_URL"] == "redis://redis:6379/0"
    assert set(services["frontdesk"]["depends_on"]) == {"postgres", "redis"}
    assert "/readyz" in " ".join(services["frontdesk"]["healthcheck"]["test"])
    named = set(re.findall(r"\bFRONTDESK_[A-Z_]+\b", (DEPLOY / "compose.yaml").read_text())) - {"FRONTDESK_SITE"}
    assert named <= set(setting_names()), named - set(setting_names())
    assert "dynamic a frontdesk 8000" in (DEPLOY / "Caddyfile").read_text()
    assert 'CMD ["frontdesk", "serve"' in (DEPLOY / "Dockerfile").read_text()
