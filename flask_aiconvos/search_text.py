"""The one place text is normalised for search: what is stored and what is typed.

The write side builds a conversation's search text with ``build_search_text`` and a message's
with ``fold_message_text``; the read side cleans a typed search with ``clean_search`` and splits
it into terms with ``search_words``. Both sides ``fold`` the same way (case and accents away, runs
of spaces as one), so a term matches exactly when it is a substring of the stored text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: How much of a typed search is used: longer input is cut, extra words are dropped.
SEARCH_MAX_CHARS = 200
SEARCH_MAX_WORDS = 8

#: A search word that looks like (part of) a phone number: digits with ``+ - ( ) .``.
_PHONE_WORD = re.compile(r"^\+?[0-9().\-]+$")
#: A typed search's terms: ``"a quoted phrase"`` (an unclosed quote runs to the end), or a word.
_TERM = re.compile(r'"([^"]*)(?:"|$)|([^\s"]+)')
#: How much of a message's visible text is stored for search (longer text is cut).
MESSAGE_SEARCH_MAX = 100_000


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch.casefold())
    return "".join(part for part in decomposed if not unicodedata.combining(part)).casefold()


def fold_char(ch: str) -> str:
    """One character as search compares it: case folded, compatibility-decomposed, without
    accents (``"É"`` → ``"e"``, ``"ß"`` → ``"ss"``, ``"ﬁ"`` → ``"fi"``); may be empty."""
    return ch.lower() if ch.isascii() else _fold_char(ch)


class _FoldTable(dict[int, str]):
    """``str.translate``'s table for ``fold``: each code point's ``fold_char``, found when
    first met and kept (up to ``LIMIT`` of them; rarer ones are folded each time)."""

    LIMIT = 65_536

    def __missing__(self, code: int) -> str:
        folded = fold_char(chr(code))
        if len(self) < self.LIMIT:
            self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Text as search compares it, character by character (``fold_char``), so a position in
    the folded text always maps back to one character of the original."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD_TABLE)


def _collapse(text: str) -> str:
    return " ".join(text.split())


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
    folded = (_collapse(fold(part)) for part in parts if part)
    return "\n".join(part for part in folded if part)


def fold_message_text(visible_text: str) -> str:
    """What is stored for a message's search from its visible text: folded, on one line, at
    most ``MESSAGE_SEARCH_MAX`` characters (``message_search.message_text``)."""
    return _collapse(fold(visible_text[:MESSAGE_SEARCH_MAX]))[:MESSAGE_SEARCH_MAX]


def search_term(text: str) -> str:
    """Normalise a typed search term the same way ``build_search_text`` normalises the data."""
    return _collapse(fold(text))


def clean_search(raw: str | None) -> str | None:
    """The typed search, as shown and matched: control characters dropped, spaces folded,
    bounded; its case is kept for display (``search_words`` lower-cases it)."""
    if raw is None:
        return None
    text = "".join(ch if ch.isprintable() else " " for ch in raw[: SEARCH_MAX_CHARS * 4])
    words = " ".join(text.split())[:SEARCH_MAX_CHARS].split()[:SEARCH_MAX_WORDS]
    return " ".join(words) or None


def search_words(search: str | None) -> list[str]:
    """A cleaned search as matched: folded terms, each a literal substring: the words, and each
    ``"quoted phrase"`` as one term (its words in that order, one space apart). Quote marks
    themselves are never matched; a term that folds to nothing is dropped."""
    if not search:
        return []
    terms = (search_term(phrase or word) for phrase, word in _TERM.findall(search))
    return list(dict.fromkeys(term for term in terms if term))


def word_alternatives(word: str) -> list[str]:
    """What one search word may match: itself, and for a phone-like word its bare digits too.

    The stored search text holds a phone identifier as typed and as bare digits, so
    "+447700900123" finds "+44 7700 900123".
    """
    digits = "".join(ch for ch in word if ch.isdigit())
    if _PHONE_WORD.match(word) and len(digits) >= 3 and digits != word:
        return [word, digits]
    return [word]
