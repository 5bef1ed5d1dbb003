"""The keyboard shortcuts of the list and the timeline, in one place.

The help dialog lists them from here, and the page's script reads its key map from that dialog
(``data-shortcut-key`` → ``data-shortcut-action``), so the keys shown are the keys that work.
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import lazy_gettext as _l

#: A list URL ending ``#conversation-<id>`` opens with that row highlighted (the timeline's
#: "back to the list" link), so ``j``/``k`` go on from the conversation just read.
ROW_FRAGMENT_PREFIX = "conversation-"


@dataclass(frozen=True)
class Shortcut:
    #: ``KeyboardEvent.key`` as the browser reports it.
    key: str
    #: What the script does: ``search``, ``next``, ``previous``, ``open`` or ``help``.
    action: str
    description: str


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("/", "search", _l("Search the list")),
    Shortcut("j", "next", _l("Next conversation (the row below, or the next timeline)")),
    Shortcut(
        "k", "previous", _l("Previous conversation (the row above, or the previous timeline)")
    ),
    Shortcut("Enter", "open", _l("Open the highlighted conversation")),
    Shortcut("?", "help", _l("Show or hide these shortcuts")),
)
