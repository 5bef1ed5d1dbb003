"""Rendering stays linear: hostile shapes fall back, real markup renders as before.

``render_bounds.html_depth`` models an HTML parser's stacks in one scan; a body it finds too deep
is shown as escaped source after a note. Markdown with too much markup is shown as plain text
after a note, and linkify only ever sees bounded pieces. Behaviour is asserted on the output
(what is shown, which note, which links), never on timings: ``bench/render_probe.py`` measures.
"""

from __future__ import annotations

import importlib.util

import html5lib
import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_aiconvos import render_bounds, rendering
from flask_aiconvos.render_bounds import html_depth

ENGINES = [pytest.param("nh3", id="nh3"), pytest.param("bleach", id="bleach")]
LINKIFY = importlib.util.find_spec("linkify_it") is not None
LIMIT = rendering.MAX_NESTING


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def depth(html: str) -> int:
    return html_depth(html, limit=10**6, reopen_budget=10**9)


def parser_depth(html: str) -> int:
    """The depth of the tree html5lib (the standard's algorithm) builds, below ``<body>``."""
    root = html5lib.parse(html, namespaceHTMLElements=False)
    deepest = 0
    stack = [(root, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node)
    return max(deepest - 2, 0)


# --------------------------------------------------------------------------------------------
# The model finds hostile nesting the old guard missed


HOSTILE = {
    "ruby text": "<rt>",
    "ruby parentheses": "<rp>",
    "optgroups": "<optgroup>",
    "ignored end tags": "<div></span>",
    "end tag out of scope": "<div><table><td></div>",
    "list item in definition": "<li><dd>",
    "table cells in svg": "<svg><td>",
    "paragraph in table": "<p><table>",
    "re-opened formatting": "<p><b id=1></p><p><b id=2></p><p><b id=3></p><p><b id=4></p>",
    "ruby inside ruby text": "<ruby><rt>",
}


@pytest.mark.parametrize("unit", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_nesting_goes_past_the_limit(unit: str) -> None:
    body = unit * (2 * LIMIT)
    assert html_depth(body, limit=LIMIT) > LIMIT


def test_distinct_formatting_elements_reopened_on_every_paragraph_go_past_the_budget() -> None:
    # Few open elements at any time, but the parser re-creates every one of them per paragraph.
    opened = "".join(f"<b id={i}>" for i in range(100))
    body = f"<div>{opened}</div>" + "<p>x</p>" * 500
    assert html_depth(body, limit=LIMIT, reopen_budget=1000) > LIMIT


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("unit", ["<rt>", "<optgroup>", "<div></span>", "<svg><td>"])
def test_hostile_html_is_shown_as_source_after_a_note(unit: str, engine: str) -> None:
    body = unit * (2 * LIMIT) + "the end & <script>alert(1)</script>"
    doc = soup(rendering.render_body(body, "html", engine=engine))
    note, source = doc.find_all("p", recursive=False)
    assert "shown as source" in note.get_text().lower()
    assert source.find(True) is None
    assert source.get_text() == body
    assert rendering.html_to_markdown(body) is None


@pytest.mark.parametrize("engine", ENGINES)
def test_html_with_masses_of_character_references_is_shown_as_source(engine: str) -> None:
    body = "<b>fish &amp; chips</b> " * (rendering.MAX_AMPERSANDS // 4) + "&" * 50_000
    doc = soup(rendering.render_body(body, "html", engine=engine))
    note, source = doc.find_all("p", recursive=False)
    assert "shown as source" in note.get_text().lower()
    assert source.get_text() == body
    few = soup(rendering.render_body("<b>fish &amp; chips</b>", "html", engine=engine))
    assert few.find("b").get_text() == "fish & chips"


@pytest.mark.parametrize("engine", ENGINES)
def test_text_with_masses_of_ampersands_keeps_its_text_without_links(engine: str) -> None:
    body = "see https://example.com/?a=1&b=2 " + "& " * rendering.MAX_AMPERSANDS
    doc = soup(rendering.render_body(body, "text", engine=engine))
    assert doc.find("a") is None
    assert doc.get_text() == body
    assert doc.find("em") is None  # text stays text: no note


def test_the_note_is_not_part_of_previews_or_search_text() -> None:
    body = "<rt>" * (2 * LIMIT) + "tail"
    assert rendering.preview_text(body, "html").startswith("<rt><rt>")
    assert "shown as source" not in rendering.searchable_text(body, "html", limit=10**7).lower()
    assert "shown as source" in rendering.sanitize_html(body).lower()


# --------------------------------------------------------------------------------------------
# ... and leaves real markup alone


SHALLOW = {
    "unclosed paragraphs": "<p>text",
    "unclosed list items": "<ul>" + "<li>item" * 5 + "</ul>",
    "unclosed cells": "<table><tr>" + "<td>cell" * 5 + "</table>",
    "unclosed rows": "<table>" + "<tr><td>a<td>b" * 5 + "</table>",
    "unclosed options": "<select>" + "<option>o" * 5 + "</select>",
    "definition lists": "<dl><dt>term<dd>definition<dt>term<dd>definition</dl>",
    "sloppy fonts": "<p><font face=Arial>text</p>",
    "inline svg icons": '<svg viewBox="0 0 1 1"><path d="M0 0"/><g><rect/></g></svg>',
    "comments with tags": "<!-- <div><div><div> --><p>x</p>",
    "scripts with tags": "<script>document.write('<div><div>')</script>",
    "styles with tags": "<style>a::after{content:'<div>'}</style>",
    "attributes with tags": '<a title="<div><div>" href="https://e.com">x</a>',
    "headings": "<h1>a<h2>b<h3>c",
    "layout table": "<table role=presentation><tr><td><table><tr><td>x</td></tr></table>"
    "</td></tr></table>",
}


@pytest.mark.parametrize("unit", SHALLOW.values(), ids=SHALLOW.keys())
def test_real_markup_repeated_stays_shallow(unit: str) -> None:
    assert depth(unit * 1000) <= 6


@pytest.mark.parametrize("engine", ENGINES)
def test_200_levels_of_layout_tables_still_render(engine: str) -> None:
    body = "<table><tr><td>" * 200 + "<p>inside</p>" + "</td></tr></table>" * 200
    doc = soup(rendering.render_body(body, "html", engine=engine))
    assert doc.find("em") is None
    assert doc.find("p").get_text() == "inside"


def test_a_document_ending_inside_a_tag_or_comment_adds_nothing() -> None:
    assert depth("<div>" * 3 + '<a href="' + "<div>" * 1000) == 3
    assert depth("<div>" * 3 + "<!--" + "<div>" * 1000) == 3
    assert depth("<div>" * 3 + "<textarea>" + "<div>" * 1000) == 4


def test_attribute_names_starting_with_equals_do_not_hide_tags() -> None:
    # ``<div =x>`` is a <div> with an attribute named "=x", as the standard tokenizes it.
    assert depth("<div =x>" * 1000) == 1000
    assert depth("<div a=>" * 1000) == 1000
    assert depth('<div title="a>b">' * 1000) == 1000


def test_more_tags_than_max_tags_go_past_the_limit() -> None:
    assert html_depth("<br>" * render_bounds.MAX_TAGS, limit=LIMIT) <= LIMIT
    assert html_depth("<br>" * (render_bounds.MAX_TAGS + 1), limit=LIMIT) > LIMIT


def test_raw_text_is_markup_inside_svg() -> None:
    # An SVG <style> is an ordinary element: its contents are parsed, so they count.
    assert depth("<svg><style>" + "<g>" * 1000) > 1000


@pytest.mark.parametrize("name", ["mi", "mo", "mn", "ms", "mtext", "desc", "foreignObject"])
def test_an_html_end_tag_of_a_mathml_name_stops_at_a_div(name: str) -> None:
    # Outside <math> and <svg> these are ordinary elements: the div above an open one makes
    # the parser ignore its end tag, so every repetition nests deeper.
    body = f"<div></{name}><{name}>" * 14
    assert depth(body) >= parser_depth(body) == 27


_TOKENS = st.sampled_from(
    [
        "div", "p", "li", "dd", "dt", "ul", "table", "tr", "td", "th", "tbody", "caption", "b",
        "i", "a", "font", "nobr", "span", "rt", "ruby", "optgroup", "option", "select", "svg",
        "math", "mi", "foreignObject", "g", "style", "textarea", "button", "form", "h1",
        "template", "object", "pre", "br", "img", "em", "x-y",
    ]
).flatmap(
    lambda name: st.sampled_from(
        [f"<{name}>", f"<{name} id=1>", f"<{name} id=2>", f"<{name}/>", f"</{name}>", "x"]
    )
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TOKENS, min_size=1, max_size=6), st.integers(min_value=10, max_value=60))
def test_the_model_never_sees_far_less_nesting_than_the_parser(units: list[str], times: int):
    body = "".join(units) * times
    # A table counts once for its section, row and cell: at most four parser levels.
    assert depth(body) * 5 + 10 >= parser_depth(body)


# --------------------------------------------------------------------------------------------
# Markdown


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("unit", ["[", "![", "*a", "_a ", "a\n", "[a](", "`a", "&", "&#"])
def test_markdown_with_too_much_markup_is_plain_text_after_a_note(unit: str, engine: str) -> None:
    body = unit * (rendering.MARKDOWN_MAX_MARKUP + 1)
    doc = soup(rendering.render_body(body, "markdown", engine=engine))
    note = doc.find("p")
    assert "shown as plain text" in note.get_text().lower()
    # A long body folds behind "Show more" (<details data-more>), losing nothing.
    assert {tag.name for tag in doc.find_all(True)} <= {"p", "em", "br", "details", "summary"}
    assert all(tag.has_attr("data-more") for tag in doc.find_all("details"))
    text = "".join(p.get_text() for p in doc.find_all("p")[1:])
    assert text.replace("\n", "") == body.strip("\n").replace("\n", "")


@pytest.mark.parametrize("engine", ENGINES)
def test_markdown_within_the_budget_is_formatted(engine: str) -> None:
    body = "Some **bold** text and a [link](https://e.com/x).\n\n" * 100
    doc = soup(rendering.render_body(body, "markdown", engine=engine))
    assert "shown as" not in doc.get_text().lower()
    assert len(doc.find_all("strong")) == 100
    assert len(doc.find_all("a")) == 100


@pytest.mark.skipif(not LINKIFY, reason="linkify-it-py is not installed")
def test_markdown_full_of_addresses_is_formatted_without_linkify() -> None:
    body = "**Contacts**: " + " ".join(f"u{i}@example.com" for i in range(3000))
    doc = soup(rendering.render_body(body, "markdown"))
    assert doc.find("strong").get_text() == "Contacts"
    assert doc.find("a") is None
    assert "u2999@example.com" in doc.get_text()
    few = soup(rendering.render_body("**Contact**: u1@example.com", "markdown"))
    assert few.find("a")["href"] == "mailto:u1@example.com"


# --------------------------------------------------------------------------------------------
# Text and linkify


@pytest.mark.skipif(not LINKIFY, reason="linkify-it-py is not installed")
def test_at_most_max_links_are_made_and_the_rest_stays_text() -> None:
    count = rendering.MAX_LINKS + 50
    body = " ".join(f"u{i}@example.com" for i in range(count))
    doc = soup(rendering.render_body(body, "text"))
    links = doc.find_all("a")
    assert len(links) == rendering.MAX_LINKS
    assert links[-1]["href"] == f"mailto:u{rendering.MAX_LINKS - 1}@example.com"
    assert doc.get_text() == body


@pytest.mark.skipif(not LINKIFY, reason="linkify-it-py is not installed")
def test_addresses_across_piece_boundaries_are_linked_whole() -> None:
    words = [f"word{i}" for i in range(600)]
    words[300:300] = ["https://example.com/a/long/path?q=1"]
    words[450:450] = ["name@example.org"]
    body = " ".join(words)
    assert len(body) > 2 * 2000
    doc = soup(rendering.render_body(body, "text"))
    assert [a["href"] for a in doc.find_all("a")] == [
        "https://example.com/a/long/path?q=1",
        "mailto:name@example.org",
    ]
    assert doc.get_text() == body


def test_a_huge_run_without_spaces_still_gets_web_links() -> None:
    body = "x" * 20_000 + "<https://example.com/page>" + "y" * 20_000
    doc = soup(rendering.render_body(body, "text"))
    assert [a["href"] for a in doc.find_all("a")] == ["https://example.com/page"]
    assert doc.get_text() == body


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>&\"' \n\r\t\xa0\x01\x00ab/=é😀\u2028\x0c"))))
def test_source_is_written_exactly_as_the_sanitiser_would_write_it(text: str) -> None:
    expected = rendering._clean(rendering._text_to_html(text, linkify=False, quotes=False), "nh3")
    assert rendering._source_html(text) == expected
