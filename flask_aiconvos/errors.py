"""The exceptions the extension raises, one small hierarchy a host can catch."""

from __future__ import annotations

#: The longest ``shown`` text of a value, its ellipsis included.
SHOWN_MAX = 60
#: Integers up to this many bits are shown in full (about 60 digits).
_SHOWN_BITS = 196


def shown(value: object, limit: int = SHOWN_MAX) -> str:
    """A short, safe ``repr`` of any value for an error message.

    ``repr`` itself can fail (Python refuses to turn an integer of more than 4,300 digits into
    text) or be huge; this never raises and is at most ``limit`` characters long.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _SHOWN_BITS:
        digits = int(value.bit_length() * 0.30103) + 1  # log10(2): within one digit
        sign = "a negative" if value < 0 else "an"
        return f"<{sign} integer of about {digits:,} digits>"
    if isinstance(value, str | bytes) and len(value) > limit:
        value = value[:limit]  # no need to quote megabytes to cut them
    try:
        text = repr(value)
    except Exception:  # a host object whose __repr__ fails
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        super().__init__(f"no conversation with id {shown(conversation_id)}")


class ConfigurationError(AIConversationsError, ValueError):
    """The extension was set up with a bad option or ``AICONVOS_*`` config value."""
