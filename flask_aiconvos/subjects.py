"""The subject a conversation without one is shown by: the opening message's text, on one line.

As Nexudus does, the list shows the opening message itself (not just its first line), up to
about ``DISPLAY_LIMIT`` characters, and a bare greeting line ("Hello," / "Hi Sam!") is skipped
when more follows, so the row says what the conversation is about.

``opening_preview`` computes what is stored in ``first_message_preview`` when the first message
is recorded or imported. ``display_subject`` turns a stored preview into the text shown, and
works on previews stored by earlier versions too (their first line only): no migration needed.
"""

from __future__ import annotations

import re

from . import rendering

__all__ = ["DISPLAY_LIMIT", "display_subject", "is_greeting", "opening_preview"]

#: About how many characters of the opening message a row shows.
DISPLAY_LIMIT = 120

#: A line that only greets: a greeting, at most three more words (a name, "there", "team"),
#: and closing punctuation.
_GREETING_RE = re.compile(
    r"(?:hi|hello|hey|hiya|howdy|greetings|dear|good\s+(?:morning|afternoon|evening|day)"
    r"|bonjour|salut|hola|buenos\s+d[ií]as|hallo|guten\s+(?:morgen|tag)|ciao|ol[aá])"
    r"(?:,?\s+[^\s,.!?:;]+(?:\s+[^\s,.!?:;]+){0,2})?\s*[,.!:;]*",
    re.IGNORECASE,
)
_GREETING_MAX = 40
_WHITESPACE_RE = re.compile(r"\s+")


def is_greeting(line: str) -> bool:
    """Whether ``line`` only greets ("Hello,", "Hi!", "Dear Maya,", "Good morning team!")."""
    line = line.strip()
    return len(line) <= _GREETING_MAX and _GREETING_RE.fullmatch(line) is not None


def _shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def opening_preview(body: str, content_format: str, *, limit: int) -> str:
    """The opening message as one line of plain text (at most ``limit`` characters), without a
    bare greeting line when more follows. Never raises: a preview must not stop a message from
    being recorded."""
    first_line = rendering.preview_text(body, content_format, limit=limit)
    try:
        whole = rendering.searchable_text(body, content_format, limit=limit + _GREETING_MAX)
    except Exception:
        return first_line
    if not whole:
        return first_line
    # The first line, as the whole text spells it (both are whitespace-collapsed).
    if is_greeting(first_line) and whole.startswith(first_line):
        rest = whole[len(first_line) :].strip()
        if rest:
            whole = rest
    return _shorten(whole, limit)


def display_subject(preview: str | None, *, limit: int = DISPLAY_LIMIT) -> str | None:
    """The row's text for a stored preview: one line, at most about ``limit`` characters."""
    if not preview:
        return None
    return _shorten(_WHITESPACE_RE.sub(" ", preview).strip(), limit) or None
