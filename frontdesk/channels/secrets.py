"""Meta secrets: from the environment or a TOML secrets file, never from the database.

    [meta]
    app_secret = "..."      # checks webhook signatures
    verify_token = "..."    # the webhook subscription handshake
    access_token = "..."    # default token for sending

    [meta.access_tokens]    # a channel's own token, by its account id (page tokens differ per page)
    "106540352242922" = "EAAG..."

``FRONTDESK_META_APP_SECRET``, ``FRONTDESK_META_VERIFY_TOKEN`` and ``FRONTDESK_META_ACCESS_TOKEN``
take precedence over the file. The values are kept out of ``repr``, logs, exports and error messages.
"""

from __future__ import annotations

import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..errors import InvalidInput, UserError
from ..log import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class MetaSecrets:
    app_secret: str = field(default="", repr=False)
    verify_token: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    access_tokens: dict[str, str] = field(default_factory=dict, repr=False)
    source: str = "environment"

    @classmethod
    def load(cls, settings: Settings) -> MetaSecrets:
        path = Path(settings.secrets_file).expanduser() if settings.secrets_file else settings.home / "secrets.toml"
        table: dict[str, object] = {}
        if path.exists():
            table = _read(path)
        elif settings.secrets_file:
            raise InvalidInput(f"the secrets file {path} does not exist (FRONTDESK_SECRETS_FILE)")
        meta = table.get("meta", {})
        if not isinstance(meta, dict):
            raise InvalidInput(f"{path}: [meta] must be a table")
        tokens = meta.get("access_tokens", {})
        if not isinstance(tokens, dict) or not all(isinstance(v, str) for v in tokens.values()):
            raise InvalidInput(f"{path}: [meta.access_tokens] must map account ids to token strings")

        def pick(setting: str, key: str) -> str:
            value = setting or meta.get(key, "")
            if not isinstance(value, str):
                raise InvalidInput(f"{path}: meta.{key} must be a string")
            return value

        return cls(pick(settings.meta_app_secret, "app_secret"), pick(settings.meta_verify_token, "verify_token"),
                   pick(settings.meta_access_token, "access_token"), {str(k): v for k, v in tokens.items()},
                   str(path) if path.exists() else "environment")

    def token_for(self, account_id: str) -> str:
        token = self.access_tokens.get(account_id) or self.access_token
        if not token:
            raise UserError(f"no access token for account {account_id}: set FRONTDESK_META_ACCESS_TOKEN or "
                            f"add it under [meta.access_tokens] in the secrets file")
        return token

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced, for anything that may reach a log or a person."""
        for secret in (self.app_secret, self.verify_token, self.access_token, *self.access_tokens.values()):
            if secret:
                text = text.replace(secret, "[secret]")
        return text


def _read(path: Path) -> dict[str, object]:
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("the secrets file is readable by other users; chmod 600 it", path=str(path))
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid TOML: {exc}") from None
