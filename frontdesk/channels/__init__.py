"""Messaging channels: WhatsApp Cloud API, Messenger and Instagram messaging (see docs/channels.md)."""

from .service import Channels, WindowClosed

__all__ = ["Channels", "WindowClosed"]
