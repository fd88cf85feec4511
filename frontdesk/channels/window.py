"""The platforms' messaging windows: when frontdesk may write to a customer at all.

Inside 24 hours of the customer's last message anything may be sent; after that, Messenger lets
a person answer with the HUMAN_AGENT tag for 7 days, and WhatsApp only takes approved templates.
"""

from __future__ import annotations

from datetime import timedelta

from ..domain import Channel, Conversation, utcnow
from ..errors import WindowClosed
from ..store import Store
from .platforms import rules_for

WINDOW = timedelta(hours=24)
#: Messenger's HUMAN_AGENT tag lets a person answer for 7 days after the customer's last message.
HUMAN_AGENT_WINDOW = timedelta(days=7)


def check_window(store: Store, channel: Channel, conversation: Conversation, *, human: bool) -> str | None:
    """None inside the 24-hour window, the platform's human-agent tag for a person within 7 days,
    else :class:`WindowClosed`."""
    rules = rules_for(channel.platform)
    last = store.last_customer_message_at(conversation.id)
    age = utcnow() - last if last else None
    if age is not None and age <= WINDOW:
        return None
    if human and rules.human_agent_tag and age is not None and age <= HUMAN_AGENT_WINDOW:
        return rules.human_agent_tag
    since = f"the customer last wrote {last:%Y-%m-%d %H:%M} UTC" if last else "the customer has not written"
    raise WindowClosed(rules.window_closed(channel, conversation.id, since))
