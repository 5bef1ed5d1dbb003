"""The exceptions the extension raises, one small hierarchy a host can catch."""

from __future__ import annotations


class AIConversationsError(Exception):
    """Base class: catch this to handle every error raised by flask-aiconvos."""


class InvalidRecord(AIConversationsError, ValueError):
    """A recording-API argument was missing, malformed or outside its allowed values.

    Raised before anything is written, so the database is left as it was.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class ConversationNotFound(AIConversationsError, LookupError):
    """No conversation has the given id (or it is outside the current tenant scope)."""

    def __init__(self, conversation_id: object) -> None:
        self.conversation_id = conversation_id
        super().__init__(f"no conversation with id {conversation_id!r}")


class ConfigurationError(AIConversationsError, ValueError):
    """The extension was set up with a bad option or ``AICONVOS_*`` config value."""
