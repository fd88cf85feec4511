"""Messaging channels: WhatsApp Cloud API, Messenger and Instagram messaging (see docs/channels.md)."""

from ..errors import WindowClosed
from .service import Channels

__all__ = ["Channels", "WindowClosed"]
