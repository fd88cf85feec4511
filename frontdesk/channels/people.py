"""People on channels: a person's replies from the console, takeover with Messenger's handover
protocol, and WhatsApp templates (the one thing that may be sent outside the 24-hour window)."""

from __future__ import annotations

from collections.abc import Sequence

from ..domain import PLATFORMS, Channel, Conversation, OutboxItem, utcnow
from ..errors import UserError
from ..store import Store
from .accounts import Accounts
from .outbox import Outbox
from .platforms import rules_for
from .window import check_window


class People:
    def __init__(self, store: Store, accounts: Accounts, outbox: Outbox) -> None:
        self.store = store
        self.accounts = accounts
        self.outbox = outbox

    def is_channel_conversation(self, conversation: Conversation) -> bool:
        return conversation.channel in PLATFORMS and bool(conversation.external_id)

    def _route(self, conversation: Conversation) -> tuple[Channel, str]:
        account, _, recipient = str(conversation.external_id).partition(":")
        channel = self.store.find_channel(conversation.channel, account)
        if channel is None:
            raise UserError(f"the {conversation.channel} account {account} of conversation {conversation.id} "
                            "is no longer connected")
        return channel, recipient

    def check_human_reply(self, conversation: Conversation) -> None:
        """Raise before a person's reply is stored if the platform would not deliver it."""
        if self.is_channel_conversation(conversation):
            channel, _ = self._route(conversation)
            check_window(self.store, channel, conversation, human=True)

    def deliver_human_reply(self, conversation: Conversation, text: str, message_id: int) -> None:
        channel, recipient = self._route(conversation)
        tag = check_window(self.store, channel, conversation, human=True)
        self.outbox.queue(channel, conversation, f"human:{message_id}",
                          rules_for(channel.platform).text(recipient, text, tag), send_now=False)

    def thread_control(self, conversation: Conversation, owner: str) -> None:
        """Follow a console takeover (``human``) or hand-back (``bot``) with Messenger's handover protocol."""
        if not self.is_channel_conversation(conversation):
            return
        channel, recipient = self._route(conversation)
        action = "pass_thread_control" if owner == "human" else "take_thread_control"
        bodies = rules_for(channel.platform).handover(channel, recipient, action, f"frontdesk console: {owner}")
        if bodies:
            stamp = utcnow().isoformat()
            self.outbox.queue(channel, conversation, f"{action}:{conversation.id}:{stamp}", bodies, send_now=False)

    def send_template(self, ref: str, to: str, name: str, language: str, parameters: Sequence[str] = ()) -> OutboxItem:
        """Send an approved WhatsApp template (allowed outside the 24-hour window); waits for Meta's answer."""
        channel = self.accounts.channel(ref)
        if channel.agent_id is None:
            raise UserError(f"channel {channel.id} answers as a character: templates are sent on an agent's channel")
        body = rules_for(channel.platform).template(to, name, language, parameters)
        external = f"{channel.account_id}:{to}"
        conversation = self.store.find_conversation(channel.agent_id, channel.platform, external) or \
            self.store.get_conversation(self.store.create_conversation(channel.agent_id, channel.platform, external))
        key = f"template:{conversation.id}:{utcnow().isoformat()}:{name}"
        self.outbox.queue(channel, conversation, key, [body], send_now=True)
        self.store.add_message(conversation.id, "human", f"[template {name}]", {"template": name})
        return self.store.sends_keyed(f"{key}:")[0]
