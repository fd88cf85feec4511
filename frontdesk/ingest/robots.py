"""robots.txt rules (RFC 9309) through protego: ``*`` and ``$`` in paths, the longest match wins,
Allow beats Disallow on a tie. Used by the crawler for a site and by a folder ingest for the
folder's own robots.txt (a page of the folder is checked by its path below the folder)."""

from __future__ import annotations

from pathlib import Path

from protego import Protego


class Robots:
    def __init__(self, text: str, user_agent: str) -> None:
        self._rules = Protego.parse(text)
        self.user_agent = user_agent

    @classmethod
    def allow_all(cls, user_agent: str) -> Robots:
        return cls("", user_agent)

    @classmethod
    def disallow_all(cls, user_agent: str) -> Robots:
        return cls("User-agent: *\nDisallow: /\n", user_agent)

    @classmethod
    def of_folder(cls, folder: Path, user_agent: str) -> Robots | None:
        """The rules of ``folder/robots.txt``, or None when the folder has none."""
        path = folder / "robots.txt"
        if not path.is_file():
            return None
        return cls(path.read_bytes().decode("utf-8", "replace"), user_agent)

    def allowed(self, url: str) -> bool:
        return bool(self._rules.can_fetch(url, self.user_agent))

    def allowed_file(self, folder: Path, file: Path) -> bool:
        """Whether the page at ``file`` may be read, ``folder`` standing for the site's root."""
        return self.allowed("/" + file.relative_to(folder).as_posix())

    def crawl_delay(self) -> float | None:
        delay = self._rules.crawl_delay(self.user_agent)
        return float(delay) if delay is not None else None
