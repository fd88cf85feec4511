"""Customers' media (voice notes, images, files): downloaded once and kept by SHA-256.

Media is downloaded from the Graph API (WhatsApp through ``GET /{media-id}``, Messenger from the
attachment's URL), stored under ``<home>/media/<platform>/<sha256><extension>`` and recorded in
``channel_media``. A voice note's kept file is transcribed in :mod:`.events` (``_voice_note``);
other media is acknowledged with :func:`frontdesk.answer.phrases.media_received`.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any

from ..domain import Channel, ChannelEvent
from ..store import Store
from .link import MetaLink


class MediaKeeper:
    def __init__(self, store: Store, link: MetaLink, home: Path) -> None:
        self.store = store
        self.link = link
        self.home = home

    def keep(self, channel: Channel, event: ChannelEvent) -> list[dict[str, Any]]:
        """Download and keep the event's media; what was kept, in order (kind, MIME type, sha256, size, path)."""
        kept = []
        for media in event.payload.get("media", []):
            if media.get("id"):
                data, mime = self.link.graph.media(str(media["id"]), self.link.secrets.token_for(channel.account_id))
            else:
                data, mime = self.link.graph.download(str(media["url"]))
            mime = media.get("mime_type") or mime
            extension = mimetypes.guess_extension(mime.split(";")[0].strip()) or ".bin"
            path, digest = keep_file(self.home / "media" / channel.platform, data, extension)
            self.store.add_media(event.id, str(media.get("id") or media.get("url")), mime, digest, len(data), str(path))
            kept.append({"kind": media.get("kind", "file"), "mime_type": mime, "sha256": digest, "size": len(data),
                         "path": str(path)})
        return kept


def keep_file(folder: Path, data: bytes, extension: str) -> tuple[Path, str]:
    """``data`` kept once as ``folder/<sha256><extension>`` (written whole, then renamed): its path and digest."""
    digest = hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}{extension}"
    if not path.exists():
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)
    return path, digest
