"""Search excerpts: a window of a message's visible text around its first hit, hits in ``<mark>``.

The text is the message's visible text (``rendering.visible_text``), masked first when the
operator sees contact details masked; hits are found by folding it the way search folds
(``search_text.fold_char``, one character at a time, so every folded position maps back to a
character of the shown text). Each piece is escaped and only the ``<mark>`` elements are markup:
a body can never produce markup through its excerpt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from . import masking, message_search, rendering
from .search_text import MESSAGE_SEARCH_MAX, fold_char, word_alternatives

#: About how many characters of the message an excerpt shows.
EXCERPT_CHARS = 160
#: Of those, about how many come before the first hit.
EXCERPT_LEAD = 40
ELLIPSIS = "…"


@dataclass(frozen=True)
class Excerpt:
    """A row's search hit: the message it is in and the excerpt, safe HTML."""

    message_id: int
    html: Markup


def hit_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Where ``terms`` (folded search terms, with their alternatives) occur in ``text``, as
    ``(start, end)`` character ranges of ``text``, sorted, overlapping ones merged."""
    folded: list[str] = []
    owner: list[int] = []
    for index, ch in enumerate(text):
        for part in fold_char(ch):
            folded.append(part)
            owner.append(index)
    haystack = "".join(folded)
    spans: list[tuple[int, int]] = []
    for term in terms:
        for option in word_alternatives(term):
            start = haystack.find(option)
            while option and start != -1:
                last = owner[start + len(option) - 1] + 1
                while last < len(text) and not fold_char(text[last]):
                    last += 1  # a mark that folds away (an accent) stays with its letter
                spans.append((owner[start], last))
                start = haystack.find(option, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _window(text: str, first: tuple[int, int] | None, width: int) -> tuple[int, int]:
    """The part of ``text`` shown: about ``width`` characters from a word start shortly
    before the first hit (the whole hit always inside)."""
    if first is None or first[0] <= EXCERPT_LEAD:
        start = 0
    else:
        start = first[0] - EXCERPT_LEAD
        space = text.find(" ", start, first[0])
        if space != -1:
            start = space + 1
    end = min(len(text), start + width)
    if first is not None:
        end = max(end, first[1])
    if end < len(text):
        space = text.rfind(" ", max(start, first[1] if first else start), end)
        if space > start:
            end = space
    return start, end


def excerpt_html(text: str, terms: Sequence[str], *, width: int = EXCERPT_CHARS) -> Markup:
    """``text`` around its first hit of ``terms``, escaped, each hit inside ``<mark>``."""
    spans = hit_spans(text, terms)
    start, end = _window(text, spans[0] if spans else None, width)
    pieces: list[Markup] = [Markup(ELLIPSIS)] if start > 0 else []
    position = start
    for hit_start, hit_end in spans:
        hit_start, hit_end = max(hit_start, start), min(hit_end, end)
        if hit_start >= hit_end:
            continue
        pieces.append(escape(text[position:hit_start]))
        pieces.append(Markup("<mark>{}</mark>").format(text[hit_start:hit_end]))
        position = hit_end
    pieces.append(escape(text[position:end]))
    if end < len(text):
        pieces.append(Markup(ELLIPSIS))
    return Markup("").join(pieces)


def excerpts_for(
    session: Session, conversation_ids: Sequence[int], terms: Sequence[str], *, masked: bool
) -> Mapping[int, Excerpt]:
    """The excerpt of each listed conversation with a message holding a search term, from its
    best-matching message (``message_search.best_messages``: one query for the page)."""
    found = message_search.best_messages(session, conversation_ids, terms)
    result: dict[int, Excerpt] = {}
    for conversation_id, best in found.items():
        text = rendering.visible_text(best.body, best.content_format, limit=MESSAGE_SEARCH_MAX)
        if masked:
            text = masking.mask_text(text)
        result[conversation_id] = Excerpt(best.id, excerpt_html(text, terms))
    return result
