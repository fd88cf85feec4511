"""Test doubles that ship with frontdesk, for its own tests and for yours (docs/testing.md).

- :mod:`.graph`: :class:`~frontdesk.testing.graph.FakeGraph`, a local stand-in for Meta's Graph API.
- :mod:`.echo`: :class:`~frontdesk.testing.echo.EchoUpstream`, an OpenAI-compatible server that
  streams the prompt's evidence back at a fixed rate.
"""
