"""flask-aiconvos: a read-only *AI Conversations* workspace for a Flask-Admin panel."""

from .errors import AIConversationsError, ConfigurationError, ConversationNotFound, InvalidRecord
from .extension import AIConversations
from .models import Conversation, Conversion, EscalationTicket, InboxItem, Message

__all__ = [
    "AIConversations",
    "AIConversationsError",
    "ConfigurationError",
    "Conversation",
    "ConversationNotFound",
    "Conversion",
    "EscalationTicket",
    "InboxItem",
    "InvalidRecord",
    "Message",
]
__version__ = "0.1.0"
