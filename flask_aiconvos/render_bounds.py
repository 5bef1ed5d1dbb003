"""How deep an HTML parser's stacks will grow on a body, found in one linear scan.

HTML parsers check scopes by walking the stack of open elements and re-open formatting
elements by walking the list of active formatting elements, so a body that keeps either long
costs time quadratically (html5ever: a minute for 200,000 characters of nested ``<rt>``). This
module runs a cut-down model of the HTML tree builder over a body without building a tree: it
tokenises as the HTML standard does (tag names, quoted attributes, comments, raw-text
elements) and keeps a stack of element names with the standard's closing rules (paragraphs,
list items, table cells and rows, ruby, options, scopes, formatting elements, foreign content).

The model is built to err one way: where it is unsure it keeps elements open that a real
parser would close, so its depth is never far below the parser's (a constant factor at most)
and a body it passes parses in time proportional to its length. Table sections, rows and cells
do not count towards the depth (a table holds at most three of them), so a layout table costs
one level, as a reader would count it.
"""

from __future__ import annotations

import re

__all__ = ["html_depth"]

_SPACE = "\t\n\f\r "
#: ``<`` starting markup: a comment, a bogus comment / doctype, or a start or end tag with its
#: attributes read as the standard's tokenizer reads them (an attribute name may start with
#: ``=``, quoted values may hold ``>``, an unterminated one runs to the end). Never backtracks.
_MARKUP_RE = re.compile(
    r"<(?:(!--)|([!?]|/(?![A-Za-z]))|(/?)([A-Za-z][^\t\n\f\r />]*+)("
    ""
    r"""(?:[\t\n\f\r ]++|/(?!>)|(?:=[^\t\n\f\r />=]*+|[^\t\n\f\r />=]++)"""
    r"""(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+"""
    r"""(?:"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^\t\n\f\r >]++)?)?)*+)(/?)(>?))"""
)
#: ``<`` that can start markup; any other ``<`` is text.
_MARKUP_START_RE = re.compile(r"<[A-Za-z!?/]")
#: More start tags than this (one per twenty characters of the largest body) and the body is
#: not modelled further: it counts as too deep. Sanitising and unwrapping tables cost tens of
#: microseconds per element; real email has a tag every 20 to 40 characters.
MAX_TAGS = 50_000
#: More attributes than this on one tag count as too deep too: the parser checks every new
#: attribute against the tag's others (quadratic in their number).
MAX_ATTRIBUTES = 256
_COMMENT_END_RE = re.compile(r"--!?>")
_RAW_TEXT = frozenset(
    {"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title"}
)
_RAW_END_RES: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE) for name in _RAW_TEXT
}

_VOID = frozenset(
    {
        "area", "base", "basefont", "bgsound", "br", "col", "embed", "hr", "img", "image",
        "input", "keygen", "link", "meta", "param", "source", "track", "wbr", "frame",
    }
)  # fmt: skip
#: Start tags the tree builder ignores in the body (outside tables, templates, foreign content).
_IGNORED = frozenset({"html", "head", "body", "frameset", "colgroup"})
_TABLE_PARTS = frozenset({"tbody", "thead", "tfoot", "tr", "td", "th", "caption"})
_SECTIONS = frozenset({"tbody", "thead", "tfoot"})
_CELLS = frozenset({"td", "th"})
#: Scope boundaries (the "default scope"), whatever their namespace; extra boundaries only make
#: the model close less, never more.
_BOUNDARY = frozenset(
    {
        "applet", "caption", "html", "table", "td", "th", "marquee", "object", "template",
        "mi", "mo", "mn", "ms", "mtext", "annotation-xml", "foreignobject", "desc", "title",
    }
)  # fmt: skip
_SPECIAL = _BOUNDARY | frozenset(
    {
        "address", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote",
        "body", "br", "button", "center", "col", "colgroup", "dd", "details", "dialog", "dir",
        "div", "dl", "dt", "embed", "fieldset", "figcaption", "figure", "footer", "form",
        "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup",
        "hr", "iframe", "img", "input", "keygen", "li", "link", "listing", "main", "menu",
        "meta", "nav", "noembed", "noframes", "noscript", "ol", "p", "param", "plaintext", "pre",
        "script", "search", "section", "select", "source", "style", "summary", "tbody",
        "textarea", "tfoot", "thead", "tr", "track", "ul", "wbr", "xmp",
    }
)  # fmt: skip
#: Start tags that close an open ``<p>`` (in button scope) first.
_CLOSES_P = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div",
        "dl", "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main", "menu",
        "nav", "ol", "p", "search", "section", "summary", "ul", "h1", "h2", "h3", "h4", "h5",
        "h6", "pre", "listing", "form", "li", "dd", "dt", "plaintext", "hr", "xmp",
    }
)  # fmt: skip
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_FORMATTING = frozenset(
    {
        "a",
        "b",
        "big",
        "code",
        "em",
        "font",
        "i",
        "nobr",
        "s",
        "small",
        "strike",
        "strong",
        "tt",
        "u",
    }
)
_MARKERS = frozenset({"applet", "marquee", "object", "template", "td", "th", "caption"})
_IMPLIED_END = frozenset({"dd", "dt", "li", "optgroup", "option", "p", "rb", "rp", "rt", "rtc"})
#: In foreign content these start tags leave it (the parser pops back to HTML first).
_BREAKOUT = frozenset(
    {
        "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em",
        "embed", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing",
        "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong",
        "strike", "sub", "sup", "table", "tt", "u", "ul", "var",
    }
)  # fmt: skip
_INTEGRATION_POINTS = frozenset(
    {"mi", "mo", "mn", "ms", "mtext", "annotation-xml", "foreignobject", "desc", "title"}
)
#: Special only as MathML or SVG elements: in HTML, ``</mi>`` is any other end tag, which
#: a special element above its ``<mi>`` (a ``<div>``) makes the parser ignore.
_FOREIGN_SPECIAL = _INTEGRATION_POINTS - {"title"}
_LIST_SCOPE_EXTRA = ("ol", "ul")
_DETACHED = "#detached"
#: How far the list-item rule looks down the stack before giving up (and keeping it open).
_LOOKBACK = 16


class _Formatting:
    """One entry of the list of active formatting elements."""

    __slots__ = ("key", "live", "name", "on_stack")

    def __init__(self, name: str, key: str) -> None:
        self.name = name
        self.key = key
        self.live = True
        self.on_stack = True


class _Entry:
    """One open element: its name, namespace and list entry (formatting elements)."""

    __slots__ = ("counted", "foreign", "formatting", "name")

    def __init__(self, name: str, foreign: bool, counted: bool) -> None:
        self.name = name
        self.foreign = foreign
        self.counted = counted
        self.formatting: _Formatting | None = None


class _Model:
    """The stack of open elements and the list of active formatting elements, approximately."""

    def __init__(self, limit: int, reopen_budget: int) -> None:
        self.limit = limit
        self.reopen_budget = reopen_budget
        self.stack: list[_Entry] = []
        #: Stack positions of the open elements by name, and of the boundary / special /
        #: HTML-namespace ones: the closing rules look up "the nearest X above the nearest Y".
        self.at: dict[str, list[int]] = {}
        self.boundary_at: list[int] = []
        self.special_at: list[int] = []
        self.html_at: list[int] = []
        self.depth = 0
        self.deepest = 0
        self.formatting: list[_Formatting | None] = []  # None: a marker
        self.by_name: list[dict[str, list[_Formatting]]] = [{}]
        self.by_key: list[dict[str, list[_Formatting]]] = [{}]
        self.live_formatting = 0
        self.off_stack: list[_Formatting] = []
        self.reopened = 0
        self.tags = 0

    # -- queries --------------------------------------------------------------------------

    def last(self, name: str) -> int:
        positions = self.at.get(name)
        return positions[-1] if positions else -1

    def last_of(self, names: tuple[str, ...] | frozenset[str]) -> int:
        at = self.at
        best = -1
        for name in names:
            positions = at.get(name)
            if positions and positions[-1] > best:
                best = positions[-1]
        return best

    @staticmethod
    def top_of(positions: list[int]) -> int:
        return positions[-1] if positions else -1

    def in_scope(self, index: int, *extra: str) -> bool:
        """Whether the element at ``index`` is in scope (no boundary above it)."""
        if index < 0:
            return False
        boundary = self.top_of(self.boundary_at)
        if boundary == index:
            boundary = self.boundary_at[-2] if len(self.boundary_at) > 1 else -1
        return index > boundary and all(self.last(name) <= index for name in extra)

    def table_context(self) -> int:
        return max(self.last("table"), self.last("template"))

    def foreign_mode(self) -> bool:
        if not self.stack:
            return False
        top = self.stack[-1]
        return top.foreign and top.name not in _INTEGRATION_POINTS

    def exceeded(self) -> bool:
        return (
            self.deepest > self.limit
            or self.tags > MAX_TAGS
            or self.live_formatting > self.limit
            or self.reopened > self.reopen_budget + 2 * self.tags
        )

    # -- the stack ------------------------------------------------------------------------

    def push(self, name: str, *, foreign: bool = False) -> _Entry:
        counted = foreign or name not in _TABLE_PARTS
        entry = _Entry(name, foreign, counted)
        index = len(self.stack)
        self.stack.append(entry)
        self.at.setdefault(name, []).append(index)
        html_only = foreign or name not in _INTEGRATION_POINTS
        if name in _BOUNDARY and html_only:
            self.boundary_at.append(index)
        if name in _SPECIAL and html_only:
            self.special_at.append(index)
        if not foreign:
            self.html_at.append(index)
        if counted:
            self.depth += 1
            live_off = len(self.off_stack)
            self.deepest = max(self.deepest, self.depth + live_off)
        return entry

    def pop_to(self, index: int) -> None:
        """Pop every element from the top down to the one at ``index``, inclusive."""
        stack = self.stack
        while len(stack) > index:
            entry = stack.pop()
            position = len(stack)
            if entry.name != _DETACHED:
                self.at[entry.name].pop()
            if self.boundary_at and self.boundary_at[-1] == position:
                self.boundary_at.pop()
            if self.special_at and self.special_at[-1] == position:
                self.special_at.pop()
            if self.html_at and self.html_at[-1] == position:
                self.html_at.pop()
            if entry.counted:
                self.depth -= 1
            if entry.name in _MARKERS and not entry.foreign:
                self.clear_to_marker()
            item = entry.formatting
            if item is not None and item.live:
                item.on_stack = False
                self.off_stack.append(item)

    def detach(self, entry: _Entry) -> None:
        """Take ``entry`` out of the count without moving the others (the adoption agency)."""
        if entry.counted:
            entry.counted = False
            self.depth -= 1
        entry.name = _DETACHED

    # -- active formatting elements -------------------------------------------------------

    def add_formatting(self, entry: _Entry, key: str) -> None:
        # Noah's Ark: at most three identical entries since the last marker.
        same = [item for item in self.by_key[-1].get(key, ()) if item.live]  # at most 4
        if len(same) >= 3:
            self.remove_formatting(same.pop(0))
        self.by_key[-1][key] = same
        item = _Formatting(entry.name, key)
        entry.formatting = item
        self.formatting.append(item)
        same.append(item)
        self.by_name[-1].setdefault(entry.name, []).append(item)
        self.live_formatting += 1

    def remove_formatting(self, item: _Formatting) -> None:
        if item.live:
            item.live = False
            self.live_formatting -= 1

    def insert_marker(self) -> None:
        self.formatting.append(None)
        self.by_name.append({})
        self.by_key.append({})

    def clear_to_marker(self) -> None:
        while self.formatting:
            item = self.formatting.pop()
            if item is None:
                break
            self.remove_formatting(item)
        if len(self.by_name) > 1:
            self.by_name.pop()
            self.by_key.pop()
        else:
            self.by_name[0].clear()
            self.by_key[0].clear()

    def last_formatting(self, name: str) -> _Formatting | None:
        items = self.by_name[-1].get(name)
        while items and not items[-1].live:
            items.pop()
        return items[-1] if items else None

    def reconstruct(self) -> None:
        """Re-open the formatting elements closed by something else (the parser does it before
        text and most start tags): each costs the parser a new element and a stack push."""
        if not self.off_stack:
            return
        pending = [item for item in self.off_stack if item.live and not item.on_stack]
        self.off_stack = []
        self.reopened += len(pending)
        for item in pending:
            entry = self.push(item.name)
            entry.formatting = item
            item.on_stack = True

    # -- end tags -------------------------------------------------------------------------

    def end_tag(self, name: str) -> None:
        if self.stack and self.stack[-1].foreign:
            index = self.last(name)
            if index >= 0 and index > self.top_of(self.html_at):
                self.pop_to(index)
                return
        if self.last("select") >= 0:
            self.end_tag_in_select(name)
        elif name in _FORMATTING:
            self.adoption_agency(name)
        elif name == "p":
            index = self.last("p")
            if self.in_scope(index, "button"):
                self.pop_to(index)
        elif name == "li":
            index = self.last("li")
            if self.in_scope(index, *_LIST_SCOPE_EXTRA):
                self.pop_to(index)
        elif name in _HEADINGS:
            index = self.last_of(_HEADINGS)
            if self.in_scope(index):
                self.pop_to(index)
        elif name in ("table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption"):
            index = self.last(name)
            if index > self.last("template") and (name == "table" or index > self.last("table")):
                self.pop_to(index)
        elif name == "form":
            if self.stack and self.stack[-1].name == "form":
                self.pop_to(len(self.stack) - 1)
        elif name in ("html", "body", "br", "template"):
            return
        elif name in _SPECIAL and name not in _FOREIGN_SPECIAL:
            index = self.last(name)
            if self.in_scope(index):
                self.pop_to(index)
        else:
            self.any_other_end_tag(name)

    def any_other_end_tag(self, name: str) -> None:
        index = self.last(name)
        if index >= 0 and self.top_of(self.special_at) <= index:
            self.pop_to(index)

    def end_tag_in_select(self, name: str) -> None:
        # Inside <select> the parser ignores every end tag but these few.
        top = self.stack[-1].name if self.stack else ""
        if name == "select":
            self.close_select()
        elif name == top and name in ("option", "optgroup"):
            self.pop_to(len(self.stack) - 1)

    def adoption_agency(self, name: str) -> None:
        item = self.last_formatting(name)
        if item is None:
            self.any_other_end_tag(name)
            return
        if not item.on_stack:
            self.remove_formatting(item)
            return
        index = self.last(name)
        if index < 0 or not self.in_scope(index):
            return
        if self.top_of(self.special_at) < index:
            self.pop_to(index)
            self.remove_formatting(item)
            return
        # A block inside the formatting element: the parser moves a copy of the formatting
        # element into it. Count the original out and leave everything else as it was.
        entry = self.stack[index]
        self.at[name].pop()
        self.detach(entry)

    # -- start tags -----------------------------------------------------------------------

    def start_tag(self, name: str, attributes: str, self_closing: bool) -> None:
        self.tags += 1
        if self.foreign_mode():
            if name not in _BREAKOUT and not (
                name == "font" and re.search(r"\b(?:color|face|size)\b", attributes, re.I)
            ):
                if not self_closing:
                    self.push(name, foreign=True)
                return
            while self.stack and self.stack[-1].foreign and self.foreign_mode():
                self.pop_to(len(self.stack) - 1)
        if name in ("svg", "math"):
            self.reconstruct()
            if not self_closing:
                self.push(name, foreign=True)
            return
        if name in _VOID or name in _IGNORED:
            if name == "hr":
                self.close_p()
            elif name in _VOID:
                self.reconstruct()
            return
        if name in _TABLE_PARTS:
            self.table_part(name)
            return
        if self.last("select") >= 0 and name in ("select", "input", "keygen", "textarea"):
            self.close_select()
            if name == "select":
                return
        if name in _CLOSES_P:
            self.close_p()
        if name in _HEADINGS:
            if self.stack and self.stack[-1].name in _HEADINGS:
                self.pop_to(len(self.stack) - 1)
        elif name == "li":
            self.close_list_item(("li",), ("dd", "dt"))
        elif name in ("dd", "dt"):
            self.close_list_item(("dd", "dt"), ("li",))
        elif name == "button":
            index = self.last("button")
            if self.in_scope(index):
                self.pop_to(index)
        elif name in ("option", "optgroup"):
            if self.stack and self.stack[-1].name == "option":
                self.pop_to(len(self.stack) - 1)
        elif name in ("rb", "rtc", "rp", "rt"):
            if self.in_scope(self.last("ruby")):
                keep = "rtc" if name in ("rp", "rt") else ""
                while self.stack and self.stack[-1].name in _IMPLIED_END - {keep}:
                    self.pop_to(len(self.stack) - 1)
        elif (name == "a" and self.last_formatting("a") is not None) or (
            name == "nobr" and self.in_scope(self.last("nobr"))
        ):
            self.adoption_agency(name)
            item = self.last_formatting(name)
            if item is not None:
                self.remove_formatting(item)
        if name not in _CLOSES_P and name != "table":
            self.reconstruct()  # block elements do not; what goes into them does
        entry = self.push(name)
        if name in _FORMATTING:
            key = name + " " + " ".join(attributes.split()) if attributes else name
            self.add_formatting(entry, key)
        elif name in ("applet", "marquee", "object", "template"):
            self.insert_marker()

    def close_select(self) -> None:
        """Close the open ``<select>`` if only options stand above it (its "select scope")."""
        index = self.last("select")
        above = self.stack[index + 1 :] if len(self.stack) - index <= _LOOKBACK else None
        if above is not None and all(entry.name in ("option", "optgroup") for entry in above):
            self.pop_to(index)

    def close_p(self) -> None:
        index = self.last("p")
        if self.in_scope(index, "button"):
            self.pop_to(index)

    def close_list_item(self, targets: tuple[str, ...], stoppers: tuple[str, ...]) -> None:
        index = self.last_of(targets)
        if index < 0:
            return
        # Special elements other than address, div and p stop the search.
        for looked, position in enumerate(reversed(self.special_at)):
            if position <= index:
                break
            if looked >= _LOOKBACK or self.stack[position].name not in ("address", "div", "p"):
                return
        if self.last_of(stoppers) > index:
            return
        self.pop_to(index)

    def table_part(self, name: str) -> None:
        context = self.table_context()
        if context < 0:
            return  # outside tables the parser ignores these start tags
        caption = self.last("caption")
        if caption > context:  # table parts close an open caption first
            self.pop_to(caption)
        if name in _CELLS:
            cell = self.last_of(_CELLS)
            if cell > context:
                self.pop_to(cell)
            row = self.last("tr")
            if row > context:
                self.pop_to(row + 1)
            else:
                self.open_section(context)
                self.push("tr")
            self.push(name)
            self.insert_marker()
        elif name == "tr":
            row = max(self.last("tr"), self.last_of(_CELLS))
            if row > context:
                self.pop_to(self.last("tr") if self.last("tr") > context else row)
            self.open_section(context)
            self.push("tr")
        elif name in _SECTIONS:
            self.pop_to(context + 1)
            self.push(name)
        else:  # caption
            self.pop_to(context + 1)
            self.push(name)
            self.insert_marker()

    def open_section(self, context: int) -> None:
        section = self.last_of(_SECTIONS)
        if section > context:
            self.pop_to(section + 1)
        else:
            self.pop_to(context + 1)
            self.push("tbody")

    def text(self) -> None:
        if self.off_stack:
            self.reconstruct()


def html_depth(html: str, *, limit: int, reopen_budget: int = 10_000) -> int:
    """How deep ``html`` nests for an HTML parser, from above; ``limit + 1`` as soon as it is
    known to go past ``limit`` (or to make the parser re-open formatting elements more than
    ``reopen_budget`` times plus twice per tag)."""
    model = _Model(limit, reopen_budget)
    position = 0
    length = len(html)
    find = html.find
    search_start = _MARKUP_START_RE.search
    match_markup = _MARKUP_RE.match
    while position < length:
        found = search_start(html, position)
        if found is None:
            if model.off_stack:
                model.text()
            break
        start = found.start()
        if start > position and model.off_stack:
            model.text()
        match = match_markup(html, start)
        if match is None:
            if model.off_stack:
                model.text()
            position = start + 1
            continue
        comment, bogus, closing, name, attributes, self_closing, end_of_tag = match.groups()
        if comment is not None:
            end = _COMMENT_END_RE.search(html, start + 2)
            if end is None:
                break
            position = end.end()
            continue
        if bogus is not None:
            end = find(">", start + 2) if html[start + 1 : start + 3] != "/>" else start + 2
            if end < 0:
                break
            position = end + 1
            continue
        if len(attributes) > 2 * MAX_ATTRIBUTES and len(attributes.split()) > MAX_ATTRIBUTES:
            return limit + 1  # (even in a tag the document ends in: the parser reads it all)
        if not end_of_tag:
            break  # the document ends inside the tag: the parser drops it
        position = match.end()
        name = name.lower()
        if closing:
            model.end_tag(name)
        else:
            html_mode = not model.foreign_mode()
            model.start_tag(name, attributes, bool(self_closing))
            if html_mode and (model.last("select") < 0 or name == "script"):
                if name == "plaintext":
                    break
                if name in _RAW_TEXT:
                    end = _RAW_END_RES[name].search(html, position)
                    if end is None:
                        break
                    position = end.start()
        if model.exceeded():
            return limit + 1
    return limit + 1 if model.exceeded() else model.deepest
