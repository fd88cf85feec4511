"""``frontdesk serve``: the HTTP API, the OpenAI-compatible endpoint, the web chat and the console."""

from .app import create_app

__all__ = ["create_app"]
