"""AI characters (docs/characters.md): Character Cards V2/V3 (JSON, PNG, CHARX), lorebooks,
prompt assembly and chat, optionally grounded in an agent's knowledge.

``Frontdesk.characters`` is the entry point (:class:`.service.Characters`).
"""

from .domain import RATINGS, Character, CharacterConversation

__all__ = ["RATINGS", "Character", "CharacterConversation"]
