"""Message bodies keep their formatting through the sanitiser; timestamps read well.

Pure unit tests of ``flask_aiconvos.rendering``: no app, no database. Structure is asserted on
parsed HTML, not on substrings.
"""

from __future__ import annotations

import importlib.util
import threading
from datetime import UTC, datetime, timedelta, timezone

import markdownify
import pytest
from bs4 import BeautifulSoup
from bs4.exceptions import ParserRejectedMarkup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from flask_aiconvos import rendering

ENGINES = [pytest.param("nh3", id="nh3"), pytest.param("bleach", id="bleach")]
LINKIFY = importlib.util.find_spec("linkify_it") is not None
REL = {"noopener", "noreferrer", "nofollow"}


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def words(text: str) -> str:
    return " ".join(text.split())


def assert_policy_link(link) -> None:
    assert set(link.get("rel", [])) == REL
    assert link.get("target") == "_blank"


# --------------------------------------------------------------------------------------------
# Contract


def test_public_constants() -> None:
    assert isinstance(rendering.POLICY_VERSION, int) and rendering.POLICY_VERSION >= 1
    assert rendering.SANITIZER_ENGINES == ("nh3", "bleach")
    assert issubclass(rendering.ConversionFailed, Exception)


@pytest.mark.parametrize(
    "call",
    [
        lambda: rendering.render_body("x", "text", engine="lxml"),
        lambda: rendering.sanitize_html("<b>x</b>", engine="NH3"),
        lambda: rendering.sanitize_html("", engine=""),
    ],
    ids=["render_body", "sanitize_html", "empty-body"],
)
def test_unknown_engine_names_the_allowed_ones(call) -> None:
    with pytest.raises(ValueError) as raised:
        call()
    assert "nh3" in str(raised.value) and "bleach" in str(raised.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: rendering.render_body("x", "rst"),
        lambda: rendering.render_body("", "HTML"),
        lambda: rendering.searchable_text("x", "pdf"),
    ],
    ids=["render_body", "render_body-case", "searchable_text"],
)
def test_unknown_format_names_the_allowed_ones(call) -> None:
    with pytest.raises(ValueError) as raised:
        call()
    for allowed in ("text", "html", "markdown"):
        assert allowed in str(raised.value)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("content_format", ["text", "html", "markdown"])
def test_empty_body_renders_empty(content_format: str, engine: str) -> None:
    assert rendering.render_body("", content_format, engine=engine) == ""


# --------------------------------------------------------------------------------------------
# HTML


RICH_EMAIL = """
<h2>Your booking</h2>
<p>Hello <b>Anna</b>, <strong>thanks</strong> for <i>booking</i> with <em>us</em>.
<u>u</u> <s>s</s> <del>del</del> <mark>mark</mark> <small>small</small> H<sub>2</sub>O
x<sup>2</sup> <code>code</code><br>next line</p>
<pre>  two  spaces</pre>
<ul><li>Desk</li><li>Coffee<ol><li>Espresso</li></ol></li></ul>
<blockquote>Quoted</blockquote>
<hr>
<table>
  <thead><tr><th>Item</th><th align="right">Price</th></tr></thead>
  <tbody>
    <tr><td>Hot desk</td><td align="right">£20</td></tr>
    <tr><td colspan="2" rowspan="1">Total £20</td></tr>
  </tbody>
  <tfoot><tr><td>VAT</td><td>£4</td></tr></tfoot>
</table>
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_html_formatting_survives(engine: str) -> None:
    doc = soup(rendering.render_body(RICH_EMAIL, "html", engine=engine))
    assert doc.find("h2").get_text() == "Your booking"
    paragraph = doc.find("p")
    for tag in ("b", "strong", "i", "em", "u", "s", "del", "mark", "small", "sub", "sup", "code"):
        assert paragraph.find(tag) is not None, tag
    assert paragraph.find("br") is not None
    assert doc.find("pre").get_text() == "  two  spaces"
    items = doc.find("ul").find_all("li", recursive=False)
    assert [words(li.contents[0]) for li in items] == ["Desk", "Coffee"]
    assert items[1].find("ol").find("li").get_text() == "Espresso"
    assert doc.find("blockquote").get_text() == "Quoted"
    assert doc.find("hr") is not None

    table = doc.find("table")
    assert [th.get_text() for th in table.thead.find_all("th")] == ["Item", "Price"]
    assert table.thead.find_all("th")[1]["align"] == "right"
    rows = table.tbody.find_all("tr")
    assert [td.get_text() for td in rows[0].find_all("td")] == ["Hot desk", "£20"]
    assert rows[1].td["colspan"] == "2" and rows[1].td["rowspan"] == "1"
    assert table.tfoot.find("td").get_text() == "VAT"


@pytest.mark.parametrize("engine", ENGINES)
def test_links_get_rel_and_target_whatever_the_content_says(engine: str) -> None:
    html = (
        '<a href="https://example.com/a?b=1&amp;c=2" target="_self" rel="opener" title="t">web</a>'
        '<a href="mailto:desk@example.com">mail</a>'
        '<a href="/members/42">relative</a>'
        '<a href="javascript:alert(1)">js</a>'
    )
    links = soup(rendering.render_body(html, "html", engine=engine)).find_all("a")
    assert [a.get_text() for a in links] == ["web", "mail", "relative", "js"]
    for link in links:
        assert_policy_link(link)
    assert links[0]["href"] == "https://example.com/a?b=1&c=2"
    assert links[0]["title"] == "t"
    assert links[1]["href"] == "mailto:desk@example.com"
    assert links[2]["href"] == "/members/42"
    assert "href" not in links[3].attrs


@pytest.mark.parametrize("engine", ENGINES)
def test_only_web_images_are_kept(engine: str) -> None:
    html = (
        '<img src="https://cdn.example.com/logo.png" alt="Logo" width="120" height="40" title="t">'
        '<img src="http://cdn.example.com/plain.png" alt="plain">'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="data">'
        '<img src="javascript:alert(1)" alt="js">'
        '<img src="/admin/logout" alt="relative">'
        '<img src="cid:part1@example" alt="cid">'
        '<img src="https://cdn.example.com/x.png" width="100px" height="calc(1)" alt="sized">'
    )
    images = soup(rendering.render_body(html, "html", engine=engine)).find_all("img")
    with_src = {img["alt"]: img for img in images if img.get("src")}
    assert set(with_src) == {"Logo", "plain", "sized"}
    logo = with_src["Logo"]
    assert logo.attrs == {
        "src": "https://cdn.example.com/logo.png",
        "alt": "Logo",
        "width": "120",
        "height": "40",
        "title": "t",
    }
    assert "width" not in with_src["sized"].attrs and "height" not in with_src["sized"].attrs


@pytest.mark.parametrize("engine", ENGINES)
def test_no_css_or_page_names_from_content(engine: str) -> None:
    html = (
        '<p style="color:red" class="alert alert-danger" id="login" name="x" '
        'data-toggle="modal" onclick="x()" lang="en">text</p>'
    )
    paragraph = soup(rendering.render_body(html, "html", engine=engine)).find("p")
    assert paragraph.attrs == {}
    assert paragraph.get_text() == "text"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_whole_email_document_keeps_only_its_body(engine: str) -> None:
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Newsletter title</title>"
        "<style>body { color: red }</style><link rel=stylesheet href=x.css>"
        "<base href='https://evil.example/'></head>"
        "<body><p>Hi!</p><script>track()</script><form><input name=q><button>Go</button></form>"
        "<iframe src='https://example.com'></iframe></body></html>"
    )
    doc = soup(rendering.render_body(html, "html", engine=engine))
    assert list(doc.stripped_strings) == ["Hi!", "Go"]
    assert [tag.name for tag in doc.find_all(True)] == ["p"]


@pytest.mark.parametrize("engine", ENGINES)
def test_comments_are_dropped(engine: str) -> None:
    html = "<p>a<!-- [if mso]>secret<![endif] -->b</p>"
    assert rendering.render_body(html, "html", engine=engine) == "<p>ab</p>"


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_table_attribute_values_are_dropped(engine: str) -> None:
    html = (
        "<table><tr><th>a</th><th>b</th></tr>"
        '<tr><td colspan="1000000" rowspan="-1" align="javascript">x</td>'
        '<td colspan="2" align="CENTER">y</td></tr></table>'
    )
    cells = soup(rendering.render_body(html, "html", engine=engine)).find_all("td")
    assert cells[0].attrs == {}
    assert cells[1]["colspan"] == "2"
    assert cells[1]["align"].lower() == "center"


BENIGN = [
    "<p>Hello <b>world</b></p>",
    "<ul><li>a</li><li><em>b</em></li></ul>",
    '<table><tr><th>h</th><th>i</th></tr><tr><td colspan="2">x</td></tr></table>',
    '<p><a href="https://example.com">x</a> <img src="https://e.com/i.png" alt="i"></p>',
    "<h1>T</h1><blockquote><p>q</p></blockquote><pre><code>c</code></pre><hr>",
    "plain & simple <b>bold",
]


@pytest.mark.parametrize("html", BENIGN)
def test_engines_agree_on_benign_markup(html: str) -> None:
    nh3_doc = soup(rendering.render_body(html, "html", engine="nh3"))
    bleach_doc = soup(rendering.render_body(html, "html", engine="bleach"))
    assert [t.name for t in nh3_doc.find_all(True)] == [t.name for t in bleach_doc.find_all(True)]
    assert [t.attrs for t in nh3_doc.find_all(True)] == [t.attrs for t in bleach_doc.find_all(True)]
    assert nh3_doc.get_text() == bleach_doc.get_text()


# --------------------------------------------------------------------------------------------
# Layout tables


NEWSLETTER = """
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
 <tr><td align="center">
  <table width="600" cellpadding="0" cellspacing="0">
   <tr><td>
    <table role="presentation"><tr>
      <td><img src="https://cdn.example.com/logo.png" alt="Hub logo"></td>
      <td><a href="https://example.com/view">View in browser</a></td>
    </tr></table>
   </td></tr>
   <tr><td>&nbsp;</td></tr>
   <tr><td><h1>November at the Hub</h1><p>Hello <b>Anna</b>, here is what is on.</p></td></tr>
   <tr><td>
    <table><tr><td><p>Friday breakfast is back.</p></td></tr>
           <tr><td><p>Book a meeting room online.</p></td></tr></table>
   </td></tr>
   <tr><td>
    <table>
      <tr><th>Event</th><th>Day</th></tr>
      <tr><td>Breakfast</td><td>Friday</td></tr>
    </table>
   </td></tr>
  </table>
 </td></tr>
</table>
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_layout_tables_are_unwrapped_data_tables_stay(engine: str) -> None:
    doc = soup(rendering.render_body(NEWSLETTER, "html", engine=engine))
    tables = doc.find_all("table")
    assert len(tables) == 1, "only the data table should remain a table"
    assert [th.get_text() for th in tables[0].find_all("th")] == ["Event", "Day"]
    assert "role" not in tables[0].attrs
    assert doc.find("h1").get_text() == "November at the Hub"
    assert doc.find("img")["src"] == "https://cdn.example.com/logo.png"
    texts = [words(p.get_text()) for p in doc.find_all("p")]
    assert texts == [
        "Hello Anna, here is what is on.",
        "Friday breakfast is back.",
        "Book a meeting room online.",
    ]
    assert_policy_link(doc.find("a"))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_two_column_table_without_headers_is_data(engine: str) -> None:
    html = "<table><tr><td>Desk</td><td>£20</td></tr><tr><td>Room</td><td>£50</td></tr></table>"
    doc = soup(rendering.render_body(html, "html", engine=engine))
    assert [[td.get_text() for td in tr.find_all("td")] for tr in doc.find_all("tr")] == [
        ["Desk", "£20"],
        ["Room", "£50"],
    ]


# --------------------------------------------------------------------------------------------
# Plain text


@pytest.mark.parametrize("engine", ENGINES)
def test_text_is_escaped_with_line_breaks_and_paragraphs(engine: str) -> None:
    body = "Hi <b>Anna</b> & co,\r\nline two\n\n\nSecond   paragraph\n<script>alert(1)</script>"
    doc = soup(rendering.render_body(body, "text", engine=engine))
    paragraphs = doc.find_all("p")
    assert len(paragraphs) == 2
    assert paragraphs[0].find("br") is not None
    assert [tag.name for tag in doc.find_all(True)] == ["p", "br", "p", "br"]
    lines = [words(s) for s in paragraphs[0].stripped_strings]
    assert lines == ["Hi <b>Anna</b> & co,", "line two"]
    assert "<script>alert(1)</script>" in paragraphs[1].get_text()


@pytest.mark.parametrize("engine", ENGINES)
def test_text_links_are_clickable_and_safe(engine: str) -> None:
    body = (
        "See https://example.com/a?b=1&c=2. or (http://example.org/x) "
        "mail desk@example.com, javascript:alert(1) data:text/html,x"
    )
    doc = soup(rendering.render_body(body, "text", engine=engine))
    links = doc.find_all("a")
    hrefs = [a["href"] for a in links]
    assert hrefs[:2] == ["https://example.com/a?b=1&c=2", "http://example.org/x"]
    if LINKIFY:
        assert hrefs[2:] == ["mailto:desk@example.com"]
    for link in links:
        assert_policy_link(link)
    assert links[0].get_text() == "https://example.com/a?b=1&c=2"
    assert words(doc.get_text()) == words(body)


@pytest.mark.skipif(not LINKIFY, reason="linkify-it-py not installed")
@pytest.mark.parametrize("engine", ENGINES)
def test_text_bare_domains_are_linked(engine: str) -> None:
    doc = soup(rendering.render_body("Visit www.example.com today", "text", engine=engine))
    assert doc.find("a")["href"] == "http://www.example.com"


def test_text_link_with_quote_cannot_break_out() -> None:
    doc = soup(rendering.render_body('https://x.example/"onmouseover="alert(1)', "text"))
    link = doc.find("a")
    assert set(link.attrs) == {"href", "target", "rel"}


def test_text_links_without_linkify_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering, "_LINKIFY_AVAILABLE", False)
    body = "See https://example.com/a?b=1. or mailto:desk@example.com, javascript:alert(1)"
    doc = soup(rendering.render_body(body, "text"))
    assert [a["href"] for a in doc.find_all("a")] == [
        "https://example.com/a?b=1",
        "mailto:desk@example.com",
    ]
    assert words(doc.get_text()) == words(body)


# --------------------------------------------------------------------------------------------
# Markdown


MARKDOWN = """# Booking summary

Hello **Anna**, _thanks_ and ~~not~~ `code`.
Next line.

| Item | Price |
|:-----|------:|
| Desk | £20 |
| Room | £50 |

- one
  - nested
- two

1. first
2. second

> quoted

[site](https://example.com) and ![logo](https://cdn.example.com/l.png)

```
<b>fenced</b>
```
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_markdown_renders_tables_lists_and_emphasis(engine: str) -> None:
    doc = soup(rendering.render_body(MARKDOWN, "markdown", engine=engine))
    assert doc.find("h1").get_text() == "Booking summary"
    first = doc.find("p")
    assert first.find("strong").get_text() == "Anna"
    assert first.find("em").get_text() == "thanks"
    assert first.find("s").get_text() == "not"
    assert first.find("code").get_text() == "code"
    assert first.find("br") is not None
    table = doc.find("table")
    assert [th.get_text() for th in table.find_all("th")] == ["Item", "Price"]
    assert [th.get("align") for th in table.find_all("th")] == ["left", "right"]
    body_rows = table.tbody.find_all("tr")
    assert [[td.get_text() for td in tr.find_all("td")] for tr in body_rows] == [
        ["Desk", "£20"],
        ["Room", "£50"],
    ]
    bullets = doc.find("ul")
    assert bullets.find("ul").find("li").get_text() == "nested"
    assert [li.get_text() for li in doc.find("ol").find_all("li")] == ["first", "second"]
    assert words(doc.find("blockquote").get_text()) == "quoted"
    link = doc.find("a")
    assert link["href"] == "https://example.com"
    assert_policy_link(link)
    assert doc.find("img")["src"] == "https://cdn.example.com/l.png"
    assert doc.find("pre").get_text() == "<b>fenced</b>\n"
    assert all("style" not in tag.attrs and "class" not in tag.attrs for tag in doc.find_all(True))


@pytest.mark.parametrize("engine", ENGINES)
def test_raw_html_in_markdown_is_text(engine: str) -> None:
    body = 'Hi <b onclick="x()">there</b>\n\n<script>alert(1)</script>\n\n<img src=x onerror=y>'
    doc = soup(rendering.render_body(body, "markdown", engine=engine))
    assert [tag.name for tag in doc.find_all(True)] == ["p", "p", "p"]
    assert '<b onclick="x()">there</b>' in doc.get_text()
    assert "<script>alert(1)</script>" in doc.get_text()


@pytest.mark.parametrize("engine", ENGINES)
def test_markdown_dangerous_links_are_not_links(engine: str) -> None:
    body = (
        "[a](javascript:alert(1)) [b](vbscript:x) [c](data:text/html,x) "
        "![d](data:image/png;base64,AA)"
    )
    doc = soup(rendering.render_body(body, "markdown", engine=engine))
    assert all(not a.get("href") for a in doc.find_all("a"))
    assert all(not img.get("src") for img in doc.find_all("img"))


@pytest.mark.skipif(not LINKIFY, reason="linkify-it-py not installed")
@pytest.mark.parametrize("engine", ENGINES)
def test_markdown_bare_urls_are_linked(engine: str) -> None:
    doc = soup(rendering.render_body("see https://example.com/x now", "markdown", engine=engine))
    link = doc.find("a")
    assert link["href"] == "https://example.com/x"
    assert_policy_link(link)


# --------------------------------------------------------------------------------------------
# html_to_markdown


def test_markdownify_options_exist() -> None:
    options = markdownify.MarkdownConverter.DefaultOptions
    for name in ("heading_style", "table_infer_header", "escape_misc"):
        assert hasattr(options, name)


def test_html_to_markdown_keeps_tables_lists_and_emphasis() -> None:
    html = (
        "<h2>Invoice</h2>"
        "<p>Dear <strong>Anna</strong>, <em>thanks</em>.</p>"
        "<table><tr><td>Item</td><td>Price</td></tr>"
        "<tr><td>Desk | hot</td><td>£20</td></tr></table>"
        "<ul><li>one<ul><li>nested</li></ul></li><li>two</li></ul>"
    )
    markdown = rendering.html_to_markdown(html)
    assert markdown is not None
    lines = markdown.splitlines()
    assert "## Invoice" in lines
    assert "| Item | Price |" in lines
    assert "| --- | --- |" in lines
    assert "| Desk \\| hot | £20 |" in lines
    assert "**Anna**" in markdown and "*thanks*" in markdown

    doc = soup(rendering.render_body(markdown, "markdown"))
    assert doc.find("h2").get_text() == "Invoice"
    assert doc.find("strong").get_text() == "Anna"
    assert doc.find("em").get_text() == "thanks"
    table = doc.find("table")
    assert [th.get_text() for th in table.find_all("th")] == ["Item", "Price"]
    assert [td.get_text() for td in table.find_all("td")] == ["Desk | hot", "£20"]
    outer = doc.find("ul")
    assert [words(li.contents[0]) for li in outer.find_all("li", recursive=False)] == [
        "one",
        "two",
    ]
    assert outer.find("ul").find("li").get_text() == "nested"


def test_html_to_markdown_drops_script_style_and_title() -> None:
    html = (
        "<html><head><title>TITLE</title><style>.x{}</style></head>"
        "<body><p>Body</p><script>SCRIPT()</script></body></html>"
    )
    assert rendering.html_to_markdown(html) == "Body"


def test_html_to_markdown_newsletter_becomes_paragraphs_not_a_grid() -> None:
    markdown = rendering.html_to_markdown(NEWSLETTER)
    assert markdown is not None
    pipe_lines = [line for line in markdown.splitlines() if line.startswith("|")]
    assert pipe_lines == ["| Event | Day |", "| --- | --- |", "| Breakfast | Friday |"]
    doc = soup(rendering.render_body(markdown, "markdown"))
    assert doc.find("h1").get_text() == "November at the Hub"
    paragraphs = [words(p.get_text()) for p in doc.find_all("p")]
    for expected in (
        "Hello Anna, here is what is on.",
        "Friday breakfast is back.",
        "Book a meeting room online.",
    ):
        assert expected in paragraphs
    assert len(doc.find_all("table")) == 1


def test_html_to_markdown_output_stays_inert_when_rendered() -> None:
    markdown = rendering.html_to_markdown(
        "<p>&lt;img src=x onerror=alert(1)&gt; and &lt;script&gt;alert(2)&lt;/script&gt;</p>"
        '<p><a href="javascript:alert(3)">click</a></p>'
    )
    assert markdown is not None
    for engine in ("nh3", "bleach"):
        doc = soup(rendering.render_body(markdown, "markdown", engine=engine))
        assert doc.find("img") is None and doc.find("script") is None
        assert "<img src=x onerror=alert(1)>" in doc.get_text()
        assert all(not a.get("href") for a in doc.find_all("a"))


def test_html_to_markdown_failure_returns_none(monkeypatch: pytest.MonkeyPatch) -> None:
    def reject(self, soup):
        raise ParserRejectedMarkup("rejected")

    monkeypatch.setattr(markdownify.MarkdownConverter, "convert_soup", reject)
    assert rendering.html_to_markdown("<p>fine</p>") is None


@pytest.mark.parametrize("html", ["<![%", "<table><tr><td colspan=x>", "\x00<p>\udcff</p>", ""])
def test_html_to_markdown_never_raises_on_malformed_input(html: str) -> None:
    result = rendering.html_to_markdown(html)
    assert result is None or isinstance(result, str)


# --------------------------------------------------------------------------------------------
# Plain-text projections


@pytest.mark.parametrize(
    ("body", "content_format", "expected"),
    [
        ("\n  \nHello   there\nsecond line", "text", "Hello there"),
        ("<b>not a tag</b> &amp;", "text", "<b>not a tag</b> &amp;"),
        (
            "<html><head><title>Title</title><style>p{}</style></head><body>"
            "<p>  Hi &amp; <b>Anna</b>,<br>second</p></body></html>",
            "html",
            "Hi & Anna,",
        ),
        ("<table role=presentation><tr><td><p>Cell</p></td></tr></table>", "html", "Cell"),
        ("<div><p></p><p>&nbsp;</p><h1>Welcome</h1></div>", "html", "Welcome"),
        ("# Hello **world**\n\nbody", "markdown", "Hello world"),
        ("- item *one*\n- two", "markdown", "item one"),
        ("", "text", ""),
        ("<script>x()</script>", "html", ""),
    ],
)
def test_preview_text(body: str, content_format: str, expected: str) -> None:
    assert rendering.preview_text(body, content_format) == expected


def test_preview_text_is_trimmed_to_the_limit() -> None:
    body = "word " * 100
    preview = rendering.preview_text(body, "text", limit=30)
    assert len(preview) <= 30
    assert preview.endswith("…")
    assert preview.startswith("word word")
    assert rendering.preview_text("short", "text", limit=30) == "short"
    assert len(rendering.preview_text("x" * 500, "html", limit=300)) == 300


@pytest.mark.parametrize(
    ("body", "content_format"),
    [(None, "text"), ("x", "rst"), ("<![%", "html"), ("\x00\udcff", "markdown"), (42, "html")],
)
def test_preview_text_never_raises(body, content_format) -> None:
    assert isinstance(rendering.preview_text(body, content_format), str)


def test_searchable_text_strips_markup_and_hidden_content() -> None:
    html = (
        "<html><head><title>TITLE</title><style>STYLE{}</style></head><body>"
        "<p>Hello   <b>Anna</b> &amp; co</p><script>SCRIPT()</script>"
        "<table><tr><td>Desk</td><td>£20</td></tr></table></body></html>"
    )
    assert rendering.searchable_text(html, "html") == "Hello Anna & co Desk £20"
    assert rendering.searchable_text("a\n\n  b\tc", "text") == "a b c"
    markdown = "**bold** [link](https://x.example)"
    assert rendering.searchable_text(markdown, "markdown") == "bold link"
    assert rendering.searchable_text("word " * 1000, "text", limit=12) == "word word wo"
    assert rendering.searchable_text("", "html") == ""


# --------------------------------------------------------------------------------------------
# Hostile sizes and shapes


@pytest.mark.parametrize("engine", ENGINES)
def test_absurdly_deep_html_is_shown_as_source(engine: str) -> None:
    body = "<div>" * (rendering.MAX_NESTING + 1) + "deep <b>x</b>"
    doc = soup(rendering.render_body(body, "html", engine=engine))
    note, source = doc.find_all("p", recursive=False)
    assert [tag.name for tag in note.find_all(True)] == ["em"]
    assert "shown as source" in note.get_text().lower()
    assert source.find(True) is None
    assert source.get_text().endswith("deep <b>x</b>")
    assert rendering.html_to_markdown(body) is None
    assert rendering.preview_text(body, "html").startswith("<div><div>")


@pytest.mark.parametrize("engine", ENGINES)
def test_deep_but_plausible_html_still_renders(engine: str) -> None:
    depth = 200
    body = "<table><tr><td>" * depth + "<p>inside</p>" + "</td></tr></table>" * depth
    doc = soup(rendering.render_body(body, "html", engine=engine))
    assert doc.find("table") is None
    assert doc.find("p").get_text() == "inside"


@pytest.mark.parametrize("engine", ENGINES)
def test_markdown_nesting_is_bounded_but_ordinary_lists_nest(engine: str) -> None:
    doc = soup(rendering.render_body("- a\n  - b\n    - c", "markdown", engine=engine))
    assert [len(li.find_parents("ul")) for li in doc.find_all("li")] == [1, 2, 3]
    brackets = rendering.render_body("[" * 1000, "markdown", engine=engine)
    assert soup(brackets).get_text().strip() == "[" * 1000


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("content_format", ["text", "html", "markdown"])
def test_lone_surrogates_do_not_break_rendering(content_format: str, engine: str) -> None:
    html = rendering.render_body("a\udcffb", content_format, engine=engine)
    assert words(soup(html).get_text()) == "a?b"


# --------------------------------------------------------------------------------------------
# Time


NOW = datetime(2026, 11, 23, 22, 8, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (NOW - timedelta(minutes=15), "15 minutes ago"),
        (NOW - timedelta(seconds=1), "a second ago"),
        (NOW - timedelta(hours=3), "3 hours ago"),
        (NOW - timedelta(days=1), "a day ago"),
        (NOW + timedelta(hours=2), "2 hours from now"),
        (NOW, "now"),
        ((NOW - timedelta(minutes=15)).replace(tzinfo=None), "15 minutes ago"),
        ((NOW - timedelta(minutes=15)).astimezone(timezone(timedelta(hours=5))), "15 minutes ago"),
    ],
    ids=["minutes", "second", "hours", "day", "future", "now", "naive", "offset"],
)
def test_format_relative(moment: datetime, expected: str) -> None:
    assert rendering.format_relative(moment, now=NOW) == expected


def test_format_relative_defaults_to_the_real_clock() -> None:
    assert rendering.format_relative(datetime.now(UTC) - timedelta(hours=5)) == "5 hours ago"


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (NOW, "UTC", "Mon 23 Nov 2026, 22:08 UTC"),
        (NOW, "Europe/Paris", "Mon 23 Nov 2026, 23:08 CET"),
        (NOW, "Europe/London", "Mon 23 Nov 2026, 22:08 GMT"),
        (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "Europe/London", "Wed 1 Jul 2026, 13:00 BST"),
        (NOW, "America/New_York", "Mon 23 Nov 2026, 17:08 EST"),
        (NOW, "Asia/Dubai", "Tue 24 Nov 2026, 02:08 Asia/Dubai"),
        (NOW.replace(tzinfo=None), "UTC", "Mon 23 Nov 2026, 22:08 UTC"),
    ],
)
def test_format_exact(moment: datetime, zone: str, expected: str) -> None:
    assert rendering.format_exact(moment, timezone=zone) == expected


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd"])
def test_format_exact_unknown_zone(zone: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        rendering.format_exact(NOW, timezone=zone)


def test_time_tag() -> None:
    moment = (NOW - timedelta(minutes=15)).astimezone(timezone(timedelta(hours=-3)))
    tag = rendering.time_tag(moment, timezone="Europe/Paris", now=NOW)
    assert isinstance(tag, Markup)
    element = soup(str(tag)).find("time")
    assert element.attrs == {
        "datetime": "2026-11-23T21:53:23Z",
        "title": "Mon 23 Nov 2026, 22:53 CET",
    }
    assert element.get_text() == "15 minutes ago"
    assert str(tag) == (
        '<time datetime="2026-11-23T21:53:23Z" title="Mon 23 Nov 2026, 22:53 CET">'
        "15 minutes ago</time>"
    )


# --------------------------------------------------------------------------------------------
# Robustness


@pytest.mark.parametrize("engine", ENGINES)
def test_rendering_from_several_threads_matches_serial(engine: str) -> None:
    bodies = [(RICH_EMAIL, "html"), (MARKDOWN, "markdown"), ("see https://a.example", "text")]
    expected = [rendering.render_body(b, f, engine=engine) for b, f in bodies]
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                results.append([rendering.render_body(b, f, engine=engine) for b, f in bodies])
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results and all(result == expected for result in results)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("<>&\"'/=:# *|-\n")),
    content_format=st.sampled_from(["text", "html", "markdown"]),
    engine=st.sampled_from(["nh3", "bleach"]),
)
def test_any_text_renders_to_allowlisted_markup(
    body: str, content_format: str, engine: str
) -> None:
    html = rendering.render_body(body, content_format, engine=engine)
    for tag in soup(html).find_all(True):
        assert tag.name in rendering.ALLOWED_TAGS
        assert not any(attr.startswith("on") for attr in tag.attrs)
    preview = rendering.preview_text(body, content_format, limit=50)
    assert len(preview) <= 50 and "\n" not in preview
