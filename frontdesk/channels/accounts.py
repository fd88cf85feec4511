"""Connected accounts: which WhatsApp number, Facebook Page or Instagram account answers as which
agent, or as which AI character (:meth:`Accounts.connect_character`; the policy check is the
caller's, :meth:`frontdesk.characters.service.Characters.connect`)."""

from __future__ import annotations

from ..domain import Agent, Channel
from ..errors import InvalidInput, NotFound
from ..store import Store
from .platforms import rules_for


class Accounts:
    def __init__(self, store: Store) -> None:
        self.store = store

    def connect(self, agent_name: str, platform: str, account_id: str, *, catalog_id: str | None = None,
                handover_app_id: str | None = None, label: str = "") -> Channel:
        rules = rules_for(platform)
        account_id = _checked_account(platform, account_id)
        if catalog_id is not None and not catalog_id.strip().isdigit():
            raise InvalidInput(f"catalog id {catalog_id!r} is not valid: Meta's catalog ids are digits")
        rules.check_account(catalog_id, handover_app_id)
        agent = self.store.get_agent(agent_name)
        return self.store.create_channel(agent.id, platform, account_id, catalog_id=catalog_id or None,
                                         handover_app_id=handover_app_id or None, label=label)

    def connect_character(self, character_id: int, platform: str, account_id: str, *, label: str = "") -> Channel:
        """Connect an account to a character (no catalog, no handover: a character has neither)."""
        rules_for(platform)
        return self.store.create_channel(None, platform, _checked_account(platform, account_id), label=label,
                                         character_id=character_id)

    def channel(self, ref: str) -> Channel:
        """A channel by id, or by ``platform:account`` (``whatsapp:106540352242922``)."""
        if ref.isdigit():
            return self.store.get_channel(int(ref))
        platform, _, account = ref.partition(":")
        found = self.store.find_channel(platform, account) if account else None
        if found is None:
            raise NotFound(f"no channel {ref!r} (see `frontdesk channels list`)")
        return found

    def of_agent(self, agent: Agent, channel_id: int) -> Channel:
        """Channel ``channel_id``, which must be ``agent``'s (another agent's channel does not exist for it)."""
        channel = self.store.get_channel(channel_id)
        if channel.agent_id != agent.id:
            raise NotFound(f"no channel {channel_id}")
        return channel

    def remove(self, ref: str) -> Channel:
        channel = self.channel(ref)
        self.store.remove_channel(channel.id)
        return channel


def _checked_account(platform: str, account_id: str) -> str:
    account_id = account_id.strip()
    if not account_id.isdigit() or len(account_id) > 30:
        raise InvalidInput(f"{platform} account id {account_id!r} is not valid: Meta's ids are digits "
                           f"(the phone-number id, page id or Instagram account id, not the phone number)")
    return account_id
