"""Message bodies to safe HTML and plain text, and timestamps to ``<time>`` tags.

One sanitising policy (the module constants below) serves both engines: nh3 (maintained, the
default) and bleach (frozen at its final release, kept as an alternative). Every body, whatever
its format, ends as HTML that went through that policy, so templates can trust
``render_body``'s output and nothing else.
"""

from __future__ import annotations

import html as htmllib
import importlib.util
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import humanize
import markdownify
import nh3
from bleach import html5lib_shim
from bleach.sanitizer import Cleaner
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from . import i18n
from .render_bounds import html_depth
from .vocab import CONTENT_FORMATS, MONTH_ABBREVIATIONS, WEEKDAY_ABBREVIATIONS

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "CONTENT_DROPPED_TAGS",
    "CONTENT_FORMATS",
    "IMAGE_URL_SCHEMES",
    "LINK_REL",
    "LINK_TARGET",
    "MARKDOWN_MAX_MARKUP",
    "MAX_AMPERSANDS",
    "MAX_LINKS",
    "MAX_NESTING",
    "POLICY_VERSION",
    "SANITIZER_ENGINES",
    "URL_SCHEMES",
    "ConversionFailed",
    "format_day",
    "format_exact",
    "fold",
    "format_relative",
    "html_to_markdown",
    "localise_stored",
    "preview_text",
    "render_body",
    "sanitize_html",
    "searchable_text",
    "time_tag",
    "visible_text",
]

#: Stored beside every rendered body: bump it whenever the policy or the pipeline changes, so
#: bodies rendered under an older policy are rendered again instead of being trusted.
POLICY_VERSION: int = 3

SANITIZER_ENGINES: tuple[str, ...] = ("nh3", "bleach")

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
        "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
        "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub",
        "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip

#: No ``style``, ``class`` or ``id`` anywhere: content must not bring CSS or clobber the page's
#: names. ``rel`` and ``target`` are set by the policy, never taken from content. A
#: ``blockquote`` keeps ``type="cite"`` (and no other value): it marks quoted mail history.
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "abbr": frozenset({"title"}),
    "blockquote": frozenset({"type"}),
    "img": frozenset({"src", "alt", "width", "height", "title"}),
    "ol": frozenset({"start"}),
    "td": frozenset({"colspan", "rowspan", "align"}),
    "th": frozenset({"colspan", "rowspan", "align"}),
}

#: Elements removed together with everything inside them: their content is code, styling,
#: metadata or form state, never message text, and several are the usual mXSS vehicles.
CONTENT_DROPPED_TAGS: frozenset[str] = frozenset(
    {
        "script", "style", "title", "template", "noscript", "noembed", "noframes", "iframe",
        "xmp", "textarea", "select", "svg", "math",
    }
)  # fmt: skip

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
#: Images load without a click, so only absolute web URLs: no ``data:``, no relative paths
#: that would make an operator's browser request something from the admin's own origin.
IMAGE_URL_SCHEMES: frozenset[str] = frozenset({"http", "https"})
LINK_REL = "noopener noreferrer nofollow"
LINK_TARGET = "_blank"

#: Layout-table markers: the only attribute that survives the first sanitising pass and only
#: long enough to decide which tables to unwrap.
_LAYOUT_ROLES = frozenset({"presentation", "none"})
#: Quote containers the mail clients write: Gmail's ``class="gmail_quote"`` and Outlook's
#: ``id="divRplyFwdMsg"`` reply header (followed by the quoted message). The sanitisers drop
#: ``class`` and ``id``, so the first pass keeps exactly these values to find them.
_GMAIL_QUOTE = "gmail_quote"
_OUTLOOK_REPLY_ID = "divRplyFwdMsg"
#: Outlook desktop's reply header and the plain "Original Message" separator: a block whose
#: text starts like this begins the quoted history, which runs to the end of its parent.
_REPLY_HEADER_RE = re.compile(
    r"(?:-{2,}\s*original message\s*-{2,}|from:.{0,300}?\b(?:sent|date):)",
    re.IGNORECASE | re.DOTALL,
)
#: Text of a first pass's output that may hold a marker: only then is its tree rebuilt.
_MARKER_HINTS = (' class="', ' id="', "From:", "from:", "FROM:", "Original Message")
_REPLY_HEADER_SCAN = 400
_REPLY_HEADER_NODES = 64
_CITE = ' type="cite"'
_CITE_RE = re.compile(r'\stype="\s*cite\s*"', re.IGNORECASE)
_QUOTE_LINE_RE = re.compile(r"^[ \t]*>")
_QUOTE_PREFIX_RE = re.compile(r"^(?:[ \t]*>)+ ?")
_ATTRIBUTION_RE = re.compile(
    r"\bwrote:\s*$|\bschrieb\b.*:\s*$|\ba écrit\s*:\s*$|\bescribió\s*:\s*$"
)
_VOID_ELEMENTS = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "wbr"})
_ALIGN_VALUES = frozenset({"left", "center", "right", "justify"})
_MAX_COLSPAN = 100
_MAX_ROWSPAN = 1000

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_URL_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_DIMENSION_RE = re.compile(r"\d{1,5}%?")
_INTEGER_RE = re.compile(r"-?\d{1,9}")
_WHITESPACE_RE = re.compile(r"\s+")
_BLANK_LINE_RE = re.compile(r"\n[ \t\f\v]*\n")
_FALLBACK_URL_RE = re.compile(r"\b(?:https?://|mailto:)[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""

_LINKIFY_AVAILABLE = importlib.util.find_spec("linkify_it") is not None

#: HTML parsers check scopes by walking the stack of open elements, so nesting costs time
#: quadratically (html5ever: a minute for 200,000 characters of nested ``<rt>``; html5lib:
#: worse). No real message nests anywhere near this deep (``render_bounds`` counts a layout
#: table as one level); a body that does is shown as escaped source instead, in linear time.
MAX_NESTING = 400
#: html5ever's time grows faster than linearly with the number of character references (and
#: bare ``&``) in a document: an HTML body with more ``&`` than this is shown as source, and a
#: text body is written without links (both directly, without parsing). Real email has a few
#: hundred, a thousand in a long newsletter.
MAX_AMPERSANDS = 50_000
#: At most this many links are made from the addresses in a text body (linkify-it costs tens of
#: microseconds per address found); the rest of the body stays plain text.
MAX_LINKS = 1000
#: Text is linkified in pieces of about this many characters (cut at spaces), and a run longer
#: than ``_LINKIFY_MAX_RUN`` without a space only gets http(s)/mailto links (a linear pattern).
_LINKIFY_CHUNK = 2000
_LINKIFY_MAX_RUN = 8000
_LINK_HINT_RE = re.compile(r"[@.:]")
_SPACE_RUN_RE = re.compile(r"\s+")
#: markdown-it-py spends tens of microseconds on every bracket, emphasis delimiter, backtick,
#: entity and line (some grow faster than linearly in a paragraph): a Markdown body with more
#: of them than this is shown as plain text (paragraphs and line breaks kept, no links).
MARKDOWN_MAX_MARKUP = 10_000
#: Characters markdown-it-py does work for, counted against ``MARKDOWN_MAX_MARKUP``; brackets
#: cost the most and count five times.
_MARKDOWN_MARKUP = "*_~`<>&\\|#\n"
_MARKDOWN_BRACKET_WEIGHT = 5
#: Above this many candidate addresses (``@``, ``://``, ``www.``, dots) Markdown is rendered
#: without linkify.
_MARKDOWN_MAX_LINK_HINTS = 2000
#: The notes above a body shown as its source, stored in English with the rendered HTML;
#: ``localise_stored`` translates them (and the fold summaries) when shown.
SOURCE_NOTE = i18n.N_(
    "Shown as source: this message’s HTML nests too deeply or holds too much markup to be "
    "displayed."
)
PLAIN_NOTE = i18n.N_(
    "Shown as plain text: this message has too much Markdown markup to be formatted."
)
_SOURCE_NOTE = f"<p><em>{SOURCE_NOTE}</em></p>\n"
_PLAIN_NOTE = f"<p><em>{PLAIN_NOTE}</em></p>\n"


class ConversionFailed(ValueError):
    """markdownify could not convert an HTML body; the caller keeps the original HTML."""


# --------------------------------------------------------------------------------------------
# Validation helpers


def _check_engine(engine: str) -> str:
    if engine not in SANITIZER_ENGINES:
        raise ValueError(f"engine must be one of {', '.join(SANITIZER_ENGINES)} (got {engine!r})")
    return str(engine)


def _check_format(content_format: str) -> str:
    if content_format not in CONTENT_FORMATS:
        raise ValueError(
            f"content_format must be one of {', '.join(CONTENT_FORMATS)} (got {content_format!r})"
        )
    return str(content_format)


def _url_scheme(url: str) -> str | None:
    """The scheme a browser would see in ``url`` (lowercase), or ``None`` for a relative URL.

    Browsers strip leading/trailing C0 controls and spaces and drop tabs and newlines anywhere
    before parsing, which is how ``" jav\\tascript:"`` still runs: check the URL the same way.
    """
    cleaned = url.strip(_C0_AND_SPACE).translate(_URL_TAB_NEWLINE)
    match = _SCHEME_RE.match(cleaned)
    return match.group(1).lower() if match else None


def _attribute_value(tag: str, attr: str, value: str, *, keep_markers: bool) -> str | None:
    """The value to keep for an allowed attribute (entity-decoded), or ``None`` to drop it."""
    if attr == "href":
        scheme = _url_scheme(value)
        return value if scheme is None or scheme in URL_SCHEMES else None
    if attr == "src":
        return value if _url_scheme(value) in IMAGE_URL_SCHEMES else None
    if attr in ("width", "height"):
        return value if _DIMENSION_RE.fullmatch(value) else None
    if attr == "colspan":
        return _bounded_int(value, 1, _MAX_COLSPAN)
    if attr == "rowspan":
        return _bounded_int(value, 0, _MAX_ROWSPAN)
    if attr == "start":
        stripped = value.strip()
        return stripped if _INTEGER_RE.fullmatch(stripped) else None
    if attr == "align":
        lowered = value.strip().lower()
        return lowered if lowered in _ALIGN_VALUES else None
    if attr == "role":
        lowered = value.strip().lower()
        return lowered if keep_markers and tag == "table" and lowered in _LAYOUT_ROLES else None
    if attr == "type":
        return "cite" if value.strip().lower() == "cite" else None
    if attr == "class":
        return _GMAIL_QUOTE if keep_markers and _GMAIL_QUOTE in value.split() else None
    if attr == "id":
        return value if keep_markers and value.strip() == _OUTLOOK_REPLY_ID else None
    return value


def _bounded_int(value: str, low: int, high: int) -> str | None:
    stripped = value.strip()
    if not stripped.isascii() or not stripped.isdigit():
        return None
    number = int(stripped)
    return str(number) if low <= number <= high else None


def _allowed_attributes(keep_markers: bool) -> dict[str, frozenset[str]]:
    # "*" is explicit so that no engine falls back to generic defaults (nh3 allows lang/title).
    allowed = {"*": frozenset(), **ALLOWED_ATTRIBUTES}
    if keep_markers:
        allowed["table"] = frozenset({"role"})
        allowed["div"] = frozenset({"class", "id"})
        allowed["blockquote"] = frozenset({"type", "class"})
    return allowed


# --------------------------------------------------------------------------------------------
# nh3


def _nh3_filter(keep_markers: bool) -> Callable[[str, str, str], str | None]:
    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if (tag, attr) in (("a", "rel"), ("a", "target")):
            return value
        return _attribute_value(tag, attr, value, keep_markers=keep_markers)

    return attribute_filter


def _nh3_clean(html: str, *, keep_markers: bool) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CONTENT_DROPPED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in _allowed_attributes(keep_markers).items()},
        attribute_filter=_nh3_filter(keep_markers),
        strip_comments=True,
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": LINK_TARGET}},
        url_schemes=set(URL_SCHEMES),
    )


# --------------------------------------------------------------------------------------------
# bleach


class _LinkFilter(html5lib_shim.Filter):
    """Give every link the policy's ``rel`` and ``target``, as nh3's ``link_rel`` does."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attrs = dict(token.get("data") or {})
                attrs.pop((None, "target"), None)
                attrs.pop((None, "rel"), None)
                attrs[(None, "target")] = LINK_TARGET
                attrs[(None, "rel")] = LINK_REL
                token["data"] = attrs
            yield token


def _local_name(tag: object) -> str | None:
    if not isinstance(tag, str):
        return None
    return tag.rsplit("}", 1)[-1].lower()


def _drop_content_elements(root: ElementTree.Element) -> None:
    """Remove the content-dropped elements with their subtrees, keeping the text after them."""
    stack = [root]
    while stack:
        node = stack.pop()
        previous: ElementTree.Element | None = None
        for child in list(node):
            if _local_name(child.tag) in CONTENT_DROPPED_TAGS:
                if child.tail:
                    if previous is None:
                        node.text = (node.text or "") + child.tail
                    else:
                        previous.tail = (previous.tail or "") + child.tail
                node.remove(child)
                continue
            stack.append(child)
            previous = child


class _BleachCleaner(Cleaner):
    """bleach's Cleaner, but dropping script/style/title/… *with their contents*.

    bleach's own tokenizer turns a disallowed tag into empty text and then parses its content
    as ordinary markup, so a stripped ``<style>`` leaves its CSS in the page. Here the parser
    knows the dropped elements (so ``<script>``/``<style>`` content is raw text, as in a
    browser) and they are cut from the tree before the sanitising filter sees it.
    """

    def __init__(self, *, keep_markers: bool) -> None:
        allowed = _allowed_attributes(keep_markers)

        def attribute_allowed(tag: str, attr: str, value: str) -> bool:
            if attr not in allowed.get(tag, ()):
                return False
            decoded = htmllib.unescape(value)
            return _attribute_value(tag, attr, decoded, keep_markers=keep_markers) is not None

        super().__init__(
            tags=set(ALLOWED_TAGS),
            attributes=attribute_allowed,
            protocols=set(URL_SCHEMES),
            strip=True,
            strip_comments=True,
            filters=[_LinkFilter],
        )
        self.parser = html5lib_shim.BleachHTMLParser(
            tags=set(ALLOWED_TAGS | CONTENT_DROPPED_TAGS),
            strip=True,
            consume_entities=False,
            namespaceHTMLElements=False,
        )
        walker = self.walker

        def dropping_walker(dom: ElementTree.Element) -> Any:
            _drop_content_elements(dom)
            return walker(dom)

        self.walker = dropping_walker


_local = threading.local()


def _bleach_clean(html: str, *, keep_markers: bool) -> str:
    cleaners: dict[bool, _BleachCleaner] | None = getattr(_local, "bleach_cleaners", None)
    if cleaners is None:
        cleaners = _local.bleach_cleaners = {}
    cleaner = cleaners.get(keep_markers)
    if cleaner is None:
        cleaner = cleaners[keep_markers] = _BleachCleaner(keep_markers=keep_markers)
    return cleaner.clean(html)


def _clean(html: str, engine: str, *, keep_markers: bool = False) -> str:
    if engine == "bleach":
        return _bleach_clean(html, keep_markers=keep_markers)
    return _nh3_clean(html, keep_markers=keep_markers)


# --------------------------------------------------------------------------------------------
# Layout tables


class _Node:
    """An element of sanitised HTML: just enough tree to find and unwrap layout tables.

    Attributes and text stay in their serialised (escaped) form: they are written back as they
    came, so nothing is decoded and re-encoded on the way.
    """

    __slots__ = ("attrs", "children", "name")

    def __init__(self, name: str, attrs: str) -> None:
        self.name = name
        self.attrs = attrs
        self.children: list[_Node | str] = []


#: A sanitiser's output is canonical: every attribute is ``name="value"`` with ``"`` escaped,
#: ``<`` in text is ``&lt;``, no comments, no raw-text elements. A regular expression
#: tokenises it far faster than an HTML parser written in Python.
_TOKEN_RE = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9]*)((?:\s+[^\s\"'=<>/]+(?:=\"[^\"]*\")?)*)\s*(/?)>|([^<]+|<)"
)
_ROLE_ATTR_RE = re.compile(r'\s+role="([^"]*)"')


def _parse_sanitised(safe_html: str) -> _Node:
    root = _Node("#root", "")
    open_elements = [root]
    for match in _TOKEN_RE.finditer(safe_html):
        closing, name, attrs, self_closing, text = match.groups()
        if text is not None:
            open_elements[-1].children.append(text if text != "<" else "&lt;")
        elif closing:
            name = name.lower()
            for index in range(len(open_elements) - 1, 0, -1):
                if open_elements[index].name == name:
                    del open_elements[index:]
                    break
        else:
            node = _Node(name.lower(), attrs)
            open_elements[-1].children.append(node)
            if not self_closing and node.name not in _VOID_ELEMENTS:
                open_elements.append(node)
    return root


def _has_text(raw: str) -> bool:
    return bool(raw.strip()) and bool(htmllib.unescape(raw).strip())


@dataclass
class _Table:
    """One table as the unwrapping step sees it, ignoring what belongs to nested tables."""

    element: _Node
    cells: list[_Node] = field(default_factory=list)
    row_sizes: list[int] = field(default_factory=list)
    has_header: bool = False
    has_nested_table: bool = False

    @property
    def is_layout(self) -> bool:
        role = _ROLE_ATTR_RE.search(self.element.attrs)
        if role and role.group(1).strip().lower() in _LAYOUT_ROLES or self.has_nested_table:
            return True
        return not self.has_header and all(size <= 1 for size in self.row_sizes)


def _survey(root: _Node) -> tuple[list[_Table], set[int]]:
    """The tables under ``root`` in document order, and the ids of elements with content.

    One iterative pass (no recursion, no per-element ancestor walks), so a hostile document of
    deeply nested tables costs time in proportion to its size.
    """
    tables: list[_Table] = []
    preorder: list[_Node] = []
    stack: list[tuple[_Node, _Table | None, int | None]] = [(root, None, None)]
    while stack:
        element, table, row = stack.pop()
        preorder.append(element)
        name = element.name
        if name == "table":
            if table is not None:
                table.has_nested_table = True
            table = _Table(element)
            tables.append(table)
            row = None
        elif table is not None and name == "tr":
            table.row_sizes.append(0)
            row = len(table.row_sizes) - 1
        elif table is not None and name in ("td", "th", "caption"):
            table.cells.append(element)
            if name == "th":
                table.has_header = True
            if name != "caption" and row is not None:
                table.row_sizes[row] += 1
        for child in reversed(element.children):
            if isinstance(child, _Node):
                stack.append((child, table, row))
    with_content: set[int] = set()
    for element in reversed(preorder):
        if element.name in ("img", "hr") or any(
            (id(child) in with_content) if isinstance(child, _Node) else _has_text(child)
            for child in element.children
        ):
            with_content.add(id(element))
    return tables, with_content


def _node_text(node: _Node, limit: int) -> str:
    """About the first ``limit`` characters of ``node``'s text, entities decoded, looking at no
    more than ``_REPLY_HEADER_NODES`` nodes (so a deep, empty tree costs no more than a header)."""
    parts: list[str] = []
    size = visited = 0
    stack: list[_Node | str] = [node]
    while stack and size < limit and visited < _REPLY_HEADER_NODES:
        item = stack.pop()
        visited += 1
        if isinstance(item, str):
            parts.append(item)
            size += len(item)
        else:
            stack.extend(reversed(item.children))
    return _collapse(htmllib.unescape("".join(parts)))


def _class_names(node: _Node) -> list[str]:
    match = re.search(r'\sclass="([^"]*)"', node.attrs)
    return match.group(1).split() if match else []


def _starts_quoted_history(node: _Node, *, text_before: bool) -> bool:
    """Whether ``node`` opens a reply's quoted history (Outlook's header), text before it."""
    if f'id="{_OUTLOOK_REPLY_ID}"' in node.attrs:
        return True
    if node.name not in ("div", "p") or not text_before:
        return False
    return _REPLY_HEADER_RE.match(_node_text(node, _REPLY_HEADER_SCAN)) is not None


def _mark_quotes(root: _Node) -> None:
    """Turn the mail clients' quote containers into ``<blockquote type="cite">``.

    Gmail's ``gmail_quote`` element becomes the quote; Outlook's reply header starts one that
    holds it and everything after it in its parent (with the ``<hr>`` just before it). Runs on
    the first pass's canonical tree; a quote is not searched further inside.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        children = node.children
        text_before = False
        for index, child in enumerate(children):
            if isinstance(child, str):
                text_before = text_before or _has_text(child)
                continue
            if child.name == "blockquote" and _CITE_RE.search(child.attrs):
                continue
            if _GMAIL_QUOTE in _class_names(child):
                child.name, child.attrs = "blockquote", _CITE
                continue
            if _starts_quoted_history(child, text_before=text_before):
                start = _rule_before(children, index)
                quote = _Node("blockquote", _CITE)
                quote.children = children[start:]
                del children[start:]
                children.append(quote)
                break
            text_before = text_before or bool(_node_text(child, 1))
            stack.append(child)


def _rule_before(children: list[_Node | str], index: int) -> int:
    """The index of an ``<hr>`` just before ``index`` (blank text between), else ``index``."""
    for before in range(index - 1, -1, -1):
        item = children[before]
        if isinstance(item, str):
            if item.strip():
                return index
            continue
        return before if item.name == "hr" else index
    return index


def _unwrap_layout_tables(safe_html: str, *, self_closing: bool = False) -> str:
    """Replace layout tables by their cells, one ``<div>`` block each.

    Marketing emails nest tables only to position things; shown (or converted to Markdown) as
    tables they become a grid of fragments. A table is layout when it says so
    (``role="presentation"``/``"none"``), contains another table, or is a single column
    without headers. Data tables stay tables. Runs on already-sanitised HTML only, and stays
    linear in its size. ``self_closing`` writes ``<br/>``: Beautiful Soup's html.parser
    builder is quadratic in the number of void elements written without the slash.
    """
    root = _parse_sanitised(safe_html)
    _mark_quotes(root)
    tables, with_content = _survey(root)
    layout = {id(table.element): table for table in tables if table.is_layout}
    void_end = "/>" if self_closing else ">"
    out: list[str] = []
    stack: list[_Node | str] = list(reversed(root.children))
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif id(item) in layout:
            cells = [cell for cell in layout[id(item)].cells if id(cell) in with_content]
            for cell in reversed(cells):
                stack.append("</div>")
                stack.extend(reversed(cell.children))
                stack.append("<div>")
        else:
            attrs = _ROLE_ATTR_RE.sub("", item.attrs) if item.name == "table" else item.attrs
            if item.name in _VOID_ELEMENTS:
                out.append(f"<{item.name}{attrs}{void_end}")
            else:
                out.append(f"<{item.name}{attrs}>")
                stack.append(f"</{item.name}>")
                stack.extend(reversed(item.children))
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Public rendering API


def _too_deep(html: str) -> bool:
    """Whether an HTML parser would nest ``html`` deeper than ``MAX_NESTING`` (one linear scan)."""
    return html_depth(html, limit=MAX_NESTING) > MAX_NESTING


def _valid_text(text: str) -> str:
    """``text`` without lone surrogates, which no encoder (nor nh3) accepts."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def sanitize_html(html: str, *, engine: str = "nh3") -> str:
    """Apply the one allowlist policy to untrusted HTML with the chosen engine.

    Layout tables are unwrapped between two passes: the first pass gives a canonical tree to
    inspect (with ``role`` kept on tables), the second makes the engine's output the final word.
    A body a parser would nest deeper than ``MAX_NESTING``, or with more than
    ``MAX_AMPERSANDS`` ``&``, is shown as escaped source after a note, in linear time.
    """
    _check_engine(engine)
    if not html:
        return ""
    safe, as_source = _sanitize(_valid_text(html), engine)
    return _SOURCE_NOTE + safe if as_source else safe


def _sanitize(html: str, engine: str, *, checked: bool = False) -> tuple[str, bool]:
    """Sanitised ``html``, and whether it had to be shown as escaped source instead.

    ``checked``: the HTML is known to nest shallowly (it is our own Markdown or text output).
    """
    if not checked and (html.count("&") > MAX_AMPERSANDS or _too_deep(html)):
        return _source_html(html), True
    first = _clean(html, engine, keep_markers=True)
    if "<table" not in first and not any(hint in first for hint in _MARKER_HINTS):
        return first, False
    return _clean(_unwrap_layout_tables(first), engine), False


def _table_align(state: Any) -> None:
    """markdown-it aligns table cells with ``style``, which the policy drops: use ``align``."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            if isinstance(style, str) and style.startswith("text-align:"):
                token.attrSet("align", style.split(":", 1)[1].strip())


def _quote_cite(state: Any) -> None:
    """A Markdown ``>`` quote is quoted history, as in a text body: ``type="cite"``."""
    for token in state.tokens:
        if token.type == "blockquote_open":
            token.attrSet("type", "cite")


def _markdown(*, linkify: bool = True) -> MarkdownIt:
    name = "markdown" if linkify else "markdown_unlinked"
    md: MarkdownIt | None = getattr(_local, name, None)
    if md is None:
        # One instance per thread: the linkify matcher keeps per-call state on the instance.
        # maxNesting 20 (commonmark's): markdown-it-py's link-label scan costs maxNesting steps
        # per unmatched "[", and chat messages need no more than ten levels of lists.
        options = {"breaks": True, "linkify": linkify and _LINKIFY_AVAILABLE, "maxNesting": 20}
        md = MarkdownIt("js-default", options)
        md.core.ruler.push("aiconvos_table_align", _table_align)
        md.core.ruler.push("aiconvos_quote_cite", _quote_cite)
        setattr(_local, name, md)
    return md


def _markdown_markup(body: str) -> int:
    """How much work markdown-it-py has in ``body``: its markup characters, brackets weighted."""
    brackets = body.count("[") + body.count("]")
    return sum(map(body.count, _MARKDOWN_MARKUP)) + _MARKDOWN_BRACKET_WEIGHT * brackets


def _link_hints(body: str) -> int:
    return body.count("@") + body.count("://") + body.count("www.") + body.count(".")


def _render_markdown(body: str) -> str | None:
    """Markdown rendered to (unsanitised) HTML, or ``None`` when it has too much markup."""
    if _markdown_markup(body) > MARKDOWN_MAX_MARKUP:
        return None
    return _markdown(linkify=_link_hints(body) <= _MARKDOWN_MAX_LINK_HINTS).render(body)


def _linkifier() -> Any:
    linkify: Any = getattr(_local, "linkify", None)
    if linkify is None:
        from linkify_it import LinkifyIt

        linkify = _local.linkify = LinkifyIt()
    return linkify


def _link(url: str, text: str) -> str:
    return f'<a href="{htmllib.escape(url)}">{htmllib.escape(text)}</a>'


class _Linker:
    """Turns the http(s) and mailto addresses of plain text into links, in bounded time.

    linkify-it-py is only ever given pieces of about ``_LINKIFY_CHUNK`` characters cut at
    spaces (an address never spans a space), pieces without ``@``, ``.`` or ``:`` are not
    given to it at all, runs longer than ``_LINKIFY_MAX_RUN`` without a space get the linear
    pattern only, and after ``MAX_LINKS`` links the rest is plain text.
    """

    def __init__(self) -> None:
        self.links = 0

    def line(self, line: str) -> str:
        if self.links >= MAX_LINKS or not _LINK_HINT_RE.search(line):
            return htmllib.escape(line)
        if len(line) <= _LINKIFY_CHUNK:
            return self.piece(line)
        out: list[str] = []
        start = 0
        for space in _SPACE_RUN_RE.finditer(line):
            if space.end() - start >= _LINKIFY_CHUNK:
                out.append(self.piece(line[start : space.end()]))
                start = space.end()
        out.append(self.piece(line[start:]))
        return "".join(out)

    def piece(self, text: str) -> str:
        if self.links >= MAX_LINKS or not _LINK_HINT_RE.search(text):
            return htmllib.escape(text)
        spans: list[tuple[int, int, str]] = []
        if _LINKIFY_AVAILABLE and len(text) <= _LINKIFY_MAX_RUN:
            for match in _linkifier().match(text) or ():
                spans.append((match.index, match.last_index, match.url))
        else:
            for match in _FALLBACK_URL_RE.finditer(text):
                url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
                spans.append((match.start(), match.start() + len(url), url))
        out: list[str] = []
        position = 0
        for start, end, url in spans:
            if _url_scheme(url) not in URL_SCHEMES or start < position:
                continue
            if self.links >= MAX_LINKS:
                break
            out.append(htmllib.escape(text[position:start]))
            out.append(_link(url, text[start:end]))
            position = end
            self.links += 1
        out.append(htmllib.escape(text[position:]))
        return "".join(out)


def _serialised_text(text: str) -> str:
    """Text as the sanitiser writes it back (html5ever's serialiser; the parser drops NUL)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\xa0", "&nbsp;").replace("\0", "")


def _source_html(html: str) -> str:
    """``html`` as escaped text in paragraphs and lines, exactly as the sanitiser would write
    ``_text_to_html(html, linkify=False)``: that markup is ours (``<p>``, ``<br>``, text), so
    it is written directly instead of being parsed again at several entities a tag."""
    return _text_to_html(html, linkify=False, escape=_serialised_text, quotes=False)


def _plain_html(body: str, engine: str) -> str:
    """A text body as safe HTML: sanitised with its links, or, past ``MAX_AMPERSANDS``, written
    directly without links (html5ever slows down faster than linearly on masses of ``&amp;``)."""
    if body.count("&") > MAX_AMPERSANDS:
        return _source_html(body)
    return _sanitize(_text_to_html(body), engine, checked=True)[0]


def _text_to_html(
    body: str,
    *,
    linkify: bool = True,
    escape: Callable[[str], str] = htmllib.escape,
    quotes: bool = True,
) -> str:
    """Paragraphs and line breaks of a text body; with ``quotes``, each run of ``>`` lines
    (with the "… wrote:" line just before it) as one ``<blockquote type="cite">``."""
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    line = _Linker().line if linkify else escape
    if not quotes or ">" not in text:
        return _paragraphs(text, line)
    lines = text.split("\n")
    out: list[str] = []
    plain: list[str] = []
    index = 0
    while index < len(lines):
        if not _QUOTE_LINE_RE.match(lines[index]):
            plain.append(lines[index])
            index += 1
            continue
        end = index
        while end < len(lines) and (
            _QUOTE_LINE_RE.match(lines[end])
            or (
                not lines[end].strip()
                and end + 1 < len(lines)
                and _QUOTE_LINE_RE.match(lines[end + 1])
            )
        ):
            end += 1
        quoted = [_QUOTE_PREFIX_RE.sub("", item, count=1) for item in lines[index:end]]
        if not any(item.strip() for item in quoted):
            plain.extend(lines[index:end])
            index = end
            continue
        last = len(plain) - 1
        while last >= 0 and not plain[last].strip():
            last -= 1
        attribution: list[str] = []
        if last >= 0 and _ATTRIBUTION_RE.search(plain[last]):
            attribution = [plain[last]]
            del plain[last:]
        out.append(_paragraphs("\n".join(plain), line))
        plain = []
        body_html = _paragraphs("\n".join(attribution + quoted), line)
        out.append(f"<blockquote{_CITE}>{body_html}</blockquote>")
        index = end
    out.append(_paragraphs("\n".join(plain), line))
    return "\n".join(part for part in out if part)


def _paragraphs(text: str, line: Callable[[str], str]) -> str:
    paragraphs = [block.strip("\n") for block in _BLANK_LINE_RE.split(text)]
    return "\n".join(
        "<p>" + "<br>\n".join(line(part) for part in block.split("\n")) + "</p>"
        for block in paragraphs
        if block.strip()
    )


def render_body(body: str, content_format: str, *, engine: str = "nh3") -> str:
    """A message body as safe HTML: the only thing a template may mark as safe.

    ``text`` is escaped (paragraphs, line breaks and links kept), ``markdown`` is rendered with
    raw HTML off, ``html`` is taken as is; all three then pass the same sanitiser. The time it
    takes grows linearly with the body: HTML that a parser would nest deeper than
    ``MAX_NESTING`` is shown as escaped source, and Markdown with more markup than
    ``MARKDOWN_MAX_MARKUP`` as plain text, each after a note saying so.
    """
    content_format = _check_format(content_format)
    _check_engine(engine)
    if not body:
        return ""
    html, note = _render(_valid_text(body), content_format, engine)
    return note + fold(html)


def _render(body: str, content_format: str, engine: str) -> tuple[str, str]:
    """The sanitised HTML of a (valid, non-empty) body, and the note to show before it."""
    if content_format == "text":
        return _plain_html(body, engine), ""
    if content_format == "markdown":
        rendered = _render_markdown(body)
        if rendered is None:
            return _source_html(body), _PLAIN_NOTE
        return _sanitize(rendered, engine, checked=True)[0], ""
    safe, as_source = _sanitize(body, engine)
    return safe, _SOURCE_NOTE if as_source else ""


# --------------------------------------------------------------------------------------------
# Folding quoted history and long messages


#: A message showing more lines than this folds what follows its first
#: ``LONG_MESSAGE_VISIBLE_LINES`` lines behind "Show more".
LONG_MESSAGE_LINES = 40
LONG_MESSAGE_VISIBLE_LINES = 30
#: Stored in English inside the rendered HTML; ``localise_stored`` translates them when shown.
QUOTED_SUMMARY = i18n.N_("Show quoted text")
SHOW_MORE_SUMMARY = i18n.N_("Show more")
_LINE_BLOCKS = frozenset(
    {"caption", "dd", "div", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "li", "p", "tr"}
)
_FOLD_HINTS = ("<br", "<p", "<div", "<li", "<tr", "<h", "<dt", "<dd", "<pre")
_QUOTED_OPEN = f"<details data-quoted><summary>{QUOTED_SUMMARY}</summary>"
_MORE_OPEN = f"<details data-more><summary>{SHOW_MORE_SUMMARY}</summary>"


#: The fragments of our own English that rendered HTML is stored with, and their text.
_STORED_ENGLISH = (
    (_QUOTED_OPEN, QUOTED_SUMMARY),
    (_MORE_OPEN, SHOW_MORE_SUMMARY),
    (_SOURCE_NOTE, SOURCE_NOTE),
    (_PLAIN_NOTE, PLAIN_NOTE),
)


def localise_stored(safe_html: str) -> str:
    """The stored HTML with our own English in it (the fold summaries, the notes above a body
    shown as source) in the request's language. The rest of the HTML is the sanitiser's, which
    cannot produce these exact fragments with other text."""
    if (
        i18n.active_locale() is None
        or "<summary>" not in safe_html
        and "<em>Shown" not in safe_html
    ):
        return safe_html
    for fragment, english in _STORED_ENGLISH:
        if fragment in safe_html:
            translated = htmllib.escape(i18n.gettext(english), quote=False)
            safe_html = safe_html.replace(fragment, fragment.replace(english, translated))
    return safe_html


def _is_quote(node: _Node) -> bool:
    return node.name == "blockquote" and _CITE_RE.search(node.attrs) is not None


def _line_counts(root: _Node) -> dict[int, int]:
    """Lines each element shows: line breaks, text blocks and ``<pre>`` lines; a quote is one."""
    order: list[_Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        if not _is_quote(node):
            stack.extend(child for child in node.children if isinstance(child, _Node))
    counts: dict[int, int] = {}
    for node in reversed(order):
        if _is_quote(node):
            counts[id(node)] = 1
            continue
        own = (
            1
            if node.name in ("br", "hr")
            or (
                node.name in _LINE_BLOCKS
                and any(isinstance(child, str) and _has_text(child) for child in node.children)
            )
            else 0
        )
        if node.name == "pre":
            own = 1 + sum(child.count("\n") for child in node.children if isinstance(child, str))
        counts[id(node)] = own + sum(
            counts[id(child)] for child in node.children if isinstance(child, _Node)
        )
    return counts


def _split_path(root: _Node, counts: dict[int, int]) -> list[tuple[_Node, int]]:
    """Where to cut so that about ``LONG_MESSAGE_VISIBLE_LINES`` lines stay visible: the
    elements to go through and, in the last, the index of the first child that folds."""
    path: list[tuple[_Node, int]] = []
    node, budget = root, LONG_MESSAGE_VISIBLE_LINES
    while True:
        seen = 0
        for index, child in enumerate(node.children):
            lines = counts[id(child)] if isinstance(child, _Node) else 0
            if seen + lines <= budget:
                seen += lines
                continue
            if (
                isinstance(child, _Node)
                and not _is_quote(child)
                and child.name not in _VOID_ELEMENTS
                and lines > 1
            ):
                own = lines - sum(counts[id(c)] for c in child.children if isinstance(c, _Node))
                path.append((node, index))
                node, budget = child, budget - seen - own
                break
            path.append((node, index))
            return path
        else:
            path.append((node, len(node.children)))
            return path


def _open_tag(node: _Node) -> str:
    return f"<{node.name}{node.attrs}>"


def _serialise(items: list[_Node | str], out: list[str], *, fold_quotes: bool = True) -> None:
    """Write sanitised nodes back; with ``fold_quotes``, each outermost quote inside
    ``<details data-quoted>`` (inside a quote, nothing folds again)."""
    stack: list[_Node | str] = list(reversed(items))
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif item.name in _VOID_ELEMENTS:
            out.append(_open_tag(item))
        elif fold_quotes and _is_quote(item):
            out.append(_QUOTED_OPEN)
            out.append(_open_tag(item))
            _serialise(item.children, out, fold_quotes=False)
            out.append("</blockquote></details>")
        else:
            out.append(_open_tag(item))
            stack.append(f"</{item.name}>")
            stack.extend(reversed(item.children))


def fold(safe_html: str) -> str:
    """Sanitised HTML with quoted history and the tail of a long message behind ``<details>``.

    Each outermost ``<blockquote type="cite">`` (mail clients' quotes, ``>`` lines) goes into
    ``<details data-quoted>``; past ``LONG_MESSAGE_LINES`` lines, everything after the first
    ``LONG_MESSAGE_VISIBLE_LINES`` goes into ``<details data-more>``, the elements it cuts
    through closed before it and opened again inside. Works without JavaScript, in linear time.
    """
    has_quote = _CITE_RE.search(safe_html) is not None
    if not has_quote and sum(map(safe_html.count, _FOLD_HINTS)) <= LONG_MESSAGE_LINES:
        return safe_html
    root = _parse_sanitised(safe_html)
    counts = _line_counts(root)
    out: list[str] = []
    if counts[id(root)] <= LONG_MESSAGE_LINES:
        _serialise(root.children, out)
        return "".join(out)
    path = _split_path(root, counts)
    deepest, cut = path[-1]
    if cut < len(deepest.children):
        first = deepest.children[cut]
        if isinstance(first, _Node) and first.name == "br":
            del deepest.children[cut]
    for depth, (node, index) in enumerate(path):
        _serialise(node.children[:index], out)
        if depth + 1 < len(path):
            out.append(_open_tag(path[depth + 1][0]))
    for node, _index in reversed(path[1:]):
        out.append(f"</{node.name}>")
    out.append(_MORE_OPEN)
    for node, _index in path[1:]:
        out.append(_open_tag(node))
    for depth in range(len(path) - 1, -1, -1):
        node, index = path[depth]
        start = index if depth == len(path) - 1 else index + 1
        _serialise(node.children[start:], out)
        if depth > 0:
            out.append(f"</{node.name}>")
    out.append("</details>")
    return "".join(out)


def html_to_markdown(html: str) -> str | None:
    """Convert an HTML body (an email) to Markdown, or ``None`` when it cannot be converted.

    The HTML is sanitised and its layout tables unwrapped first, so the Markdown keeps data
    tables, lists and emphasis without scripts, styles or a page-sized pipe table. markdownify
    decodes ``&lt;`` into ``<``, so its output must only ever be shown through ``render_body``.
    """
    try:
        return _convert_to_markdown(html)
    except Exception:
        return None


def _convert_to_markdown(html: str) -> str:
    html = _valid_text(html)
    if _too_deep(html):
        raise ConversionFailed(f"nested deeper than {MAX_NESTING} elements")
    try:
        cleaned = _unwrap_layout_tables(_clean(html, "nh3", keep_markers=True), self_closing=True)
        soup = BeautifulSoup(f"<div>{cleaned}</div>", "html.parser")
        converter = markdownify.MarkdownConverter(
            heading_style=markdownify.ATX,
            table_infer_header=True,
            escape_misc=True,
        )
        return converter.convert_soup(soup).strip()
    except Exception as error:
        raise ConversionFailed(f"markdownify could not convert the body: {error}") from error


# --------------------------------------------------------------------------------------------
# Plain text


_TEXT_BLOCKS = frozenset(
    {
        "blockquote", "br", "caption", "dd", "div", "dl", "dt", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "li", "ol", "p", "pre", "table", "tbody", "tfoot", "thead", "tr", "ul",
    }
)  # fmt: skip


def _html_text(safe_html: str) -> str:
    """Text of sanitised HTML, entities decoded, with block boundaries as line breaks."""
    parts: list[str] = []
    in_pre = 0
    for match in _TOKEN_RE.finditer(safe_html):
        closing, name, _attrs, _self_closing, text = match.groups()
        if text is not None:
            decoded = htmllib.unescape(text)
            parts.append(decoded if in_pre else _WHITESPACE_RE.sub(" ", decoded))
            continue
        name = name.lower()
        if name in _TEXT_BLOCKS:
            parts.append("\n")
        elif name in ("td", "th") and not closing:
            parts.append(" ")
        if name == "pre":
            in_pre = max(in_pre - 1, 0) if closing else in_pre + 1
    return "".join(parts)


def _plain_text(body: str, content_format: str) -> str:
    """Plain text with line structure: text as is, html/markdown rendered then detagged."""
    if content_format == "text":
        return body
    if not body:
        return ""
    return _rendered_text(body, content_format)


@lru_cache(maxsize=8)
def _rendered_text(body: str, content_format: str) -> str:
    """A rendered body's text; the last few are kept, as a message's preview, search text and
    first line each ask for it in turn."""
    return _html_text(_render(_valid_text(body), content_format, "nh3")[0])


def _collapse(text: str) -> str:
    return _WHITESPACE_RE.sub(" ", text).strip()


def _shorten(text: str, limit: int) -> str:
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def preview_text(body: str, content_format: str, *, limit: int = 200) -> str:
    """The first non-empty line of a message as plain text, for list subjects and search.

    Never raises: a preview must not stop a message from being recorded or a list from showing.
    """
    try:
        fmt = content_format if content_format in CONTENT_FORMATS else "text"
        text = _plain_text(body or "", fmt)
        for line in text.splitlines():
            collapsed = _collapse(line)
            if collapsed:
                return _shorten(collapsed, limit)
        return ""
    except Exception:
        try:
            return _shorten(_collapse(re.sub(r"<[^>]*>", " ", str(body))), limit)
        except Exception:
            return ""


def visible_text(body: str, content_format: str, *, limit: int) -> str:
    """What a message shows, on one line (``searchable_text``); never raises, a body that
    cannot be rendered (or an unknown format) is taken as plain text."""
    try:
        return searchable_text(body, content_format, limit=limit)
    except Exception:
        return _collapse(str(body or ""))[:limit]


def searchable_text(body: str, content_format: str, *, limit: int = 2000) -> str:
    """The whole body as one line of plain text (no markup, no script/style/title), for search."""
    content_format = _check_format(content_format)
    if limit <= 0 or not body:
        return ""
    return _collapse(_plain_text(body, content_format))[:limit].rstrip()


# --------------------------------------------------------------------------------------------
# Time


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {timezone!r}") from None


def format_relative(moment: datetime, *, now: datetime | None = None) -> str:
    """``"15 minutes ago"`` / ``"in 3 hours"``, in the request's locale where Flask-Babel is
    set up ("il y a 15 minutes"); naive datetimes are taken as UTC."""
    reference = _as_utc(now) if now is not None else datetime.now(UTC)
    moment = _as_utc(moment)
    locale = i18n.active_locale()
    if locale is None:
        return humanize.naturaltime(moment, when=reference)
    delta = moment - reference
    if abs(delta) < timedelta(seconds=1):
        return i18n.gettext("now")
    return i18n.relative(delta, locale)


def format_day(day: date) -> str:
    """``"18 Nov 2026"``; in the request's locale where Flask-Babel is set up."""
    locale = i18n.active_locale()
    if locale is None:
        return f"{day.day} {MONTH_ABBREVIATIONS[day.month - 1]} {day.year}"
    return i18n.day(day, locale)


def format_exact(moment: datetime, *, timezone: str = "UTC") -> str:
    """``"Mon 23 Nov 2026, 22:08 UTC"`` in ``timezone``, naming the zone; in the request's
    locale where Flask-Babel is set up (``"lun. 23 nov. 2026, 22:08 UTC"``)."""
    zone = _zone(timezone)
    local = _as_utc(moment).astimezone(zone)
    label = local.tzname() or ""
    if not label.isalpha():
        label = zone.key
    locale = i18n.active_locale()
    if locale is None:
        return (
            f"{WEEKDAY_ABBREVIATIONS[local.weekday()]} {format_day(local.date())}, "
            f"{local:%H:%M} {label}"
        )
    return f"{i18n.moment(local, locale)} {label}"


def time_tag(moment: datetime, *, timezone: str = "UTC", now: datetime | None = None) -> Markup:
    """``<time datetime="…Z" title="exact">relative</time>``: relative text, exact on hover."""
    utc = _as_utc(moment)
    # Each part escaped (``escape``, the C one): ``Markup.format`` took as long as the rest.
    stamp, exact, relative = (
        escape(utc.strftime("%Y-%m-%dT%H:%M:%SZ")),
        escape(format_exact(utc, timezone=timezone)),
        escape(format_relative(utc, now=now)),
    )
    return Markup(f'<time datetime="{stamp}" title="{exact}">{relative}</time>')
