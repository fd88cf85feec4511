"""Grounded answers from an agent's knowledge: see :mod:`frontdesk.answer.responder`."""

from .responder import Answer, Responder

__all__ = ["Answer", "Responder"]
