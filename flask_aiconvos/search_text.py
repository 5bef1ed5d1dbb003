"""The one place text is normalised for search: what is stored and what is typed.

The write side builds a conversation's search text with ``build_search_text``; the read side
cleans a typed search with ``clean_search`` and splits it with ``search_words``. Both lower-case
the same way, so a word matches exactly when it is a substring of the stored text.
"""

from __future__ import annotations

import re

#: How much of a typed search is used: longer input is cut, extra words are dropped.
SEARCH_MAX_CHARS = 200
SEARCH_MAX_WORDS = 8

#: A search word that looks like (part of) a phone number: digits with ``+ - ( ) .``.
_PHONE_WORD = re.compile(r"^\+?[0-9().\-]+$")


def build_search_text(
    subject: str | None,
    first_message: str | None,
    customer_name: str | None,
    customer_company: str | None,
    external_identifier: str | None,
    external_id: str | None = None,
) -> str:
    """The lower-cased text search matches against; fields are kept apart by newlines.

    A phone number is also stored as bare digits, so "7700900123" finds "+44 7700 900123". The
    conversation's key (``external_id``) comes last, so it is found whole or by a fragment.
    """
    parts = [subject, first_message, customer_name, customer_company, external_identifier]
    if external_identifier and "@" not in external_identifier:
        digits = "".join(ch for ch in external_identifier if ch.isdigit())
        if digits and digits != external_identifier:
            parts.append(digits)
    parts.append(external_id)
    return "\n".join(part for part in parts if part).lower()


def search_term(text: str) -> str:
    """Normalise a typed search term the same way ``build_search_text`` normalises the data."""
    return " ".join(text.split()).lower()


def clean_search(raw: str | None) -> str | None:
    """The typed search, as shown and matched: control characters dropped, spaces folded,
    bounded; its case is kept for display (``search_words`` lower-cases it)."""
    if raw is None:
        return None
    text = "".join(ch if ch.isprintable() else " " for ch in raw[: SEARCH_MAX_CHARS * 4])
    words = " ".join(text.split())[:SEARCH_MAX_CHARS].split()[:SEARCH_MAX_WORDS]
    return " ".join(words) or None


def search_words(search: str | None) -> list[str]:
    """A cleaned search as matched: lower-cased words, each a literal substring."""
    return search_term(search).split(" ") if search else []


def word_alternatives(word: str) -> list[str]:
    """What one search word may match: itself, and for a phone-like word its bare digits too.

    The stored search text holds a phone identifier as typed and as bare digits, so
    "+447700900123" finds "+44 7700 900123".
    """
    digits = "".join(ch for ch in word if ch.isdigit())
    if _PHONE_WORD.match(word) and len(digits) >= 3 and digits != word:
        return [word, digits]
    return [word]
