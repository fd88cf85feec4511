"""frontdesk: open, self-hosted AI agents for businesses.

The library is the product; the CLI, the HTTP server and the messaging webhooks are
clients of it. Start from :class:`frontdesk.app.Frontdesk`.
"""

__version__ = "0.1.0"
